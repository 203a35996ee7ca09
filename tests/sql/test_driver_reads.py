"""Reads on the asyncpg connection itself (`todo_sql.driver_reads`) give what SQLAlchemy's
execution gives, fall back to it whenever they cannot or fail, and step aside while anyone
listens to statement execution."""

import asyncio
from contextlib import nullcontext
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text

from builders import make_todo, store
from sqldb import executed_statements
from todo_domain import PageRequest, Priority, Role, Sort, Status, Todo, TodoAccess, TodoFilter
from todo_sql import SqlUnitOfWorkFactory
from todo_sql import statements as sql_statements
from todo_sql.driver_reads import DriverReads

pytestmark = pytest.mark.parametrize("sql", ["postgresql"], indirect=True)

QUERIES = [
    (TodoFilter(), Sort()),
    (TodoFilter(status=Status.OPEN, tag="work"), Sort.parse("-created_at")),
    (TodoFilter(priority=Priority.HIGH), Sort.parse("due_date")),
    (TodoFilter(due_after=date(2026, 1, 1), text="Todo 1"), Sort.parse("created_at")),
    (TodoFilter(), Sort.parse("-due_date")),
    (TodoFilter(), Sort.parse("priority")),
]


@pytest.fixture
def driver_fetches(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each statement a `DriverReads` ran (None when it declined one)."""
    ran: list[object] = []
    real = DriverReads.fetch

    async def fetch(self: DriverReads, driver: Any, statement: Any, params: Any) -> Any:
        rows = await real(self, driver, statement, params)
        ran.append(statement if rows is not None else None)
        return rows

    monkeypatch.setattr(DriverReads, "fetch", fetch)
    return ran


async def stored_todos(sql: SqlUnitOfWorkFactory, owner: UUID) -> None:
    todos = [
        make_todo(
            owner,
            title=f"Todo {n}",
            priority=list(Priority)[n % 3],
            due_date=date(2026, 1 + n % 12, 1 + n % 28) if n % 2 else None,
            tags=("work", f"t{n % 4}") if n % 3 else (),
        )
        for n in range(40)
    ]
    await store(sql, todos)


async def every_page(sql: SqlUnitOfWorkFactory, owner: UUID, query: Any) -> list[list[Todo]]:
    filter, sort = query
    pages: list[list[Todo]] = []
    cursor: str | None = None
    while True:
        async with sql() as uow:
            page = await uow.todos.list(owner, filter, sort, PageRequest(limit=7, cursor=cursor))
        pages.append(list(page.items))
        cursor = page.next_cursor
        if cursor is None:
            return pages


async def test_a_get_runs_on_the_driver_and_returns_the_stored_todo(
    sql: SqlUnitOfWorkFactory, owner: UUID, driver_fetches: list[object]
) -> None:
    todo = make_todo(owner, tags=("b", "a"))
    await store(sql, [todo])
    driver_fetches.clear()

    async with sql() as uow:
        found = await uow.todos.get(owner, todo.id)

    assert found == TodoAccess(todo, Role.OWNER)
    assert driver_fetches == [sql_statements.GET_TODO]


async def test_pages_on_the_driver_equal_pages_through_sqlalchemy(
    sql: SqlUnitOfWorkFactory, owner: UUID, driver_fetches: list[object]
) -> None:
    await stored_todos(sql, owner)
    driver_fetches.clear()

    for query in QUERIES:
        on_driver = await every_page(sql, owner, query)
        with executed_statements(sql.engine) as seen:
            through_sqlalchemy = await every_page(sql, owner, query)

        assert on_driver == through_sqlalchemy
        assert len(seen) == len(through_sqlalchemy)  # SQLAlchemy ran every one of those
    assert len(driver_fetches) > len(QUERIES)  # ... and the driver every page before
    assert None not in driver_fetches


async def test_a_read_that_fails_on_the_driver_runs_again_through_sqlalchemy(
    sql: SqlUnitOfWorkFactory, owner: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    todo = make_todo(owner)
    await store(sql, [todo])

    async def broken(*args: Any) -> Any:
        raise ConnectionResetError("the driver broke")

    monkeypatch.setattr(DriverReads, "fetch", broken)
    with executed_statements(sql.engine) as seen:
        async with sql() as uow:
            found = await uow.todos.get(owner, todo.id)

    assert found == TodoAccess(todo, Role.OWNER)
    assert len(seen) == 1


async def test_statements_with_expanding_parameters_are_left_to_sqlalchemy(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    reads = DriverReads(sql.engine)
    async with sql() as uow:
        driver = (await uow.connection.get_raw_connection()).driver_connection
        declined = await reads.fetch(driver, sql_statements.TAGS_OF_TODOS, {"todo_ids": [owner]})
        fetched = await reads.fetch(driver, sql_statements.GET_USER, {"user_id": owner})

    assert declined is None
    assert fetched is not None
    assert len(fetched) == 1


async def test_reads_after_a_write_stay_in_the_transaction(
    sql: SqlUnitOfWorkFactory, owner: UUID, driver_fetches: list[object]
) -> None:
    todo = make_todo(owner)
    driver_fetches.clear()
    async with sql() as uow:
        await uow.todos.add(todo)
        found = await uow.todos.get(owner, todo.id)  # sees its own uncommitted write

    assert found == TodoAccess(todo, Role.OWNER)
    assert driver_fetches == []


@pytest.mark.parametrize("through_sqlalchemy", [False, True])
async def test_the_writes_after_reads_are_one_transaction(
    sql: SqlUnitOfWorkFactory, owner: UUID, through_sqlalchemy: bool
) -> None:
    """Reads run outside a transaction (on the driver, or through SQLAlchemy in autocommit);
    the first write then begins a real one: one snapshot time, and all of it or nothing."""
    todo = make_todo(owner)

    async def read_then_write_then_fail() -> None:
        async with sql() as uow:
            assert await uow.todos.get(owner, todo.id) is None
            await uow.todos.add(todo)
            connection = await uow.writer()
            began = await connection.scalar(text("SELECT transaction_timestamp()"))
            await asyncio.sleep(0.01)
            assert await connection.scalar(text("SELECT transaction_timestamp()")) == began
            raise RuntimeError("after the write")

    with (
        executed_statements(sql.engine) if through_sqlalchemy else nullcontext(),
        pytest.raises(RuntimeError),
    ):
        await read_then_write_then_fail()

    async with sql() as uow:
        assert await uow.todos.get(owner, todo.id) is None
