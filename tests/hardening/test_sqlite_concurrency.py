"""The embedded default (a SQLite file) under concurrent writers, against `todo-api serve`: a
busy database makes a writer wait its turn, it is never answered as a conflict, and nothing
acknowledged is lost."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from api.support import PASSWORD, TEST_KEY, unique_email

from .servers import all_todos, concurrent_client, running_service

CLIENTS = 50

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    tmp_path = tmp_path_factory.mktemp("sqlite-concurrency")
    env = {
        "TODO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/todo.db",
        "TODO_SECRET_KEY": TEST_KEY,
        "TODO_LOG_LEVEL": "WARNING",
    }
    async with running_service(env, tmp_path / "server.log") as base:
        yield base


def _client(base: str) -> httpx.AsyncClient:
    return concurrent_client(base, CLIENTS, timeout=60.0)


async def _login(http: httpx.AsyncClient, email: str) -> httpx.Response:
    return await http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})


async def test_concurrent_registrations_all_succeed_and_every_one_can_log_in(
    service: str,
) -> None:
    emails = [unique_email() for _ in range(CLIENTS)]
    async with _client(service) as http:
        responses = await asyncio.gather(
            *(
                http.post("/api/v1/users", json={"email": email, "password": PASSWORD})
                for email in emails
            )
        )

        statuses = Counter(response.status_code for response in responses)
        assert statuses == {201: CLIENTS}, statuses
        for email in emails:
            assert (await _login(http, email)).status_code == 200, email


async def test_concurrent_creates_beside_logins_all_succeed_and_are_stored(
    service: str,
) -> None:
    email = unique_email()
    async with _client(service) as http:
        registered = await http.post("/api/v1/users", json={"email": email, "password": PASSWORD})
        assert registered.status_code == 201, registered.text
        token = (await _login(http, email)).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}

        creates = [
            http.post("/api/v1/todos", json={"title": f"todo {n}", "tags": [f"n{n}"]}, headers=auth)
            for n in range(CLIENTS)
        ]
        logins = [_login(http, email) for _ in range(CLIENTS // 5)]
        responses = await asyncio.gather(*creates, *logins)

        created, logged_in = responses[:CLIENTS], responses[CLIENTS:]
        assert Counter(response.status_code for response in created) == {201: CLIENTS}
        assert Counter(response.status_code for response in logged_in) == {200: CLIENTS // 5}
        acknowledged = {response.json()["id"]: response.json() for response in created}
        stored = await all_todos(http, auth)
        assert {todo["id"]: todo for todo in stored} == acknowledged
