"""The cluster the failover tests run on (one leader, a synchronous standby that has every
acknowledged commit, nothing left behind once stopped), and the engine in front of it: no
leader is "unavailable", a standby is never written to."""

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import exc, text

import pgcluster
from todo_domain import StorageUnavailable
from todo_sql import create_engine
from todo_sql.engine import ServerNotReady
from todo_sql.errors import unavailable_error

pytestmark = pytest.mark.cluster


async def _scalar(url: str, query: str) -> object:
    engine = create_engine(url, pool_size=1, statement_timeout=None)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(query))).scalar_one()
    finally:
        await engine.dispose()


async def test_one_leader_and_a_synchronous_standby(
    healthy_cluster: pgcluster.Cluster,
) -> None:
    cluster = healthy_cluster
    leader, standby = cluster.leader(), cluster.sync_standby()
    for node in cluster.nodes:
        in_recovery = await _scalar(cluster.node_url(node), "SELECT pg_is_in_recovery()")
        assert in_recovery is (node != leader), node.name
    synchronous = await _scalar(
        cluster.node_url(leader),
        "SELECT string_agg(application_name, ',') FROM pg_stat_replication"
        " WHERE sync_state = 'sync'",
    )
    assert synchronous == standby.name
    assert await _scalar(cluster.node_url(leader), "SHOW synchronous_commit") == "on"


def test_stopping_leaves_no_process_and_no_directory(cluster_tools: None) -> None:
    """Even a postmaster whose Patroni was killed (so that nobody stops it) is ended."""
    cluster = pgcluster.Cluster.create()
    try:
        cluster.start()
        node = cluster.nodes[0]
        orphan = cluster.postmaster_pid(node)
        (patroni,) = _running_with(str(node.config))
        os.kill(patroni, signal.SIGKILL)
    finally:
        cluster.stop()
    assert not cluster.directory.exists()
    assert not _alive(orphan)
    assert _running_with(str(cluster.directory)) == []


def _running_with(argument: str) -> list[int]:
    """The live processes whose command line contains `argument`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if argument.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
    return [pid for pid in pids if _alive(pid)]


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent to reap it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


async def test_a_cluster_url_without_its_leader_is_unavailable_after_the_connect_timeout(
    healthy_cluster: pgcluster.Cluster,
) -> None:
    """Both standbys answer, neither takes writes: `ServerNotReady`, a "cannot be reached"."""
    cluster = healthy_cluster
    leader = cluster.leader()
    standbys = [node for node in cluster.nodes if node != leader]
    hosts = "&".join(f"host={node.address}" for node in standbys)
    url = f"postgresql+asyncpg://postgres@/postgres?{hosts}&target_session_attrs=read-write"
    engine = create_engine(url, pool_size=1, connect_timeout=1.0)
    started = time.monotonic()
    try:
        with pytest.raises(ServerNotReady) as raised:
            await engine.connect()
    finally:
        await engine.dispose()

    assert 0.5 <= time.monotonic() - started < 2.5
    assert isinstance(unavailable_error(raised.value), StorageUnavailable)


async def test_a_write_that_meets_a_standby_drops_the_connection_as_lost(
    healthy_cluster: pgcluster.Cluster,
) -> None:
    """A connection made without target_session_attrs (or to a leader since demoted): the
    refused write is a lost connection, answered 503, and the pool starts afresh."""
    standby = healthy_cluster.sync_standby()
    engine = create_engine(healthy_cluster.node_url(standby), pool_size=1)
    try:
        with pytest.raises(exc.DBAPIError) as raised:
            async with engine.begin() as connection:
                await connection.execute(text("CREATE TABLE refused (x integer)"))
    finally:
        await engine.dispose()

    assert raised.value.connection_invalidated
    assert isinstance(unavailable_error(raised.value), StorageUnavailable)
