"""The floor: bare Starlette on an asyncpg pool, the service's SQL written by hand.

Same endpoints, same JSON shape, same database round trips as the service, and every request
authenticated with the same HS256 JWT (pyjwt), so the load is the same: what is left is the
price of the HTTP server, the JSON and the driver. Nothing else is shared with the service.

A todo is seen through a membership of its list, as in the service: a get joins the caller's
membership in its one statement, a page walks each of the caller's lists (a LATERAL per
membership), and a write holds the caller's membership (`FOR SHARE`) in its transaction, so a
role cannot change under it. Every request first asks the database whether its token is
still current (the user's credentials version, and not signed out), as the service does.

    BENCH_DSN=postgresql://... BENCH_SECRET=... python bench/floor.py --port 8001 --workers 1
"""

import argparse
import base64
import json
import os
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

JSON = "application/json"
PRIORITY_NAME = {1: "low", 2: "normal", 3: "high"}
PRIORITY_RANK = {name: rank for rank, name in PRIORITY_NAME.items()}
WRITERS = ("owner", "editor")
FIELDS = (
    "id, title, description, status, priority, due_date, created_at, updated_at, "
    "completed_at, version, list_id"
)
COLUMNS = ", ".join(f"t.{name}" for name in FIELDS.split(", "))
# The todo, the caller's role in its list (no row: no todo, or no member), a row per tag.
GET_TODO = f"""
SELECT {COLUMNS}, m.role, g.name FROM todos t
JOIN memberships m ON m.list_id = t.list_id AND m.user_id = $2
LEFT JOIN todo_tags tt ON tt.todo_id = t.id LEFT JOIN tags g ON g.id = tt.tag_id
WHERE t.id = $1 ORDER BY tt.position"""
# The same in a write's transaction: the membership is held until it ends.
CLAIMS = ["sub", "iat", "exp", "jti", "cv"]
SESSION_IS_CURRENT = """
SELECT 1 FROM users WHERE id = $1 AND credentials_version = $2
AND NOT EXISTS (SELECT 1 FROM ended_sessions WHERE token_id = $3)"""
HOLD_TODO = GET_TODO + " FOR SHARE OF m"
HOLD_ROLE = "SELECT role FROM memberships WHERE list_id = $1 AND user_id = $2 FOR SHARE"
# A todo's tag names in their order, as an array: a page is one round trip (as the service).
TAG_NAMES = """(SELECT array_agg(g.name ORDER BY tt.position) FROM todo_tags tt
JOIN tags g ON g.id = tt.tag_id WHERE tt.todo_id = p.id)"""
INSERT_TODO = """
INSERT INTO todos (id, list_id, title, title_lower, description, status, priority, due_date,
                   created_at, updated_at, completed_at, version)
VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $8, NULL, 1)"""
INSERT_TAGS = """
INSERT INTO tags (id, list_id, name) SELECT u, $2, n FROM unnest($1::uuid[], $3::text[]) AS x(u, n)
ON CONFLICT (id) DO NOTHING"""
INSERT_LINKS = """
INSERT INTO todo_tags (todo_id, tag_id, position)
SELECT $1, u, p FROM unnest($2::uuid[], $3::int2[]) AS x(u, p)"""
UPDATE_TODO = """
UPDATE todos SET title = $4, title_lower = $5, description = $6, status = $7, priority = $8,
       due_date = $9, updated_at = $10, completed_at = $11, version = $12
WHERE id = $1 AND list_id = $2 AND version = $3"""
DELETE_LINKS = "DELETE FROM todo_tags WHERE todo_id = $1"


class Problem(Exception):
    def __init__(self, status: int, detail: str) -> None:
        self.status = status
        self.detail = detail


def problem(status: int, detail: str) -> Response:
    body = {"type": "about:blank", "title": detail, "status": status, "detail": detail}
    return Response(json.dumps(body), status, media_type="application/problem+json")


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def todo_json(row: Any, tags: list[str]) -> dict[str, Any]:
    return {
        "id": str(row[0]),
        "title": row[1],
        "description": row[2],
        "status": row[3],
        "priority": PRIORITY_NAME[row[4]],
        "due_date": _iso(row[5]),
        "tags": tags,
        "created_at": _iso(row[6]),
        "updated_at": _iso(row[7]),
        "completed_at": _iso(row[8]),
        "version": row[9],
        "list_id": str(row[10]),
    }


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def todo_response(body: dict[str, Any], status: int = 200, **headers: str) -> Response:
    headers["ETag"] = f'"{body["version"]}"'
    return Response(dumps(body), status, headers=headers, media_type=JSON)


async def user_of(request: Request) -> uuid.UUID:
    """The token's user, once its signature holds and the database says it is current (the
    user's credentials version, and not ended: the service's check, by hand)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "Authentication required")
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": CLAIMS})
        user, version, token_id = uuid.UUID(claims["sub"]), int(claims["cv"]), str(claims["jti"])
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise Problem(401, "Invalid token") from error
    async with pool(request).acquire() as conn:
        if await conn.fetchval(SESSION_IS_CURRENT, user, version, token_id) is None:
            raise Problem(401, "Invalid token")
    return user


def todo_id_of(request: Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.path_params["todo_id"])
    except ValueError as error:
        raise Problem(422, "todo_id is not a UUID") from error


def pool(request: Request) -> asyncpg.Pool:
    result: asyncpg.Pool = request.app.state.pool
    return result


async def fetch_todo(
    conn: Any, todo_id: uuid.UUID, user: uuid.UUID, statement: str = GET_TODO
) -> tuple[dict[str, Any], str]:
    """The todo as JSON and the caller's role in its list."""
    rows = await conn.fetch(statement, todo_id, user)
    if not rows:
        raise Problem(404, "The todo does not exist.")
    return todo_json(rows[0], [row[12] for row in rows if row[12] is not None]), rows[0][11]


def may_write(role: str | None) -> None:
    if role is None:
        raise Problem(404, "The list does not exist.")
    if role not in WRITERS:
        raise Problem(403, "Your role in this list does not allow this.")


async def get_todo(request: Request) -> Response:
    user, todo_id = await user_of(request), todo_id_of(request)
    async with pool(request).acquire() as conn:
        todo, _ = await fetch_todo(conn, todo_id, user)
        return todo_response(todo)


_LIST_SQL: dict[tuple[str, ...], str] = {}


def list_sql(filters: tuple[str, ...]) -> str:
    """The page statement for this set of filters ($1 the caller, $2 limit, then one per
    filter): each of the caller's lists gives its first `limit` matching todos down its
    (list_id, created_at, id) index, and the page is the first `limit` of those; the tag
    names are gathered for the page's rows only."""
    if filters not in _LIST_SQL:
        where, lists = ["t.list_id = m.list_id"], "memberships m"
        for n, name in enumerate(filters, start=3):
            if name == "tag":  # as the service: the tag's id in each list, a probe per todo
                lists += f" JOIN tags g ON g.list_id = m.list_id AND g.name = ${n}"
                # OFFSET 0, as the service: the probe stays a probe, never a join with every
                # tagged todo of the list.
                where.append(
                    "EXISTS (SELECT 1 FROM todo_tags tt WHERE tt.todo_id = t.id "
                    "AND tt.tag_id = g.id OFFSET 0)"
                )
            elif name == "after":
                where.append(f"t.created_at <= ${n} AND (t.created_at < ${n} OR t.id < ${n + 1})")
            else:
                where.append(f"t.{name} = ${n}")
        order = "ORDER BY {0}created_at DESC, {0}id DESC LIMIT $2"
        _LIST_SQL[filters] = (
            f"SELECT {FIELDS}, {TAG_NAMES} FROM (SELECT x.* FROM {lists} CROSS JOIN LATERAL "
            f"(SELECT {COLUMNS} FROM todos t WHERE {' AND '.join(where)} "
            f"{order.format('t.')}) x WHERE m.user_id = $1 {order.format('x.')}) p "
            f"{order.format('')}"
        )
    return _LIST_SQL[filters]


async def list_todos(request: Request) -> Response:
    user = await user_of(request)
    query = request.query_params
    try:
        limit = int(query.get("limit", "20"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise Problem(422, "limit must be between 1 and 100")
    filters: list[str] = []
    params: list[Any] = [user, limit + 1]
    if "status" in query:
        filters.append("status")
        params.append(query["status"])
    if "priority" in query:
        filters.append("priority")
        params.append(PRIORITY_RANK.get(query["priority"], 0))
    if "tag" in query:
        filters.append("tag")
        params.append(query["tag"].strip().lower())
    if "cursor" in query:
        try:
            raw = json.loads(base64.urlsafe_b64decode(query["cursor"] + "=="))
            params += [datetime.fromisoformat(raw["v"]), uuid.UUID(raw["i"])]
        except (ValueError, KeyError, TypeError) as error:
            raise Problem(422, "invalid cursor") from error
        filters.append("after")
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(list_sql(tuple(filters)), *params)
    shown = rows[:limit]
    cursor = None
    if len(rows) > limit:
        last = shown[-1]
        payload = dumps({"s": "-created_at", "v": last[6].isoformat(), "i": last[0].hex})
        cursor = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    items = [todo_json(row, row[11] or []) for row in shown]
    return Response(dumps({"items": items, "next_cursor": cursor}), media_type=JSON)


def clean_tags(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise Problem(422, "tags must be a list of strings")
    tags = sorted({tag.strip().lower() for tag in value})
    if len(tags) > 20 or not all(1 <= len(tag) <= 50 for tag in tags):
        raise Problem(422, "invalid tags")
    return tags


def clean_title(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 200:
        raise Problem(422, "title must be 1 to 200 characters")
    return value.strip()


def clean_due(value: Any) -> date | None:
    try:
        return None if value is None else date.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise Problem(422, "invalid due_date") from error


async def body_of(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError as error:
        raise Problem(422, "invalid JSON") from error
    if not isinstance(body, dict):
        raise Problem(422, "expected an object")
    return body


async def write_tags(conn: Any, todo_id: uuid.UUID, list_id: uuid.UUID, tags: list[str]) -> None:
    if tags:
        ids = [uuid.uuid5(list_id, tag) for tag in tags]
        await conn.execute(INSERT_TAGS, ids, list_id, tags)
        await conn.execute(INSERT_LINKS, todo_id, ids, list(range(len(tags))))


def list_id_of(body: dict[str, Any], user: uuid.UUID) -> uuid.UUID:
    """The list a create goes to: `list_id`, or the caller's Inbox (whose id is the user's)."""
    value = body.get("list_id")
    if value is None:
        return user
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError) as error:
        raise Problem(422, "list_id is not a UUID") from error


async def create_todo(request: Request) -> Response:
    user = await user_of(request)
    body = await body_of(request)
    list_id = list_id_of(body, user)
    title = clean_title(body.get("title"))
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > 10_000:
        raise Problem(422, "invalid description")
    priority = PRIORITY_RANK.get(body.get("priority", "normal"))
    if priority is None:
        raise Problem(422, "invalid priority")
    due, tags = clean_due(body.get("due_date")), clean_tags(body.get("tags", []))
    todo_id, now = uuid.uuid4(), datetime.now(UTC)
    async with pool(request).acquire() as conn, conn.transaction():
        may_write(await conn.fetchval(HOLD_ROLE, list_id, user))
        await conn.execute(
            INSERT_TODO, todo_id, list_id, title, title.lower(), description, priority, due, now
        )
        await write_tags(conn, todo_id, list_id, tags)
    row = (todo_id, title, description, "open", priority, due, now, now, None, 1, list_id)
    location = f"/api/v1/todos/{todo_id}"
    return todo_response(todo_json(row, tags), 201, Location=location)


async def update_todo(request: Request) -> Response:
    user, todo_id = await user_of(request), todo_id_of(request)
    body = await body_of(request)
    if_match = request.headers.get("if-match")
    async with pool(request).acquire() as conn, conn.transaction():
        current, role = await fetch_todo(conn, todo_id, user, HOLD_TODO)
        may_write(role)
        list_id = uuid.UUID(current["list_id"])
        if if_match is not None and if_match.strip() != f'"{current["version"]}"':
            raise Problem(412, "The resource has changed since the version in If-Match.")
        new = dict(current)
        if "title" in body:
            new["title"] = clean_title(body["title"])
        if "description" in body:
            new["description"] = body["description"]
        if "priority" in body:
            if body["priority"] not in PRIORITY_RANK:
                raise Problem(422, "invalid priority")
            new["priority"] = body["priority"]
        if "status" in body:
            if body["status"] not in ("open", "done"):
                raise Problem(422, "invalid status")
            new["status"] = body["status"]
        if "due_date" in body:
            new["due_date"] = _iso(clean_due(body["due_date"]))
        if "tags" in body:
            new["tags"] = clean_tags(body["tags"])
        if new == current:
            return todo_response(current)
        now = datetime.now(UTC)
        if new["status"] == "done":
            completed = datetime.fromisoformat(current["completed_at"] or now.isoformat())
        else:
            completed = None
        new |= {
            "updated_at": now.isoformat(),
            "completed_at": _iso(completed),
            "version": current["version"] + 1,
        }
        status = await conn.execute(
            UPDATE_TODO,
            todo_id,
            list_id,
            current["version"],
            new["title"],
            new["title"].lower(),
            new["description"],
            new["status"],
            PRIORITY_RANK[new["priority"]],
            None if new["due_date"] is None else date.fromisoformat(new["due_date"]),
            now,
            completed,
            new["version"],
        )
        if status != "UPDATE 1":
            raise Problem(412, "The resource has changed since the version in If-Match.")
        await conn.execute(DELETE_LINKS, todo_id)
        await write_tags(conn, todo_id, list_id, new["tags"])
    return todo_response(new)


async def live(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type=JSON)


async def on_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, Problem)
    return problem(error.status, error.detail)


DSN = os.environ.get("BENCH_DSN", "")
SECRET = os.environ.get("BENCH_SECRET", "")
POOL_SIZE = int(os.environ.get("BENCH_POOL", "20"))


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # The service's session settings (todo_sql.engine), so the database does the same work.
    settings: Mapping[str, str] = {
        "application_name": "floor",
        "timezone": "UTC",
        "max_parallel_workers_per_gather": "0",
    }
    app.state.pool = await asyncpg.create_pool(
        DSN, min_size=POOL_SIZE, max_size=POOL_SIZE, server_settings=dict(settings)
    )
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(
    routes=[
        Route("/health/live", live),
        Route("/api/v1/todos", list_todos, methods=["GET"]),
        Route("/api/v1/todos", create_todo, methods=["POST"]),
        Route("/api/v1/todos/{todo_id}", get_todo, methods=["GET"]),
        Route("/api/v1/todos/{todo_id}", update_todo, methods=["PATCH"]),
    ],
    exception_handlers={Problem: on_problem},
    lifespan=lifespan,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "floor:app",
        app_dir=str(Path(__file__).parent),
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
        server_header=False,
    )


if __name__ == "__main__":
    main()
