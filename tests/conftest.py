from __future__ import annotations

import pytest

from tests.oracle import KustoOracle, get_oracle


@pytest.fixture(scope="session")
def kusto_oracle() -> KustoOracle:
    """Microsoft's KQL parser and binder (tests/oracle.py); skips when not installed."""
    oracle = get_oracle()
    if oracle is None:
        pytest.skip("Kusto oracle unavailable: needs node and `make oracle`")
    return oracle
