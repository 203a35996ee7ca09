"""A busy database: a lock held by another session, a statement that runs out of its time, a
transaction aborted as the loser of a race. Each ends within the statement timeout as
`StorageBusy` (503 in the API), never as a `Conflict` blamed on the caller; a genuine
constraint violation still is one."""

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from builders import make_todo, make_user, store
from sqldb import empty_tables, migrated_url
from todo_domain import Conflict, Role, StorageBusy, Todo, TodoAccess, User
from todo_sql import SqlUnitOfWorkFactory, create_engine

TIMEOUT = 1.0
# A generous upper bound on an answer (the timeout, the client's grace, a loaded machine);
# without a statement timeout these calls wait as long as the lock is held.
BOUND = 3 * TIMEOUT + 2.0
HOLD = 30.0  # how long a test would wait for a lock that is never given up

TABLE_LOCK = {
    "postgresql": "LOCK TABLE todos IN ACCESS EXCLUSIVE MODE",
    "mariadb": "LOCK TABLES todos WRITE",
}
ROW_LOCK = "UPDATE todos SET title = 'held' WHERE id = :todo_id"


@pytest.fixture
async def engines(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., AsyncEngine]]:
    """Makes engines on a migrated database of the test's backend (`backend` parameter)."""
    url = await migrated_url(request.param)
    made: list[AsyncEngine] = []

    def make(**options: Any) -> AsyncEngine:
        engine = create_engine(url, pool_size=2, max_overflow=0, **options)
        made.append(engine)
        return engine

    yield make
    if made and request.param != "sqlite":
        await empty_tables(made[0])
    for engine in made:
        await engine.dispose()


def _id(engine: AsyncEngine, value: UUID) -> str:
    """A todo's id as a plain SQL parameter (PostgreSQL has a uuid type, the others hex)."""
    return str(value) if engine.dialect.name == "postgresql" else value.hex


async def _held(engine: AsyncEngine, *statements: str, **params: Any) -> AsyncConnection:
    """A connection of another session inside a transaction that ran `statements`."""
    holder = await engine.connect()
    await holder.begin()
    for statement in statements:
        await holder.execute(text(statement), params)
    return holder


async def _release(holder: AsyncConnection) -> None:
    if holder.dialect.name != "postgresql":
        await holder.execute(text("UNLOCK TABLES"))  # a rollback keeps MariaDB's table locks
    await holder.rollback()
    await holder.close()


async def _bounded_storage_with_a_todo(
    engines: Callable[..., AsyncEngine],
) -> tuple[SqlUnitOfWorkFactory, User, Todo]:
    """Units of work under the statement timeout, and a stored todo of a stored owner."""
    sql = SqlUnitOfWorkFactory(engines(statement_timeout=TIMEOUT), statement_timeout=TIMEOUT)
    owner = make_user()
    todo = make_todo(owner.id)
    await store(sql, [todo])  # registers the owner, with their Inbox
    return sql, owner, todo


@pytest.mark.parametrize("engines", ["postgresql", "mariadb"], indirect=True)
async def test_a_locked_table_makes_reads_and_writes_busy_within_the_timeout(
    engines: Callable[..., AsyncEngine],
) -> None:
    sql, owner, todo = await _bounded_storage_with_a_todo(engines)
    admin = engines()
    holder = await _held(admin, TABLE_LOCK[admin.dialect.name])
    try:

        async def get() -> None:
            async with sql() as uow:
                await uow.todos.get(owner.id, todo.id)

        async def add() -> None:
            async with sql() as uow:
                await uow.todos.add(make_todo(owner.id))

        for call in (get, add):
            started = time.monotonic()
            with pytest.raises(StorageBusy):
                async with asyncio.timeout(HOLD):
                    await call()
            assert time.monotonic() - started < BOUND
    finally:
        await _release(holder)

    async with sql() as uow:  # the lock is gone: everything works again
        assert await uow.todos.get(owner.id, todo.id) == TodoAccess(todo, Role.OWNER)
        await uow.todos.add(make_todo(owner.id))


@pytest.mark.parametrize("engines", ["postgresql", "mariadb"], indirect=True)
async def test_a_locked_row_makes_its_writer_busy_within_the_timeout(
    engines: Callable[..., AsyncEngine],
) -> None:
    sql, owner, todo = await _bounded_storage_with_a_todo(engines)
    admin = engines()
    holder = await _held(admin, ROW_LOCK, todo_id=_id(admin, todo.id))
    try:
        started = time.monotonic()
        with pytest.raises(StorageBusy):
            async with asyncio.timeout(HOLD), sql() as uow:
                await uow.todos.delete(owner.id, todo.id)
        assert time.monotonic() - started < BOUND
    finally:
        await _release(holder)
    async with sql() as uow:
        assert await uow.todos.delete(owner.id, todo.id)


@pytest.mark.parametrize("engines", ["postgresql", "mariadb"], indirect=True)
async def test_the_loser_of_a_deadlock_is_busy_not_a_conflict(
    engines: Callable[..., AsyncEngine],
) -> None:
    """Two units of work lock two rows in opposite order; the database aborts one of them."""
    sql = SqlUnitOfWorkFactory(engines(statement_timeout=HOLD), statement_timeout=HOLD)
    owner = make_user()
    first, second = make_todo(owner.id), make_todo(owner.id)
    await store(sql, [first, second])
    update = text("UPDATE todos SET version = version + 1 WHERE id = :todo_id")
    both_hold_one = asyncio.Barrier(2)

    async def lock(one: Any, other: Any) -> None:
        async with sql() as uow:
            connection = await uow.writer()
            await connection.execute(update, {"todo_id": _id(sql.engine, one.id)})
            await both_hold_one.wait()
            await connection.execute(update, {"todo_id": _id(sql.engine, other.id)})

    async with asyncio.timeout(HOLD):
        outcomes = await asyncio.gather(
            lock(first, second), lock(second, first), return_exceptions=True
        )

    failures = [outcome for outcome in outcomes if outcome is not None]
    assert len(failures) == 1, outcomes
    assert isinstance(failures[0], StorageBusy), repr(failures[0])


def _sqlite_path(engine: AsyncEngine) -> Path:
    return Path(make_url(str(engine.url)).database or "")


@pytest.mark.parametrize("engines", ["sqlite"], indirect=True)
async def test_sqlite_locked_beyond_the_busy_timeout_is_busy_and_a_taken_email_a_conflict(
    engines: Callable[..., AsyncEngine],
) -> None:
    engine = engines(statement_timeout=TIMEOUT)
    sql = SqlUnitOfWorkFactory(engine, statement_timeout=TIMEOUT)
    taken = make_user()
    async with sql() as uow:
        await uow.users.add(taken)
    other = sqlite3.connect(_sqlite_path(engine), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the database
        started = time.monotonic()
        with pytest.raises(StorageBusy):
            async with asyncio.timeout(HOLD), sql() as uow:
                await uow.users.add(make_user())
        waited = time.monotonic() - started
        assert TIMEOUT * 0.9 < waited < BOUND  # it waited its turn, then gave up
        other.execute("ROLLBACK")
    finally:
        other.close()

    with pytest.raises(Conflict) as raised:
        async with sql() as uow:
            await uow.users.add(make_user(taken.email))
    assert not isinstance(raised.value, StorageBusy)
    fresh = make_user()
    async with sql() as uow:
        await uow.users.add(fresh)
    async with sql() as uow:
        assert await uow.users.get(fresh.id) == fresh
