"""Connecting to a PostgreSQL cluster named host by host: a new connection waits, within the
connect timeout, for a host that takes writes (a failover under way), and gives up as
"unavailable". The hosts here are the local server behind a proxy and ports nobody listens
on; tests/cluster runs the same against standbys and a real failover."""

import asyncio
import struct
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import make_url, text

from hardening.servers import Proxy, free_port, proxy_to
from sqldb import SERVERS, migrated_url
from todo_domain import StorageUnavailable
from todo_sql import create_engine
from todo_sql.engine import ServerNotReady
from todo_sql.errors import unavailable_error

CONNECT_TIMEOUT = 3.0


@pytest.fixture
async def proxy() -> AsyncIterator[Proxy]:
    """A proxy, down for now, to the local PostgreSQL server (skipped without it, failed in CI)."""
    await migrated_url("postgresql")
    port = make_url(SERVERS["postgresql"].url).port or 5432
    async with proxy_to(port) as started:
        yield started


_SSL_REQUEST = 80877103


@pytest.fixture
async def shutting_down() -> AsyncIterator[int]:
    """The port of a server that answers every connection as PostgreSQL does while it shuts
    down (or starts up): FATAL 57P03, before any authentication."""

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        length, code = struct.unpack("!ii", await reader.readexactly(8))
        if code == _SSL_REQUEST:
            writer.write(b"N")
            length, code = struct.unpack("!ii", await reader.readexactly(8))
        await reader.readexactly(length - 8)  # the rest of the startup message
        fields = b"SFATAL\0VFATAL\0C57P03\0Mthe database system is shutting down\0\0"
        writer.write(b"E" + struct.pack("!i", len(fields) + 4) + fields)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(refuse, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def _cluster_url(*ports: int) -> str:
    url = make_url(SERVERS["postgresql"].url)
    hosts = "&".join(f"host=127.0.0.1:{port}" for port in ports)
    return (
        f"postgresql+asyncpg://{url.username}@/{url.database}?{hosts}"
        "&target_session_attrs=read-write"
    )


async def _connect(url: str) -> float:
    """Seconds until `url` answered a query; the error as the unit of work would see it."""
    engine = create_engine(url, pool_size=1, connect_timeout=CONNECT_TIMEOUT)
    started = time.monotonic()
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1
        return time.monotonic() - started
    finally:
        await engine.dispose()


async def test_a_new_connection_waits_for_a_host_that_takes_writes(proxy: Proxy) -> None:
    async def leader_elected() -> None:
        await asyncio.sleep(0.6)
        await proxy.up()

    electing = asyncio.create_task(leader_elected())
    waited = await _connect(_cluster_url(free_port(), proxy.port))
    await electing

    assert 0.6 <= waited < CONNECT_TIMEOUT


async def test_a_cluster_without_a_leader_is_unavailable_after_the_connect_timeout(
    proxy: Proxy,
) -> None:
    started = time.monotonic()
    with pytest.raises(ConnectionRefusedError) as raised:
        await _connect(_cluster_url(free_port(), proxy.port))
    waited = time.monotonic() - started

    assert CONNECT_TIMEOUT - 0.6 <= waited < CONNECT_TIMEOUT + 1.0
    assert isinstance(unavailable_error(raised.value), StorageUnavailable)


async def test_one_host_that_refuses_fails_at_once(proxy: Proxy) -> None:
    """Without a cluster, nothing to wait for: a refused connection is an error straight away."""
    started = time.monotonic()
    with pytest.raises(ConnectionRefusedError):
        await _connect(f"postgresql+asyncpg://postgres@127.0.0.1:{proxy.port}/postgres")

    assert time.monotonic() - started < 0.5


async def test_one_server_shutting_down_is_unavailable_at_once(shutting_down: int) -> None:
    """asyncpg's own error for it is no connection error: it would have been a 500."""
    started = time.monotonic()
    with pytest.raises(ServerNotReady) as raised:
        await _connect(f"postgresql+asyncpg://postgres@127.0.0.1:{shutting_down}/postgres")

    assert time.monotonic() - started < 0.5
    assert isinstance(unavailable_error(raised.value), StorageUnavailable)


async def test_a_leader_shutting_down_is_waited_for_like_one_that_is_gone(
    proxy: Proxy, shutting_down: int
) -> None:
    async def switched_over() -> None:
        await asyncio.sleep(0.6)
        await proxy.up()

    switching = asyncio.create_task(switched_over())
    waited = await _connect(_cluster_url(proxy.port, shutting_down))
    await switching

    assert 0.6 <= waited < CONNECT_TIMEOUT


async def test_a_host_that_never_answers_costs_nothing_while_another_takes_writes(
    proxy: Proxy,
) -> None:
    """A machine gone without a word (accepts nothing, refuses nothing: here a proxy that
    never answers) listed first: connecting goes on to the others at once, instead of
    spending the whole connect timeout on it."""
    async with proxy_to(proxy.target_port) as silent:
        await silent.blackhole()
        await proxy.up()
        waited = await _connect(_cluster_url(silent.port, proxy.port))

    assert waited < 1.0
