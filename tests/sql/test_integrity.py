"""Constraint violations become domain errors (never a driver exception), and the
constraints really are in the schema."""

from dataclasses import replace
from uuid import UUID

import pytest
from sqlalchemy import exc, text

from builders import make_todo, make_user, store
from todo_domain import Conflict, InvalidInput, Page, PageRequest, Sort, TodoFilter, new_id
from todo_sql import SqlUnitOfWorkFactory
from todo_sql.errors import is_bad_value, is_constraint_violation


async def test_a_taken_email_is_a_conflict_and_the_unit_of_work_goes_on(
    sql: SqlUnitOfWorkFactory,
) -> None:
    first = make_user("ada@example.com")
    async with sql() as uow:
        await uow.users.add(first)
    later = make_user("grace@example.com")
    async with sql() as uow:
        with pytest.raises(Conflict) as raised:
            await uow.users.add(make_user("ada@example.com"))
        # the domain's words, not the driver's (which name the e-mail and the constraint)
        assert str(raised.value) == "e-mail already registered"
        await uow.users.add(later)  # the transaction is still usable (PostgreSQL too)
    async with sql() as uow:
        assert await uow.users.get(later.id) == later


async def test_emails_are_compared_exactly(sql: SqlUnitOfWorkFactory) -> None:
    """Normalising is the domain's job; the store neither folds case nor accents (MariaDB's
    default collation would)."""
    users = [make_user(email) for email in ("jose@example.com", "josé@example.com")]
    async with sql() as uow:
        for user in users:
            await uow.users.add(user)
    async with sql() as uow:
        assert await uow.users.get_by_email("JOSE@example.com") is None
        for user in users:
            assert await uow.users.get_by_email(user.email) == user


async def test_a_reused_user_id_is_a_conflict(sql: SqlUnitOfWorkFactory) -> None:
    user = make_user()
    async with sql() as uow:
        await uow.users.add(user)
    with pytest.raises(Conflict):
        async with sql() as uow:
            await uow.users.add(replace(user, email="other@example.com"))


async def test_a_reused_todo_id_is_a_conflict(sql: SqlUnitOfWorkFactory, owner: UUID) -> None:
    todo = make_todo(owner)
    await store(sql, [todo])
    async with sql() as uow:
        with pytest.raises(Conflict):
            await uow.todos.add(replace(todo, title="again"))
        assert await uow.todos.get(owner, todo.id) == todo  # still usable


async def test_a_todo_of_an_unknown_owner_is_a_conflict(sql: SqlUnitOfWorkFactory) -> None:
    with pytest.raises(Conflict):
        async with sql() as uow:  # not `store`, which registers unknown owners
            await uow.todos.add(make_todo(new_id()))


@pytest.mark.parametrize(
    "column_and_value",
    [
        ("title", "x" * 201),
        ("title", ""),
        ("status", "'gone'"),
        ("priority", "4"),
        ("version", "0"),
    ],
)
async def test_check_constraints_hold(
    sql: SqlUnitOfWorkFactory, owner: UUID, column_and_value: tuple[str, str]
) -> None:
    """Bypassing the adapter, the database itself refuses values the domain forbids."""
    todo = make_todo(owner)
    await store(sql, [todo])
    column, value = column_and_value
    if column == "title":
        value = f"'{value}'"
    async with sql() as uow:
        # IntegrityError, a data error for an overlong string on PostgreSQL and MariaDB, or
        # MariaDB's OperationalError 4025 for a failed CHECK
        with pytest.raises(exc.DBAPIError) as raised:
            await uow.connection.execute(text(f"UPDATE todos SET {column} = {value}"))
        assert is_constraint_violation(raised.value) or is_bad_value(raised.value)


@pytest.mark.parametrize(
    "bad",
    [{"title": "x" * 201}, {"title": ""}, {"description": "x" * 10_001}, {"version": 0}],
    ids=str,
)
async def test_values_the_domain_forbids_become_domain_errors(
    sql: SqlUnitOfWorkFactory, owner: UUID, bad: dict[str, object]
) -> None:
    """Were the rules ever bypassed, the adapter raises a domain error, not a driver's."""
    with pytest.raises((Conflict, InvalidInput)):
        await store(sql, [make_todo(owner, **bad)])
    async with sql() as uow:
        assert await uow.todos.list(owner, TodoFilter(), Sort(), PageRequest()) == Page(())


async def test_deleting_a_user_deletes_their_todos_and_tags(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    await store(sql, [make_todo(owner, tags=("a", "b")), make_todo(owner)])
    async with sql() as uow:
        await uow.connection.execute(text("DELETE FROM users"))
    async with sql() as uow:
        for table in ("todos", "tags", "todo_tags"):
            count = await uow.connection.scalar(text(f"SELECT count(*) FROM {table}"))
            assert count == 0, table


async def test_deleting_a_todo_deletes_its_tag_links_only(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    doomed, kept = make_todo(owner, tags=("a", "b")), make_todo(owner, tags=("b",))
    await store(sql, [doomed, kept])
    async with sql() as uow:
        assert await uow.todos.delete(owner, doomed.id)
    async with sql() as uow:
        links = await uow.connection.scalar(text("SELECT count(*) FROM todo_tags"))
        assert links == 1
        assert await uow.todos.get(owner, kept.id) == kept
