"""Alembic migrations on every SQL backend: from empty to head, a stairway of each revision up,
down and up again, no drift between the records and the migrations, and rows that survive an
upgrade."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    Table,
    insert,
    inspect,
    select,
)

import todo_sql.migrations
from sqldb import SQL_BACKENDS, empty_database, run_in_transaction
from todo_domain import (
    INBOX_NAME,
    PageRequest,
    Priority,
    Role,
    Sort,
    Status,
    Todo,
    TodoFilter,
    User,
    inbox_id,
    new_id,
)
from todo_sql import SqlUnitOfWorkFactory, create_engine, metadata
from todo_sql.migrations import (
    MigrationsNotFound,
    alembic_config,
    current,
    downgrade,
    heads,
    pending,
    script_location,
    upgrade,
)
from todo_sql.records import ListRecord, MembershipRecord

TABLES = {
    "users",
    "lists",
    "memberships",
    "todos",
    "tags",
    "todo_tags",
    "login_failures",
    "ended_sessions",
}


@pytest.fixture(params=SQL_BACKENDS)
async def url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """An empty database that Alembic has never touched."""
    async with empty_database(request.param) as url:
        yield url


def revisions(url: str) -> list[tuple[str, str]]:
    """(revision, the one below it or "base"), oldest first."""
    script = ScriptDirectory.from_config(alembic_config(url))
    steps = [(r.revision, str(r.down_revision or "base")) for r in script.walk_revisions()]
    return steps[::-1]


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_upgrade_head_on_an_empty_database(url: str) -> None:
    assert pending(url)
    assert current(url) == set()
    upgrade(url)
    assert not pending(url)
    assert current(url) == heads(url)
    assert await run_in_transaction(url, tables) == TABLES


async def test_stairway_each_revision_up_down_and_up_again(url: str) -> None:
    steps = revisions(url)
    assert steps, "no revisions"
    for revision, below in steps:
        upgrade(url, revision)
        downgrade(url, below)
        upgrade(url, revision)
        assert current(url) == {revision}
    assert not pending(url)
    downgrade(url, "base")
    assert await run_in_transaction(url, tables) == set()


async def test_the_records_match_the_migrations(url: str) -> None:
    """What autogenerate would write for the records against a migrated database: nothing."""
    upgrade(url)

    def drift(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "target_metadata": metadata}
        )
        return list(compare_metadata(context, metadata))

    assert await run_in_transaction(url, drift) == []

    # and the comparison does see a difference when there is one
    changed = MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["todos"].append_column(Column("extra", Integer))
    Index("ix_extra", changed.tables["users"].c.created_at)

    def drift_of_changed(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "target_metadata": changed}
        )
        return list(compare_metadata(context, changed))

    kinds = {diff[0] for diff in await run_in_transaction(url, drift_of_changed)}
    assert {"add_column", "add_index"} <= kinds


async def test_rows_written_before_an_upgrade_are_there_after_it(url: str) -> None:
    """Rows written with plain SQL against the first revision's schema are read back by the
    adapter once the database is at head."""
    first = revisions(url)[0][0]
    upgrade(url, first)
    owner, todo_id, tag_id = new_id(), new_id(), new_id()
    moment = datetime(2024, 5, 1, 9, 30, 15, 250_001, tzinfo=UTC)

    def write(connection: Connection) -> None:
        write_a_tagged_todo(connection, owner, todo_id, tag_id, moment)

    await run_in_transaction(url, write)
    upgrade(url)

    engine = create_engine(url)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            user = await uow.users.get_by_email("ada@example.com")
            listed = await uow.todos.list(owner, TodoFilter(tag="old"), Sort(), PageRequest())
    finally:
        await engine.dispose()
    assert user == User(owner, "ada@example.com", "hash", moment, "Ada")
    # the user's Inbox, as old as the account, and the user its owner
    lists, memberships = await run_in_transaction(url, lists_and_memberships)
    assert lists == [(inbox_id(owner), INBOX_NAME, owner, moment, moment, 1)]
    assert memberships == [(inbox_id(owner), owner, Role.OWNER.value)]
    assert list(listed.items) == [
        Todo(
            id=todo_id,
            list_id=inbox_id(owner),
            title="Written at 0001",
            description="kept",
            status=Status.DONE,
            priority=Priority.HIGH,
            due_date=date(2024, 6, 1),
            tags=("old",),
            created_at=moment,
            updated_at=moment,
            completed_at=moment,
            version=4,
        )
    ]


def stored(connection: Connection, value: Any) -> Any:
    """`value` as a plain reflected column takes it: 32 hex digits for a UUID and a naive UTC
    time for an instant, except on PostgreSQL (native uuid and timestamptz)."""
    if connection.dialect.name == "postgresql":
        return value
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def reflected(connection: Connection) -> dict[str, Table]:
    schema = MetaData()
    schema.reflect(connection)
    return dict(schema.tables)


def write_a_tagged_todo(
    connection: Connection, owner: UUID, todo_id: UUID, tag_id: UUID, moment: datetime
) -> None:
    """A user with one todo tagged "old", in plain SQL against the schema before lists."""
    t = reflected(connection)

    def v(value: Any) -> Any:
        return stored(connection, value)

    connection.execute(
        insert(t["users"]).values(
            id=v(owner),
            email="ada@example.com",
            password_hash="hash",
            display_name="Ada",
            created_at=v(moment),
        )
    )
    connection.execute(
        insert(t["todos"]).values(
            id=v(todo_id),
            owner_id=v(owner),
            title="Written at 0001",
            title_lower="written at 0001",
            description="kept",
            status="done",
            priority=3,
            due_date=date(2024, 6, 1),
            created_at=v(moment),
            updated_at=v(moment),
            completed_at=v(moment),
            version=4,
        )
    )
    connection.execute(insert(t["tags"]).values(id=v(tag_id), owner_id=v(owner), name="old"))
    connection.execute(
        insert(t["todo_tags"]).values(todo_id=v(todo_id), tag_id=v(tag_id), position=0)
    )


async def test_a_downgrade_below_lists_gives_every_todo_and_tag_back_to_its_owner(
    url: str,
) -> None:
    """Before 0003, at head and back: the todo and the tag belong to their user again, and
    the todo keeps its tag (SQLite rebuilds both tables on the way, up and down)."""
    upgrade(url, "0002")
    owner, todo_id, tag_id = new_id(), new_id(), new_id()
    moment = datetime(2024, 5, 1, 9, 30, 15, 250_001, tzinfo=UTC)
    await run_in_transaction(url, lambda c: write_a_tagged_todo(c, owner, todo_id, tag_id, moment))
    upgrade(url)
    downgrade(url, "0002")

    def read(connection: Connection) -> tuple[Any, ...]:
        t = reflected(connection)

        def pairs(first: Column[Any], second: Column[Any]) -> list[tuple[UUID, UUID]]:
            rows = connection.execute(select(first, second))
            return [(UUID(str(a)), UUID(str(b))) for a, b in rows]

        return (
            pairs(t["todos"].c.id, t["todos"].c.owner_id),
            pairs(t["tags"].c.id, t["tags"].c.owner_id),
            pairs(t["todo_tags"].c.todo_id, t["todo_tags"].c.tag_id),
            set(t) - {"alembic_version"},
        )

    todos, tags, links, names = await run_in_transaction(url, read)
    assert names == TABLES - {"lists", "memberships", "ended_sessions"}
    assert todos == [(todo_id, owner)]
    assert tags == [(tag_id, owner)]
    assert links == [(todo_id, tag_id)]


@pytest.mark.parametrize("what", ["a shared list", "a todo outside its owner's Inbox"])
async def test_a_downgrade_below_lists_refuses_what_it_could_not_keep(url: str, what: str) -> None:
    upgrade(url)
    ada, bob, project = new_id(), new_id(), new_id()
    moment = datetime(2024, 5, 1, tzinfo=UTC)

    def write(connection: Connection) -> None:
        t = reflected(connection)

        def v(value: Any) -> Any:
            return stored(connection, value)

        for user, email in ((ada, "ada@example.com"), (bob, "bob@example.com")):
            connection.execute(
                insert(t["users"]).values(
                    id=v(user), email=email, password_hash="hash", created_at=v(moment)
                )
            )
        list_row = {"created_at": v(moment), "updated_at": v(moment), "version": 1}
        connection.execute(
            insert(t["lists"]).values(id=v(project), name="Project", inbox_of=None, **list_row)
        )
        connection.execute(
            insert(t["memberships"]).values(list_id=v(project), user_id=v(ada), role="owner")
        )
        if what == "a shared list":
            connection.execute(
                insert(t["memberships"]).values(list_id=v(project), user_id=v(bob), role="viewer")
            )
        else:
            connection.execute(
                insert(t["todos"]).values(
                    id=v(new_id()),
                    list_id=v(project),
                    title="In a project",
                    title_lower="in a project",
                    description="",
                    status="open",
                    priority=2,
                    created_at=v(moment),
                    updated_at=v(moment),
                    version=1,
                )
            )

    await run_in_transaction(url, write)
    downgrade(url, "0003")  # the revisions after lists come down; lists themselves refuse
    expected = "1 list(s) have more than one member" if what == "a shared list" else "1 todo(s)"
    with pytest.raises(RuntimeError, match=re.escape(expected)):
        downgrade(url, "0002")
    assert current(url) == {"0003"}


def lists_and_memberships(connection: Connection) -> tuple[list[Any], list[Any]]:
    """Every row of `lists` and `memberships`, read through the records' column types."""
    lists = select(
        ListRecord.id,
        ListRecord.name,
        ListRecord.inbox_of,
        ListRecord.created_at,
        ListRecord.updated_at,
        ListRecord.version,
    ).order_by(ListRecord.id)
    memberships = select(
        MembershipRecord.list_id, MembershipRecord.user_id, MembershipRecord.role
    ).order_by(MembershipRecord.list_id, MembershipRecord.user_id)
    return (
        [tuple(row) for row in connection.execute(lists)],
        [tuple(row) for row in connection.execute(memberships)],
    )


def test_migrations_are_found_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the package, not the working directory: a directory with no checkout above it
    migrates all the same."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path}/elsewhere.db"
    upgrade(url)
    assert not pending(url)


def test_the_checkout_migrates_with_the_root_migrations_directory() -> None:
    """No copy that could drift: a checkout's todo_sql uses the repository's migrations/,
    the one alembic.ini names."""
    root = Path(__file__).resolve().parents[2]
    developers = Config(str(root / "alembic.ini")).get_main_option("script_location")
    assert developers is not None
    assert Path(developers) == script_location() == root / "migrations"


def test_an_installation_without_migrations_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "lib" / "python" / "todo_sql"
    package.mkdir(parents=True)
    monkeypatch.setattr(todo_sql.migrations, "files", lambda name: package)
    with pytest.raises(MigrationsNotFound, match="no Alembic migrations"):
        alembic_config("sqlite+aiosqlite:///x.db")


def test_upgrade_works_without_a_running_loop(tmp_path: Path) -> None:
    """The command line calls it from plain synchronous code."""
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    assert pending(url)
    upgrade(url)
    assert not pending(url)
