"""The benchmark database: created fresh, migrated with Alembic, seeded with COPY.

Seeding is outside the timed part and fast: rows are generated in Python and streamed with
asyncpg's `copy_records_to_table` (binary COPY), about 100,000 todos in a few seconds.

Every user has an Inbox (its id is the user's) and owns one or two shared lists, each shared
with two to five other users as editors or viewers; most todos are in Inboxes, the rest in
the shared lists. Every list has its own `TAGS_PER_LIST` tags.
"""

import random
import secrets
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import jwt

from todo_sql import migrations

TAGS_PER_LIST = 20
INBOX_SHARE = 0.7  # of the todos; the rest are spread over the shared lists
LISTS_OWNED = (1, 2)  # shared lists each user owns, at least and at most
SHARED_WITH = (2, 5)  # other members of a shared list, at least and at most
WRITERS = ("owner", "editor")
TOKEN_LIFETIME = timedelta(hours=6)
BATCH = 50_000
SAMPLES_PER_BATCH = 4_000  # todo ids the load scripts ask for, per batch
# Not a real hash: the benchmark never logs in, it mints tokens with the shared bench secret.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2gtb25seQ$bm90LWEtcmVhbC1oYXNo"


def tag_name(index: int) -> str:
    return f"tag{index:02d}"


def tag_id(list_id: uuid.UUID, name: str) -> uuid.UUID:
    """As the SQL adapter derives it: a tag's id follows from its list and name."""
    return uuid.uuid5(list_id, name)


@dataclass
class TodoList:
    """A seeded list and its members (user index -> role); an Inbox's id is its user's."""

    id: uuid.UUID
    name: str
    members: dict[int, str]
    inbox: bool = False

    @property
    def inbox_of(self) -> uuid.UUID | None:
        return self.id if self.inbox else None

    def writers(self) -> list[int]:
        return sorted(u for u, role in self.members.items() if role in WRITERS)


@dataclass
class Dataset:
    """What the load scripts need to know about the seeded data."""

    users: list[uuid.UUID]
    lists: list[TodoList]  # the Inboxes first, in the users' order, then the shared lists
    rows: int
    seeded_before: datetime  # every seeded todo was created before this instant
    # (user index, todo id): a member of the todo's list reads it ...
    samples: list[tuple[int, uuid.UUID]] = field(default_factory=list)
    # ... and an editor or owner patches it (disjoint from samples)
    patchable: list[tuple[int, uuid.UUID]] = field(default_factory=list)

    @property
    def shared(self) -> list[TodoList]:
        return [todo_list for todo_list in self.lists if not todo_list.inbox]

    def writable(self, user: int) -> list[TodoList]:
        """The shared lists `user` may add todos to."""
        return [todo_list for todo_list in self.shared if user in todo_list.writers()]


def admin_dsn(dsn: str, database: str) -> str:
    """`dsn` pointed at another database on the same server."""
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{database}"


async def recreate_database(server_dsn: str, name: str) -> None:
    """DROP (if there) and CREATE `name`; `server_dsn` is any database on that server."""
    connection = await asyncpg.connect(server_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(server_dsn: str, name: str) -> None:
    """DROP `name` (if there), whoever is still connected to it."""
    connection = await asyncpg.connect(server_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def migrate(dsn: str) -> None:
    """Alembic `upgrade head`, exactly as `todo-api migrate` does it."""
    migrations.upgrade(sqlalchemy_url(dsn))


def sqlalchemy_url(dsn: str) -> str:
    return "postgresql+asyncpg://" + dsn.removeprefix("postgresql://")


def make_lists(rng: random.Random, users: Sequence[uuid.UUID]) -> list[TodoList]:
    """An Inbox per user, then the shared lists: each user owns `LISTS_OWNED` of them, each
    shared with `SHARED_WITH` other users, editors and viewers about half and half."""
    lists = [
        TodoList(id=uid, name="Inbox", members={u: "owner"}, inbox=True)
        for u, uid in enumerate(users)
    ]
    for owner in range(len(users)):
        for n in range(rng.randint(*LISTS_OWNED)):
            others = [u for u in range(len(users)) if u != owner]
            chosen = rng.sample(others, min(len(others), rng.randint(*SHARED_WITH)))
            members = {owner: "owner"} | {u: rng.choice(("editor", "viewer")) for u in chosen}
            list_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            lists.append(TodoList(id=list_id, name=f"Shared {owner}-{n}", members=members))
    return lists


def _list_of(rng: random.Random, dataset: Dataset, n: int) -> int:
    """The index of todo number `n`'s list: its user's Inbox, or a shared list."""
    users = len(dataset.users)
    shared = len(dataset.lists) - users
    if shared and rng.random() >= INBOX_SHARE:
        return users + rng.randrange(shared)
    return n % users


def _todo_rows(
    rng: random.Random,
    dataset: Dataset,
    count: int,
    start: datetime,
    step: timedelta,
    first: int,
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """`count` todos spread over the lists, created `step` apart from `start`, each with 0-3
    tags (sorted, as the domain stores them)."""
    priorities = (1, 2, 2, 2, 3)
    today = date(2026, 1, 1)
    for n in range(first, first + count):
        list_id = dataset.lists[_list_of(rng, dataset, n)].id
        todo_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        created = start + step * n
        done = rng.random() < 0.3
        title = f"Todo {n} {rng.choice(('buy', 'call', 'write', 'fix', 'plan'))} something"
        due = today + timedelta(days=rng.randrange(-200, 400)) if rng.random() < 0.5 else None
        row = (
            todo_id,
            list_id,
            title,
            title.lower(),
            "Seeded by bench/seed.py",
            "done" if done else "open",
            rng.choice(priorities),
            due,
            created,
            created,
            created + timedelta(hours=1) if done else None,
            1,
        )
        names = sorted({tag_name(rng.randrange(TAGS_PER_LIST)) for _ in range(rng.randrange(4))})
        links = [(todo_id, tag_id(list_id, name), position) for position, name in enumerate(names)]
        yield row, links


TODO_COLUMNS = (
    "id",
    "list_id",
    "title",
    "title_lower",
    "description",
    "status",
    "priority",
    "due_date",
    "created_at",
    "updated_at",
    "completed_at",
    "version",
)


async def seed(dsn: str, *, users: int, rows: int, seed_value: int = 5) -> Dataset:
    """`users` users, their Inboxes and shared lists (`make_lists`), `TAGS_PER_LIST` tags a
    list, and `rows` todos spread over the lists."""
    rng = random.Random(seed_value)
    user_ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(users)]
    lists = make_lists(rng, user_ids)
    now = datetime.now(UTC).replace(microsecond=0)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "users",
            records=[
                (uid, f"bench{i}@example.com", PASSWORD_HASH, f"Bench user {i}", now)
                for i, uid in enumerate(user_ids)
            ],
            columns=("id", "email", "password_hash", "display_name", "created_at"),
        )
        await connection.copy_records_to_table(
            "lists",
            records=[
                (todo_list.id, todo_list.name, todo_list.inbox_of, now, now, 1)
                for todo_list in lists
            ],
            columns=("id", "name", "inbox_of", "created_at", "updated_at", "version"),
        )
        await connection.copy_records_to_table(
            "memberships",
            records=[
                (todo_list.id, user_ids[u], role)
                for todo_list in lists
                for u, role in todo_list.members.items()
            ],
            columns=("list_id", "user_id", "role"),
        )
        await connection.copy_records_to_table(
            "tags",
            records=[
                (tag_id(todo_list.id, tag_name(t)), todo_list.id, tag_name(t))
                for todo_list in lists
                for t in range(TAGS_PER_LIST)
            ],
            columns=("id", "list_id", "name"),
        )
        dataset = Dataset(users=user_ids, lists=lists, rows=0, seeded_before=now)
        await add_todos(connection, dataset, rows, rng)
    finally:
        await connection.close()
    return dataset


async def add_todos(
    connection: asyncpg.Connection, dataset: Dataset, rows: int, rng: random.Random
) -> None:
    """Grow the data set to `rows` todos (COPY in batches), then ANALYZE and pick samples."""
    start = dataset.seeded_before - timedelta(days=365)
    # Spread the largest data set over the year; the created_at order matches the insertion.
    step = timedelta(seconds=365 * 24 * 3600 / max(rows, 1))
    first = dataset.rows
    samples: list[tuple[TodoList, uuid.UUID]] = []
    lists = {todo_list.id: todo_list for todo_list in dataset.lists}
    generated = _todo_rows(rng, dataset, rows - first, start, step, first)
    while True:
        todo_batch: list[tuple[Any, ...]] = []
        link_batch: list[tuple[Any, ...]] = []
        for row, links in generated:
            todo_batch.append(row)
            link_batch.extend(links)
            if len(todo_batch) >= BATCH:
                break
        if not todo_batch:
            break
        await connection.copy_records_to_table("todos", records=todo_batch, columns=TODO_COLUMNS)
        await connection.copy_records_to_table(
            "todo_tags", records=link_batch, columns=("todo_id", "tag_id", "position")
        )
        picked = rng.sample(todo_batch, min(SAMPLES_PER_BATCH, len(todo_batch)))
        samples.extend((lists[row[1]], row[0]) for row in picked)
    await connection.execute("VACUUM ANALYZE")
    dataset.rows = rows
    rng.shuffle(samples)
    if not dataset.samples:  # keep the first sample: the same ids at every scale
        half = len(samples) // 2
        # Any member reads a todo; an editor or owner of its list patches it.
        dataset.samples = [(rng.choice(sorted(t.members)), i) for t, i in samples[:half]]
        dataset.patchable = [(rng.choice(t.writers()), i) for t, i in samples[half:]]


def mint_tokens(secret: str, users: Sequence[uuid.UUID]) -> list[str]:
    """HS256 tokens with the claims of `todo_api.security.TokenService.issue`."""
    now = int(time.time())
    exp = now + int(TOKEN_LIFETIME.total_seconds())
    return [
        jwt.encode(
            # `cv`: every seeded user is at their first credentials version.
            {"sub": str(uid), "iat": now, "exp": exp, "jti": secrets.token_urlsafe(16), "cv": 1},
            secret,
            algorithm="HS256",
        )
        for uid in users
    ]


def bench_secret() -> str:
    """A random signing key for this run only (the services must share it; nothing real)."""
    return secrets.token_urlsafe(48)


async def versions_of(dsn: str, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT id, version FROM todos WHERE id = ANY($1::uuid[])", list(ids)
        )
    finally:
        await connection.close()
    return {row["id"]: row["version"] for row in rows}


async def remove_created(dsn: str, before: datetime) -> int:
    """Delete what the write workloads created (newer than the seed), so every app meets the
    same data."""
    connection = await asyncpg.connect(dsn)
    try:
        status = await connection.execute("DELETE FROM todos WHERE created_at >= $1", before)
        await connection.execute("VACUUM ANALYZE todos, todo_tags")
    finally:
        await connection.close()
    return int(status.split()[-1])
