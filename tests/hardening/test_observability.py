"""Observability: a request id on every response, in every problem body and in every log line
of its request; one structured access line per request; no secrets in the logs."""

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from api.conftest import cheap_hasher
from api.support import (
    PASSWORD,
    TEST_KEY,
    assert_problem,
    login,
    new_account,
    register,
    settings_for,
    unique_email,
)
from fakes import ExplodingUnitOfWork
from todo_api import create_app
from todo_api.logs import configure_logging


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """The service's logging set up as `todo-api serve` does (JSON, DEBUG), into a buffer."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging(settings_for("memory", log_format="json", log_level="DEBUG"), stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


def entries(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def access_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [entry for entry in entries(stream) if entry["logger"] == "todo_api.access"]


@pytest.fixture
async def small_app() -> AsyncIterator[FastAPI]:
    app = create_app(settings_for("memory", max_body_bytes=1024))
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def http(small_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=small_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_every_response_carries_a_generated_request_id(http: httpx.AsyncClient) -> None:
    account = await new_account(http)
    responses = {
        200: await http.get("/api/v1/todos", headers=account.headers),
        201: await http.post("/api/v1/todos", json={"title": "x"}, headers=account.headers),
        401: await http.get("/api/v1/todos"),
        404: await http.get("/nowhere"),
        405: await http.put("/api/v1/todos"),
        413: await http.post("/api/v1/todos", json={"title": "x" * 2000}, headers=account.headers),
        422: await http.post("/api/v1/todos", json={}, headers=account.headers),
    }

    ids = set()
    for status, response in responses.items():
        assert response.status_code == status
        request_id = response.headers["x-request-id"]
        assert len(request_id) == 32
        ids.add(request_id)
        if status >= 400:
            assert assert_problem(response, status)["request_id"] == request_id
    assert len(ids) == len(responses)


@pytest.mark.parametrize("request_id", ["abc", "req-1.2_3:4", "A" * 128])
async def test_a_plain_caller_request_id_is_echoed(
    http: httpx.AsyncClient, request_id: str
) -> None:
    ok = await http.get("/health/live", headers={"X-Request-ID": request_id})
    missing = await http.get("/nowhere", headers={"X-Request-ID": request_id})

    assert ok.headers["x-request-id"] == request_id
    assert missing.headers["x-request-id"] == request_id
    assert missing.json()["request_id"] == request_id


@pytest.mark.parametrize(
    "request_id", ["", "A" * 129, "two words", "<script>", "ü", "a\tb", "a;b", '"quoted"']
)
async def test_an_unsafe_or_long_request_id_is_replaced(
    http: httpx.AsyncClient, request_id: str
) -> None:
    response = await http.get("/nowhere", headers={b"X-Request-ID": request_id.encode()})

    echoed = response.headers["x-request-id"]
    assert echoed != request_id
    assert len(echoed) == 32
    assert response.json()["request_id"] == echoed


async def test_one_access_line_per_request_with_the_route_template(
    http: httpx.AsyncClient, log_stream: io.StringIO
) -> None:
    account = await new_account(http)
    log_stream.truncate(0)
    log_stream.seek(0)
    created = await http.post("/api/v1/todos", json={"title": "x"}, headers=account.headers)
    fetched = await http.get(
        created.headers["location"], headers={**account.headers, "X-Request-ID": "trace-7"}
    )
    missing = await http.get("/nowhere/at/all")

    lines = access_lines(log_stream)
    assert [(line["method"], line["route"], line["status"]) for line in lines] == [
        ("POST", "/api/v1/todos", 201),
        ("GET", "/api/v1/todos/{todo_id}", 200),
        ("GET", "<unmatched>", 404),
    ]
    assert [line["request_id"] for line in lines] == [
        created.headers["x-request-id"],
        "trace-7",
        missing.headers["x-request-id"],
    ]
    assert all(isinstance(line["duration_ms"], float | int) for line in lines)
    assert all(line["duration_ms"] >= 0 for line in lines)
    assert fetched.status_code == 200


async def test_an_unhandled_error_is_logged_once_with_the_request_id(
    small_app: FastAPI, http: httpx.AsyncClient, log_stream: io.StringIO
) -> None:
    account = await new_account(http)
    small_app.state.container.uow_factory.override(
        providers.Object(partial(ExplodingUnitOfWork, "the storage broke"))
    )

    response = await http.get("/api/v1/todos", headers={**account.headers, "X-Request-ID": "r-1"})

    assert assert_problem(response, 500)["request_id"] == "r-1"
    assert response.headers["x-request-id"] == "r-1"
    errors = [entry for entry in entries(log_stream) if entry["level"] == "ERROR"]
    assert len(errors) == 1
    [error] = errors
    assert error["request_id"] == "r-1"
    assert "RuntimeError: the storage broke" in error["exception"]
    [access] = [line for line in access_lines(log_stream) if line["request_id"] == "r-1"]
    assert access["status"] == 500


async def test_every_line_logged_during_a_request_names_it(
    small_app: FastAPI, http: httpx.AsyncClient, log_stream: io.StringIO
) -> None:
    """Not only the access line: whatever the code logs while serving (here: the readiness
    probe's warning) carries the request id."""

    class Down:
        async def check(self) -> None:
            raise ConnectionRefusedError("no database")

    small_app.state.container.storage_probe.override(providers.Object(Down()))

    response = await http.get("/health/ready", headers={"X-Request-ID": "ready-1"})

    assert response.status_code == 503
    warnings = [entry for entry in entries(log_stream) if entry["level"] == "WARNING"]
    assert warnings
    assert all(entry["request_id"] == "ready-1" for entry in warnings)


async def test_no_password_token_or_key_reaches_the_logs(
    http: httpx.AsyncClient, log_stream: io.StringIO
) -> None:
    email = unique_email()
    await register(http, email)
    await login(http, email, "a wrong password!")
    token = (await login(http, email)).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    await http.post("/api/v1/todos", json={"title": "x"}, headers=auth)
    await http.get("/api/v1/todos", params={"q": "private-search-words"}, headers=auth)
    await http.get("/api/v1/todos", headers={"Authorization": f"Bearer {token}x"})

    # Everything the service logged (the test's own HTTP client logs its URLs too).
    service = [entry for entry in entries(log_stream) if not entry["logger"].startswith("http")]
    text = json.dumps(service)
    assert len(access_lines(log_stream)) == 6
    for secret in (PASSWORD, "a wrong password!", token, token.split(".")[2], TEST_KEY):
        assert secret not in text
    assert "private-search-words" not in text
