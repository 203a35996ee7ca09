"""Revision 0003 (shared lists) and the rows stored before it, on every SQL backend.

Rows are written as revision 0002's code stored them (plain SQL against its tables: a tag's id
is `uuid5(owner_id, name)`, a todo's tags keep their `position`), the database is upgraded,
and then read back through the HTTP API: every user finds their Inbox, with their todos in it.
Downgrading gives the 0002 rows back, unless lists were shared or todos moved out of an Inbox,
which the downgrade refuses without touching anything. At head the schema itself keeps one
Inbox per user, a membership once, and an Inbox's id equal to its user's.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

import httpx
import pytest
from alembic import command
from dependency_injector import providers
from sqlalchemy import Connection, MetaData, exc, insert, inspect, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from api.conftest import cheap_hasher
from api.support import PASSWORD, assert_problem, login, settings_for
from sqldb import SQL_BACKENDS, empty_database, run_in_transaction
from todo_api import create_app
from todo_domain import new_id
from todo_sql import metadata
from todo_sql.errors import is_constraint_violation
from todo_sql.migrations import alembic_config, current, downgrade, upgrade

BEFORE = "0002"  # the revision below shared lists
LISTS = "0003"
PRIORITY_NAMES = {1: "low", 2: "normal", 3: "high"}
START = datetime(2024, 5, 1, 9, 30, 15, 250_001, tzinfo=UTC)


def at(minutes: int) -> datetime:
    """An instant after START, with microseconds of its own."""
    return START + timedelta(minutes=minutes, microseconds=minutes)


# --- what revision 0002 stored ---------------------------------------------------------------
@dataclass(frozen=True)
class StoredUser:
    id: UUID
    email: str
    display_name: str | None
    created_at: datetime


@dataclass(frozen=True)
class StoredTodo:
    id: UUID
    owner: StoredUser
    title: str
    created_at: datetime
    description: str = ""
    status: str = "open"
    priority: int = 2
    due_date: date | None = None
    tags: tuple[str, ...] = ()
    updated_at: datetime | None = None  # None: created_at
    completed_at: datetime | None = None
    version: int = 1


ADA = StoredUser(new_id(), "ada@example.com", "Ada", at(0))
BOB = StoredUser(new_id(), "bob@example.com", None, at(1))
CY = StoredUser(new_id(), "cy@example.com", "Cy", at(2))  # has no todo
USERS = (ADA, BOB, CY)
TODOS = (
    StoredTodo(
        new_id(), ADA, "Buy milk", at(10), "two litres", due_date=date(2024, 5, 3),
        tags=("errand", "home"),
    ),
    StoredTodo(
        new_id(), ADA, "File taxes", at(11), status="done", priority=3, tags=("home", "paperwork"),
        updated_at=at(30), completed_at=at(30), version=3,
    ),
    StoredTodo(new_id(), ADA, "Call mum", at(12), priority=1, due_date=date(2024, 12, 24)),
    # the same tag name as Ada's, a tag of Bob's own
    StoredTodo(new_id(), BOB, "Fix bike", at(13), tags=("home",)),
    StoredTodo(
        new_id(), BOB, "Pay rent", at(14), status="done", priority=3, due_date=date(2024, 6, 1),
        tags=("bills", "home", "urgent"), updated_at=at(15), completed_at=at(15), version=2,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class StoredFailure:
    id: UUID
    address: str
    account: str
    failed_at: datetime


FAILED_LOGIN = StoredFailure(new_id(), "203.0.113.7", ADA.email, at(40))


def todos_of(user: StoredUser) -> list[StoredTodo]:
    """Newest first, as the listing's default sort."""
    return sorted((t for t in TODOS if t.owner == user), key=lambda t: t.created_at, reverse=True)


def write_as_0002(password_hash: str) -> Callable[[Connection], None]:
    """Insert the stored rows into 0002's tables, reflected: column values as that revision's
    types stored them (native uuid and timestamptz on PostgreSQL; 32 hex digits and the naive
    UTC wall time elsewhere). Tag links go in in reverse, so only `position` keeps the order."""

    def write(connection: Connection) -> None:
        native = connection.dialect.name == "postgresql"

        def uuid(value: UUID) -> object:
            return value if native else value.hex

        def instant(value: datetime | None) -> datetime | None:
            return value if native or value is None else value.replace(tzinfo=None)

        schema = MetaData()
        schema.reflect(connection)
        t = schema.tables
        for user in USERS:
            connection.execute(
                insert(t["users"]).values(
                    id=uuid(user.id),
                    email=user.email,
                    password_hash=password_hash,
                    display_name=user.display_name,
                    created_at=instant(user.created_at),
                )
            )
        tags = {(todo.owner.id, name) for todo in TODOS for name in todo.tags}
        for owner, name in sorted(tags):
            connection.execute(
                insert(t["tags"]).values(
                    id=uuid(uuid5(owner, name)), owner_id=uuid(owner), name=name
                )
            )
        for todo in TODOS:
            connection.execute(
                insert(t["todos"]).values(
                    id=uuid(todo.id),
                    owner_id=uuid(todo.owner.id),
                    title=todo.title,
                    title_lower=todo.title.lower(),
                    description=todo.description,
                    status=todo.status,
                    priority=todo.priority,
                    due_date=todo.due_date,
                    created_at=instant(todo.created_at),
                    updated_at=instant(todo.updated_at or todo.created_at),
                    completed_at=instant(todo.completed_at),
                    version=todo.version,
                )
            )
            for position, name in reversed(list(enumerate(todo.tags))):
                link = {"todo_id": uuid(todo.id), "tag_id": uuid(uuid5(todo.owner.id, name))}
                connection.execute(insert(t["todo_tags"]).values(position=position, **link))
        connection.execute(
            insert(t["login_failures"]).values(
                id=uuid(FAILED_LOGIN.id),
                address=FAILED_LOGIN.address,
                account=FAILED_LOGIN.account,
                failed_at=instant(FAILED_LOGIN.failed_at),
            )
        )

    return write


# --- databases -------------------------------------------------------------------------------
@pytest.fixture(params=SQL_BACKENDS)
async def url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A database at 0002 holding the stored rows."""
    async with empty_database(request.param) as url:
        upgrade(url, BEFORE)
        await run_in_transaction(url, write_as_0002(await cheap_hasher().hash(PASSWORD)))
        yield url


@pytest.fixture
def migrated(url: str) -> str:
    upgrade(url)
    return url


def stored_rows(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the driver hands the stored values back (no SQLAlchemy type
    processing), rows sorted: comparable before and after a migration."""
    rows: dict[str, list[dict[str, Any]]] = {}
    inspector = inspect(connection)
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        names = ", ".join(column["name"] for column in inspector.get_columns(table))
        result = connection.exec_driver_sql(f"SELECT {names} FROM {table}")
        rows[table] = sorted(
            (dict(row._mapping) for row in result), key=lambda r: repr(sorted(r.items()))
        )
    return rows


def stored(url: str, value: UUID) -> object:
    """`value` as a uuid column holds it: native on PostgreSQL, 32 hex digits elsewhere."""
    return value if url.startswith("postgresql") else value.hex


def schema(connection: Connection) -> dict[str, Any]:
    """Tables, columns, keys, indexes and constraint names, as the database reports them."""
    inspector = inspect(connection)
    described: dict[str, Any] = {}
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        described[table] = {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ),
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (
                    fk["name"],
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    fk["options"].get("ondelete"),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), ix["unique"])
                for ix in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (uq["name"], tuple(uq["column_names"]))
                for uq in inspector.get_unique_constraints(table)
            ),
            "checks": sorted(str(ck["name"]) for ck in inspector.get_check_constraints(table)),
        }
    return described


def both(connection: Connection) -> tuple[dict[str, Any], dict[str, Any]]:
    return schema(connection), stored_rows(connection)


# --- the API ---------------------------------------------------------------------------------
@asynccontextmanager
async def api(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on the database at `url`, its lifespan running."""
    app = create_app(settings_for("sql", url))
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def signed_in(client: httpx.AsyncClient, user: StoredUser) -> dict[str, str]:
    """Headers of `user`, who logs in with the password whose hash was stored."""
    token = await login(client, user.email)
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def as_read(todo: dict[str, Any]) -> dict[str, Any]:
    """A todo of the API, its ids, dates and instants parsed: comparable with what was stored."""
    due = todo["due_date"]
    return todo | {
        "id": UUID(todo["id"]),
        "list_id": UUID(todo["list_id"]),
        "due_date": None if due is None else date.fromisoformat(due),
        "created_at": instant(todo["created_at"]),
        "updated_at": instant(todo["updated_at"]),
        "completed_at": instant(todo["completed_at"]),
    }


def as_stored(todo: StoredTodo) -> dict[str, Any]:
    """The todo the API should show for `todo`: in its owner's Inbox, whose id is the owner's."""
    return {
        "id": todo.id,
        "list_id": todo.owner.id,
        "title": todo.title,
        "description": todo.description,
        "status": todo.status,
        "priority": PRIORITY_NAMES[todo.priority],
        "due_date": todo.due_date,
        "tags": list(todo.tags),
        "created_at": todo.created_at,
        "updated_at": todo.updated_at or todo.created_at,
        "completed_at": todo.completed_at,
        "version": todo.version,
    }


async def todos_seen(
    client: httpx.AsyncClient, headers: dict[str, str], **query: str
) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/todos", params=query, headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next_cursor"] is None
    return [as_read(todo) for todo in page["items"]]


# --- 1. the stored rows, read through the API after the upgrade ------------------------------
async def test_the_upgrade_leaves_the_users_and_failed_logins_as_stored(url: str) -> None:
    before = await run_in_transaction(url, stored_rows)
    assert len(before["users"]) == len(USERS)
    assert len(before["login_failures"]) == 1
    upgrade(url, LISTS)
    after = await run_in_transaction(url, stored_rows)
    assert after["users"] == before["users"]
    assert after["login_failures"] == before["login_failures"]


async def test_the_upgrade_keeps_the_constraints_of_the_tables_it_rebuilds(url: str) -> None:
    """SQLite rebuilds `todos` and `tags` to alter them: their CHECKs come along, and the tables
    around them stay as they were."""
    before = await run_in_transaction(url, schema)
    upgrade(url, LISTS)
    after = await run_in_transaction(url, schema)
    for table in ("todos", "tags"):
        assert after[table]["checks"] == before[table]["checks"], table
    for table in ("users", "todo_tags", "login_failures"):
        assert after[table] == before[table], table


@pytest.mark.parametrize("url", ["sqlite"], indirect=True)
async def test_on_sqlite_the_tag_links_survive_without_foreign_keys_enforced(url: str) -> None:
    """An engine of its own (pytest-alembic's, a plain `create_async_engine`) leaves SQLite's
    foreign keys off, where todo_sql's turns them on: the migration keeps every tag link
    either way, up and down."""
    before = await run_in_transaction(url, stored_rows)
    assert before["todo_tags"]
    engine = create_async_engine(url, poolclass=NullPool)
    config = alembic_config(url)
    config.attributes["connection"] = engine
    try:
        await asyncio.to_thread(command.upgrade, config, "head")
        assert (await run_in_transaction(url, stored_rows))["todo_tags"] == before["todo_tags"]
        await asyncio.to_thread(command.downgrade, config, BEFORE)
    finally:
        await engine.dispose()
    assert await run_in_transaction(url, stored_rows) == before


async def test_every_user_has_one_list_after_the_upgrade_their_inbox(migrated: str) -> None:
    async with api(migrated) as client:
        for user in USERS:
            response = await client.get("/api/v1/lists", headers=await signed_in(client, user))
            assert response.status_code == 200, response.text
            page = response.json()
            assert page["next_cursor"] is None
            (inbox,) = page["items"]
            assert {
                **inbox,
                "created_at": instant(inbox["created_at"]),
                "updated_at": instant(inbox["updated_at"]),
            } == {
                "id": str(user.id),
                "name": "Inbox",
                "inbox": True,
                "role": "owner",
                "created_at": user.created_at,
                "updated_at": user.created_at,
                "version": 1,
            }


async def test_every_user_reads_their_todos_back_as_stored_in_their_inbox(migrated: str) -> None:
    async with api(migrated) as client:
        for user in USERS:
            headers = await signed_in(client, user)
            assert await todos_seen(client, headers) == [as_stored(t) for t in todos_of(user)]
            inbox = await todos_seen(client, headers, list_id=str(user.id))
            assert inbox == [as_stored(t) for t in todos_of(user)]
            for todo in todos_of(user):
                response = await client.get(f"/api/v1/todos/{todo.id}", headers=headers)
                assert response.status_code == 200, response.text
                assert as_read(response.json()) == as_stored(todo)
                assert response.headers["ETag"] == f'"{todo.version}"'


async def test_the_sort_orders_run_on_the_migrated_todos(migrated: str) -> None:
    async with api(migrated) as client:
        headers = await signed_in(client, ADA)
        by_priority = await todos_seen(client, headers, sort="priority")
        assert [t["title"] for t in by_priority] == ["Call mum", "Buy milk", "File taxes"]
        by_due_date = await todos_seen(client, headers, sort="due_date", due_after="2024-05-01")
        assert [t["title"] for t in by_due_date] == ["Buy milk", "Call mum"]


async def test_the_tag_filter_finds_the_migrated_tags(migrated: str) -> None:
    async with api(migrated) as client:
        for user in (ADA, BOB):
            headers = await signed_in(client, user)
            for name in {tag for todo in todos_of(user) for tag in todo.tags}:
                tagged = [as_stored(t) for t in todos_of(user) if name in t.tags]
                assert await todos_seen(client, headers, tag=name) == tagged, name


async def test_a_new_todo_joins_a_migrated_tag(migrated: str) -> None:
    """Its tag's id follows from the Inbox and the name: the very row 0002 stored."""
    async with api(migrated) as client:
        headers = await signed_in(client, ADA)
        body = {"title": "Water plants", "tags": ["home", "garden"]}
        created = await client.post("/api/v1/todos", json=body, headers=headers)
        assert created.status_code == 201, created.text
        assert created.json()["list_id"] == str(ADA.id)
        home = await todos_seen(client, headers, tag="home")
        assert [t["title"] for t in home] == ["Water plants", "File taxes", "Buy milk"]
        bobs = await todos_seen(client, await signed_in(client, BOB), tag="home")
        assert [t["title"] for t in bobs] == ["Pay rent", "Fix bike"]

    def tags_of_adas_inbox(connection: Connection) -> set[tuple[UUID, str]]:
        tags = metadata.tables["tags"]
        found = connection.execute(select(tags.c.id, tags.c.name).where(tags.c.list_id == ADA.id))
        return {(tag_id, name) for tag_id, name in found}

    names = {"errand", "home", "paperwork", "garden"}
    assert await run_in_transaction(migrated, tags_of_adas_inbox) == {
        (uuid5(ADA.id, n), n) for n in names
    }


async def test_another_users_migrated_todo_is_not_found(migrated: str) -> None:
    async with api(migrated) as client:
        bob = await signed_in(client, BOB)
        adas = todos_of(ADA)[0]
        for method in ("GET", "PATCH", "DELETE"):
            body = {"title": "mine now"} if method == "PATCH" else None
            path = f"/api/v1/todos/{adas.id}"
            assert_problem(await client.request(method, path, json=body, headers=bob), 404)
        assert_problem(await client.get(f"/api/v1/lists/{ADA.id}", headers=bob), 404)
        listed = await client.get("/api/v1/todos", params={"list_id": str(ADA.id)}, headers=bob)
        assert_problem(listed, 404)
        ada = await signed_in(client, ADA)
        assert await todos_seen(client, ada) == [as_stored(t) for t in todos_of(ADA)]


async def test_migrated_users_share_a_list_and_a_migrated_todo_moves_into_it(
    migrated: str,
) -> None:
    async with api(migrated) as client:
        ada, bob = await signed_in(client, ADA), await signed_in(client, BOB)
        # an Inbox stays private, migrated or not
        share_inbox = {"email": BOB.email, "role": "viewer"}
        inbox_members = f"/api/v1/lists/{ADA.id}/members"
        assert_problem(await client.post(inbox_members, json=share_inbox, headers=ada), 409)

        created = await client.post("/api/v1/lists", json={"name": "Home"}, headers=ada)
        assert created.status_code == 201, created.text
        home = created.json()["id"]
        shared = await client.post(
            f"/api/v1/lists/{home}/members",
            json={"email": BOB.email, "role": "editor"},
            headers=ada,
        )
        assert shared.status_code == 201, shared.text
        lists = await client.get("/api/v1/lists", headers=bob)
        assert [(item["name"], item["role"]) for item in lists.json()["items"]] == [
            ("Home", "editor"),
            ("Inbox", "owner"),
        ]

        milk = next(t for t in TODOS if t.title == "Buy milk")
        moved = await client.patch(f"/api/v1/todos/{milk.id}", json={"list_id": home}, headers=ada)
        assert moved.status_code == 200, moved.text
        in_home = as_stored(milk) | {"list_id": UUID(home)}
        assert await todos_seen(client, bob, list_id=home) == [
            in_home | {"updated_at": instant(moved.json()["updated_at"]), "version": 2}
        ]
        # Bob's own "home" tag and the moved todo's are two tags of two lists; the filter
        # finds both across Bob's lists
        titles = [t["title"] for t in await todos_seen(client, bob, tag="home")]
        assert titles == ["Pay rent", "Fix bike", "Buy milk"]


# --- rows at head, as the service stores them ------------------------------------------------
def add_user(connection: Connection, user_id: UUID, email: str, minutes: int) -> None:
    """A user and their Inbox, whose id is theirs, with them its owner."""
    users = metadata.tables["users"]
    connection.execute(
        insert(users).values(id=user_id, email=email, password_hash="hash", created_at=at(minutes))
    )
    add_list(connection, "Inbox", minutes, list_id=user_id, inbox_of=user_id)
    add_member(connection, user_id, user_id, "owner")


def add_list(
    connection: Connection,
    name: str,
    minutes: int,
    *,
    list_id: UUID | None = None,
    inbox_of: UUID | None = None,
) -> UUID:
    list_id = list_id or new_id()
    connection.execute(
        insert(metadata.tables["lists"]).values(
            id=list_id,
            name=name,
            inbox_of=inbox_of,
            created_at=at(minutes),
            updated_at=at(minutes),
            version=1,
        )
    )
    return list_id


def add_member(connection: Connection, list_id: UUID, user_id: UUID, role: str) -> None:
    memberships = metadata.tables["memberships"]
    connection.execute(insert(memberships).values(list_id=list_id, user_id=user_id, role=role))


def add_todo(
    connection: Connection, list_id: UUID, title: str, minutes: int, tags: tuple[str, ...] = ()
) -> UUID:
    """A todo with its tags, whose ids follow from the list and the name."""
    t = metadata.tables
    todo_id = new_id()
    connection.execute(
        insert(t["todos"]).values(
            id=todo_id, list_id=list_id, title=title, title_lower=title.lower(),
            description="", status="open", priority=2,
            created_at=at(minutes), updated_at=at(minutes), version=1,
        )
    )  # fmt: skip
    for position, name in enumerate(tags):
        add_tag(connection, list_id, name)
        link = {"todo_id": todo_id, "tag_id": uuid5(list_id, name), "position": position}
        connection.execute(insert(t["todo_tags"]).values(link))
    return todo_id


def add_tag(connection: Connection, list_id: UUID, name: str, tag_id: UUID | None = None) -> None:
    tags = metadata.tables["tags"]
    row = {"id": tag_id or uuid5(list_id, name), "list_id": list_id, "name": name}
    connection.execute(insert(tags).values(row))


# --- 2. down again, with nothing shared ------------------------------------------------------
async def test_a_downgrade_gives_the_0002_rows_back(url: str) -> None:
    before = await run_in_transaction(url, both)
    written = before[1]
    assert len(written["todos"]) == len(TODOS)
    assert len(written["todo_tags"]) == sum(len(todo.tags) for todo in TODOS)
    upgrade(url)
    downgrade(url, BEFORE)
    assert current(url) == {BEFORE}
    after = await run_in_transaction(url, both)
    assert after[1] == before[1]
    assert after[0] == before[0]


async def test_a_downgrade_keeps_what_was_stored_in_the_inboxes_at_head(url: str) -> None:
    """A user and a todo of theirs stored at head come down as 0002 would have stored them:
    the todo owned by the user, its tag the user's, with the same derived id."""
    upgrade(url)
    dee = new_id()

    def write_at_head(connection: Connection) -> UUID:
        add_user(connection, dee, "dee@example.com", 50)
        return add_todo(connection, dee, "Late", 51, tags=("home",))

    todo = await run_in_transaction(url, write_at_head)
    downgrade(url, BEFORE)

    rows = await run_in_transaction(url, stored_rows)
    (late,) = [row for row in rows["todos"] if row["id"] == stored(url, todo)]
    assert late["owner_id"] == stored(url, dee)
    home = stored(url, uuid5(dee, "home"))
    assert {"id": home, "owner_id": stored(url, dee), "name": "home"} in rows["tags"]
    assert {"todo_id": stored(url, todo), "tag_id": home, "position": 0} in rows["todo_tags"]


async def test_a_downgrade_drops_an_empty_private_list_and_its_tags(url: str) -> None:
    """A list of one owner without todos holds nothing 0002 could keep; the tags it still has
    (its todos moved back to the Inbox) are not the owner's, and do not come down as theirs."""
    before = await run_in_transaction(url, stored_rows)
    upgrade(url)

    def write_at_head(connection: Connection) -> None:
        someday = add_list(connection, "Someday", 60)
        add_member(connection, someday, ADA.id, "owner")
        for name in ("home", "later"):  # "home": Ada's Inbox has a tag of that name too
            add_tag(connection, someday, name)

    await run_in_transaction(url, write_at_head)
    downgrade(url, BEFORE)
    assert current(url) == {BEFORE}
    assert await run_in_transaction(url, stored_rows) == before


# --- 3. a downgrade that would lose something is refused --------------------------------------
def share_a_list(connection: Connection) -> None:
    family = add_list(connection, "Family", 70)
    add_member(connection, family, ADA.id, "owner")
    add_member(connection, family, BOB.id, "viewer")


def share_an_inbox(connection: Connection) -> None:
    """Never done by the service, yet a row the schema allows: still a shared list."""
    add_member(connection, ADA.id, CY.id, "viewer")


def put_a_todo_in_a_private_list(connection: Connection) -> None:
    work = add_list(connection, "Work", 80)
    add_member(connection, work, BOB.id, "owner")
    add_todo(connection, work, "Report", 81, tags=("home",))


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        (share_a_list, r"\b1 list\(s\) have more than one member"),
        (share_an_inbox, r"\b1 list\(s\) have more than one member"),
        (put_a_todo_in_a_private_list, r"\b1 todo\(s\) are outside their owner's Inbox"),
    ],
    ids=["a shared list", "a shared Inbox", "a todo outside its owner's Inbox"],
)
async def test_a_downgrade_that_would_lose_lists_is_refused_and_changes_nothing(
    migrated: str, setting: Callable[[Connection], None], reason: str
) -> None:
    """Refused before any change, so on MariaDB too (whose DDL commits at once, so that a
    refusal found halfway down could not take back what was done by then)."""
    await run_in_transaction(migrated, setting)
    downgrade(migrated, LISTS)  # the revisions after lists come down; lists themselves refuse
    before = await run_in_transaction(migrated, both)
    with pytest.raises(RuntimeError, match=f"cannot downgrade below revision 0003.*{reason}"):
        downgrade(migrated, BEFORE)
    assert current(migrated) == {LISTS}
    after = await run_in_transaction(migrated, both)
    assert after[1] == before[1]
    assert after[0] == before[0]


# --- 4. the constraints at head --------------------------------------------------------------
def second_inbox(connection: Connection) -> None:
    add_list(connection, "Inbox", 90, inbox_of=ADA.id)


def inbox_of_another_id(connection: Connection) -> None:
    """CY's Inbox removed first, so that only the id rule stands in the way."""
    lists = metadata.tables["lists"]
    connection.execute(lists.delete().where(lists.c.id == CY.id))
    add_list(connection, "Inbox", 90, inbox_of=CY.id)


def membership_twice(connection: Connection) -> None:
    add_member(connection, ADA.id, BOB.id, "viewer")
    add_member(connection, ADA.id, BOB.id, "editor")


def membership_with_an_unknown_role(connection: Connection) -> None:
    add_member(connection, ADA.id, BOB.id, "admin")


def membership_of_no_list(connection: Connection) -> None:
    add_member(connection, new_id(), BOB.id, "owner")


def list_without_a_name(connection: Connection) -> None:
    add_list(connection, "", 90)


def tag_name_twice_in_a_list(connection: Connection) -> None:
    add_tag(connection, ADA.id, "home", tag_id=new_id())


@pytest.mark.parametrize(
    "violation",
    [
        second_inbox,
        inbox_of_another_id,
        membership_twice,
        membership_with_an_unknown_role,
        membership_of_no_list,
        list_without_a_name,
        tag_name_twice_in_a_list,
    ],
)
async def test_the_schema_at_head_refuses(
    migrated: str, violation: Callable[[Connection], None]
) -> None:
    """A failed CHECK is an IntegrityError on SQLite and PostgreSQL, an OperationalError (error
    4025) on MariaDB: `is_constraint_violation` names both."""
    before = await run_in_transaction(migrated, stored_rows)
    with pytest.raises(exc.DBAPIError) as refused:
        await run_in_transaction(migrated, violation)
    assert is_constraint_violation(refused.value), refused.value
    assert await run_in_transaction(migrated, stored_rows) == before
