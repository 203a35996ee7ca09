"""The real service in processes of its own (`todo-api serve`), and a loopback TCP proxy that
a test can take down and bring back in front of PostgreSQL."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.support import PASSWORD, TEST_KEY, unique_email
from sqldb import empty_database

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
ROOT = Path(__file__).resolve().parents[2]


def concurrent_client(base: str, connections: int, timeout: float = 30.0) -> httpx.AsyncClient:
    """A client for `connections` requests at once to the service at `base` (httpx's default
    pool would queue most of them)."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(timeout), limits=limits)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def running_service(
    env: dict[str, str], log: Path, *, workers: int = 1, migrate: bool = False
) -> AsyncIterator[str]:
    """`todo-api serve` with `env` (on top of this environment without its TODO_ variables)
    until it answers /health/live; its base URL. Always stopped afterwards (the whole process
    group: uvicorn's supervisor and its workers)."""
    async with running_process(env, log, workers=workers, migrate=migrate) as (base, _):
        yield base


@asynccontextmanager
async def served_on_postgresql(
    log: Path, settings: dict[str, str] | None = None, *, workers: int = 2
) -> AsyncIterator[tuple[str, str]]:
    """`running_service` on a fresh PostgreSQL database it migrates, with the test key and
    `settings` (`TODO_` variables); its base URL and the database's URL."""
    async with empty_database("postgresql") as url:
        env = {
            "TODO_DATABASE_URL": url,
            "TODO_SECRET_KEY": TEST_KEY,
            "TODO_LOG_LEVEL": "WARNING",
            **(settings or {}),
        }
        async with running_service(env, log, workers=workers, migrate=True) as base:
            yield base, url


@asynccontextmanager
async def served_on_postgresql_hosts(
    logs: Path, settings: dict[str, str] | None = None, *, hosts: int = 2, workers: int = 2
) -> AsyncIterator[tuple[list[str], str]]:
    """`hosts` services, each `todo-api serve --workers N` on a port of its own, on one fresh
    PostgreSQL database (the first migrates it, the others start after it), with the same
    key and `settings`, each logging to `logs/host-K.log`: their base URLs and the
    database's URL. Stopped in the reverse order."""
    async with empty_database("postgresql") as url, AsyncExitStack() as stack:
        env = {
            "TODO_DATABASE_URL": url,
            "TODO_SECRET_KEY": TEST_KEY,
            "TODO_LOG_LEVEL": "WARNING",
            **(settings or {}),
        }
        bases = [
            await stack.enter_async_context(
                running_service(env, logs / f"host-{k}.log", workers=workers, migrate=k == 0)
            )
            for k in range(hosts)
        ]
        yield bases, url


@asynccontextmanager
async def running_process(
    env: dict[str, str], log: Path, *, workers: int = 1, migrate: bool = False
) -> AsyncIterator[tuple[str, "subprocess.Popen[bytes]"]]:
    """`running_service`, and its process (the leader of its process group), for a test that
    signals it itself."""
    port = free_port()
    script = Path(sys.executable).with_name("todo-api")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "todo_api"]
    arguments = ["serve", "--port", str(port), "--workers", str(workers)]
    if migrate:
        arguments.append("--migrate")
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("TODO_")
    }
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: ASYNC220 (Popen returns at once)
            [*command, *arguments],
            cwd=ROOT,
            env=environment | env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            await _wait_until_live(process, base, log)
            yield base, process
        finally:
            await asyncio.to_thread(_stop, process)


async def _wait_until_live(process: "subprocess.Popen[bytes]", base: str, log: Path) -> None:
    """Polls without blocking the event loop (a test's proxy runs in it)."""
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=1) as http:
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {_text(log)}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{base}/health/live")).status_code == 200:
                    return
            if time.monotonic() > deadline:
                pytest.fail(f"no answer in {START_TIMEOUT}s: {_text(log)}")
            await asyncio.sleep(0.1)


def _text(path: Path) -> str:
    return path.read_text()


def _stop(process: "subprocess.Popen[bytes]") -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
    # Workers left behind by a supervisor that died first.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


class Proxy:
    """A TCP proxy on 127.0.0.1:`port` to `target`. `down()` closes every connection and stops
    listening (connections are refused), `blackhole()` accepts and never answers, `freeze()`
    stops passing anything on over the open connections (a server that hangs), `up()`
    forwards again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._blackhole = False
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def up(self) -> None:
        self._blackhole = False
        self._flowing.set()
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def blackhole(self) -> None:
        await self.up()
        self._blackhole = True

    def freeze(self) -> None:
        self._flowing.clear()

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self._blackhole:
            return  # held open, never answered, closed by `down()`
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(upstream_writer)
        flowing = self._flowing
        await asyncio.gather(
            _pipe(reader, upstream_writer, flowing),
            _pipe(upstream_reader, writer, flowing),
            return_exceptions=True,
        )


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flowing: asyncio.Event
) -> None:
    try:
        while data := await reader.read(65536):
            await flowing.wait()
            writer.write(data)
            await writer.drain()
    finally:
        writer.transport.abort()


@asynccontextmanager
async def proxy_to(target_port: int) -> AsyncIterator[Proxy]:
    proxy = Proxy(target_port)
    try:
        yield proxy
    finally:
        await proxy.down()


async def all_todos(http: httpx.AsyncClient, auth: dict[str, str]) -> list[dict[str, Any]]:
    """Every todo of the user behind `auth`, page by page through the API."""
    todos: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = (await http.get("/api/v1/todos", params=params, headers=auth)).json()
        todos += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return todos


def serving_pid(base: str) -> int:
    """The pid of the `todo-api serve` process listening at `base` (with one worker, the
    process that runs the app), found by its command line."""
    port = base.rpartition(":")[2]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
            if b"serve" in arguments and port.encode() in arguments:
                return int(entry.name)
    raise LookupError(f"no `todo-api serve` process listens at {base}")


def peak_rss_bytes(pid: int) -> int:
    """The most resident memory process `pid` has had so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"process {pid} reports no VmHWM")


async def signed_up(http: httpx.AsyncClient) -> dict[str, str]:
    """The `Authorization` header of a new user, registered and logged in through the API."""
    email = unique_email()
    registered = await http.post("/api/v1/users", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    token = await http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@dataclass(frozen=True)
class Answer:
    """A response over a connection of its own: its status, and the worker process that
    accepted the connection (and so served the request)."""

    status: int
    worker: int


def worker_pids(base: str) -> set[int]:
    """The worker processes of the `todo-api serve` listening at `base`: its process group
    (the supervisor leads one of its own: `running_process`), the supervisor aside."""
    supervisor = serving_pid(base)
    workers = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != supervisor:
            with contextlib.suppress(OSError):
                # `pid (comm) state ppid pgrp ...`; comm may hold spaces, never `)`.
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                if int(fields[2]) == supervisor:
                    workers.add(int(entry.name))
    return workers


def _socket_inode(server_port: int, client_port: int) -> str:
    """The inode of the server's end of the established loopback connection from
    `client_port` (from /proc/net/tcp: ports in hexadecimal, state 01 is ESTABLISHED)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
        if (
            state == "01"
            and int(local.rpartition(":")[2], 16) == server_port
            and int(remote.rpartition(":")[2], 16) == client_port
        ):
            return inode
    raise LookupError(f"no connection from port {client_port} to {server_port}")


def connection_owner(workers: set[int], server_port: int, client_port: int) -> int:
    """Which of `workers` holds the server's end of the connection from `client_port`."""
    target = f"socket:[{_socket_inode(server_port, client_port)}]"
    for pid in workers:
        with contextlib.suppress(OSError):
            for descriptor in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(descriptor) == target:
                        return pid
    raise LookupError(f"no worker holds {target}")


async def on_a_fresh_connection(
    base: str, workers: set[int], method: str, path: str, headers: dict[str, str]
) -> Answer:
    """One request over a new TCP connection (plain HTTP/1.1, no body), and which worker
    served it: found while the connection is still open, after the response."""
    port = int(base.rpartition(":")[2])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        client_port = writer.get_extra_info("sockname")[1]
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Length: 0"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        return Answer(status, connection_owner(workers, port, client_port))
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
