"""Fixtures of the API tests: an app per storage backend and an ASGI client to it.

Tests stay apart on a shared SQL database by working as fresh users: a user sees only their
own todos, so no test needs to clean tables.
"""

import importlib.util
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from todo_api import Settings, create_app
from todo_api.container import upgrade_schema
from todo_api.hashing import Argon2PasswordHasher

from .support import POSTGRES_URL, reachable, settings_for, unavailable

BACKENDS = ("memory", "sqlite", "postgresql")


def _require_sql_adapter() -> None:
    if importlib.util.find_spec("todo_sql.migrations") is None:
        unavailable("the SQL adapter (todo_sql.migrations) is not available")


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file migrated to head once for the whole run."""
    _require_sql_adapter()
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('api') / 'todo.db'}"
    upgrade_schema(settings_for("sql", url))
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL test database, migrated to head once for the whole run."""
    _require_sql_adapter()
    if not reachable(POSTGRES_URL):
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    upgrade_schema(settings_for("sql", POSTGRES_URL))
    return POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest) -> Settings:
    match request.param:
        case "sqlite":
            return settings_for("sql", request.getfixturevalue("sqlite_url"))
        case "postgresql":
            return settings_for("sql", request.getfixturevalue("postgres_url"))
    return settings_for("memory")


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
    """An app on memory storage without its lifespan, for tests of one backend only."""
    app = create_app(settings_for("memory"))
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    return app


@pytest.fixture
async def memory_client(memory_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=memory_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]
