"""The real azure-monitor-query LogsQueryClient (sync and async) against the live server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from azure.monitor.query import (
    LogsBatchQuery,
    LogsQueryClient,
    LogsQueryError,
    LogsQueryPartialResult,
    LogsQueryResult,
    LogsQueryStatus,
)
from azure.monitor.query.aio import LogsQueryClient as AsyncLogsQueryClient

from tests.server.conftest import MAX_ROWS, ApiKey, AsyncApiKey, Live

# Over plain HTTP, azure-core refuses to send a bearer token unless each call says so.
PLAIN = {"enforce_https": False}


def client(live: Live, role: str = "reader") -> LogsQueryClient:
    return LogsQueryClient(ApiKey(live.keys[role]), endpoint=live.endpoint)


def test_query_returns_typed_rows(live: Live) -> None:
    result = client(live).query_workspace(
        live.workspace_id,
        "SigninLogs | where ResultType == 0 or ResultType == 50126 "
        "| project TimeGenerated, UserPrincipalName, ResultType, LocationDetails "
        "| sort by TimeGenerated asc",
        timespan=None,
        **PLAIN,
    )
    assert isinstance(result, LogsQueryResult) and result.status == LogsQueryStatus.SUCCESS
    table = result.tables[0]
    assert table.name == "PrimaryResult"
    assert table.columns == ["TimeGenerated", "UserPrincipalName", "ResultType", "LocationDetails"]
    assert table.columns_types == ["datetime", "string", "string", "dynamic"]
    assert [r["UserPrincipalName"] for r in table.rows] == ["ann@contoso.com", "bob@contoso.com"]
    assert table.rows[0]["TimeGenerated"] == datetime(2024, 6, 20, 5, tzinfo=UTC)
    # dynamic values travel as JSON text, as Log Analytics sends them
    assert '"city":"Seattle"' in table.rows[0]["LocationDetails"]


def test_timespans_filter_time_generated(live: Live) -> None:
    c = client(live)
    q = "SigninLogs | summarize n = count()"

    def count(timespan: object) -> int:
        r = c.query_workspace(live.workspace_id, q, timespan=timespan, **PLAIN)
        return int(r.tables[0].rows[0][0])

    start = datetime(2024, 6, 20, tzinfo=UTC)
    assert count(None) == 3
    assert count((start, datetime(2024, 6, 20, 6, tzinfo=UTC))) == 1  # start/end
    assert count((start, timedelta(days=1))) == 2  # start/duration
    assert count(timedelta(hours=1)) == 0  # the last hour: the records are from 2024


def test_get_form(live: Live) -> None:
    r = httpx.get(
        f"{live.endpoint}/workspaces/{live.workspace_id}/query",
        params={"query": "AuditLogs | count", "timespan": "2024-06-20T00:00:00Z/P1D"},
        headers={"Authorization": f"Bearer {live.keys['reader']}"},
    )
    assert r.status_code == 200
    assert r.json()["tables"][0]["rows"] == [[1]]


def test_statistics_and_render(live: Live) -> None:
    r = client(live).query_workspace(
        live.workspace_id,
        "SigninLogs | summarize count() by bin(TimeGenerated, 1d) | render timechart "
        'with (title="Sign-ins")',
        timespan=None,
        include_statistics=True,
        include_visualization=True,
        server_timeout=30,
        **PLAIN,
    )
    assert isinstance(r, LogsQueryResult)
    assert r.visualization == {"visualization": "timechart", "title": "Sign-ins"}
    stats = r.statistics["query"]
    assert stats["executionTime"] >= 0
    assert stats["datasetStatistics"][0]["tableRowCount"] == 2
    plain = client(live).query_workspace(live.workspace_id, "print 1", timespan=None, **PLAIN)
    assert plain.statistics is None and plain.visualization is None


def test_kql_error_raises_with_the_diagnostic(live: Live) -> None:
    with pytest.raises(HttpResponseError) as e:
        client(live).query_workspace(
            live.workspace_id, "SigninLogs | where UserPrincipleName == 1", timespan=None, **PLAIN
        )
    assert e.value.status_code == 400
    text = str(e.value)
    assert "BadArgumentError" in text and "KQL2001" in text and "UserPrincipleName" in text
    inner = e.value.response.json()["error"]["innererror"]
    assert (inner["innererror"]["line"], inner["innererror"]["pos"]) == (1, 20)


def test_row_cap_gives_a_partial_result(live: Live) -> None:
    r = client(live).query_workspace(
        live.workspace_id, "range x from 1 to 100 step 1 | sort by x desc", timespan=None, **PLAIN
    )
    assert isinstance(r, LogsQueryPartialResult) and r.status == LogsQueryStatus.PARTIAL
    assert [row[0] for row in r.partial_data[0].rows] == [100, 99, 98, 97, 96][:MAX_ROWS]
    assert r.partial_error is not None
    assert r.partial_error.code == "PartialError"
    assert f"limit {MAX_ROWS} records" in r.partial_error.message


def test_batch_keeps_order_and_reports_each_outcome(live: Live) -> None:
    queries = [
        LogsBatchQuery(live.workspace_id, "SigninLogs | count", timespan=None),
        LogsBatchQuery(live.workspace_id, "SigninLogs | where Nope == 1", timespan=None),
        LogsBatchQuery(live.workspace_id, "range x from 1 to 10 step 1", timespan=None),
        LogsBatchQuery(
            live.workspace_id,
            "AuditLogs | count | render table",
            timespan=(datetime(2024, 6, 20, tzinfo=UTC), timedelta(hours=12)),
            include_visualization=True,
        ),
        LogsBatchQuery("not-this-workspace", "print 1", timespan=None),
    ]
    ok, bad, partial, audit_count, missing = client(live).query_batch(queries, **PLAIN)
    assert isinstance(ok, LogsQueryResult) and ok.tables[0].rows[0][0] == 3
    assert isinstance(bad, LogsQueryError) and "KQL2001" in bad.message
    assert isinstance(partial, LogsQueryPartialResult)
    assert isinstance(audit_count, LogsQueryResult) and audit_count.tables[0].rows[0][0] == 1
    assert audit_count.visualization == {"visualization": "table"}
    assert isinstance(missing, LogsQueryError) and missing.code == "WorkspaceNotFoundError"


def test_unknown_workspace_is_404(live: Live) -> None:
    with pytest.raises(HttpResponseError) as e:
        client(live).query_workspace(
            "00000000-0000-0000-0000-000000000000", "print 1", timespan=None, **PLAIN
        )
    assert e.value.status_code == 404
    assert e.value.response.json()["error"]["code"] == "WorkspaceNotFoundError"


def test_async_client(live: Live) -> None:
    async def go() -> tuple[object, list[object]]:
        cred = AsyncApiKey(live.keys["reader"])
        async with AsyncLogsQueryClient(cred, endpoint=live.endpoint) as c:
            one = await c.query_workspace(
                live.workspace_id, "SigninLogs | count", timespan=None, **PLAIN
            )
            many = await c.query_batch(
                [LogsBatchQuery(live.workspace_id, "print x = 2", timespan=None)], **PLAIN
            )
            with pytest.raises(HttpResponseError):
                await c.query_workspace(live.workspace_id, "print (", timespan=None, **PLAIN)
            return one, many

    one, many = asyncio.run(go())
    assert isinstance(one, LogsQueryResult) and one.tables[0].rows[0][0] == 3
    assert isinstance(many[0], LogsQueryResult) and many[0].tables[0].rows[0][0] == 2


def test_metadata_lists_tables_and_columns(live: Live) -> None:
    r = httpx.get(
        f"{live.endpoint}/workspaces/{live.workspace_id}/metadata",
        headers={"Authorization": f"Bearer {live.keys['reader']}"},
    )
    assert r.status_code == 200
    tables = {t["name"]: t for t in r.json()["tables"]}
    assert {"SigninLogs", "AuditLogs", "LAQueryLogs", "IngestionErrors"} <= set(tables)
    signin = tables["SigninLogs"]
    assert signin["timespanColumn"] == "TimeGenerated"
    assert {"name": "UserPrincipalName", "type": "string"} in signin["columns"]


def test_queries_are_recorded_in_la_query_logs(live: Live) -> None:
    marker = "print marker = 'recorded-query-7'"
    client(live).query_workspace(live.workspace_id, marker, timespan=None, **PLAIN)
    with pytest.raises(HttpResponseError):
        client(live).query_workspace(live.workspace_id, "print ( // 7", timespan=None, **PLAIN)
    r = client(live).query_workspace(
        live.workspace_id,
        "LAQueryLogs | where QueryText in ('print marker = \\'recorded-query-7\\'', 'print ( // 7') "
        "| project AADEmail, ResponseCode, ResponseRowCount, RequestClientApp, Type, "
        "ResponseSystemError | sort by ResponseCode asc",
        timespan=None,
        **PLAIN,
    )
    rows = [list(row) for row in r.tables[0].rows]
    assert [row[:3] for row in rows] == [["reader", 200, 1], ["reader", 400, 0]]
    assert "azsdk-python-monitor-query" in rows[0][3]
    assert rows[0][4] == "LAQueryLogs" and rows[1][5] == "KQL1002"


def test_health_needs_no_token(live: Live) -> None:
    r = httpx.get(f"{live.url}/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_unknown_path_uses_the_error_shape(live: Live) -> None:
    r = httpx.get(f"{live.url}/v1/nothing-here")
    assert r.status_code == 404
    assert set(r.json()["error"]) >= {"code", "message"}
