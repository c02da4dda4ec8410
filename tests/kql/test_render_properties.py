"""`render ... with (...)` properties: names, name lists, strings, and several in a row."""

from __future__ import annotations

import pytest

from kustodian.workspace.workspace import Workspace

BASE = 'print x = 1, a = 2, b = 3, s = "k"'


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ("series=s, legend=hidden", {"series": "s", "legend": "hidden"}),
        ("kind=stacked, title='T'", {"kind": "stacked", "title": "T"}),
        ("ycolumns=a, b, ytitle='Y'", {"ycolumns": "a,b", "ytitle": "Y"}),
        ("title='T', ycolumns=a, b", {"title": "T", "ycolumns": "a,b"}),
        ("xcolumn=x, ymax=10", {"xcolumn": "x", "ymax": 10}),
    ],
)
def test_render_properties(props: str, expected: dict[str, object]) -> None:
    with Workspace.open(":memory:") as ws:
        render = ws.query(f"{BASE} | render columnchart with ({props})").render
    assert render == {"visualization": "columnchart", **expected}
