"""A lock held by another session, against `todo-api serve` with TODO_STATEMENT_TIMEOUT: the
API answers 503 + Retry-After within a bound of the timeout instead of waiting as long as the
lock lasts, readiness says not ready, and once the lock is gone everything works again with
nothing acknowledged lost."""

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url, text

from api.support import PASSWORD, TEST_KEY, assert_problem, unique_email
from builders import make_user
from sqldb import empty_database
from todo_api.container import SqlProbe
from todo_domain import StorageBusy
from todo_sql import SqlUnitOfWorkFactory, create_engine
from todo_sql.migrations import upgrade
from todo_sql.unit_of_work import CLIENT_GRACE

from .servers import all_todos, proxy_to, running_service

STATEMENT_TIMEOUT = 1.5
BOUND = 3 * STATEMENT_TIMEOUT  # an upper bound on an answer, not a speed
TABLE_LOCK = {
    "postgresql": "LOCK TABLE todos IN ACCESS EXCLUSIVE MODE",
    "mariadb": "LOCK TABLES todos WRITE",
}


def _env(url: str) -> dict[str, str]:
    return {
        "TODO_DATABASE_URL": url,
        "TODO_SECRET_KEY": TEST_KEY,
        "TODO_STATEMENT_TIMEOUT": str(STATEMENT_TIMEOUT),
        "TODO_LOG_LEVEL": "WARNING",
    }


async def _account(http: httpx.AsyncClient) -> dict[str, str]:
    email = unique_email()
    registered = await http.post("/api/v1/users", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    token = await http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def _busy_within_bound(call: Any) -> float:
    started = time.monotonic()
    response: httpx.Response = await call
    seconds = time.monotonic() - started
    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) > 0
    assert seconds < BOUND, seconds
    return seconds


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
async def test_a_locked_todos_table_is_503_within_the_statement_timeout_then_recovers(
    backend: str, tmp_path: Path
) -> None:
    async with (
        empty_database(backend) as url,
        running_service(_env(url), tmp_path / "server.log", migrate=True) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
    ):
        auth = await _account(http)
        kept = await http.post("/api/v1/todos", json={"title": "before"}, headers=auth)
        assert kept.status_code == 201
        location = kept.headers["location"]

        admin = create_engine(url, pool_size=1, max_overflow=0, statement_timeout=None)
        holder = await admin.connect()
        try:
            await holder.begin()
            await holder.execute(text(TABLE_LOCK[backend]))
            seconds = [
                await _busy_within_bound(call)
                for call in (
                    http.get("/api/v1/todos", headers=auth),
                    http.post("/api/v1/todos", json={"title": "during"}, headers=auth),
                    http.get(location, headers=auth),
                    http.get("/health/ready"),
                )
            ]
            print(f"\n{backend}: 503 after {', '.join(f'{s:.2f}s' for s in seconds)}")
        finally:
            if backend == "mariadb":
                await holder.execute(text("UNLOCK TABLES"))
            await holder.rollback()
            await holder.close()
            await admin.dispose()

        assert (await http.get("/health/ready")).status_code == 200
        after = await http.post("/api/v1/todos", json={"title": "after"}, headers=auth)
        assert after.status_code == 201
        fetched = await http.get(location, headers=auth)
        assert fetched.json() == kept.json()
        titles = sorted(todo["title"] for todo in await all_todos(http, auth))
        assert titles == ["after", "before"]


async def test_a_sqlite_file_held_by_another_writer_is_503_for_writes_only(
    tmp_path: Path,
) -> None:
    database = tmp_path / "todo.db"
    async with (
        running_service(_env(f"sqlite+aiosqlite:///{database}"), tmp_path / "server.log") as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
    ):
        auth = await _account(http)
        kept = await http.post("/api/v1/todos", json={"title": "before"}, headers=auth)
        assert kept.status_code == 201

        other = sqlite3.connect(database, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            seconds = await _busy_within_bound(
                http.post("/api/v1/todos", json={"title": "during"}, headers=auth)
            )
            print(f"\nsqlite: a write 503 after {seconds:.2f}s")
            # Readers never wait for the writer (WAL).
            listed = await http.get("/api/v1/todos", headers=auth)
            assert listed.status_code == 200
            assert (await http.get("/health/ready")).status_code == 200
            other.execute("ROLLBACK")
        finally:
            other.close()

        after = await http.post("/api/v1/todos", json={"title": "after"}, headers=auth)
        assert after.status_code == 201
        titles = sorted(todo["title"] for todo in await all_todos(http, auth))
        assert titles == ["after", "before"]


async def test_a_database_that_stops_answering_ends_a_statement_and_its_connection() -> None:
    """No server-side timeout can fire when the server hangs: the unit of work's own bound
    ends the statement, and its connection (half-used) never serves anyone again."""
    async with empty_database("postgresql") as url, proxy_to(5432) as proxy:
        await asyncio.to_thread(upgrade, url)
        await proxy.up()
        behind_proxy = make_url(url).set(port=proxy.port).render_as_string(hide_password=False)
        engine = create_engine(behind_proxy, pool_size=1, max_overflow=0, statement_timeout=1.0)
        sql = SqlUnitOfWorkFactory(engine, statement_timeout=1.0)
        owner = make_user()
        try:
            async with sql() as uow:
                await uow.users.add(owner)
            proxy.freeze()
            started = time.monotonic()
            with pytest.raises(StorageBusy):
                async with asyncio.timeout(60), sql() as uow:
                    await uow.users.get(owner.id)
            assert time.monotonic() - started < 3 * (1.0 + CLIENT_GRACE)
            await proxy.up()
            async with asyncio.timeout(60), sql() as uow:  # a fresh connection
                assert await uow.users.get(owner.id) == owner
        finally:
            await engine.dispose()


async def test_readiness_gives_up_on_a_database_that_never_answers() -> None:
    async with proxy_to(5432) as proxy:
        await proxy.blackhole()
        engine = create_engine(
            f"postgresql+asyncpg://postgres@127.0.0.1:{proxy.port}/test", connect_timeout=60
        )
        probe = SqlProbe(engine, timeout=0.5)
        try:
            started = time.monotonic()
            async with asyncio.timeout(30) as outer:
                with pytest.raises(TimeoutError):
                    await probe.check()
            assert not outer.expired()
            assert time.monotonic() - started < 10
        finally:
            await engine.dispose()
