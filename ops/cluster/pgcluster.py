"""A replicated PostgreSQL 15 cluster on this machine: three nodes managed by Patroni, with one
etcd as Patroni's store, on loopback ports. For the failover tests (`tests/cluster/`) and for
trying a failover by hand; see README.md beside this file.

    python3 ops/cluster/pgcluster.py install   # etcd (apt-get) and Patroni (a venv) if missing
    python3 ops/cluster/pgcluster.py up        # runs a cluster until Ctrl-C, then removes it

Standard library only, so that any Python 3.11 runs it. Every wait is bounded and says what it
waited for; `Cluster.stop` leaves no process and no directory behind.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"  # Patroni and its dependencies, pinned with hashes
PG_BIN = Path(os.environ.get("PGCLUSTER_PG_BIN", "/usr/lib/postgresql/15/bin"))
# Patroni runs as the PostgreSQL user, who cannot read a Python under root's home directory.
VENV_PYTHON = os.environ.get("PGCLUSTER_PYTHON", "/usr/bin/python3")
SERVICE_USER = "postgres"  # who runs etcd, Patroni and PostgreSQL when this runs as root
SCOPE = "todo"
NODES = 3

INSTALL_TIMEOUT = 600.0
START_TIMEOUT = 120.0  # three nodes stream with a synchronous standby in ~11 s here
STOP_TIMEOUT = 30.0
POLL = 0.2

# Patroni's timings for a test: it raises a ttl below 20 to 20, so losing a whole node takes
# ~20 s to fail over; a dead postmaster is not restarted in place (`primary_start_timeout: 0`)
# but failed over at once. Production values (Patroni's defaults) are in README.md.
TEST_TIMINGS: dict[str, int] = {
    "ttl": 20,
    "loop_wait": 1,
    "retry_timeout": 5,
    "primary_start_timeout": 0,
}


class ClusterError(RuntimeError):
    """The cluster could not be installed, started or stopped; the message says why."""


# --- what it needs, and installing it ---------------------------------------------------------


def cache_directory() -> Path:
    """Where the Patroni venv lives: readable by the PostgreSQL user (root's home is not)."""
    configured = os.environ.get("PGCLUSTER_CACHE")
    if configured:
        return Path(configured)
    if os.geteuid() == 0:
        return Path("/var/cache/todo-pgcluster")
    return Path.home() / ".cache" / "todo-pgcluster"


def venv_directory() -> Path:
    """One venv per version of the pinned requirements: a change to them installs anew."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    return cache_directory() / f"patroni-{digest}"


def patroni_bin(name: str = "patroni") -> Path:
    return venv_directory() / "bin" / name


def etcd_bin() -> Path | None:
    found = shutil.which("etcd") or shutil.which("etcd", path="/usr/bin:/usr/sbin")
    return Path(found) if found else None


def missing() -> list[str]:
    """What is not installed yet, as sentences (empty: ready to start a cluster)."""
    problems = []
    if etcd_bin() is None:
        problems.append("etcd is not installed (Debian: apt-get install etcd-server)")
    if not (PG_BIN / "postgres").is_file():
        problems.append(f"PostgreSQL 15 is not at {PG_BIN} (Debian: apt-get install postgresql-15)")
    if not (venv_directory() / ".installed").is_file():
        problems.append(f"Patroni is not installed in {venv_directory()}")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            problems.append(f"there is no {SERVICE_USER} user to run PostgreSQL as")
    return problems


def install(timeout: float = INSTALL_TIMEOUT) -> None:
    """Installs what `missing` lists: Debian's etcd-server and postgresql-15 through apt-get
    (as root), Patroni from PyPI into a venv under `cache_directory()`."""
    deadline = time.monotonic() + timeout
    packages = []
    if etcd_bin() is None:
        packages.append("etcd-server")
    if not (PG_BIN / "postgres").is_file():
        packages.append("postgresql-15")
    if packages:
        if os.geteuid() != 0:
            raise ClusterError(f"installing {' '.join(packages)} needs root (apt-get)")
        _run(["apt-get", "update", "-qq"], deadline)
        _run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
            deadline,
            env={"DEBIAN_FRONTEND": "noninteractive"},
        )
    if not (venv_directory() / ".installed").is_file():
        _install_patroni(deadline)


def _install_patroni(deadline: float) -> None:
    venv = venv_directory()
    shutil.rmtree(venv, ignore_errors=True)  # a half-made venv from an interrupted install
    venv.parent.mkdir(parents=True, exist_ok=True)
    uv = shutil.which("uv")
    if uv:
        _run([uv, "venv", "--quiet", "--python", VENV_PYTHON, str(venv)], deadline)
        install_command = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin/python")]
    else:
        _run([VENV_PYTHON, "-m", "venv", str(venv)], deadline)
        install_command = [str(venv / "bin/pip"), "install", "--quiet"]
    _run([*install_command, "--require-hashes", "-r", str(REQUIREMENTS)], deadline)
    (venv / ".installed").touch()


def _run(command: list[str], deadline: float, env: dict[str, str] | None = None) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ClusterError(f"no time left to run {command[0]}")
    try:
        subprocess.run(
            command,
            check=True,
            timeout=remaining,
            env=os.environ | (env or {}),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
    except subprocess.TimeoutExpired:
        raise ClusterError(f"{' '.join(command)} did not finish in time") from None
    except subprocess.CalledProcessError as error:
        output = (error.stderr or error.stdout or "").strip().splitlines()[-5:]
        raise ClusterError(f"{' '.join(command)} failed: {' / '.join(output)}") from None


# --- the cluster --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    name: str
    directory: Path
    pg_port: int
    api_port: int

    @property
    def data_directory(self) -> Path:
        return self.directory / "data"

    @property
    def config(self) -> Path:
        return self.directory / "patroni.yml"

    @property
    def log(self) -> Path:
        return self.directory / "patroni.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.pg_port}"


@dataclass
class Cluster:
    """Three Patroni nodes and their etcd under `directory`, started by `start`."""

    directory: Path
    etcd_client_port: int
    etcd_peer_port: int
    nodes: tuple[Node, ...]
    timings: dict[str, int] = field(default_factory=lambda: dict(TEST_TIMINGS))
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def create(cls, timings: dict[str, int] | None = None) -> Cluster:
        directory = Path(tempfile.mkdtemp(prefix="todo-pgcluster-"))
        etcd_client, etcd_peer, *ports = free_ports(2 + 2 * NODES)
        nodes = tuple(
            Node(f"node{i + 1}", directory / f"node{i + 1}", ports[2 * i], ports[2 * i + 1])
            for i in range(NODES)
        )
        return cls(directory, etcd_client, etcd_peer, nodes, dict(timings or TEST_TIMINGS))

    # -- for a client

    def database_url(self, database: str = "postgres") -> str:
        """A libpq-style URL naming every node, as an operator would write TODO_DATABASE_URL."""
        hosts = ",".join(node.address for node in self.nodes)
        return f"postgresql://postgres@{hosts}/{database}?target_session_attrs=read-write"

    def node_url(self, node: Node, database: str = "postgres") -> str:
        """An asyncpg URL of one node alone."""
        return f"postgresql+asyncpg://postgres@{node.address}/{database}"

    # -- starting and stopping

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """etcd, then the three nodes; returns once a leader and a synchronous standby stream."""
        problems = missing()
        if problems:
            raise ClusterError("; ".join(problems))
        _give_to_service_user(self.directory)
        self._spawn(self._etcd_command(), self.directory / "etcd.log", self.directory)
        wait_for(self._etcd_healthy, timeout, "etcd to answer", self._logs)
        for node in self.nodes:
            node.directory.mkdir()
            node.config.write_text(json.dumps(self._patroni_config(node), indent=2))
            _give_to_service_user(node.directory)
            self._spawn([str(patroni_bin()), str(node.config)], node.log, node.directory)
        self.wait_healthy(timeout)

    def stop(self) -> None:
        """Stops every process (Patroni stops its PostgreSQL), kills what is left after
        `STOP_TIMEOUT`, and removes the directory."""
        etcd, nodes = self._processes[:1], self._processes[1:]
        _stop_all(nodes)  # at once: each Patroni stops its PostgreSQL; then etcd
        _stop_all(etcd)
        self._processes.clear()
        _kill_everything_under(self.directory)
        shutil.rmtree(self.directory, ignore_errors=True)
        if self.directory.exists():
            raise ClusterError(f"could not remove {self.directory}")

    def _spawn(self, command: list[str], log: Path, cwd: Path) -> None:
        with log.open("ab") as output:
            self._processes.append(
                subprocess.Popen(
                    command,
                    cwd=cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env=_service_environment(cwd),
                    **_as_service_user(),
                )
            )

    def _etcd_command(self) -> list[str]:
        client = f"http://127.0.0.1:{self.etcd_client_port}"
        peer = f"http://127.0.0.1:{self.etcd_peer_port}"
        return [
            str(etcd_bin()),
            "--name=etcd1",
            f"--data-dir={self.directory / 'etcd'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=etcd1={peer}",
            "--initial-cluster-state=new",
            "--log-level=warn",
        ]

    def _patroni_config(self, node: Node) -> dict[str, Any]:
        """Patroni's YAML configuration, written as JSON (YAML reads it as it is)."""
        loopback = "127.0.0.1/32"
        return {
            "scope": SCOPE,
            "namespace": "/todo-pgcluster/",
            "name": node.name,
            "restapi": {
                "listen": f"127.0.0.1:{node.api_port}",
                "connect_address": f"127.0.0.1:{node.api_port}",
            },
            "etcd3": {"hosts": [f"127.0.0.1:{self.etcd_client_port}"]},
            "bootstrap": {
                "dcs": {
                    **self.timings,
                    "maximum_lag_on_failover": 1024 * 1024,
                    # A commit is acknowledged once a standby has it, and only that standby
                    # may be promoted: a failover loses no acknowledged write.
                    "synchronous_mode": True,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "parameters": {
                            "wal_level": "replica",
                            "hot_standby": "on",
                            "wal_log_hints": "on",
                            "max_wal_senders": 10,
                            "max_replication_slots": 10,
                            "max_connections": 200,
                        },
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, "data-checksums"],
            },
            "postgresql": {
                "listen": node.address,
                "connect_address": node.address,
                "data_dir": str(node.data_directory),
                "bin_dir": str(PG_BIN),
                "pgpass": str(node.directory / "pgpass"),
                "authentication": {
                    "superuser": {"username": "postgres", "password": "postgres"},
                    "replication": {"username": "replicator", "password": "replicator"},
                    "rewind": {"username": "rewinder", "password": "rewinder"},
                },
                "parameters": {
                    "unix_socket_directories": str(node.directory),
                    "shared_buffers": "64MB",
                },
                # A throwaway cluster on loopback: trust, as the machine's own test server.
                "pg_hba": [
                    "local all all trust",
                    f"host all all {loopback} trust",
                    f"host replication all {loopback} trust",
                ],
            },
            "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False},
        }

    # -- what state it is in

    def members(self) -> list[dict[str, Any]]:
        """Patroni's view of the cluster (`GET /cluster` of the first node that answers)."""
        for node in self.nodes:
            with contextlib.suppress(OSError, ValueError):
                answer = _get_json(f"http://127.0.0.1:{node.api_port}/cluster")
                members: list[dict[str, Any]] = answer.get("members", [])
                return members
        return []

    def leader(self) -> Node:
        """The node Patroni calls the leader, running."""
        return self._node_in_role("leader", "running")

    def sync_standby(self) -> Node:
        return self._node_in_role("sync_standby", "streaming")

    def _node_in_role(self, role: str, state: str) -> Node:
        for member in self.members():
            if member.get("role") == role and member.get("state") == state:
                return self.node(member["name"])
        raise ClusterError(f"no member is {role} and {state}: {self._summary()}")

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def healthy(self) -> bool:
        """A running leader, a streaming synchronous standby and every node streaming."""
        members = self.members()
        roles = sorted((member.get("role"), member.get("state")) for member in members)
        return len(members) == NODES and roles == [
            ("leader", "running"),
            ("replica", "streaming"),
            ("sync_standby", "streaming"),
        ]

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        wait_for(self.healthy, timeout, "a leader and streaming standbys", self._logs)

    def postmaster_pid(self, node: Node) -> int:
        """The pid of the node's postmaster (first line of its postmaster.pid)."""
        return int((node.data_directory / "postmaster.pid").read_text().split()[0])

    def kill_postmaster(self, node: Node) -> None:
        """SIGKILL to the node's postmaster: a crash of PostgreSQL, Patroni stays up."""
        os.kill(self.postmaster_pid(node), signal.SIGKILL)

    def switchover(self, timeout: float = START_TIMEOUT) -> None:
        """A planned switchover (`patronictl switchover --force`) to whichever standby
        Patroni picks; returns once it is over and the cluster healthy again."""
        before = self.leader()
        deadline = time.monotonic() + timeout
        _run(
            [str(patroni_bin("patronictl")), "-c", str(before.config), "switchover", "--force"],
            deadline,
        )
        wait_for(
            lambda: self._new_leader(before),
            max(1.0, deadline - time.monotonic()),
            "a new leader after the switchover",
            self._logs,
        )

    def _new_leader(self, before: Node) -> bool:
        with contextlib.suppress(ClusterError):
            return self.leader() != before and self.healthy()
        return False

    def _etcd_healthy(self) -> bool:
        with contextlib.suppress(OSError, ValueError):
            answer = _get_json(f"http://127.0.0.1:{self.etcd_client_port}/health")
            return str(answer.get("health")) == "true"
        return False

    def _summary(self) -> str:
        return (
            ", ".join(f"{m.get('name')}: {m.get('role')} {m.get('state')}" for m in self.members())
            or "no node answers"
        )

    def _logs(self) -> str:
        """The cluster's state and the end of every log, for a message that says why."""
        tails = [f"members: {self._summary()}"]
        for log in [self.directory / "etcd.log", *(node.log for node in self.nodes)]:
            with contextlib.suppress(OSError):
                lines = log.read_text(errors="replace").splitlines()[-8:]
                tails.append(f"--- {log.name} ({log.parent.name}):\n" + "\n".join(lines))
        return "\n".join(tails)


@contextlib.contextmanager
def running(timings: dict[str, int] | None = None) -> Iterator[Cluster]:
    """A started cluster, stopped and removed afterwards (also when starting failed)."""
    cluster = Cluster.create(timings)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


# --- ports, waits and processes ---------------------------------------------------------------


def free_ports(count: int, low: int = 20000, high: int = 32000) -> list[int]:
    """`count` distinct TCP ports free on 127.0.0.1, below the ephemeral range (from 32768),
    so that no outgoing connection of another process takes one before the cluster binds it."""
    chosen: list[int] = []
    candidates = random.sample(range(low, high), k=min(high - low, 50 * count))
    for port in candidates:
        if port not in chosen and _free(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise ClusterError(f"fewer than {count} free ports between {low} and {high}")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, explain: Callable[[], str]
) -> None:
    """Polls `condition` until it holds; `ClusterError` naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise ClusterError(f"waited {timeout:.0f} s for {what} in vain\n{explain()}")
        time.sleep(POLL)


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=2) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def _as_service_user() -> dict[str, Any]:
    """As root, the processes run as the PostgreSQL user (postgres refuses to run as root)."""
    if os.geteuid() != 0:
        return {}
    user = pwd.getpwnam(SERVICE_USER)
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _service_environment(home: Path) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "TZ")
    return {name: os.environ[name] for name in keep if name in os.environ} | {"HOME": str(home)}


def _give_to_service_user(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVICE_USER)
        os.chown(path, user.pw_uid, user.pw_gid)


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        _signal(process, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal(process, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)


def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _kill_everything_under(directory: Path, timeout: float = STOP_TIMEOUT) -> None:
    """SIGKILL to every process whose working directory is inside `directory`: PostgreSQL
    runs in its data directory and Patroni starts it in a session of its own, so a postmaster
    whose Patroni was killed is found this way too."""
    deadline = time.monotonic() + timeout
    while pids := _processes_under(directory):
        if time.monotonic() > deadline:
            raise ClusterError(f"processes {pids} under {directory} would not end")
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(POLL)


def _processes_under(directory: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if Path(os.readlink(entry / "cwd")).is_relative_to(directory):
                    pids.append(int(entry.name))
    return pids


# --- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="install etcd and Patroni if missing")
    commands.add_parser("check", help="exit 1 and say what is missing, if anything")
    commands.add_parser("up", help="run a cluster until interrupted, then remove it")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "install":
            install()
            print(f"ready: etcd {etcd_bin()}, Patroni {patroni_bin()}")
        elif arguments.command == "check":
            problems = missing()
            print("; ".join(problems) or "ready")
            return 1 if problems else 0
        else:
            _serve_until_interrupted()
    except ClusterError as error:
        print(f"pgcluster: {error}", file=sys.stderr)
        return 1
    return 0


def _serve_until_interrupted() -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with running() as cluster:
        print(f"leader {cluster.leader().name}, synchronous standby {cluster.sync_standby().name}")
        print(f"TODO_DATABASE_URL={cluster.database_url()}")
        print(f"logs and data under {cluster.directory}; Ctrl-C stops and removes it")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
