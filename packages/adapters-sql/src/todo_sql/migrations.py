"""Alembic, driven from code: find the project's `alembic.ini`, upgrade, tell whether behind.

The migrations themselves live at the project root (`alembic.ini`, `migrations/`), next to the
code that deploys them; this module finds them by walking up from the working directory.
Each function may be called with or without a running event loop: the async `env.py` then
runs in a worker thread with its own loop.
"""

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from todo_sql.engine import create_engine

INI_NAME = "alembic.ini"
T = TypeVar("T")


class MigrationsNotFound(RuntimeError):
    """No `alembic.ini` (with its `migrations/`) in the working directory or above it."""


def find_alembic_ini(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / INI_NAME
        if candidate.is_file() and (directory / "migrations").is_dir():
            return candidate
    raise MigrationsNotFound(
        f"no {INI_NAME} with a migrations/ directory in {here} or any parent directory; "
        "run from the project checkout"
    )


def alembic_config(url: str) -> Config:
    """The project's Alembic configuration, aimed at `url` (overrides TODO_DATABASE_URL)."""
    ini = find_alembic_ini()
    config = Config(str(ini))
    config.set_main_option("script_location", str(ini.parent / "migrations"))
    # ConfigParser interpolation: a literal % in the URL (an encoded password) must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """`alembic upgrade head` (or to `revision`) on the database at `url`."""
    config = alembic_config(url)
    _outside_loop(lambda: command.upgrade(config, revision))


def downgrade(url: str, revision: str) -> None:
    config = alembic_config(url)
    _outside_loop(lambda: command.downgrade(config, revision))


def heads(url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def current(url: str) -> set[str]:
    """The revisions the database at `url` is at (empty when it was never migrated)."""

    def read(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async def run() -> set[str]:
        engine = create_engine(url, pool_size=1, max_overflow=0, statement_timeout=None)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(read)
        finally:
            await engine.dispose()

    return _outside_loop(lambda: asyncio.run(run()))


def pending(url: str) -> bool:
    """True when the database at `url` is not at the head revision."""
    return current(url) != heads(url)


def _outside_loop(job: Callable[[], T]) -> T:
    """Run `job` here, or in a fresh thread when this thread already runs an event loop
    (env.py calls asyncio.run, which cannot nest)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return job()
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(job())
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=target, name="alembic")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]
