"""Constraint violations become domain errors (never a driver exception), and the
constraints really are in the schema."""

from dataclasses import replace
from uuid import UUID

import pytest
from sqlalchemy import exc, insert, text

from builders import (
    changed,
    fetch,
    make_list,
    make_todo,
    make_user,
    register_owners,
    share,
    store,
)
from todo_domain import (
    INBOX_NAME,
    Conflict,
    InvalidInput,
    Membership,
    NotFound,
    Page,
    PageRequest,
    Role,
    Sort,
    TodoAccess,
    TodoFilter,
    inbox_id,
    new_id,
)
from todo_sql import SqlUnitOfWork, SqlUnitOfWorkFactory
from todo_sql.errors import is_bad_value, is_constraint_violation
from todo_sql.mapping import list_values
from todo_sql.records import lists, memberships


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
        assert await uow.todos.get(owner, todo.id) == TodoAccess(todo, Role.OWNER)  # usable


async def test_a_todo_in_a_list_that_is_gone_is_not_found(sql: SqlUnitOfWorkFactory) -> None:
    """The foreign key to lists, named as the port says: the list is missing (no Conflict,
    no driver error)."""
    with pytest.raises(NotFound, match="list"):
        async with sql() as uow:  # not `store`, which registers unknown owners
            await uow.todos.add(make_todo(new_id()))


async def test_a_move_into_a_list_that_is_gone_is_not_found(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    todo = make_todo(owner, tags=("a",))
    await store(sql, [todo])
    with pytest.raises(NotFound, match="list"):
        async with sql() as uow:
            await uow.todos.update(changed(todo, list_id=new_id()), todo.version)
    assert await fetch(sql, owner, todo.id) == todo


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


async def test_deleting_a_user_deletes_their_inbox_with_its_todos_and_tags(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    await store(sql, [make_todo(owner, tags=("a", "b")), make_todo(owner)])
    async with sql() as uow:
        await uow.connection.execute(text("DELETE FROM users"))
    async with sql() as uow:
        for table in ("lists", "memberships", "todos", "tags", "todo_tags"):
            assert await count(uow, table) == 0, table


async def count(uow: SqlUnitOfWork, table: str) -> int:
    return int(await uow.connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


async def test_deleting_a_list_deletes_its_memberships_todos_and_tags_only(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    member = new_id()
    await register_owners(sql, member)
    doomed = await share(sql, owner, {member: Role.EDITOR})
    await store(
        sql,
        [
            make_todo(owner, list_id=doomed.id, tags=("a", "b")),
            make_todo(owner, list_id=doomed.id, tags=("a",)),
            make_todo(owner, tags=("a",)),  # in the Inbox: kept
        ],
    )
    async with sql() as uow:
        assert await uow.lists.delete(doomed.id)
        assert not await uow.lists.delete(doomed.id)
    async with sql() as uow:
        counts = {
            table: await count(uow, table)
            for table in ("lists", "memberships", "todos", "tags", "todo_tags")
        }
    # the two Inboxes and their owners' memberships; the Inbox's todo with its one tag
    assert counts == {"lists": 2, "memberships": 2, "todos": 1, "tags": 1, "todo_tags": 1}


async def test_a_member_is_a_member_once_whatever_the_role(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    shared = await share(sql, owner, {})
    with pytest.raises(Conflict, match="already a member"):
        async with sql() as uow:
            await uow.memberships.add(Membership(shared.id, owner, Role.VIEWER))
    async with sql() as uow:
        with pytest.raises(exc.IntegrityError):  # the primary key, bypassing the adapter
            await uow.connection.execute(
                insert(memberships).values(list_id=shared.id, user_id=owner, role="editor")
            )
    async with sql() as uow:
        assert await uow.memberships.role_of(shared.id, owner) is Role.OWNER


async def test_a_membership_needs_its_list_and_its_user(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    shared = await share(sql, owner, {})
    for membership in (
        Membership(new_id(), owner, Role.EDITOR),
        Membership(shared.id, new_id(), Role.EDITOR),
    ):
        with pytest.raises(Conflict, match="membership conflicts"):
            async with sql() as uow:
                await uow.memberships.add(membership)
    async with sql() as uow:
        assert await count(uow, "memberships") == 2  # the Inbox's and the shared list's owner


async def test_a_user_has_one_inbox_whose_id_is_theirs(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    for second in (
        make_list(INBOX_NAME, id=inbox_id(owner), inbox_of=owner),
        make_list(INBOX_NAME, inbox_of=owner),  # nor one of another id
    ):
        with pytest.raises(Conflict):
            async with sql() as uow:
                await uow.lists.add(second)
    # bypassing the adapter: an Inbox whose id is not its user's, of a user without one
    user = make_user()
    async with sql() as uow:
        await uow.users.add(user)
    async with sql() as uow:
        with pytest.raises(exc.DBAPIError) as raised:
            await uow.connection.execute(
                insert(lists).values(list_values(make_list(INBOX_NAME, inbox_of=user.id)))
            )
        assert is_constraint_violation(raised.value)
    async with sql() as uow:
        assert [
            access.todo_list.id for access in (await uow.lists.list_for(owner, PageRequest())).items
        ] == [owner]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE memberships SET role = 'admin'",
        "UPDATE lists SET name = ''",
        f"UPDATE lists SET name = '{'x' * 101}'",
        "UPDATE lists SET version = 0",
    ],
)
async def test_list_and_membership_checks_hold(
    sql: SqlUnitOfWorkFactory, owner: UUID, statement: str
) -> None:
    async with sql() as uow:
        with pytest.raises(exc.DBAPIError) as raised:
            await uow.connection.execute(text(statement))
        assert is_constraint_violation(raised.value) or is_bad_value(raised.value)


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
        assert await uow.todos.get(owner, kept.id) == TodoAccess(kept, Role.OWNER)
