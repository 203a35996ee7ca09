"""The access log of the real server (`todo-api serve`), read from its output: the service's
own `todo_api.access` line once per request, and nothing of uvicorn's, which would print the
client address and the query string. With one worker and with several (uvicorn's worker
processes set their logging up again, from their own copy of its configuration)."""

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from api.support import TEST_KEY

from .servers import running_service

SECRET = "needle-" + uuid4().hex
REQUESTS = 6


def _records(log: Path) -> list[dict[str, Any]]:
    """The JSON log lines (start-up warnings on stderr are plain text)."""
    records = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


@pytest.mark.parametrize("workers", [1, 2])
async def test_one_access_line_per_request_and_never_the_query_string(
    tmp_path: Path, workers: int
) -> None:
    env = {
        "TODO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'todo.db'}",
        "TODO_SECRET_KEY": TEST_KEY,
        "TODO_LOG_FORMAT": "json",
    }
    log = tmp_path / "server.log"
    request_ids = [f"access-{number}-{uuid4().hex}" for number in range(REQUESTS)]
    async with running_service(env, log, workers=workers) as base:
        # A new connection for each request, so that every worker gets some.
        for request_id in request_ids:
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                response = await http.get(
                    "/api/v1/todos", params={"q": SECRET}, headers={"X-Request-ID": request_id}
                )
            assert response.status_code == 401

    text = log.read_text()
    assert SECRET not in text
    records = _records(log)
    assert not [record for record in records if record["logger"] == "uvicorn.access"]
    access = [record for record in records if record["logger"] == "todo_api.access"]
    for request_id in request_ids:
        mine = [record for record in access if record.get("request_id") == request_id]
        assert len(mine) == 1, text
        assert mine[0]["route"] == "/api/v1/todos"
        assert mine[0]["status"] == 401
