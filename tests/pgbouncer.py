"""PgBouncer in transaction mode in front of this machine's PostgreSQL, for the tests.

Started on first use (`through_pgbouncer`), once per test session, on a free loopback port
below 32768 (above it the kernel hands out ephemeral ports, which a later connection could
take), with trust authentication and a small server pool, so that the client connections of
a test share server connections as they do in production. Stopped when the session ends.
PgBouncer refuses to run as root: started by root, it changes to `postgres` (its `user`).

Without the `pgbouncer` binary the test is skipped with the reason, except under CI=true,
where it fails (`.ci/run` installs it).
"""

import atexit
import contextlib
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from sqldb import SERVERS, unavailable

START_TIMEOUT = 10.0
# Server connections per database and user: fewer than the test engines' pools, so that
# consecutive transactions of one client connection do move between server connections.
SERVER_POOL_SIZE = 3
_PORTS = range(20000, 32768)


@dataclass
class Bouncer:
    process: subprocess.Popen[bytes]
    port: int
    directory: Path

    def url_of(self, direct_url: str) -> str:
        """`direct_url` (a database of the local PostgreSQL) through this PgBouncer."""
        url = make_url(direct_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


_bouncer: Bouncer | None = None
_problem: str | None = None


def through_pgbouncer(direct_url: str) -> str:
    """`direct_url` through this session's PgBouncer, started if need be."""
    global _bouncer, _problem
    if _bouncer is None and _problem is None:
        try:
            _bouncer = _start()
        except (OSError, RuntimeError, subprocess.SubprocessError) as error:
            _problem = f"PgBouncer could not be started: {error}"
        else:
            atexit.register(_bouncer.stop)
    if _bouncer is None:
        unavailable(_problem or "PgBouncer is not running")
    return _bouncer.url_of(direct_url)


def _start() -> Bouncer:
    binary = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if binary is None:
        raise RuntimeError("no pgbouncer binary (apt-get install pgbouncer)")
    server = make_url(SERVERS["postgresql"].url)
    directory = Path(tempfile.mkdtemp(prefix="todo-pgbouncer-"))
    port = _free_port()
    config = directory / "pgbouncer.ini"
    (directory / "users.txt").write_text(f'"{server.username}" ""\n')
    config.write_text(
        "[databases]\n"
        f"* = host={server.host or '127.0.0.1'} port={server.port or 5432}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {directory / 'users.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {SERVER_POOL_SIZE}\n"
        "max_client_conn = 500\n"
        "log_connections = 0\nlog_disconnections = 0\n"
        f"logfile = {directory / 'pgbouncer.log'}\n"
    )
    if os.geteuid() == 0:
        # It changes to that user itself: a child of ours to the end, stopped and reaped here.
        with config.open("a") as settings:
            settings.write("user = postgres\n")
        shutil.chown(directory, user="postgres")
        for path in directory.iterdir():
            shutil.chown(path, user="postgres")
    # Its log goes to `logfile` too: an unread pipe would fill and stop it.
    process = subprocess.Popen(
        [binary, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    bouncer = Bouncer(process, port, directory)
    try:
        _wait_until_listening(bouncer)
    except BaseException:
        bouncer.stop()
        raise
    return bouncer


def _wait_until_listening(bouncer: Bouncer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if bouncer.process.poll() is not None:
            log = bouncer.directory / "pgbouncer.log"
            last = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
            raise RuntimeError(f"pgbouncer exited: {' '.join(last) or 'no log'}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", bouncer.port)):
            return
        time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen on port {bouncer.port} within {START_TIMEOUT} s")


def _free_port() -> int:
    for port in random.sample(_PORTS, 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for pgbouncer")
