"""The benchmark database: created fresh, migrated with Alembic, seeded with COPY.

Seeding is outside the timed part and fast: rows are generated in Python and streamed with
asyncpg's `copy_records_to_table` (binary COPY), about 100,000 todos in a few seconds.
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

TAGS_PER_USER = 20
TOKEN_LIFETIME = timedelta(hours=6)
BATCH = 50_000
SAMPLES_PER_BATCH = 4_000  # todo ids the load scripts ask for, per batch
# Not a real hash: the benchmark never logs in, it mints tokens with the shared bench secret.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2gtb25seQ$bm90LWEtcmVhbC1oYXNo"


def tag_name(index: int) -> str:
    return f"tag{index:02d}"


def tag_id(owner_id: uuid.UUID, name: str) -> uuid.UUID:
    """As `todo_sql.mapping.tag_id`: a tag's id follows from its owner and name."""
    return uuid.uuid5(owner_id, name)


@dataclass
class Dataset:
    """What the load scripts need to know about the seeded data."""

    users: list[uuid.UUID]
    rows: int
    seeded_before: datetime  # every seeded todo was created before this instant
    samples: list[tuple[int, uuid.UUID]] = field(default_factory=list)  # (user index, todo id)
    patchable: list[tuple[int, uuid.UUID]] = field(default_factory=list)  # disjoint from samples


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


def _todo_rows(
    rng: random.Random,
    users: Sequence[uuid.UUID],
    count: int,
    start: datetime,
    step: timedelta,
    first: int,
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """`count` todos spread over the users, created `step` apart from `start`, each with 0-3
    tags (sorted, as the domain stores them)."""
    priorities = (1, 2, 2, 2, 3)
    today = date(2026, 1, 1)
    for n in range(first, first + count):
        owner = users[n % len(users)]
        todo_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        created = start + step * n
        done = rng.random() < 0.3
        title = f"Todo {n} {rng.choice(('buy', 'call', 'write', 'fix', 'plan'))} something"
        due = today + timedelta(days=rng.randrange(-200, 400)) if rng.random() < 0.5 else None
        row = (
            todo_id,
            owner,
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
        names = sorted({tag_name(rng.randrange(TAGS_PER_USER)) for _ in range(rng.randrange(4))})
        links = [(todo_id, tag_id(owner, name), position) for position, name in enumerate(names)]
        yield row, links


TODO_COLUMNS = (
    "id",
    "owner_id",
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
    """`users` users, each with `TAGS_PER_USER` tags, and `rows` todos spread over them."""
    rng = random.Random(seed_value)
    user_ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(users)]
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
            "tags",
            records=[
                (tag_id(uid, tag_name(t)), uid, tag_name(t))
                for uid in user_ids
                for t in range(TAGS_PER_USER)
            ],
            columns=("id", "owner_id", "name"),
        )
        dataset = Dataset(users=user_ids, rows=0, seeded_before=now)
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
    samples: list[tuple[int, uuid.UUID]] = []
    index = {uid: i for i, uid in enumerate(dataset.users)}
    generated = _todo_rows(rng, dataset.users, rows - first, start, step, first)
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
        samples.extend((index[row[1]], row[0]) for row in picked)
    await connection.execute("VACUUM ANALYZE")
    dataset.rows = rows
    rng.shuffle(samples)
    if not dataset.samples:  # keep the first sample: the same ids at every scale
        half = len(samples) // 2
        dataset.samples, dataset.patchable = samples[:half], samples[half:]


def mint_tokens(secret: str, users: Sequence[uuid.UUID]) -> list[str]:
    """HS256 tokens with the claims of `todo_api.security.TokenService.issue`."""
    now = int(time.time())
    exp = now + int(TOKEN_LIFETIME.total_seconds())
    return [
        jwt.encode({"sub": str(uid), "iat": now, "exp": exp}, secret, algorithm="HS256")
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
