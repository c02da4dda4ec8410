"""`/manage/v1/workbooks`: the shipped workbooks (kustodian.workbooks), their queries filled with
the workspace's settings. The UI runs the tiles' queries through the query API itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kustodian.server.errors import ApiError
from kustodian.server.tokens import Role
from kustodian.workbooks import resolved, workbooks

if TYPE_CHECKING:
    from kustodian.server.app import Server


def routes(server: Server) -> list[Route]:
    """The workbook routes, for create_app."""

    async def list_workbooks(request: Request) -> Response:
        """Every workbook: id, title, description and tiles."""
        await server.authenticate(request, Role.READER)
        found = workbooks().values()
        return JSONResponse(
            {"value": await run_in_threadpool(lambda: [resolved(server.ws, w) for w in found])}
        )

    async def get_workbook(request: Request) -> Response:
        """One workbook."""
        await server.authenticate(request, Role.READER)
        wb = workbooks().get(request.path_params["id"])
        if wb is None:
            raise ApiError(404, "WorkbookNotFound", f"no workbook '{request.path_params['id']}'")
        return JSONResponse(await run_in_threadpool(resolved, server.ws, wb))

    return [
        Route("/manage/v1/workbooks", list_workbooks, methods=["GET"]),
        Route("/manage/v1/workbooks/{id}", get_workbook, methods=["GET"]),
    ]
