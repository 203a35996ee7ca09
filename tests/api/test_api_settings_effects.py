"""Each setting reaches what it configures: from its `TODO_*` variable, through
`load_settings` and `create_app`, to what the running app does."""

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, chdir, contextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from dependency_injector import providers
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from sqldb import migrated_url
from todo_api import create_app, load_settings

from .conftest import cheap_hasher
from .support import TEST_KEY, assert_problem, create_todo, login, new_account, register

# The load of one worker behind the benchmark's wrk: 32 requests in flight at once.
IN_FLIGHT = 32
CHECKOUT = Path(__file__).resolve().parents[2]


async def database_url(backend: str) -> str:
    """A migrated database of `backend`; Alembic finds its scripts from the checkout, and the
    tests run in a directory of their own."""
    with chdir(CHECKOUT):
        return await migrated_url(backend)


@asynccontextmanager
async def app_from_environment() -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app of the settings in the environment, running, and a client to it."""
    app = create_app(load_settings())
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield app, client


def engine_of(app: FastAPI) -> AsyncEngine:
    engine: AsyncEngine = app.state.container.engine()
    return engine


@contextmanager
def connections_opened(engine: AsyncEngine) -> Iterator[list[object]]:
    """The DBAPI connections the engine's pool opens meanwhile."""
    opened: list[object] = []

    def on_connect(dbapi_connection: object, connection_record: Any) -> None:
        opened.append(dbapi_connection)

    event.listen(engine.sync_engine.pool, "connect", on_connect)
    try:
        yield opened
    finally:
        event.remove(engine.sync_engine.pool, "connect", on_connect)


# --- tokens ----------------------------------------------------------------------------------
async def test_the_token_lifetime_is_the_tokens_and_the_login_answers(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("TODO_STORAGE", "memory")
    environment.setenv("TODO_TOKEN_LIFETIME_SECONDS", "120")

    async with app_from_environment() as (_, client):
        account = await register(client)
        token = await login(client, account.json()["email"])

    assert token.status_code == 200, token.text
    assert token.json()["expires_in"] == 120
    claims = jwt.decode(token.json()["access_token"], TEST_KEY, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 120


# --- the pool --------------------------------------------------------------------------------
async def test_the_default_pool_opens_no_more_connections_than_its_size_under_load(
    environment: pytest.MonkeyPatch,
) -> None:
    """Overflow connections are closed when they are returned, so a pool smaller than the
    requests in flight opens and closes connections all the time under a steady load."""
    environment.setenv("TODO_DATABASE_URL", await database_url("postgresql"))
    pool_size = load_settings().pool_size

    async with app_from_environment() as (app, client):
        account = await new_account(client)
        todo = await create_todo(client, account)
        path = f"/api/v1/todos/{todo['id']}"
        with connections_opened(engine_of(app)) as opened:
            for _ in range(5):
                answers = await asyncio.gather(
                    *(client.get(path, headers=account.headers) for _ in range(IN_FLIGHT))
                )
                assert [a.status_code for a in answers] == [200] * IN_FLIGHT

    assert 0 < len(opened) <= pool_size


async def test_pool_size_and_overflow_bound_the_connections_in_use(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("TODO_DATABASE_URL", await database_url("postgresql"))
    environment.setenv("TODO_POOL_SIZE", "2")
    environment.setenv("TODO_MAX_OVERFLOW", "1")
    environment.setenv("TODO_POOL_TIMEOUT", "0.5")

    async with app_from_environment() as (app, client), AsyncExitStack() as held:
        engine = engine_of(app)
        for _ in range(3):  # the pool and its overflow, all in use
            await held.enter_async_context(engine.connect())

        busy = await client.get("/health/ready")

        await held.aclose()
        ready = await client.get("/health/ready")
        kept = engine.pool.checkedin()  # type: ignore[attr-defined]

    assert_problem(busy, 503)
    assert "retry-after" in busy.headers
    assert ready.status_code == 200, ready.text
    assert kept == 2  # the overflow connection was closed on its return


async def test_a_connection_older_than_the_pool_recycle_is_replaced(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("TODO_DATABASE_URL", await database_url("postgresql"))
    environment.setenv("TODO_POOL_SIZE", "1")
    environment.setenv("TODO_MAX_OVERFLOW", "0")
    environment.setenv("TODO_POOL_RECYCLE", "1")

    async with app_from_environment() as (app, client):
        with connections_opened(engine_of(app)) as opened:
            for _ in range(2):
                assert (await client.get("/health/ready")).status_code == 200
            young = len(opened)
            await asyncio.sleep(1.2)  # past the recycle age
            assert (await client.get("/health/ready")).status_code == 200

    assert young == 1
    assert len(opened) == 2


# --- SQL echo --------------------------------------------------------------------------------
def sql_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy.engine")]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("echo", [True, False])
async def test_echo_sql_logs_the_statements_and_only_then(
    environment: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    backend: str,
    echo: bool,
) -> None:
    environment.setenv("TODO_DATABASE_URL", await database_url(backend))
    if echo:
        environment.setenv("TODO_ECHO_SQL", "true")

    async with app_from_environment() as (_, client):
        with caplog.at_level(logging.INFO):
            account = await new_account(client)  # a write, then a read by e-mail
            me = await client.get("/api/v1/users/me", headers=account.headers)  # a read by id

    assert me.status_code == 200, me.text
    statements = sql_logged(caplog)
    if echo:
        assert any(s.startswith("INSERT INTO users") for s in statements), statements
        assert any(s.startswith("SELECT") and "FROM users" in s for s in statements), statements
    else:
        assert statements == []


# --- the body limit --------------------------------------------------------------------------
LIMIT = 1024


def todo_body(size: int) -> bytes:
    """A valid JSON body of a new todo, exactly `size` bytes long."""
    body = b'{"title": "x"}'
    return body + b" " * (size - len(body))


async def chunked(body: bytes) -> AsyncIterator[bytes]:
    """`body` streamed without a Content-Length, in pieces smaller than the limit."""
    for start in range(0, len(body), 300):
        yield body[start : start + 300]


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_a_body_of_exactly_the_limit_passes_and_one_byte_more_is_413(
    environment: pytest.MonkeyPatch, streamed: bool
) -> None:
    environment.setenv("TODO_STORAGE", "memory")
    environment.setenv("TODO_MAX_BODY_BYTES", str(LIMIT))

    async with app_from_environment() as (_, client):
        account = await new_account(client)
        headers = {**account.headers, "Content-Type": "application/json"}
        answers = {}
        for size in (LIMIT, LIMIT + 1):
            body = todo_body(size)
            content = chunked(body) if streamed else body
            answers[size] = await client.post("/api/v1/todos", content=content, headers=headers)

    assert answers[LIMIT].status_code == 201, answers[LIMIT].text
    assert str(LIMIT) in assert_problem(answers[LIMIT + 1], 413)["detail"]
