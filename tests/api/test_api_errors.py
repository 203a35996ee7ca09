"""Every error is `application/problem+json`: unknown routes, wrong methods, oversized bodies
and unexpected failures, which never reveal internals."""

from collections.abc import AsyncIterator
from functools import partial

import httpx
from dependency_injector import providers
from fastapi import FastAPI

from fakes import ExplodingUnitOfWork
from todo_api import create_app

from .support import PASSWORD, assert_problem, new_account, settings_for, unique_email

LIMIT = 2048


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    for path in ("/nowhere", "/api/v2/todos", "/api/v1/todos/extra/segments"):
        body = assert_problem(await client.get(path), 404)
        assert body["type"] == "about:blank"
        assert body["title"] == "Not Found"


async def test_a_wrong_method_is_a_405_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/todos")

    assert_problem(response, 405)
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


async def test_an_unexpected_failure_is_a_generic_500(
    memory_app: FastAPI, memory_client: httpx.AsyncClient
) -> None:
    account = await new_account(memory_client)
    memory_app.state.container.uow_factory.override(
        providers.Object(
            partial(
                ExplodingUnitOfWork, "sqlalchemy.exc.OperationalError: password=hunter2 at 10.1.2.3"
            )
        )
    )

    response = await memory_client.get("/api/v1/todos", headers=account.headers)

    body = assert_problem(response, 500)
    assert body["title"] == "Internal Server Error"
    for secret in (
        "hunter2",
        "sqlalchemy",
        "RuntimeError",
        "Traceback",
        "10.1.2.3",
        "ExplodingUnitOfWork",
    ):
        assert secret not in response.text


async def _oversized_app() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_for("memory", max_body_bytes=LIMIT))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_a_declared_body_over_the_limit_is_413() -> None:
    async for client in _oversized_app():
        account = await new_account(client)
        big = "x" * LIMIT

        todo = await client.post(
            "/api/v1/todos", json={"title": "x", "description": big}, headers=account.headers
        )
        user = await client.post(
            "/api/v1/users", json={"email": unique_email(), "password": PASSWORD, "x": big}
        )
        token = await client.post("/api/v1/auth/token", data={"username": big, "password": big})

        for response in (todo, user, token):
            assert "2048" in assert_problem(response, 413)["detail"]


async def test_a_streamed_body_over_the_limit_is_413() -> None:
    async for client in _oversized_app():
        account = await new_account(client)

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"title": "x", "description": "'
            for _ in range(10):
                yield b"y" * 512
            yield b'"}'

        response = await client.post(
            "/api/v1/todos",
            content=chunks(),
            headers={**account.headers, "Content-Type": "application/json"},
        )

        assert_problem(response, 413)
        listed = await client.get("/api/v1/todos", headers=account.headers)
        assert listed.json()["items"] == []


async def test_a_body_within_the_limit_passes() -> None:
    async for client in _oversized_app():
        account = await new_account(client)

        response = await client.post(
            "/api/v1/todos",
            json={"title": "x", "description": "y" * (LIMIT - 100)},
            headers=account.headers,
        )

        assert response.status_code == 201


async def test_a_trailing_slash_is_a_404_problem_that_never_echoes_the_host(
    memory_client: httpx.AsyncClient,
) -> None:
    """A redirect would build its `Location` from the caller's `Host` header."""
    account = await new_account(memory_client)

    for path in ("/api/v1/todos/", "/api/v1/users/me/", "/health/live/"):
        response = await memory_client.get(
            path, headers={**account.headers, "Host": "evil.example"}
        )

        assert_problem(response, 404)
        assert "location" not in response.headers
        assert "evil.example" not in response.text


async def test_a_422_lists_the_first_errors_and_counts_the_rest(
    memory_client: httpx.AsyncClient,
) -> None:
    account = await new_account(memory_client)
    body = {f"k{n}": 0 for n in range(80_000)} | {"title": "x"}

    response = await memory_client.post("/api/v1/todos", json=body, headers=account.headers)

    problem = assert_problem(response, 422)
    assert [error["loc"] for error in problem["errors"]] == [["body", f"k{n}"] for n in range(20)]
    assert "80000" in problem["detail"]
    assert len(response.content) < 10_000


async def test_a_422_with_few_errors_lists_them_all(memory_client: httpx.AsyncClient) -> None:
    account = await new_account(memory_client)

    response = await memory_client.post(
        "/api/v1/todos", json={"title": "", "priority": "urgent"}, headers=account.headers
    )

    problem = assert_problem(response, 422)
    assert [error["loc"] for error in problem["errors"]] == [
        ["body", "title"],
        ["body", "priority"],
    ]
    assert problem["detail"] == "The request does not match the contract; see errors."
