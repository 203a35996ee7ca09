"""PostgreSQL's plans. A page across lists: each list's todos are walked in the order of its
sort index, and only up to a page of them, whatever the number of todos in the list; with a
tag filter too (the regression: the tag probe became a join that read every todo of a list).
Whether a token is current (every authenticated request asks): two primary-key lookups."""

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from sqldb import sql_factory
from todo_domain import SortKey
from todo_sql import statements

ME = UUID(int=1)
TODOS_IN_THE_INBOX = 20_000
SHARED_LISTS = 3

# Set-based: four users with their Inboxes, three lists of the others shared with the first,
# 20,000 todos in every Inbox and 5,000 in every shared list, 20 tags a list, one a todo.
SEED = [
    """INSERT INTO users (id, email, password_hash, created_at)
       SELECT ('00000000-0000-0000-0000-00000000000' || n)::uuid, 'u' || n || '@x.io', 'h',
              now()
       FROM generate_series(1, 4) n""",
    """INSERT INTO lists (id, name, inbox_of, created_at, updated_at, version)
       SELECT id, 'Inbox', id, now(), now(), 1 FROM users""",
    "INSERT INTO memberships SELECT id, id, 'owner' FROM users",
    """INSERT INTO lists (id, name, created_at, updated_at, version)
       SELECT ('10000000-0000-0000-0000-00000000000' || n)::uuid, 'shared ' || n, now(),
              now(), 1
       FROM generate_series(2, 4) n""",
    """INSERT INTO memberships
       SELECT ('10000000-0000-0000-0000-00000000000' || n)::uuid,
              ('00000000-0000-0000-0000-00000000000' || n)::uuid, 'owner'
       FROM generate_series(2, 4) n
       UNION ALL
       SELECT ('10000000-0000-0000-0000-00000000000' || n)::uuid,
              '00000000-0000-0000-0000-000000000001', 'editor'
       FROM generate_series(2, 4) n""",
    f"""INSERT INTO todos (id, list_id, title, title_lower, description, status, priority,
                          due_date, created_at, updated_at, version)
       SELECT gen_random_uuid(), l.id, 'Todo ' || n, 'todo ' || n, '',
              CASE WHEN n % 3 = 0 THEN 'done' ELSE 'open' END, 1 + n % 3, NULL,
              now() - n * interval '1 minute', now(), 1
       FROM lists l
       CROSS JOIN generate_series(1, {TODOS_IN_THE_INBOX}) n
       WHERE l.inbox_of IS NOT NULL OR n <= 5000""",
    """INSERT INTO tags (id, list_id, name)
       SELECT gen_random_uuid(), l.id, 'tag' || lpad(t::text, 2, '0')
       FROM lists l CROSS JOIN generate_series(0, 19) t""",
    """INSERT INTO todo_tags (todo_id, tag_id, position)
       SELECT t.id, g.id, 0 FROM todos t JOIN tags g ON g.list_id = t.list_id
       WHERE g.name = 'tag' || lpad((abs(hashtext(t.id::text)) % 20)::text, 2, '0')""",
    "ANALYZE",
]


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


@pytest.mark.parametrize(
    ("filters", "values"),
    [
        ({}, {}),
        ({statements.Filter.STATUS, statements.Filter.TAG}, {"status": "open", "tag": "tag07"}),
    ],
    ids=["default", "status and tag"],
)
async def test_a_page_walks_each_lists_sort_index_and_stops(
    filters: set[statements.Filter], values: dict[str, Any]
) -> None:
    async with sql_factory("postgresql") as sql:
        statement = statements.list_todos(
            SortKey.CREATED_AT, True, statements.CursorKind.NONE, frozenset(filters), True
        )
        compiled = statement.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[no-untyped-call]
        params = {"user_id": ME, "limit": 51, **values}
        async with sql.engine.connect() as connection:
            await connection.execute(text("SET LOCAL statement_timeout = 0"))  # seeding
            for seed in SEED:
                await connection.execute(text(seed))
            await connection.commit()
            # the plan PostgreSQL settles on for the prepared statement asyncpg caches
            await connection.execute(text("SET plan_cache_mode = force_generic_plan"))
            raw = await connection.get_raw_connection()
            rows = await raw.driver_connection.fetch(  # type: ignore[union-attr]
                "EXPLAIN (ANALYZE, FORMAT JSON) " + str(compiled),
                *[params[name] for name in compiled.positiontup or ()],
            )
            await connection.rollback()
    document = rows[0][0]  # EXPLAIN's json, decoded or not as the driver's codecs have it
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    todo_reads = [node for node in nodes(plan) if node.get("Relation Name") == "todos"]
    assert [node["Node Type"] for node in todo_reads] == ["Index Scan"]
    (walk,) = todo_reads
    assert walk["Index Name"] == "ix_todos_list_id_created_at_id"
    assert walk["Scan Direction"] == "Backward"
    assert walk["Actual Loops"] == 1 + SHARED_LISTS  # a walk per list of the user
    # each walk (EXPLAIN counts per loop) stops after a page of matches: far fewer rows
    # than the Inbox holds
    assert walk["Actual Rows"] + walk.get("Rows Removed by Filter", 0) < TODOS_IN_THE_INBOX / 4


# Set-based: 10,000 users, each with an ended session.
SESSIONS_SEED = [
    """INSERT INTO users (id, email, password_hash, created_at)
       SELECT gen_random_uuid(), 'u' || n || '@x.io', 'h', now()
       FROM generate_series(1, 10000) n""",
    """INSERT INTO ended_sessions (token_id, user_id, expires_at)
       SELECT 'token-' || row_number() OVER (), id, now() + interval '1 hour' FROM users""",
    "ANALYZE",
]


async def test_whether_a_token_is_current_is_two_primary_key_lookups() -> None:
    async with sql_factory("postgresql") as sql:
        compiled = statements.IS_CURRENT.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[no-untyped-call]
        async with sql.engine.connect() as connection:
            for seed in SESSIONS_SEED:
                await connection.execute(text(seed))
            await connection.commit()
            user_id = (
                await connection.execute(text("SELECT min(user_id::text) FROM ended_sessions"))
            ).scalar_one()
            params = {"user_id": UUID(user_id), "credentials_version": 1, "token_id": "token-7"}
            await connection.execute(text("SET plan_cache_mode = force_generic_plan"))
            raw = await connection.get_raw_connection()
            rows = await raw.driver_connection.fetch(  # type: ignore[union-attr]
                "EXPLAIN (ANALYZE, FORMAT JSON) " + str(compiled),
                *[params[name] for name in compiled.positiontup or ()],
            )
            await connection.rollback()
    document = rows[0][0]
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    reads = [node for node in nodes(plan) if "Relation Name" in node]
    assert {node["Relation Name"]: node.get("Index Name") for node in reads} == {
        "users": "pk_users",
        "ended_sessions": "pk_ended_sessions",
    }
    assert {node["Node Type"] for node in reads} <= {"Index Scan", "Index Only Scan"}
    assert all(node["Actual Rows"] <= 1 for node in reads)
