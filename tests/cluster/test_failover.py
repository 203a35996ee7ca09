"""`todo-api serve --workers 2` on the replicated cluster, under a load of writers and readers,
while the leader crashes (SIGKILL to its postmaster) and while it hands over (a planned
switchover): no acknowledged write is lost, nothing but a 503 problem with Retry-After fails,
no request outlives the configured timeouts, and the service follows the new leader without
a restart. The figures measured are printed at the end of the run ("cluster figures")."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import text

import pgcluster
from api.support import TEST_KEY
from hardening.servers import concurrent_client, running_service, signed_up
from todo_sql import create_engine

from .load import (
    assert_no_acknowledged_write_lost,
    assert_unavailable_problems,
    running_load,
    statuses,
    unanswered,
)

pytestmark = pytest.mark.cluster

CONNECT_TIMEOUT = 4.0
STATEMENT_TIMEOUT = 2.0
# A unit of work may wait out the connect timeout for a leader, and a read whose connection
# died runs once more on a new one; a statement is given up 1 s after its timeout; and two
# seconds for a machine this busy.
ANSWER_BOUND = 2 * CONNECT_TIMEOUT + STATEMENT_TIMEOUT + 1 + 2
# A killed postmaster fails over in seconds; the leader key's ttl (20 s) is the most it waits.
RECOVERY_BOUND = 20.0
WRITERS = 4
BEFORE = 3.0  # seconds of load before the fault
AFTER = 3.0  # and after the first write acknowledged by the new leader


@pytest.fixture
async def served(
    healthy_cluster: pgcluster.Cluster, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The service on a fresh database of the cluster, named by every host as an operator
    would (libpq's form), and a client for it."""
    cluster = healthy_cluster
    database = f"todo_failover_{uuid4().hex[:8]}"
    await _administer(cluster, f"CREATE DATABASE {database}")
    env = {
        "TODO_DATABASE_URL": cluster.database_url(database),
        "TODO_SECRET_KEY": TEST_KEY,
        "TODO_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
        "TODO_POOL_TIMEOUT": str(CONNECT_TIMEOUT),
        "TODO_STATEMENT_TIMEOUT": str(STATEMENT_TIMEOUT),
        "TODO_LOG_LEVEL": "WARNING",
    }
    try:
        async with (
            running_service(env, tmp_path / "server.log", workers=2, migrate=True) as base,
            concurrent_client(base, 4 * WRITERS, timeout=ANSWER_BOUND + 5) as http,
        ):
            yield http
    finally:
        await asyncio.to_thread(cluster.wait_healthy)  # the old leader rejoins first
        await _administer(cluster, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


async def _administer(cluster: pgcluster.Cluster, statement: str) -> None:
    engine = create_engine(cluster.node_url(cluster.leader()), pool_size=1, statement_timeout=None)
    try:
        async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def test_a_crashed_leader_loses_no_acknowledged_write(
    healthy_cluster: pgcluster.Cluster, served: httpx.AsyncClient, figures: list[str]
) -> None:
    cluster, http = healthy_cluster, served
    auths = [await signed_up(http) for _ in range(WRITERS)]
    leader = cluster.leader()
    async with running_load(http, auths) as load:
        await asyncio.sleep(BEFORE)
        killed_at = time.monotonic()
        cluster.kill_postmaster(leader)
        first = await load.first_write_after(killed_at, RECOVERY_BOUND)
        await asyncio.sleep(AFTER)

    assert not unanswered(load), unanswered(load)
    assert first is not None, f"no write acknowledged within {RECOVERY_BOUND} s of the kill"
    assert cluster.leader() != leader
    assert_unavailable_problems(load)
    stored = await assert_no_acknowledged_write_lost(load)
    longest = max(answer.took for answer in load.answers)
    assert longest < ANSWER_BOUND
    before = [a for a in load.writes(201) if a.finished < killed_at]
    figures.append(
        f"crash of the leader ({leader.name} -> {cluster.leader().name}):"
        f" first write acknowledged {first.finished - killed_at:.2f} s after the kill,"
        f" longest gap between two {load.longest_write_gap():.2f} s;"
        f" writes acknowledged {len(before)} before, {len(load.writes(201)) - len(before)} after;"
        f" 503s: {len(load.writes(503))} writes, {len(load.reads(503))} reads"
        f" of {len(load.writes())} and {len(load.reads())};"
        f" {stored} todos stored; longest answer {longest:.2f} s (bound {ANSWER_BOUND:.0f} s)"
    )


async def test_a_switchover_fails_no_read_and_writes_only_with_503(
    healthy_cluster: pgcluster.Cluster, served: httpx.AsyncClient, figures: list[str]
) -> None:
    cluster, http = healthy_cluster, served
    auths = [await signed_up(http) for _ in range(WRITERS)]
    leader = cluster.leader()
    async with running_load(http, auths) as load:
        await asyncio.sleep(BEFORE)
        started = time.monotonic()
        await asyncio.to_thread(cluster.switchover)
        switched = time.monotonic() - started
        first = await load.first_write_after(started + switched, RECOVERY_BOUND)
        await asyncio.sleep(AFTER)

    assert not unanswered(load), unanswered(load)
    assert first is not None
    assert cluster.leader() != leader
    assert statuses(load.reads()).keys() == {200}, statuses(load.reads())
    assert_unavailable_problems(load)
    stored = await assert_no_acknowledged_write_lost(load)
    longest = max(answer.took for answer in load.answers)
    assert longest < ANSWER_BOUND
    figures.append(
        f"switchover ({leader.name} -> {cluster.leader().name}) in {switched:.2f} s:"
        f" {len(load.reads())} reads, none failed; {len(load.writes(201))} writes acknowledged"
        f" (longest gap between two {load.longest_write_gap():.2f} s),"
        f" {len(load.writes(503))} answered 503; {stored} todos stored;"
        f" longest answer {longest:.2f} s"
    )
