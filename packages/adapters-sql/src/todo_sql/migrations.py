"""Alembic, driven from code: upgrade, downgrade, tell whether a database is behind.

The revisions are the repository's `migrations/`. An installed wheel carries them inside this
package as `todo_sql/alembic` (its build copies them there, see hatch_build.py); a source
checkout, where this package is installed editable, reads the repository's own directory.
Either way they are found through this package, never through the working directory, and the
Alembic configuration is built here, without an `alembic.ini` (that file is for developers
running `alembic` in the checkout).

Each function may be called with or without a running event loop: the work then runs in a
worker thread with its own loop.
"""

import asyncio
import threading
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from todo_sql.engine import create_engine

PACKAGED = "alembic"  # the directory inside todo_sql that a built wheel carries
T = TypeVar("T")


class MigrationsNotFound(RuntimeError):
    """This installation of todo_sql has no Alembic migrations (a broken build)."""


def script_location() -> Path:
    """The directory with `env.py` and `versions/` that this installation migrates with."""
    package = Path(str(files("todo_sql")))
    # In a source checkout this package is packages/adapters-sql/src/todo_sql.
    candidates = (package / PACKAGED, package.parents[3] / "migrations")
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    searched = ", ".join(str(candidate) for candidate in candidates)
    raise MigrationsNotFound(f"todo_sql has no Alembic migrations (looked in {searched})")


def alembic_config(url: str) -> Config:
    """The project's Alembic configuration, aimed at `url` (overrides TODO_DATABASE_URL)."""
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    # ConfigParser interpolation: a literal % in the URL (an encoded password) must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """`alembic upgrade head` (or to `revision`) on the database at `url`."""
    _migrate(url, lambda config: command.upgrade(config, revision))


def downgrade(url: str, revision: str) -> None:
    _migrate(url, lambda config: command.downgrade(config, revision))


def heads(url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def current(url: str) -> set[str]:
    """The revisions the database at `url` is at (empty when it was never migrated)."""

    def read(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    return _on_connection(url, read)


def pending(url: str) -> bool:
    """True when the database at `url` is not at the head revision."""
    return current(url) != heads(url)


def _migrate(url: str, step: Callable[[Config], None]) -> None:
    """Run an Alembic command on a connection of ours, handed to env.py: the engine has no
    statement timeout (a migration may rightly take long) and one connection."""

    def run(connection: Connection) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        step(config)

    _on_connection(url, run, commit=True)


def _on_connection(url: str, job: Callable[[Connection], T], *, commit: bool = False) -> T:
    async def run() -> T:
        engine = create_engine(url, pool_size=1, max_overflow=0, statement_timeout=None)
        try:
            async with engine.connect() as connection:
                outcome = await connection.run_sync(job)
                if commit:
                    await connection.commit()
                return outcome
        finally:
            await engine.dispose()

    return _outside_loop(lambda: asyncio.run(run()))


def _outside_loop(job: Callable[[], T]) -> T:
    """Run `job` here, or in a fresh thread when this thread already runs an event loop
    (asyncio.run cannot nest)."""
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
