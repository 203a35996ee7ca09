"""Every domain error has its problem, also before a route raises it: `Forbidden` (a member
whose role does not allow the action) is a 403, never the generic 400."""

import httpx
from fastapi import FastAPI

from todo_api.problems import FORBIDDEN, FORBIDDEN_TYPE, install_problem_handlers
from todo_domain import Forbidden

from .support import assert_problem


async def test_forbidden_is_a_403_problem() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/guarded")
    async def guarded() -> None:
        raise Forbidden("a list's viewer may not rename list")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/guarded")

    body = assert_problem(response, 403)
    assert body["type"] == FORBIDDEN_TYPE
    assert body["detail"] == FORBIDDEN
