"""Every escape attempt in escape_corpus.yaml fails cleanly through `Workspace.query`: a KQL
diagnostic with the corpus's code, or the payload back as plain data; never another exception,
never the secret file's content, never a changed setting, table or row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kustodian import Workspace
from kustodian.ingest import ingest_records
from kustodian.kql import KqlError
from tests.engines.escape_corpus import (
    TOO_DEEP,
    Case,
    Secret,
    check_clean,
    engine_state,
    load_cases,
)
from tests.ingest.records import signin

CASES = load_cases()


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Secret:
    return Secret(tmp_path_factory.mktemp("outside"))


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path_factory.mktemp("escape") / "ws")
    ingest_records(ws, [signin("s1", "ann@contoso.com", "2024-06-20T05:00:00Z")])
    yield ws
    ws.close()


def test_the_corpus_covers_every_kind_of_path() -> None:
    prefixes = {c.id.split("-")[0] for c in CASES}
    assert prefixes >= {"fn", "tab", "stmt", "set", "lit", "id", "dyn", "re", "fmt", "ev"}
    assert len(CASES) >= 100


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_escape_attempt_fails_cleanly(ws: Workspace, secret: Secret, case: Case) -> None:
    case = case.bind(secret)
    before = engine_state(ws)
    try:
        result = ws.query(case.kql)
    except KqlError as e:
        d = e.diagnostics[0]
        assert case.expect == "code", f"{case.id}: {e.render()}"
        assert d.code == case.expected, f"{case.id}: {e.render()}"
        assert secret.sentinel not in e.render()
    else:
        assert secret.sentinel not in repr(result.rows)
        check_clean(case, [n for n, _ in result.columns], result.rows)
    assert engine_state(ws) == before
    assert not (Path(ws.path) / "x.db").exists()
    assert sorted(p.name for p in secret.dir.iterdir()) == ["secret.csv"]


@pytest.mark.parametrize("kql", TOO_DEEP.values(), ids=list(TOO_DEEP))
def test_a_query_too_deep_to_compile_is_a_diagnostic(ws: Workspace, kql: str) -> None:
    with pytest.raises(KqlError) as info:
        ws.query(kql)
    assert info.value.diagnostics[0].code == "KQL1011"
    assert ws.query("print x = ((1))").rows == [[1]]


def test_every_depth_around_the_limit_is_an_answer_or_a_diagnostic(ws: Workspace) -> None:
    """Near the limit the recursion runs out in different places, sqlglot's tokenizer among
    them, which wraps it in its own TokenError: each depth either runs or is KQL1011."""
    outcomes = set()
    for n in range(900, 1060, 4):
        try:
            ws.query("print x = 1" + " | extend y = 1" * n)
            outcomes.add("ok")
        except KqlError as e:
            assert e.diagnostics[0].code == "KQL1011", e.render()
            outcomes.add("KQL1011")
    assert outcomes == {"ok", "KQL1011"}


def test_a_long_or_chain_compiles_flat(ws: Workspace) -> None:
    """A detection listing 300 conditions with `or`: sqlglot writes the flat chain without
    recursion (it used to hit KQL1011's limit at 159)."""
    conditions = " or ".join(f"x == {i}" for i in range(300))
    r = ws.query(f"range x from 295 to 305 step 1 | where {conditions}")
    assert r.rows == [[295], [296], [297], [298], [299]]
    sql = ws.compile(f"print x = 1 | where {conditions}")[0].sql
    assert '("x" = 0) OR ("x" = 1) OR ("x" = 2)' in sql
