"""An account's deletion on every SQL backend, counted row by row: every table of the database
(reflected, so a table added later is counted too) holds exactly what should be left, nothing
refers to the user any more, and nothing is orphaned. Then the deletion against a write of
the same user, on the backends' own locks."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Connection, MetaData, func, select, text

from fakes import START, FakeHasher, FixedClock
from racing import lent, race
from todo_domain import (
    AccountService,
    AuthenticationFailed,
    ListService,
    NewTodo,
    NotFound,
    Role,
    Session,
    TodoService,
    UnitOfWork,
    UnitOfWorkFactory,
    UserService,
)
from todo_sql import SqlUnitOfWorkFactory

PASSWORD = "correct horse"
HERE, THERE = "192.0.2.1", "198.51.100.2"


@dataclass
class Services:
    users: UserService
    lists: ListService
    todos: TodoService
    accounts: AccountService


def services(sql: UnitOfWorkFactory) -> Services:
    clock, hasher = FixedClock(), FakeHasher()
    users = UserService(sql, hasher, clock)
    return Services(
        users,
        ListService(sql, clock),
        TodoService(sql, clock),
        AccountService(sql, hasher, clock, users.throttle),
    )


@pytest.fixture
def app(sql: SqlUnitOfWorkFactory) -> Services:
    return services(sql)


async def run(sql: SqlUnitOfWorkFactory, job: Any) -> Any:
    async with sql.engine.connect() as connection:
        return await connection.run_sync(job)


def reflected(connection: Connection) -> MetaData:
    schema = MetaData()
    schema.reflect(connection)
    return schema


def counts(connection: Connection) -> dict[str, int]:
    """The rows of every table of the database."""
    return {
        name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in reflected(connection).tables.items()
    }


def rows(connection: Connection) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table, as the driver returns it (lists without what a change of
    members changes: their version and update time)."""
    found: dict[str, set[tuple[Any, ...]]] = {}
    for name, table in reflected(connection).tables.items():
        columns = [c for c in table.c if name != "lists" or c.name not in ("version", "updated_at")]
        found[name] = {tuple(row) for row in connection.execute(select(*columns))}
    return found


def as_stored(connection: Connection, user_id: UUID) -> object:
    return user_id if connection.dialect.name == "postgresql" else user_id.hex


def references_to(user_id: UUID) -> Any:
    """How many rows, by table and column, hold `user_id` in a uuid column."""

    def count(connection: Connection) -> dict[str, int]:
        value = as_stored(connection, user_id)
        found = {}
        for name, table in reflected(connection).tables.items():
            for column in table.c:
                if str(column.type) in ("UUID", "CHAR(32)"):
                    query = select(func.count()).select_from(table).where(column == value)
                    found[f"{name}.{column.name}"] = connection.execute(query).scalar_one()
        return found

    return count


ORPHANS = {
    "todo without a list": "SELECT count(*) FROM todos t"
    " WHERE NOT EXISTS (SELECT 1 FROM lists l WHERE l.id = t.list_id)",
    "tag without a list": "SELECT count(*) FROM tags t"
    " WHERE NOT EXISTS (SELECT 1 FROM lists l WHERE l.id = t.list_id)",
    "tag link without a todo": "SELECT count(*) FROM todo_tags x"
    " WHERE NOT EXISTS (SELECT 1 FROM todos t WHERE t.id = x.todo_id)",
    "tag link without a tag": "SELECT count(*) FROM todo_tags x"
    " WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.id = x.tag_id)",
    "membership without a user": "SELECT count(*) FROM memberships m"
    " WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m.user_id)",
    "membership without a list": "SELECT count(*) FROM memberships m"
    " WHERE NOT EXISTS (SELECT 1 FROM lists l WHERE l.id = m.list_id)",
    "list without an owner": "SELECT count(*) FROM lists l WHERE NOT EXISTS"
    " (SELECT 1 FROM memberships m WHERE m.list_id = l.id AND m.role = 'owner')",
    "ended session without a user": "SELECT count(*) FROM ended_sessions s"
    " WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id)",
}


def orphans(connection: Connection) -> dict[str, int]:
    return {what: connection.execute(text(query)).scalar_one() for what, query in ORPHANS.items()}


@dataclass
class World:
    ada: UUID
    bob: UUID
    cy: UUID
    dee: UUID
    ours: UUID
    cys: UUID


async def build(app: Services) -> World:
    """Ada: an Inbox of tagged todos; a list she alone owns, Bob editing it; a list she owns
    with Bob; a membership in Cy's list, which Dee views; two tokens she signed out; failed
    logins on her account from two addresses. Bob, Cy and Dee with Inboxes (Bob's with a
    todo), a token Bob signed out and a failed login of Bob's."""
    users, lists, todos = app.users, app.lists, app.todos
    ada, bob, cy, dee = [
        (await users.register(f"{name}@example.com", PASSWORD)).id
        for name in ("ada", "bob", "cy", "dee")
    ]
    adas = (await lists.create(ada, "Ada's")).todo_list.id
    await lists.share(ada, adas, "bob@example.com", Role.EDITOR)
    ours = (await lists.create(ada, "Ours")).todo_list.id
    await lists.share(ada, ours, "bob@example.com", Role.OWNER)
    cys = (await lists.create(cy, "Cy's")).todo_list.id
    await lists.share(cy, cys, "ada@example.com", Role.EDITOR)
    await lists.share(cy, cys, "dee@example.com", Role.VIEWER)
    for author, list_id, tags in [
        (ada, None, ("home", "errand")),
        (ada, None, ("home",)),
        (ada, adas, ("work",)),
        (bob, adas, ("work", "urgent")),
        (ada, ours, ("home",)),
        (bob, ours, ()),
        (ada, cys, ("cy",)),
        (cy, cys, ("cy", "x")),
        (bob, None, ("bob",)),
    ]:
        await todos.create(author, NewTodo(title="a todo", tags=tags, list_id=list_id))
    for user_id, token in ((ada, "ada-1"), (ada, "ada-2"), (bob, "bob-1")):
        await app.accounts.sign_out(Session(user_id, token, 1, START + timedelta(hours=1)))
    for email, address in (("ada", HERE), ("ada", THERE), ("bob", HERE)):
        with pytest.raises(AuthenticationFailed):
            await users.authenticate(f"{email}@example.com", "wrong", address=address)
    return World(ada, bob, cy, dee, ours, cys)


BEFORE = {
    "alembic_version": 1,
    "users": 4,
    "lists": 7,  # four Inboxes, Ada's, Ours, Cy's
    "memberships": 11,  # Inboxes 4, Ada's 2, Ours 2, Cy's 3
    "todos": 9,
    "tags": 8,  # Ada's Inbox 2, Ada's 2, Ours 1, Cy's 2, Bob's Inbox 1
    "todo_tags": 11,
    "ended_sessions": 3,
    "login_failures": 3,
}
AFTER = {
    "alembic_version": 1,
    "users": 3,
    "lists": 5,  # three Inboxes, Ours (Bob's now), Cy's
    "memberships": 6,  # Inboxes 3, Ours: Bob, Cy's: Cy and Dee
    "todos": 5,  # Ours 2, Cy's 2 (Ada's own among them: they belong to the lists), Bob's 1
    "tags": 4,
    "todo_tags": 5,
    "ended_sessions": 1,  # Bob's
    # The failures from the other address on her e-mail stay until the throttle's window
    # passes: they count against that address, which tried; the account is gone.
    "login_failures": 2,
}


async def test_deleting_an_account_leaves_exactly_the_others_data_and_no_orphan(
    sql: SqlUnitOfWorkFactory, app: Services
) -> None:
    world = await build(app)
    assert await run(sql, counts) == BEFORE
    before = await run(sql, rows)
    readers = {world.ours: world.bob, world.cys: world.cy}  # the lists that stay
    versions = {
        list_id: (await app.lists.get(reader, list_id)).todo_list.version
        for list_id, reader in readers.items()
    }

    await app.accounts.delete(world.ada, PASSWORD, address=HERE)

    assert await run(sql, counts) == AFTER
    assert set(AFTER) == set(BEFORE)  # a table the deletion forgot fails the line above
    after = await run(sql, rows)
    for table in after:
        assert after[table] <= before[table], table  # nothing new, nothing changed
    assert set((await run(sql, references_to(world.ada))).values()) == {0}
    assert await run(sql, orphans) == dict.fromkeys(ORPHANS, 0)
    for list_id, reader in readers.items():
        access = await app.lists.get(reader, list_id)
        assert access.todo_list.version == versions[list_id] + 1
    assert [m.role for m in await app.lists.members(world.bob, world.ours)] == [Role.OWNER]
    assert {m.user_id for m in await app.lists.members(world.cy, world.cys)} == {
        world.cy,
        world.dee,
    }


async def test_a_failed_deletion_leaves_every_row_as_it_was(
    sql: SqlUnitOfWorkFactory, app: Services
) -> None:
    world = await build(app)
    before = await run(sql, rows)
    with pytest.raises(AuthenticationFailed):
        await app.accounts.delete(world.ada, "wrong password", address=THERE)
    after = await run(sql, rows)
    assert {t: r for t, r in after.items() if t != "login_failures"} == {
        t: r for t, r in before.items() if t != "login_failures"
    }
    assert len(after["login_failures"]) == len(before["login_failures"]) + 1  # counted


@pytest.mark.parametrize("where", ["inbox", "a list she alone owns", "a list she co-owns"])
@pytest.mark.parametrize("deletion_first", [True, False], ids=["deletion first", "write first"])
async def test_a_write_of_the_deleted_user_lands_before_the_deletion_or_not_at_all(
    sql: SqlUnitOfWorkFactory, app: Services, where: str, deletion_first: bool
) -> None:
    """On the backends' locks: the write holds the writer's membership, which the deletion
    takes (and the other way round)."""
    ada = (await app.users.register("ada@example.com", PASSWORD)).id
    await app.users.register("bob@example.com", PASSWORD)
    list_id = ada  # her Inbox
    if where != "inbox":
        list_id = (await app.lists.create(ada, "Shared")).todo_list.id
        role = Role.EDITOR if where == "a list she alone owns" else Role.OWNER
        await app.lists.share(ada, list_id, "bob@example.com", role)
    written: list[UUID] = []

    async def delete(uow: UnitOfWork) -> None:
        await services(lent(uow)).accounts.delete(ada, PASSWORD, address=HERE)

    async def write(uow: UnitOfWork) -> None:
        todo = await services(lent(uow)).todos.create(ada, NewTodo("late", list_id=list_id))
        written.append(todo.id)

    error = await race(*((delete, write) if deletion_first else (write, delete)), sql)

    assert set((await run(sql, references_to(ada))).values()) == {0}
    assert await run(sql, orphans) == dict.fromkeys(ORPHANS, 0)
    stored = await run(sql, counts)
    if deletion_first:  # the write found no membership once the deletion was done
        assert isinstance(error, NotFound)
        assert written == []
        assert stored["todos"] == 0
    else:  # it landed, and went with the list unless the list stays with Bob
        assert error is None
        assert len(written) == 1
        assert stored["todos"] == (1 if where == "a list she co-owns" else 0)
