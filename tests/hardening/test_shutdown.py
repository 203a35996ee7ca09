"""Graceful shut-down of the real server on real PostgreSQL: SIGTERM while requests hang on a
table another session has locked (for longer than the shut-down timeout). Every process exits
within `TODO_SHUTDOWN_TIMEOUT`, the requests in flight are answered, and every write that was
acknowledged before is still there."""

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection

from api.support import PASSWORD, TEST_KEY, assert_problem, unique_email
from sqldb import empty_database
from todo_sql import create_engine

from .servers import running_process

SHUTDOWN_TIMEOUT = 3
# The service keeps the last fifth of its timeout for the processes to end; on a busy machine
# an interpreter's teardown may take a little longer.
EXIT_MARGIN = 1.5
# Held for longer than the service may take to exit: the lock never lets a request finish.
LOCK_HELD_FOR = SHUTDOWN_TIMEOUT + EXIT_MARGIN + 20.0
ACKNOWLEDGED = 10
IN_FLIGHT = 6
WAIT_BOUND = 20.0


async def _waiting_on_locks(connection: AsyncConnection, database: str) -> int:
    count = await connection.scalar(
        text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = :database AND wait_event_type = 'Lock'"
        ),
        {"database": database},
    )
    await connection.rollback()  # pg_stat_activity is a snapshot taken once a transaction
    return int(count or 0)


async def _until_waiting(connection: AsyncConnection, database: str, expected: int) -> None:
    deadline = time.monotonic() + WAIT_BOUND
    while await _waiting_on_locks(connection, database) < expected:
        assert time.monotonic() < deadline, "the requests never reached the lock"
        await asyncio.sleep(0.1)


async def _until_sessions(connection: AsyncConnection, database: str, expected: int) -> None:
    deadline = time.monotonic() + WAIT_BOUND
    while True:
        count = await connection.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = :database"),
            {"database": database},
        )
        await connection.rollback()
        if count == expected:
            return
        assert time.monotonic() < deadline, f"{count} sessions on the database, not {expected}"
        await asyncio.sleep(0.1)


def _wait_for_exit(process: "subprocess.Popen[bytes]", bound: float) -> float:
    """Seconds until the process exited, and none of its group is left (its workers)."""
    started = time.monotonic()
    try:
        process.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {bound}s after SIGTERM")
    while True:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return time.monotonic() - started
        assert time.monotonic() - started < bound, "a worker outlived its supervisor"
        time.sleep(0.05)


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_with_requests_hung_on_a_lock_exits_within_the_timeout(
    tmp_path: Path, workers: int
) -> None:
    async with empty_database("postgresql") as url:
        database = make_url(url).database or ""
        env = {
            "TODO_DATABASE_URL": url,
            "TODO_SECRET_KEY": TEST_KEY,
            "TODO_SHUTDOWN_TIMEOUT": str(SHUTDOWN_TIMEOUT),
        }
        locker = create_engine(url, pool_size=2, max_overflow=0)
        try:
            async with (
                running_process(env, tmp_path / "server.log", workers=workers, migrate=True) as (
                    base,
                    process,
                ),
                httpx.AsyncClient(base_url=base, timeout=LOCK_HELD_FOR * 2) as http,
            ):
                email = unique_email()
                registered = await http.post(
                    "/api/v1/users", json={"email": email, "password": PASSWORD}
                )
                assert registered.status_code == 201
                token = await http.post(
                    "/api/v1/auth/token", data={"username": email, "password": PASSWORD}
                )
                auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
                acknowledged = set()
                for number in range(ACKNOWLEDGED):
                    created = await http.post(
                        "/api/v1/todos", json={"title": f"before {number}"}, headers=auth
                    )
                    assert created.status_code == 201
                    acknowledged.add(created.json()["id"])

                async with locker.connect() as lock, locker.connect() as watch:
                    await lock.execute(text("LOCK TABLE todos IN ACCESS EXCLUSIVE MODE"))
                    in_flight = [
                        asyncio.create_task(
                            http.post(
                                "/api/v1/todos", json={"title": f"during {number}"}, headers=auth
                            )
                            if number % 2
                            else http.get("/api/v1/todos", headers=auth)
                        )
                        for number in range(IN_FLIGHT)
                    ]
                    await _until_waiting(watch, database, IN_FLIGHT)

                    os.killpg(process.pid, signal.SIGTERM)
                    seconds = await asyncio.to_thread(
                        _wait_for_exit, process, SHUTDOWN_TIMEOUT + EXIT_MARGIN
                    )
                    print(f"\nexited {seconds:.2f}s after SIGTERM ({workers} worker(s))")

                    answers = await asyncio.gather(*in_flight, return_exceptions=True)
                    # The service left no session behind, none still waiting on the lock.
                    await _until_sessions(watch, database, 2)
                    await lock.rollback()
                for answer in answers:
                    assert isinstance(answer, httpx.Response), repr(answer)
                    if answer.status_code == 201:
                        acknowledged.add(answer.json()["id"])
                    else:
                        assert_problem(answer, 503)
                        assert int(answer.headers["retry-after"]) > 0

            assert "Traceback" not in (tmp_path / "server.log").read_text()
            async with locker.connect() as check:
                ids = await check.scalars(text("SELECT id FROM todos"))
                stored = {str(row) for row in ids}
            assert acknowledged <= stored
        finally:
            await locker.dispose()
