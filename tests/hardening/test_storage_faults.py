"""Database faults against the real server: starting while PostgreSQL is down, recovering
without a restart, and losing no acknowledged write when connections are cut under load
(PostgreSQL, MariaDB) or the write lock is held by someone else (SQLite). Plus, in process: a
failing commit is never a 201."""

import asyncio
import contextlib
import json
import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest
from dependency_injector import providers
from sqlalchemy import event, exc, make_url, text

from api.conftest import cheap_hasher
from api.support import (
    PASSWORD,
    TEST_KEY,
    assert_problem,
    new_account,
    settings_for,
    unique_email,
)
from sqldb import empty_database, migrated_url
from todo_api import create_app
from todo_sql import create_engine
from todo_sql.migrations import upgrade

from .servers import all_todos, proxy_to, running_service, signed_up

CONNECT_TIMEOUT = 2.0
RECOVERY_BOUND = 30.0
# An answer may take the connect timeout plus the pool's own wait; never more than this.
ANSWER_BOUND = CONNECT_TIMEOUT * 2 + 3.0


def _token() -> str:
    """A genuine token: whether its session is current is then the database's to say."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(uuid4()),
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid4().hex,
        "cv": 1,
    }
    return jwt.encode(claims, TEST_KEY, algorithm="HS256")


async def _timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await call
    return response, time.monotonic() - started


def _assert_unavailable(response: httpx.Response) -> None:
    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) > 0


async def test_starts_while_the_database_is_down_and_recovers_without_a_restart(
    tmp_path: Path,
) -> None:
    async with empty_database("postgresql") as url, proxy_to(5432) as proxy:
        await asyncio.to_thread(upgrade, url)
        behind_proxy = make_url(url).set(port=proxy.port).render_as_string(hide_password=False)
        env = {
            "TODO_DATABASE_URL": behind_proxy,
            "TODO_SECRET_KEY": TEST_KEY,
            "TODO_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
            "TODO_POOL_TIMEOUT": str(CONNECT_TIMEOUT),
        }
        # The proxy is down: connections to the database are refused.
        async with (
            running_service(env, tmp_path / "server.log") as base,
            httpx.AsyncClient(base_url=base, timeout=ANSWER_BOUND * 2) as http,
        ):
            auth = {"Authorization": f"Bearer {_token()}"}
            assert (await http.get("/health/live")).status_code == 200
            for call in (
                http.get("/health/ready"),
                http.post("/api/v1/users", json={"email": unique_email(), "password": PASSWORD}),
                http.get("/api/v1/todos", headers=auth),
                http.post("/api/v1/todos", json={"title": "x"}, headers=auth),
            ):
                response, seconds = await _timed(call)
                _assert_unavailable(response)
                assert seconds < ANSWER_BOUND

            # A database that accepts connections and never answers: bounded by the timeout.
            await proxy.blackhole()
            response, seconds = await _timed(http.get("/api/v1/todos", headers=auth))
            _assert_unavailable(response)
            assert seconds < ANSWER_BOUND
            response, seconds = await _timed(http.get("/health/ready"))
            _assert_unavailable(response)
            assert seconds < ANSWER_BOUND

            await proxy.down()
            await proxy.up()
            back = time.monotonic()
            while (await http.get("/health/ready")).status_code != 200:
                assert time.monotonic() - back < RECOVERY_BOUND, "no recovery"
                await asyncio.sleep(0.05)
            recovery = time.monotonic() - back
            print(f"\nready again {recovery:.2f}s after the database came back")

            email = unique_email()
            registered = await http.post(
                "/api/v1/users", json={"email": email, "password": PASSWORD}
            )
            assert registered.status_code == 201, registered.text
            token = await http.post(
                "/api/v1/auth/token", data={"username": email, "password": PASSWORD}
            )
            mine = {"Authorization": f"Bearer {token.json()['access_token']}"}
            created = await http.post("/api/v1/todos", json={"title": "after"}, headers=mine)
            assert created.status_code == 201


WRITERS = 8
WRITES_EACH = 40
CUT_EVERY = 0.15


def _on_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def _terminate_postgresql_backends(url: str) -> int:
    """Terminates every connection of the service to its database (`application_name`)."""
    database = make_url(url).database
    admin = create_engine(_on_database(url, "postgres"), pool_size=1)
    try:
        async with admin.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = :db AND application_name = 'todo'"
                ),
                {"db": database},
            )
            return int(result.scalar_one())
    finally:
        await admin.dispose()


async def _kill_mariadb_connections(url: str) -> int:
    """`KILL CONNECTION` for every connection of the service to its database."""
    database = make_url(url).database
    admin = create_engine(_on_database(url, "mysql"), pool_size=1)
    killed = 0
    try:
        async with admin.connect() as connection:
            ids = (
                await connection.execute(
                    text(
                        "SELECT id FROM information_schema.processlist"
                        " WHERE db = :db AND id <> CONNECTION_ID()"
                    ),
                    {"db": database},
                )
            ).scalars()
            for connection_id in ids:
                with contextlib.suppress(exc.DBAPIError):  # gone by itself meanwhile
                    await connection.execute(text(f"KILL CONNECTION {int(connection_id)}"))
                    killed += 1
    finally:
        await admin.dispose()
    return killed


CUTTERS = {
    "postgresql": _terminate_postgresql_backends,
    "mariadb": _kill_mariadb_connections,
}


@pytest.mark.parametrize("backend", list(CUTTERS))
async def test_cut_connections_under_write_load_lose_no_acknowledged_write(
    backend: str, tmp_path: Path
) -> None:
    async with empty_database(backend) as url:
        env = {
            "TODO_DATABASE_URL": url,
            "TODO_SECRET_KEY": TEST_KEY,
            "TODO_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
            "TODO_LOG_LEVEL": "WARNING",
        }
        async with (
            running_service(env, tmp_path / "server.log", workers=2, migrate=True) as base,
            httpx.AsyncClient(base_url=base, timeout=30) as http,
        ):
            auth = await signed_up(http)
            cut = CUTTERS[backend]
            writing = True

            async def cutter() -> int:
                killed = 0
                while writing:
                    await asyncio.sleep(CUT_EVERY)
                    killed += await cut(url)
                return killed

            cutting = asyncio.create_task(cutter())
            answers = await _write_load(http, auth)
            writing = False
            killed = await cutting

            print(f"\nbackends cut {killed}")
            assert killed > 0
            await _assert_no_acknowledged_write_lost(http, auth, answers)


async def test_a_locked_sqlite_database_loses_no_acknowledged_write(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock longer than the busy timeout, again and
    again, under a write load: a write that cannot get the lock in time is a 503 (never a
    409), and every acknowledged one is stored."""
    database = tmp_path / "todo.db"
    url = f"sqlite+aiosqlite:///{database}"
    env = {"TODO_DATABASE_URL": url, "TODO_SECRET_KEY": TEST_KEY, "TODO_LOG_LEVEL": "WARNING"}
    async with (
        running_service(env, tmp_path / "server.log") as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        auth = await signed_up(http)
        writing = True

        def hold_the_write_lock(seconds: float) -> None:
            locker = sqlite3.connect(database, timeout=30, isolation_level=None)
            try:
                locker.execute("BEGIN IMMEDIATE")
                time.sleep(seconds)
                locker.execute("ROLLBACK")
            finally:
                locker.close()

        async def locker() -> int:
            locks = 0
            while writing:
                await asyncio.sleep(CUT_EVERY * 4)
                await asyncio.to_thread(hold_the_write_lock, SQLITE_LOCK_SECONDS)
                locks += 1
            return locks

        locking = asyncio.create_task(locker())
        answers = await _write_load(http, auth)
        writing = False
        locks = await locking

        print(f"\nwrite locks held {locks}")
        assert locks > 0
        await _assert_no_acknowledged_write_lost(http, auth, answers)


# Longer than the busy timeout the service waits for SQLite's write lock.
SQLITE_LOCK_SECONDS = 6.0


async def _write_load(http: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, httpx.Response]:
    """`WRITERS` clients creating `WRITES_EACH` todos each; the answer to every write."""
    answers: dict[str, httpx.Response] = {}

    async def writer(number: int) -> None:
        for n in range(WRITES_EACH):
            title = f"w{number}-{n}"
            body = {"title": title, "tags": [f"a{number}", f"b{n}", "load"]}
            answers[title] = await http.post("/api/v1/todos", json=body, headers=auth)

    await asyncio.gather(*(writer(number) for number in range(WRITERS)))
    return answers


async def _assert_no_acknowledged_write_lost(
    http: httpx.AsyncClient, auth: dict[str, str], answers: dict[str, httpx.Response]
) -> None:
    """Every answer a 201 or a 503 problem; every 201 stored exactly as answered; every todo
    stored whole (all its tags) or not at all."""
    statuses = Counter(response.status_code for response in answers.values())
    print(f"answers {dict(statuses)}")
    assert set(statuses) <= {201, 503}, statuses
    for response in answers.values():
        if response.status_code == 503:
            _assert_unavailable(response)
    acknowledged = {
        title: response.json() for title, response in answers.items() if response.status_code == 201
    }
    for title, todo in acknowledged.items():
        fetched = await http.get(f"/api/v1/todos/{todo['id']}", headers=auth)
        assert fetched.status_code == 200, title
        assert fetched.json() == todo
    stored = await all_todos(http, auth)
    titles = Counter(todo["title"] for todo in stored)
    assert all(count == 1 for count in titles.values()), titles
    assert set(acknowledged) <= set(titles)
    for todo in stored:
        number, n = todo["title"][1:].split("-")
        assert todo["tags"] == sorted([f"a{number}", f"b{n}", "load"])
    print(f"acknowledged writes checked: {len(acknowledged)}, stored: {len(stored)}")


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (ConnectionResetError("connection lost during COMMIT"), 503),
        (RuntimeError("disk full"), 500),
    ],
)
async def test_a_failing_commit_is_an_error_never_a_201(failure: Exception, status: int) -> None:
    app = create_app(settings_for("sql", await migrated_url("sqlite")))
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            account = await new_account(http)
            engine = app.state.container.engine()
            failing = True

            def fail_commit(connection: Any) -> None:
                if failing:
                    raise exc.OperationalError("COMMIT", {}, failure)

            event.listen(engine.sync_engine, "commit", fail_commit)
            response = await http.post(
                "/api/v1/todos", json={"title": "doomed"}, headers=account.headers
            )
            failing = False

            body = assert_problem(response, status)
            assert "COMMIT" not in json.dumps(body)
            listed = await http.get("/api/v1/todos", headers=account.headers)
            assert listed.json()["items"] == []
