"""The floor: bare Starlette on an asyncpg pool, the service's SQL written by hand.

Same endpoints, same JSON shape, same database round trips as the service, and every request
authenticated with the same HS256 JWT (pyjwt), so the load is the same: what is left is the
price of the HTTP server, the JSON and the driver. Nothing else is shared with the service.

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
COLUMNS = (
    "t.id, t.title, t.description, t.status, t.priority, t.due_date, t.created_at, "
    "t.updated_at, t.completed_at, t.version"
)
GET_TODO = f"""
SELECT {COLUMNS}, g.name FROM todos t
LEFT JOIN todo_tags tt ON tt.todo_id = t.id LEFT JOIN tags g ON g.id = tt.tag_id
WHERE t.id = $1 AND t.owner_id = $2 ORDER BY tt.position"""
# A todo's tag names in their order, as an array: a page is one round trip (as the service).
TAG_NAMES = """(SELECT array_agg(g.name ORDER BY tt.position) FROM todo_tags tt
JOIN tags g ON g.id = tt.tag_id WHERE tt.todo_id = t.id)"""
INSERT_TODO = """
INSERT INTO todos (id, owner_id, title, title_lower, description, status, priority, due_date,
                   created_at, updated_at, completed_at, version)
VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $8, NULL, 1)"""
INSERT_TAGS = """
INSERT INTO tags (id, owner_id, name) SELECT u, $2, n FROM unnest($1::uuid[], $3::text[]) AS x(u, n)
ON CONFLICT (id) DO NOTHING"""
INSERT_LINKS = """
INSERT INTO todo_tags (todo_id, tag_id, position)
SELECT $1, u, p FROM unnest($2::uuid[], $3::int2[]) AS x(u, p)"""
UPDATE_TODO = """
UPDATE todos SET title = $4, title_lower = $5, description = $6, status = $7, priority = $8,
       due_date = $9, updated_at = $10, completed_at = $11, version = $12
WHERE id = $1 AND owner_id = $2 AND version = $3"""
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
    }


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def todo_response(body: dict[str, Any], status: int = 200, **headers: str) -> Response:
    headers["ETag"] = f'"{body["version"]}"'
    return Response(dumps(body), status, headers=headers, media_type=JSON)


def user_of(request: Request) -> uuid.UUID:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "Authentication required")
    try:
        claims = jwt.decode(
            token, SECRET, algorithms=["HS256"], options={"require": ["sub", "iat", "exp"]}
        )
        return uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise Problem(401, "Invalid token") from error


def todo_id_of(request: Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.path_params["todo_id"])
    except ValueError as error:
        raise Problem(422, "todo_id is not a UUID") from error


def pool(request: Request) -> asyncpg.Pool:
    result: asyncpg.Pool = request.app.state.pool
    return result


async def fetch_todo(conn: Any, todo_id: uuid.UUID, owner: uuid.UUID) -> dict[str, Any]:
    rows = await conn.fetch(GET_TODO, todo_id, owner)
    if not rows:
        raise Problem(404, "The todo does not exist.")
    return todo_json(rows[0], [row[10] for row in rows if row[10] is not None])


async def get_todo(request: Request) -> Response:
    owner, todo_id = user_of(request), todo_id_of(request)
    async with pool(request).acquire() as conn:
        return todo_response(await fetch_todo(conn, todo_id, owner))


_LIST_SQL: dict[tuple[str, ...], str] = {}


def list_sql(filters: tuple[str, ...]) -> str:
    """The page statement for this set of filters ($1 owner, $2 limit, then one per filter)."""
    if filters not in _LIST_SQL:
        where = ["t.owner_id = $1"]
        for n, name in enumerate(filters, start=3):
            if name == "tag":  # as the service: the tag's id, then a probe per todo
                where.append(
                    f"EXISTS (SELECT 1 FROM todo_tags tt WHERE tt.todo_id = t.id AND tt.tag_id "
                    f"= (SELECT g.id FROM tags g WHERE g.owner_id = $1 AND g.name = ${n}))"
                )
            elif name == "after":
                where.append(f"t.created_at <= ${n} AND (t.created_at < ${n} OR t.id < ${n + 1})")
            else:
                where.append(f"t.{name} = ${n}")
        _LIST_SQL[filters] = (
            f"SELECT {COLUMNS}, {TAG_NAMES} FROM todos t WHERE {' AND '.join(where)} "
            "ORDER BY t.created_at DESC, t.id DESC LIMIT $2"
        )
    return _LIST_SQL[filters]


async def list_todos(request: Request) -> Response:
    owner = user_of(request)
    query = request.query_params
    try:
        limit = int(query.get("limit", "20"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise Problem(422, "limit must be between 1 and 100")
    filters: list[str] = []
    params: list[Any] = [owner, limit + 1]
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
    items = [todo_json(row, row[10] or []) for row in shown]
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


async def write_tags(conn: Any, todo_id: uuid.UUID, owner: uuid.UUID, tags: list[str]) -> None:
    if tags:
        ids = [uuid.uuid5(owner, tag) for tag in tags]
        await conn.execute(INSERT_TAGS, ids, owner, tags)
        await conn.execute(INSERT_LINKS, todo_id, ids, list(range(len(tags))))


async def create_todo(request: Request) -> Response:
    owner = user_of(request)
    body = await body_of(request)
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
        await conn.execute(
            INSERT_TODO, todo_id, owner, title, title.lower(), description, priority, due, now
        )
        await write_tags(conn, todo_id, owner, tags)
    row = (todo_id, title, description, "open", priority, due, now, now, None, 1)
    location = f"/api/v1/todos/{todo_id}"
    return todo_response(todo_json(row, tags), 201, Location=location)


async def update_todo(request: Request) -> Response:
    owner, todo_id = user_of(request), todo_id_of(request)
    body = await body_of(request)
    if_match = request.headers.get("if-match")
    async with pool(request).acquire() as conn, conn.transaction():
        current = await fetch_todo(conn, todo_id, owner)
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
            owner,
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
        await write_tags(conn, todo_id, owner, new["tags"])
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
