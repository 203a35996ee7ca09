"""The app factory and its lifespan: nothing at import time, the engine made once at start-up
and disposed of at shut-down, a loud warning without a signing key."""

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from todo_api import create_app
from todo_api.app import create_app_from_environment

from .conftest import cheap_hasher
from .support import create_todo, new_account, settings_for


@pytest.fixture
def root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_package_builds_no_app_at_import_time() -> None:
    import todo_api.app

    assert not any(isinstance(value, FastAPI) for value in vars(todo_api.app).values())


async def test_the_lifespan_creates_the_engine_once_and_disposes_of_it(tmp_path: Path) -> None:
    app = create_app(settings_for("sql", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"))
    container = app.state.container

    async with app.router.lifespan_context(app):
        engine = container.engine()
        assert container.engine() is engine
        assert container.uow_factory() is container.uow_factory()

    assert container.engine() is not engine  # reset: the disposed one is never handed out
    await container.engine().dispose()


async def test_memory_storage_serves_without_an_engine() -> None:
    app = create_app(settings_for("memory"))
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    made: list[str] = []
    app.state.container.engine.override(providers.Callable(made.append, "engine"))

    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        account = await new_account(client)
        created = await create_todo(client, account, title="kept in memory")
        fetched = await client.get(f"/api/v1/todos/{created['id']}", headers=account.headers)

    assert fetched.json()["title"] == "kept in memory"
    assert made == []


async def test_start_up_without_a_key_warns_loudly(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings_for("memory", secret_key=None))

    with caplog.at_level(logging.WARNING):
        async with app.router.lifespan_context(app):
            pass

    assert any("TODO_SECRET_KEY is not set" in message for message in caplog.messages)


def test_the_worker_factory_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, root_logger: None
) -> None:
    for name in list(os.environ):
        if name.startswith("TODO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TODO_STORAGE", "memory")
    monkeypatch.setenv("TODO_LOG_LEVEL", "ERROR")

    app = create_app_from_environment()

    assert app.state.container.settings().storage == "memory"
    assert logging.getLogger().level == logging.ERROR
