"""Revision 0004 (accounts) and the rows stored before it, on every SQL backend.

Rows are written as revision 0003's code stored them (plain SQL against its tables, reflected),
the database is upgraded, and they are read back through the repositories and the account use
cases: every user is at version 1 under credentials version 1, and everything else is as it
was. Downgrading gives the 0003 rows back, also after changes at head (their 0003 columns
kept). At head the schema refuses a version below 1 and an ended session of nobody.
"""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

import pytest
from sqlalchemy import Connection, MetaData, exc, insert, inspect

from fakes import START as NOW
from fakes import FakeHasher, FixedClock
from sqldb import SQL_BACKENDS, empty_database, run_in_transaction
from todo_domain import (
    AccountService,
    LoginThrottle,
    Membership,
    PageRequest,
    Role,
    Session,
    Sort,
    TodoFilter,
    User,
    new_id,
)
from todo_sql import SqlUnitOfWorkFactory, create_engine, metadata
from todo_sql.errors import is_constraint_violation
from todo_sql.migrations import current, downgrade, heads, upgrade

BEFORE = "0003"  # the revision below accounts
PASSWORD = "correct horse"
START = datetime(2024, 5, 1, 9, 30, 15, 250_001, tzinfo=UTC)
ADA, BOB, PROJECT = new_id(), new_id(), new_id()
TODO = new_id()


def write_as_0003(connection: Connection) -> None:
    """Two users with their Inboxes, Ada's with a tagged todo, Bob a viewer of a list of
    Ada's, and a failed login: into 0003's tables, reflected, with the values as its types
    stored them (native uuid and timestamptz on PostgreSQL; 32 hex digits and the naive UTC
    wall time elsewhere)."""
    native = connection.dialect.name == "postgresql"

    def uuid(value: UUID) -> object:
        return value if native else value.hex

    def instant(minutes: int) -> datetime:
        value = START + timedelta(minutes=minutes, microseconds=minutes)
        return value if native else value.replace(tzinfo=None)

    schema = MetaData()
    schema.reflect(connection)
    t = schema.tables
    for user_id, email, name in ((ADA, "ada@example.com", "Ada"), (BOB, "bob@example.com", None)):
        connection.execute(
            insert(t["users"]).values(
                id=uuid(user_id),
                email=email,
                password_hash=FakeHasher.PREFIX + PASSWORD,
                display_name=name,
                created_at=instant(0),
            )
        )
    for list_id, name, inbox_of in ((ADA, "Inbox", ADA), (BOB, "Inbox", BOB), (PROJECT, "P", None)):
        connection.execute(
            insert(t["lists"]).values(
                id=uuid(list_id),
                name=name,
                inbox_of=None if inbox_of is None else uuid(inbox_of),
                created_at=instant(1),
                updated_at=instant(1),
                version=1,
            )
        )
    members = [
        (ADA, ADA, "owner"),
        (BOB, BOB, "owner"),
        (PROJECT, ADA, "owner"),
        (PROJECT, BOB, "viewer"),
    ]
    for list_id, user_id, role in members:
        connection.execute(
            insert(t["memberships"]).values(list_id=uuid(list_id), user_id=uuid(user_id), role=role)
        )
    connection.execute(
        insert(t["todos"]).values(
            id=uuid(TODO), list_id=uuid(ADA), title="Buy milk", title_lower="buy milk",
            description="", status="open", priority=2, created_at=instant(2),
            updated_at=instant(2), version=3,
        )
    )  # fmt: skip
    tag = uuid5(ADA, "home")
    connection.execute(insert(t["tags"]).values(id=uuid(tag), list_id=uuid(ADA), name="home"))
    connection.execute(
        insert(t["todo_tags"]).values(todo_id=uuid(TODO), tag_id=uuid(tag), position=0)
    )
    connection.execute(
        insert(t["login_failures"]).values(
            id=uuid(new_id()),
            address="203.0.113.7",
            account="ada@example.com",
            failed_at=instant(3),
        )
    )


@pytest.fixture(params=SQL_BACKENDS)
async def url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A database at 0003 holding the stored rows."""
    async with empty_database(request.param) as url:
        upgrade(url, BEFORE)
        await run_in_transaction(url, write_as_0003)
        yield url


@pytest.fixture
def migrated(url: str) -> str:
    upgrade(url)
    return url


@asynccontextmanager
async def repositories(url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = create_engine(url, pool_size=2, max_overflow=0)
    try:
        yield SqlUnitOfWorkFactory(engine)
    finally:
        await engine.dispose()


def accounts(uow: SqlUnitOfWorkFactory) -> AccountService:
    clock = FixedClock(NOW)
    return AccountService(uow, FakeHasher(), clock, LoginThrottle(uow, clock))


def stored_rows(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the driver hands the values back, sorted."""
    rows: dict[str, list[dict[str, Any]]] = {}
    inspector = inspect(connection)
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        names = ", ".join(column["name"] for column in inspector.get_columns(table))
        result = connection.exec_driver_sql(f"SELECT {names} FROM {table}")
        rows[table] = sorted(
            (dict(row._mapping) for row in result), key=lambda r: repr(sorted(r.items()))
        )
    return rows


def schema(connection: Connection) -> dict[str, Any]:
    """Columns, indexes, foreign keys and CHECKs of every table, as the database reports them."""
    inspector = inspect(connection)
    return {
        table: (
            sorted(
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ),
            sorted((ix["name"], tuple(ix["column_names"])) for ix in inspector.get_indexes(table)),
            sorted(str(fk["name"]) for fk in inspector.get_foreign_keys(table)),
            sorted(str(ck["name"]) for ck in inspector.get_check_constraints(table)),
        )
        for table in sorted(set(inspector.get_table_names()) - {"alembic_version"})
    }


def without(rows: dict[str, list[dict[str, Any]]], *names: str) -> Iterator[tuple[str, Any]]:
    for table, found in rows.items():
        yield table, [{k: v for k, v in row.items() if k not in names} for row in found]


# --- up --------------------------------------------------------------------------------------
async def test_the_upgrade_starts_every_user_at_version_1_and_keeps_every_row(url: str) -> None:
    before = await run_in_transaction(url, stored_rows)
    upgrade(url)
    after = await run_in_transaction(url, stored_rows)
    assert after.pop("ended_sessions") == []
    assert [(row["version"], row["credentials_version"]) for row in after["users"]] == [(1, 1)] * 2
    assert dict(without(after, "version", "credentials_version")) == dict(
        without(before, "version", "credentials_version")
    )
    assert after["lists"] == before["lists"]  # their own version column is untouched


async def test_migrated_rows_read_back_through_the_repositories(migrated: str) -> None:
    async with repositories(migrated) as uow_factory, uow_factory() as uow:
        ada = await uow.users.get(ADA)
        assert ada == User(ADA, "ada@example.com", FakeHasher.PREFIX + PASSWORD, START, "Ada", 1, 1)
        assert await uow.users.get_by_email("bob@example.com") == User(
            BOB, "bob@example.com", FakeHasher.PREFIX + PASSWORD, START, None, 1, 1
        )
        bobs = [Membership(BOB, BOB, Role.OWNER), Membership(PROJECT, BOB, Role.VIEWER)]
        assert await uow.memberships.of_user(BOB) == sorted(bobs, key=lambda m: m.list_id)
        assert await uow.sessions.is_current(Session(ADA, "token", 1, START))
        page = await uow.todos.list(ADA, TodoFilter(tag="home"), Sort(), PageRequest())
        assert [(t.id, t.tags, t.version) for t in page.items] == [(TODO, ("home",), 3)]


async def test_migrated_accounts_are_renamed_signed_out_and_deleted(migrated: str) -> None:
    async with repositories(migrated) as uow_factory:
        service = accounts(uow_factory)
        renamed = await service.rename(ADA, "Ada L.", expected_version=1)
        assert (renamed.version, renamed.credentials_version) == (2, 1)
        changed = await service.change_password(BOB, PASSWORD, "new password", address="::1")
        assert (changed.version, changed.credentials_version) == (2, 2)
        token = Session(ADA, "token", 1, NOW + timedelta(hours=1))
        await service.sign_out(token)
        assert not await service.is_current(token)
        await service.delete(ADA, PASSWORD, address="::1")
        async with uow_factory() as uow:
            assert await uow.users.get(ADA) is None
            assert await uow.memberships.of_user(BOB) == [Membership(BOB, BOB, Role.OWNER)]
    rows = await run_in_transaction(migrated, stored_rows)
    # Bob's Inbox is all that is left of the lists; the project went with its last owner
    assert (len(rows["lists"]), len(rows["todos"]), len(rows["ended_sessions"])) == (1, 0, 0)


# --- down ------------------------------------------------------------------------------------
async def test_a_downgrade_gives_the_0003_rows_and_schema_back(url: str) -> None:
    before = await run_in_transaction(url, lambda c: (schema(c), stored_rows(c)))
    upgrade(url)
    downgrade(url, BEFORE)
    assert current(url) == {BEFORE}
    assert await run_in_transaction(url, lambda c: (schema(c), stored_rows(c))) == before


async def test_a_downgrade_keeps_what_changed_at_head_in_the_0003_columns(migrated: str) -> None:
    async with repositories(migrated) as uow_factory:
        service = accounts(uow_factory)
        await service.rename(ADA, "Ada L.")
        await service.change_password(ADA, PASSWORD, "new password", address="::1")
        await service.sign_out(Session(ADA, "token", 2, NOW + timedelta(hours=1)))
    downgrade(migrated, BEFORE)
    rows = await run_in_transaction(migrated, stored_rows)
    (ada,) = [row for row in rows["users"] if row["email"] == "ada@example.com"]
    assert ada["display_name"] == "Ada L."
    assert ada["password_hash"] == FakeHasher.PREFIX + "new password"
    assert set(ada) == {"id", "email", "password_hash", "display_name", "created_at"}
    assert "ended_sessions" not in rows
    upgrade(migrated)  # and up again: every user starts over at version 1
    assert current(migrated) == heads(migrated)
    versions = [
        (r["version"], r["credentials_version"])
        for r in (await run_in_transaction(migrated, stored_rows))["users"]
    ]
    assert versions == [(1, 1)] * 2


# --- the schema at head ----------------------------------------------------------------------
def user_at_version(column: str) -> Callable[[Connection], None]:
    def write(connection: Connection) -> None:
        users = metadata.tables["users"]
        connection.execute(
            insert(users).values(
                id=new_id(),
                email="cy@example.com",
                password_hash="h",
                created_at=START,
                **{column: 0},
            )
        )

    return write


def ended_session_of_nobody(connection: Connection) -> None:
    ended = metadata.tables["ended_sessions"]
    connection.execute(insert(ended).values(token_id="t", user_id=new_id(), expires_at=START))


@pytest.mark.parametrize(
    "violation",
    [user_at_version("version"), user_at_version("credentials_version"), ended_session_of_nobody],
    ids=["version 0", "credentials version 0", "ended session of nobody"],
)
async def test_the_schema_at_head_refuses(
    migrated: str, violation: Callable[[Connection], None]
) -> None:
    before = await run_in_transaction(migrated, stored_rows)
    with pytest.raises(exc.DBAPIError) as refused:
        await run_in_transaction(migrated, violation)
    assert is_constraint_violation(refused.value), refused.value
    assert await run_in_transaction(migrated, stored_rows) == before
