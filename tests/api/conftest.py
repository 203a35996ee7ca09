"""Fixtures of the API tests: an app per storage backend and an ASGI client to it.

SQL databases come from the shared test helpers (`sqldb`): a fresh copy of a migrated SQLite
file per test, and this session's migrated PostgreSQL/MariaDB database, whose tables are
emptied after each test. Tests stay apart anyway by working as fresh users.
"""

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from todo_api import Settings, create_app
from todo_api.hashing import Argon2PasswordHasher

from .support import TEST_KEY, settings_for, settings_on

BACKENDS = ("memory", "sqlite", "postgresql", "mariadb")
# The todos' and lists' tests run through PgBouncer in transaction mode too (`settings =
# settings_fixture(WITH_PGBOUNCER)` in their modules); the others would only repeat them.
WITH_PGBOUNCER = (*BACKENDS, "postgresql-pgbouncer")


def settings_fixture(backends: tuple[str, ...]) -> Any:
    """A `settings` fixture that runs its tests on each of `backends`."""

    @pytest.fixture(params=backends)
    async def settings(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
        async with settings_on(request.param) as settings:
            yield settings

    return settings


settings = settings_fixture(BACKENDS)


def cheap_hasher() -> Argon2PasswordHasher:
    """Real argon2, with the cost turned down so that the suite stays fast."""
    return Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running (engine created, then disposed of)."""
    app = create_app(settings)
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def memory_app() -> FastAPI:
    """An app on memory storage, for tests that concern the HTTP layer alone."""
    app = create_app(settings_for("memory"))
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    return app


@pytest.fixture
async def memory_client(memory_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that receives the 500 response where the server would log the exception."""
    transport = httpx.ASGITransport(app=memory_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """An environment with only the TODO_* variables a test sets (and no `.env`, the working
    directory being empty), a test key: for tests of settings from the environment."""
    for name in list(os.environ):
        if name.startswith("TODO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TODO_ENV", "test")
    monkeypatch.setenv("TODO_SECRET_KEY", TEST_KEY)
    return monkeypatch
