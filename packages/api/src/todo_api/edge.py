"""The HTTP/1.1 protocol the service is served with: uvicorn's httptools protocol plus the
limits it lacks.

uvicorn 0.54 with httptools bounds neither the size nor the number of request headers, gives a
request's headers and body no deadline, and keeps a connection that never sends a request open
for good: one client could make a worker parse a 160 MB header, or hold connections open a byte
at a time. This module adds exactly those checks around the parser and answers as the service
does, in problem+json (431, 408, 400), then closes the connection. The ASGI cycle, flow control,
pipelining and keep-alive after a response stay uvicorn's. A request that arrives in one read
(nearly all) costs a few counters, no timer.
"""

import asyncio
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from todo_api.problems import problem_response
from todo_api.settings import Settings

MALFORMED = "The request is not valid HTTP/1.1."
HEADERS_TOO_LARGE = "The request's header section is larger than {limit} bytes."
TOO_MANY_HEADERS = "The request has more than {limit} header fields."
HEADERS_TOO_SLOW = "The request's header section did not arrive within {limit} s."
BODY_STALLED = "The request body stopped arriving for {limit} s."
_LINE_OVERHEAD = len(b": \r\n")
# How long a refused client's further bytes are read and dropped before the connection closes.
LINGER_SECONDS = 1.0


@dataclass(frozen=True)
class HttpLimits:
    """The limits, and what uvicorn calls for each connection instead of a protocol class (it
    is pickled to every worker process, as the class would be)."""

    max_header_bytes: int
    max_headers: int
    header_timeout: float
    body_timeout: float

    @classmethod
    def of(cls, settings: Settings) -> "HttpLimits":
        return cls(
            settings.max_header_bytes,
            settings.max_headers,
            settings.header_timeout,
            settings.body_timeout,
        )

    def __call__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> "LimitedHttpProtocol":
        return LimitedHttpProtocol(self, config, server_state, app_state, _loop)


class Refused(Exception):
    """Raised from a parser callback: the parser stops, and the client gets this answer."""

    def __init__(self, status: HTTPStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class LimitedHttpProtocol(HttpToolsProtocol):
    def __init__(
        self,
        limits: HttpLimits,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = limits
        self._in_headers = False
        self._in_body = False
        self._header_bytes = 0  # of the target and the header lines parsed so far
        self._unparsed_bytes = 0  # received while the header section had not ended
        self._header_count = 0
        self._body_seen = 0.0  # when body bytes last arrived (loop time)
        self._deadline: asyncio.TimerHandle | None = None
        self._refused = False

    # Connection events
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        # uvicorn arms its keep-alive timer after a response only: a connection that never
        # sends a request would stay open.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as error:
            refused = error.__context__
            if isinstance(refused, Refused):
                self._refuse(refused.status, refused.detail)
            else:
                self._refuse(HTTPStatus.BAD_REQUEST, MALFORMED)
            return
        # Only a request that spans several reads gets a deadline.
        if self._in_headers:
            self._unparsed_bytes += len(data)
            if self._unparsed_bytes > self.limits.max_header_bytes:
                limit = self.limits.max_header_bytes
                self._refuse(
                    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    HEADERS_TOO_LARGE.format(limit=limit),
                )
            elif self._deadline is None:
                self._arm(self.limits.header_timeout, self._headers_too_slow)
        elif self._in_body:
            self._body_seen = self.loop.time()
            if self._deadline is None:
                self._arm(self.limits.body_timeout, self._body_stalled)

    # Parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._header_bytes = self._unparsed_bytes = self._header_count = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count_header_bytes(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            raise Refused(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                TOO_MANY_HEADERS.format(limit=self.limits.max_headers),
            )
        self._count_header_bytes(len(name) + len(value) + _LINE_OVERHEAD)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._in_body = True
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        self._disarm()
        super().on_message_complete()

    # Limits
    def _count_header_bytes(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.limits.max_header_bytes:
            raise Refused(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                HEADERS_TOO_LARGE.format(limit=self.limits.max_header_bytes),
            )

    def _arm(self, seconds: float, expired: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_too_slow(self) -> None:
        self._deadline = None
        detail = HEADERS_TOO_SLOW.format(limit=self.limits.header_timeout)
        self._refuse(HTTPStatus.REQUEST_TIMEOUT, detail)

    def _body_stalled(self) -> None:
        self._deadline = None
        idle = self.loop.time() - self._body_seen
        if self.flow.read_paused:
            # The app has not read what came: the wait is not the client's.
            self._body_seen = self.loop.time()
            self._arm(self.limits.body_timeout, self._body_stalled)
        elif idle < self.limits.body_timeout:
            self._arm(self.limits.body_timeout - idle, self._body_stalled)
        else:
            detail = BODY_STALLED.format(limit=self.limits.body_timeout)
            self._refuse(HTTPStatus.REQUEST_TIMEOUT, detail)

    def _refuse(self, status: HTTPStatus, detail: str) -> None:
        """Answers `status` unless a response has begun, and closes the connection."""
        self._disarm()
        self._in_headers = self._in_body = False
        if self.transport.is_closing() or self._refused:
            return
        self._refused = True
        self.logger.warning("Refused a request: %s", detail)
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            if cycle is not None and not cycle.response_complete:
                # The app is still reading this request: its own answer must not follow.
                cycle.disconnected = True
                cycle.message_event.set()
            self.transport.write(self._problem(status, detail))
        if self.transport.can_write_eof():
            # Closed at once, the socket would answer what the client is still sending with a
            # reset, and the client could lose the answer: end the writing side, and read
            # (and drop) for a moment first.
            self.transport.write_eof()
            self._arm(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    def _problem(self, status: HTTPStatus, detail: str) -> bytes:
        response = problem_response(status, detail, headers={"Connection": "close"})
        lines = [STATUS_LINE[status]]
        for name, value in [*self.server_state.default_headers, *response.raw_headers]:
            lines += [name, b": ", value, b"\r\n"]
        return b"".join([*lines, b"\r\n", response.body])
