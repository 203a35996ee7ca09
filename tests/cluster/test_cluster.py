"""The cluster the failover tests run on: one leader, a synchronous standby that has every
acknowledged commit, and nothing left behind once it is stopped."""

import contextlib
import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import text

import pgcluster
from todo_sql import create_engine

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
