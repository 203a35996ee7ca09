"""The HTTP edge of the real server, over raw sockets: header size and count limits, and slow
or idle clients timed out, each set through its TODO_ variable. While one client is refused,
the others are served."""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from .servers import running_service

MAX_HEADER_BYTES = 16 * 1024
MAX_HEADERS = 50
HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
KEEP_ALIVE = 1
# What a refusal or a time-out may take beyond its limit on a busy machine.
MARGIN = 4.0
# A client that is never cut off stops waiting here.
NEVER = max(HEADER_TIMEOUT, BODY_TIMEOUT, KEEP_ALIVE) + MARGIN + 4.0

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    env = {
        "TODO_STORAGE": "memory",
        "TODO_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
        "TODO_MAX_HEADERS": str(MAX_HEADERS),
        "TODO_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "TODO_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "TODO_KEEP_ALIVE_TIMEOUT": str(KEEP_ALIVE),
    }
    async with running_service(env, tmp_path / "server.log") as base:
        address = urlsplit(base)
        yield address.hostname or "127.0.0.1", address.port or 80


@contextlib.asynccontextmanager
async def connection(address: tuple[str, int]) -> AsyncIterator[Stream]:
    reader, writer = await asyncio.open_connection(*address)
    try:
        yield reader, writer
    finally:
        writer.transport.abort()


async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Sends until the server closes the connection (it may, before everything is sent)."""
    with contextlib.suppress(ConnectionError):
        writer.write(data)
        await writer.drain()


async def _until_closed(reader: asyncio.StreamReader, bound: float = NEVER) -> bytes:
    """Everything the server sent before it closed the connection; fails after `bound`."""
    received = b""
    try:
        async with asyncio.timeout(bound):
            while chunk := await reader.read(65536):
                received += chunk
    except ConnectionError:
        pass
    except TimeoutError:
        pytest.fail(f"the connection is still open after {bound}s")
    return received


def _status_and_body(response: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def _assert_problem(response: bytes, status: int) -> None:
    code, headers, body = _status_and_body(response)
    assert code == status, response[:300]
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    problem = json.loads(body)
    assert problem["status"] == status
    assert "Traceback" not in problem["detail"]


async def _served(address: tuple[str, int]) -> None:
    host, port = address
    async with httpx.AsyncClient(timeout=MARGIN) as http:
        assert (await http.get(f"http://{host}:{port}/health/live")).status_code == 200


async def test_a_one_megabyte_header_is_refused_431_and_others_are_served(
    server: tuple[str, int],
) -> None:
    async with connection(server) as (reader, writer):
        request = b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1024 * 1024
        sending = asyncio.create_task(_send(writer, request + b"\r\n\r\n"))
        await _served(server)
        started = time.monotonic()
        response = await _until_closed(reader, MARGIN)
        print(f"\n431 and closed {time.monotonic() - started:.2f}s after the other answer")
        await sending
    _assert_problem(response, 431)
    await _served(server)


async def test_too_many_headers_are_refused_431(server: tuple[str, int]) -> None:
    headers = b"".join(b"X-H%d: v\r\n" % number for number in range(MAX_HEADERS + 1))
    async with connection(server) as (reader, writer):
        await _send(writer, b"GET /health/live HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        _assert_problem(await _until_closed(reader, MARGIN), 431)


async def test_headers_within_the_limits_are_served(server: tuple[str, int]) -> None:
    headers = b"".join(b"X-H%d: v\r\n" % number for number in range(MAX_HEADERS - 3))
    big = b"X-Big: " + b"a" * (MAX_HEADER_BYTES // 2) + b"\r\n"
    async with connection(server) as (reader, writer):
        await _send(
            writer,
            b"GET /health/live HTTP/1.1\r\nHost: x\r\n"
            + headers
            + big
            + b"Connection: close\r\n\r\n",
        )
        status, _, _ = _status_and_body(await _until_closed(reader, MARGIN))
    assert status == 200


async def test_a_malformed_request_is_a_400_problem(server: tuple[str, int]) -> None:
    async with connection(server) as (reader, writer):
        await _send(writer, b"GET /health/live HTTP/1.1\r\nHost x\r\n\r\n")
        _assert_problem(await _until_closed(reader, MARGIN), 400)


async def test_headers_sent_a_byte_a_second_are_cut_off_after_the_header_timeout(
    server: tuple[str, int],
) -> None:
    async with connection(server) as (reader, writer):
        await _send(writer, b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()

        async def trickle() -> None:
            for _ in range(int(NEVER) + 2):
                await _send(writer, b"X")
                await asyncio.sleep(1)

        trickling = asyncio.create_task(trickle())
        try:
            await _served(server)
            response = await _until_closed(reader)
        finally:
            trickling.cancel()
        print(f"\ncut off after {time.monotonic() - started:.2f}s")
    if response:
        _assert_problem(response, 408)


async def test_an_idle_connection_is_closed_after_the_keep_alive(
    server: tuple[str, int],
) -> None:
    async with connection(server) as (reader, _):
        assert await _until_closed(reader) == b""
    async with connection(server) as (reader, writer):
        await _send(writer, b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, _ = _status_and_body(await _until_closed(reader))
    assert status == 200


async def test_a_body_that_stalls_is_answered_408_after_the_body_timeout(
    server: tuple[str, int],
) -> None:
    async with connection(server) as (reader, writer):
        await _send(
            writer,
            b"POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"email": "a',
        )
        await _served(server)
        response = await _until_closed(reader)
    _assert_problem(response, 408)
