"""Contention on PostgreSQL, against `todo-api serve --workers 2`: optimistic concurrency holds
across processes, e-mails stay unique, and concurrent creates lose nothing."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from api.support import PASSWORD, unique_email

from .servers import all_todos, concurrent_client, served_on_postgresql, signed_up

CONCURRENT = 100


# One server (and database) for the module: starting one takes seconds.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    tmp_path = tmp_path_factory.mktemp("contention")
    pool = {"TODO_POOL_SIZE": "20", "TODO_MAX_OVERFLOW": "20"}
    async with served_on_postgresql(tmp_path / "server.log", pool) as (base, _):
        yield base


def _client(base: str) -> httpx.AsyncClient:
    return concurrent_client(base, CONCURRENT)


async def test_concurrent_patches_with_one_if_match_let_exactly_one_through(
    service: str,
) -> None:
    async with _client(service) as http:
        auth = await signed_up(http)
        created = await http.post("/api/v1/todos", json={"title": "start"}, headers=auth)
        url, etag = created.headers["location"], created.headers["etag"]

        responses = await asyncio.gather(
            *(
                http.patch(url, json={"title": f"writer {n}"}, headers={**auth, "If-Match": etag})
                for n in range(CONCURRENT)
            )
        )

        statuses = Counter(response.status_code for response in responses)
        assert statuses == {200: 1, 412: CONCURRENT - 1}, statuses
        [winner] = [response.json() for response in responses if response.status_code == 200]
        final = (await http.get(url, headers=auth)).json()
        assert final["version"] == 2
        assert final == winner
        assert all(
            response.headers["content-type"] == "application/problem+json"
            for response in responses
            if response.status_code == 412
        )


async def test_concurrent_registrations_of_one_email_admit_exactly_one(service: str) -> None:
    email = unique_email()
    async with _client(service) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    "/api/v1/users",
                    # The e-mail in different cases: the same address (case-insensitive).
                    json={"email": email.upper() if n % 2 else email, "password": PASSWORD},
                )
                for n in range(CONCURRENT // 4)
            )
        )

        statuses = Counter(response.status_code for response in responses)
        assert statuses == {201: 1, 409: CONCURRENT // 4 - 1}, statuses
        token = await http.post(
            "/api/v1/auth/token", data={"username": email, "password": PASSWORD}
        )
        assert token.status_code == 200


async def test_concurrent_creates_by_one_user_are_each_stored_once(service: str) -> None:
    async with _client(service) as http:
        auth = await signed_up(http)

        responses = await asyncio.gather(
            *(
                http.post(
                    "/api/v1/todos", json={"title": f"todo {n}", "tags": [f"n{n}"]}, headers=auth
                )
                for n in range(CONCURRENT)
            )
        )

        assert [response.status_code for response in responses] == [201] * CONCURRENT
        acknowledged = {response.json()["id"]: response.json() for response in responses}
        stored = await all_todos(http, auth)
        assert Counter(todo["id"] for todo in stored) == Counter(acknowledged.keys())
        assert {todo["id"]: todo for todo in stored} == acknowledged


async def test_concurrent_patches_without_if_match_each_apply_in_turn(service: str) -> None:
    writers = 30
    async with _client(service) as http:
        auth = await signed_up(http)
        created = await http.post("/api/v1/todos", json={"title": "start"}, headers=auth)
        url = created.headers["location"]

        responses = await asyncio.gather(
            *(http.patch(url, json={"title": f"writer {n}"}, headers=auth) for n in range(writers))
        )

        assert Counter(response.status_code for response in responses) == {200: writers}
        versions = sorted(response.json()["version"] for response in responses)
        assert versions == list(range(2, writers + 2))
        final = (await http.get(url, headers=auth)).json()
        assert final["version"] == writers + 1
        assert final in [response.json() for response in responses]
