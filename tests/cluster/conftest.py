"""The replicated PostgreSQL cluster of `ops/cluster/pgcluster.py`, once per test session.

Skipped with the reason on a machine without etcd, Patroni or PostgreSQL 15; under CI=true
what is missing is installed first, and a cluster that cannot be had fails the tests."""

from collections.abc import Iterator

import pytest
from _pytest.terminal import TerminalReporter

import pgcluster
from sqldb import in_ci, unavailable


@pytest.fixture(scope="session")
def cluster_tools() -> None:
    """etcd, Patroni and PostgreSQL 15 are installed (in CI: installed now if missing)."""
    if in_ci() and pgcluster.missing():
        try:
            pgcluster.install()
        except pgcluster.ClusterError as error:
            unavailable(f"the cluster's tools could not be installed: {error}")
    if problems := pgcluster.missing():
        reason = "; ".join(problems)
        unavailable(f"no PostgreSQL cluster: {reason} (python3 ops/cluster/pgcluster.py install)")


@pytest.fixture(scope="session")
def cluster(cluster_tools: None) -> Iterator[pgcluster.Cluster]:
    try:
        with pgcluster.running() as started:
            yield started
    except pgcluster.ClusterError as error:
        pytest.fail(f"the PostgreSQL cluster failed: {error}", pytrace=False)


@pytest.fixture
def healthy_cluster(cluster: pgcluster.Cluster) -> pgcluster.Cluster:
    """The cluster with a leader and both standbys streaming: a test before may have failed
    it over, and the old leader takes a moment to rejoin."""
    try:
        cluster.wait_healthy()
    except pgcluster.ClusterError as error:
        pytest.fail(str(error), pytrace=False)
    return cluster


_FIGURES: list[str] = []


@pytest.fixture
def figures() -> list[str]:
    """Lines a test measured, printed at the end of the run (captured output is not)."""
    return _FIGURES


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("cluster figures")
        for line in _FIGURES:
            terminalreporter.line(line)
