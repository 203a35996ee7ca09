"""A list call costs the same number of statements whatever the page size (no N+1)."""

from uuid import UUID

from builders import make_todo, store
from sqldb import executed_statements
from todo_domain import PageRequest, Sort, TodoFilter
from todo_sql import SqlUnitOfWorkFactory


async def statements_to_list(sql: SqlUnitOfWorkFactory, owner: UUID, limit: int) -> list[str]:
    async with sql() as uow:
        await uow.todos.get(owner, owner)  # warm up: the connection is checked out and pinged
        with executed_statements(sql.engine) as statements:
            page = await uow.todos.list(owner, TodoFilter(), Sort(), PageRequest(limit=limit))
    assert len(page.items) == limit
    return statements


async def test_a_list_is_two_statements_for_one_item_and_for_a_hundred(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    tags = tuple(f"tag{n}" for n in range(5))
    await store(sql, [make_todo(owner, title=f"todo {n}", tags=tags) for n in range(101)])

    one = await statements_to_list(sql, owner, 1)
    hundred = await statements_to_list(sql, owner, 100)

    # PostgreSQL: the page with each todo's tags as an array; elsewhere the page, then the
    # tags of the whole page. Never a statement per todo.
    expected = 1 if sql.engine.dialect.name == "postgresql" else 2
    assert len(one) == len(hundred) == expected
    assert all(a == b for a, b in zip(one, hundred, strict=True) if "IN (" not in a)


async def test_an_empty_page_is_one_statement(sql: SqlUnitOfWorkFactory, owner: UUID) -> None:
    async with sql() as uow:
        with executed_statements(sql.engine) as statements:
            page = await uow.todos.list(owner, TodoFilter(), Sort(), PageRequest())
    assert page.items == ()
    assert len(statements) == 1


async def test_get_is_one_statement(sql: SqlUnitOfWorkFactory, owner: UUID) -> None:
    todo = make_todo(owner, tags=("a", "b", "c"))
    await store(sql, [todo])
    async with sql() as uow:
        with executed_statements(sql.engine) as statements:
            assert await uow.todos.get(owner, todo.id) == todo
    assert len(statements) == 1
