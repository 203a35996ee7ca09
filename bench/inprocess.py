"""The cost of one request inside an app, without an HTTP server: the instrument for single
changes, where req/s under wrk moves by +-20% on this shared machine.

Calls an app's ASGI callable directly (32 concurrent callers, the load's concurrency), on the
database a `bench/run.py --keep` left (PostgreSQL, `BENCH_DSN` as that run printed it), with
tokens of its users signed by a key of this process. Reports the CPU time per request (the
best and the median of several rounds); under callgrind, the instructions per request, which
repeat to ~0.5% between runs whatever the neighbours do:

    uv run python bench/run.py --quick --keep    # prints BENCH_DSN=postgresql://...
    BENCH_DSN=postgresql://... uv run python bench/inprocess.py service get
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.out \\
        .venv/bin/python bench/inprocess.py service get --callgrind --requests 640
    # Ir of /tmp/cg.out (its `totals:` line) / 640 = instructions per request

`get` is W1 (a todo by id), `create` is W3 (POST with two tags). Creates are left in the
database (every `bench/run.py` starts from a fresh one).
"""

import argparse
import asyncio
import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import seed
import uvloop

DSN = os.environ.get("BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/todo_bench")
CALLERS = 32
BODY = (
    b'{"title": "benchmark todo", "description": "made by the load test", '
    b'"priority": "high", "due_date": "2027-01-15", "tags": ["load", "bench"]}'
)
App = Callable[..., Coroutine[Any, Any, None]]


def load_app(name: str, secret: str) -> App:
    os.environ.update(
        BENCH_DSN=DSN,
        BENCH_SECRET=secret,
        BENCH_POOL="20",
        TODO_DATABASE_URL=seed.sqlalchemy_url(DSN),
        TODO_SECRET_KEY=secret,
        TODO_POOL_SIZE="20",
        TODO_MAX_OVERFLOW="0",
        TODO_LOG_LEVEL="WARNING",
    )
    if name == "floor":
        import floor

        app: App = floor.app
        return app
    from todo_api.app import create_app_from_environment

    return create_app_from_environment()


async def samples() -> list[tuple[str, str]]:
    """(user id, todo id) of 4,000 todos of every list, each with a member of its list (who
    creates into their own Inbox)."""
    connection = await asyncpg.connect(DSN)
    try:
        rows = await connection.fetch(
            "SELECT DISTINCT ON (t.id) m.user_id, t.id FROM todos t TABLESAMPLE SYSTEM (5) "
            "JOIN memberships m ON m.list_id = t.list_id"
        )
    finally:
        await connection.close()
    return [(str(row["user_id"]), str(row["id"])) for row in rows[:4000]]


def request(kind: str, token: str, todo_id: str) -> tuple[dict[str, Any], bytes]:
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]
    if kind == "get":
        method, path, body = "GET", f"/api/v1/todos/{todo_id}", b""
    else:
        method, path, body = "POST", "/api/v1/todos", BODY
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    return scope, body


class Driver:
    def __init__(self, app: App, kind: str, secret: str, todos: list[tuple[str, str]]) -> None:
        users = sorted({user for user, _ in todos})
        minted = seed.mint_tokens(secret, [uuid.UUID(user) for user in users])
        tokens = dict(zip(users, minted, strict=True))
        self.requests = [request(kind, tokens[user], todo) for user, todo in todos]
        self.app = app
        self.statuses: Counter[int] = Counter()

    async def one(self, n: int) -> None:
        scope, body = self.requests[n % len(self.requests)]

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.statuses[message["status"]] += 1

        await self.app(dict(scope), receive, send)

    async def run(self, requests: int) -> None:
        async def caller(k: int) -> None:
            for n in range(requests // CALLERS):
                await self.one(k * 7919 + n)

        await asyncio.gather(*(caller(k) for k in range(CALLERS)))


async def lifespan(app: App) -> tuple["asyncio.Task[None]", "asyncio.Queue[dict[str, str]]"]:
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the app did not start: {started}")
    return task, inbox


def callgrind(switch: str) -> None:
    subprocess.run(
        ["callgrind_control", "-i", switch, str(os.getpid())], check=True, capture_output=True
    )


async def measure(options: argparse.Namespace) -> None:
    secret = seed.bench_secret()
    app = load_app(options.app, secret)
    task, inbox = await lifespan(app)
    driver = Driver(app, options.kind, secret, await samples())
    await driver.run(options.warmup)
    driver.statuses.clear()
    if options.callgrind:
        callgrind("on")
        await driver.run(options.requests)
        callgrind("off")
        print(f"{options.app} {options.kind}: {options.requests} requests {dict(driver.statuses)}")
    else:
        per_request: list[float] = []
        for _ in range(options.rounds):
            started = time.process_time()
            await driver.run(options.requests)
            per_request.append((time.process_time() - started) * 1e6 / options.requests)
        per_request.sort()
        print(
            f"{options.app} {options.kind}: best {per_request[0]:.0f} us CPU a request, "
            f"median {per_request[len(per_request) // 2]:.0f} {dict(driver.statuses)}"
        )
    await inbox.put({"type": "lifespan.shutdown"})
    await task


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", choices=["service", "floor"])
    parser.add_argument("kind", choices=["get", "create"])
    parser.add_argument("--requests", type=int, default=8000, help="a round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=3200)
    parser.add_argument("--callgrind", action="store_true", help="count instructions only")
    options = parser.parse_args(argv)
    if options.callgrind:
        options.warmup = min(options.warmup, 320)
    uvloop.run(measure(options))


if __name__ == "__main__":
    main()
