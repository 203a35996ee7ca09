"""Throwaway SQL databases for the tests, with schemas made by Alembic.

- SQLite: migrated once per test session into a template file; every user gets a fresh copy.
- PostgreSQL and MariaDB (`TEST_POSTGRES_URL`, `TEST_MARIADB_URL`, defaulting to this
  machine's servers): one uniquely named database per test session, migrated once and emptied
  after every test; dropped when the session ends. `empty_database` makes a further one for
  tests that need a database Alembic has not touched yet (the migration tests).

An unreachable server skips the test with the reason, except under CI=true, where it fails.
"""

import asyncio
import atexit
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from uuid import uuid4

import pytest
from sqlalchemy import Connection, delete, event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from todo_sql import SqlUnitOfWorkFactory, create_engine, metadata
from todo_sql.migrations import upgrade

SQL_BACKENDS = ("sqlite", "postgresql", "mariadb")


@dataclass
class Server:
    name: str
    env: str
    default: str
    problem: str | None = None  # why it cannot be used, once known
    checked: bool = False
    database: str | None = None  # this session's migrated database
    created: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return os.environ.get(self.env) or self.default

    def url_of(self, database: str) -> str:
        return make_url(self.url).set(database=database).render_as_string(hide_password=False)


SERVERS = {
    "postgresql": Server(
        "PostgreSQL", "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": Server("MariaDB", "TEST_MARIADB_URL", "mariadb+aiomysql://root@127.0.0.1:3306/test"),
}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer machine; in CI a backend that cannot run is a failure."""
    if in_ci():
        pytest.fail(f"{reason} (required because CI=true)", pytrace=False)
    pytest.skip(reason)


def _admin_engine(server: Server) -> AsyncEngine:
    engine = create_engine(
        server.url, pool_size=1, max_overflow=0, connect_timeout=3.0, statement_timeout=None
    )
    return engine.execution_options(isolation_level="AUTOCOMMIT")


async def _ensure_reachable(server: Server) -> None:
    if not server.checked:
        server.checked = True
        engine = _admin_engine(server)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # any failure to connect makes the backend unavailable
            server.problem = f"{server.name} at {server.url} is unreachable ({server.env}): {error}"
        finally:
            await engine.dispose()
    if server.problem is not None:
        unavailable(server.problem)


async def _create(server: Server) -> str:
    await _ensure_reachable(server)
    name = f"todo_test_{os.getpid()}_{uuid4().hex[:8]}"
    engine = _admin_engine(server)
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f"CREATE DATABASE {name}"))
    finally:
        await engine.dispose()
    server.created.append(name)
    return server.url_of(name)


async def _drop(server: Server, database: str) -> None:
    engine = _admin_engine(server)
    try:
        async with engine.connect() as connection:
            force = " WITH (FORCE)" if engine.dialect.name == "postgresql" else ""
            await connection.execute(text(f"DROP DATABASE IF EXISTS {database}{force}"))
    finally:
        await engine.dispose()
    if database in server.created:
        server.created.remove(database)


@atexit.register
def _drop_leftovers() -> None:
    async def drop_all() -> None:
        for server in SERVERS.values():
            for database in list(server.created):
                await _drop(server, database)

    if any(server.created for server in SERVERS.values()):
        asyncio.run(drop_all())


@asynccontextmanager
async def empty_database(backend: str) -> AsyncIterator[str]:
    """The URL of a new database without any table, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="todo-sqlite-") as directory:
            yield f"sqlite+aiosqlite:///{directory}/todo.db"
        return
    server = SERVERS[backend]
    url = await _create(server)
    try:
        yield url
    finally:
        await _drop(server, make_url(url).database or "")


# --- migrated databases for the contract suite and the adapter tests -------------------------
_sqlite_template: Path | None = None


async def _migrated_sqlite_template() -> Path:
    global _sqlite_template
    if _sqlite_template is None:
        directory = Path(tempfile.mkdtemp(prefix="todo-sqlite-"))
        atexit.register(shutil.rmtree, directory, True)
        template = directory / "template.db"
        await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{template}")
        _sqlite_template = template
    return _sqlite_template


async def _migrated_server_database(server: Server) -> str:
    if server.database is None:
        url = await _create(server)
        await asyncio.to_thread(upgrade, url)
        server.database = url
    return server.database


async def migrated_url(backend: str) -> str:
    """A database at the head revision that this test has to itself."""
    if backend == "sqlite":
        template = await _migrated_sqlite_template()
        copy = template.with_name(f"{uuid4().hex}.db")
        shutil.copyfile(template, copy)
        return f"sqlite+aiosqlite:///{copy}"
    await _ensure_reachable(SERVERS[backend])
    return await _migrated_server_database(SERVERS[backend])


async def run_in_transaction(url: str, job: Callable[[Connection], Any]) -> Any:
    """`job` on a connection of its own to `url`, in a transaction committed at the end."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(job)
    finally:
        await engine.dispose()


async def empty_tables(engine: AsyncEngine) -> None:
    """Delete every row (children first)."""
    async with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            await connection.execute(delete(table))


@asynccontextmanager
async def sql_factory(
    backend: str, *, through_pooler: Callable[[str], str] | None = None
) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """A `SqlUnitOfWorkFactory` on an empty, migrated database of `backend`; its engine is
    disposed and the data removed afterwards. `through_pooler`: the URL of that database
    through a pooler in transaction mode (`pgbouncer.through_pgbouncer`), which the engine
    then connects to, configured for it."""
    url = await migrated_url(backend)
    if through_pooler is None:
        engine = create_engine(url, pool_size=5, max_overflow=5)
    else:
        engine = create_engine(
            through_pooler(url), pool_size=5, max_overflow=5, pooler="transaction"
        )
    try:
        yield SqlUnitOfWorkFactory(engine)
    finally:
        try:
            if backend == "sqlite":
                await engine.dispose()
                database = Path(make_url(url).database or "")
                for path in (database, *(Path(f"{database}{s}") for s in ("-wal", "-shm"))):
                    path.unlink(missing_ok=True)
            else:
                await empty_tables(engine)
        finally:
            await engine.dispose()


@contextmanager
def executed_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements SQLAlchemy executes on `engine` meanwhile. While it listens, every read
    goes through SQLAlchemy's execution (`todo_sql.driver_reads` steps aside), as with the
    slow-query log."""
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


class _Captured(Exception):
    """Stops a connection attempt once its options are seen."""


async def first_connect_options(engine: AsyncEngine) -> dict[str, Any]:
    """The keyword arguments `engine` passes to its driver when it connects (the attempt is
    stopped there: no server is needed)."""
    seen: dict[str, Any] = {}

    def capture(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        seen.update(cparams)
        raise _Captured

    event.listen(engine.sync_engine, "do_connect", capture)
    try:
        with pytest.raises(_Captured):
            await engine.connect()
    finally:
        event.remove(engine.sync_engine, "do_connect", capture)
    return seen
