"""A call costs the same number of statements whatever the page size and the number of lists
the user belongs to (no N+1): on PostgreSQL a page and a get by id are one statement each."""

from uuid import UUID

from builders import make_todo, register_owners, share, store
from sqldb import executed_statements
from todo_domain import PageRequest, Role, Sort, TodoAccess, TodoFilter, new_id
from todo_sql import SqlUnitOfWorkFactory

TAGS = tuple(f"tag{n}" for n in range(5))


def per_page(sql: SqlUnitOfWorkFactory) -> int:
    """PostgreSQL: the page with each todo's tags as an array; elsewhere the page, then the
    tags of the whole page."""
    return 1 if sql.engine.dialect.name == "postgresql" else 2


async def statements_to_list(
    sql: SqlUnitOfWorkFactory, user: UUID, limit: int, filter: TodoFilter | None = None
) -> list[str]:
    async with sql() as uow:
        await uow.todos.get(user, user)  # warm up: the connection is checked out and pinged
        with executed_statements(sql.engine) as statements:
            page = await uow.todos.list(
                user, filter or TodoFilter(), Sort(), PageRequest(limit=limit)
            )
    assert len(page.items) == limit
    return statements


async def test_a_page_costs_the_same_statements_for_one_item_and_for_a_hundred(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    await store(sql, [make_todo(owner, title=f"todo {n}", tags=TAGS) for n in range(101)])

    one = await statements_to_list(sql, owner, 1)
    hundred = await statements_to_list(sql, owner, 100)

    assert len(one) == len(hundred) == per_page(sql)
    assert all(a == b for a, b in zip(one, hundred, strict=True) if "IN (" not in a)


async def test_a_page_costs_the_same_statements_for_one_list_and_for_six(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    """Across lists, and within one of them (`list_id`), tagged or not."""
    friend = new_id()
    await register_owners(sql, friend)
    await store(sql, [make_todo(owner, tags=TAGS) for _ in range(10)])
    alone = await statements_to_list(sql, owner, 10)
    alone_tagged = await statements_to_list(sql, owner, 10, TodoFilter(tag="tag1"))

    for n in range(5):
        shared = await share(sql, friend, {owner: Role.VIEWER}, name=f"shared {n}")
        await store(sql, [make_todo(friend, list_id=shared.id, tags=TAGS) for _ in range(10)])
    among_six = await statements_to_list(sql, owner, 60)
    among_six_tagged = await statements_to_list(sql, owner, 60, TodoFilter(tag="tag1"))
    in_one = await statements_to_list(sql, owner, 10, TodoFilter(list_id=shared.id))

    for statements in (alone, alone_tagged, among_six, among_six_tagged, in_one):
        assert len(statements) == per_page(sql)
    assert alone[0] == among_six[0]  # one statement text, whatever the number of lists


async def test_an_empty_page_is_one_statement(sql: SqlUnitOfWorkFactory, owner: UUID) -> None:
    async with sql() as uow:
        with executed_statements(sql.engine) as statements:
            page = await uow.todos.list(owner, TodoFilter(), Sort(), PageRequest())
    assert page.items == ()
    assert len(statements) == 1


async def test_get_with_the_role_is_one_statement(sql: SqlUnitOfWorkFactory, owner: UUID) -> None:
    friend = new_id()
    await register_owners(sql, friend)
    shared = await share(sql, friend, {owner: Role.EDITOR})
    todo = make_todo(friend, list_id=shared.id, tags=("a", "b", "c"))
    await store(sql, [todo])
    async with sql() as uow:
        with executed_statements(sql.engine) as statements:
            assert await uow.todos.get(owner, todo.id) == TodoAccess(todo, Role.EDITOR)
    assert len(statements) == 1
