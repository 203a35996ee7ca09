"""`RequestObserver`: what the service records about every request, in one pass around it.

- The caller's `X-Request-ID` is taken when short and plain (else one is made), echoed on the
  response and kept in a context variable for the log lines and problem bodies of the request.
- One access line (method, route template, status, duration; never the query string or a
  header) and one metrics sample (count and latency by method, route template and status).
- An unhandled error is logged once, with its traceback and the request id, and answered 500.
- A request cancelled at shut-down is answered 503 with `Retry-After`.

Pure ASGI, and one layer for all of it: each ASGI layer wraps `send` and costs every request
its calls (the log and the metrics as two layers cost ~6% of a get by id).
"""

import asyncio
import logging
import os
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_api.metrics import Metrics
from todo_api.problems import shutting_down_response, unexpected_error_response
from todo_api.request_id import REQUEST_ID_HEADER, acceptable, current_request_id

UNMATCHED = "<unmatched>"  # one label for every unknown path, so they cannot explode the series
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.lower().encode()

access_log = logging.getLogger("todo_api.access")
error_log = logging.getLogger("todo_api.errors")


class InFlight:
    """The requests being served, for a shut-down that waits for them to end."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def begin(self) -> None:
        self.count += 1
        self._idle.clear()

    def end(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def drained(self) -> None:
        await self._idle.wait()


class RequestObserver:
    """See the module's docstring. The outermost of the app's own middleware."""

    def __init__(self, app: ASGIApp, metrics: Metrics, in_flight: InFlight) -> None:
        self.app = app
        self.metrics = metrics
        self.in_flight = in_flight

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _incoming_request_id(scope) or os.urandom(16).hex()
        header = (_REQUEST_ID_HEADER, request_id.encode())
        token = current_request_id.set(request_id)
        self.in_flight.begin()
        status = 500  # unless a response starts: an exception escaped
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = message.setdefault("headers", [])
                if not any(name.lower() == _REQUEST_ID_HEADER for name, _ in headers):
                    headers.append(header)
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except asyncio.CancelledError:
            # The server cancels the requests still running when its graceful shut-down time is
            # up (TODO_SHUTDOWN_TIMEOUT). A write is acknowledged only after its commit, so a
            # 503 takes back nothing the caller was told; the caller may retry.
            if not response_started:
                status = 503
                await shutting_down_response()(scope, receive, send_with_request_id)
            raise
        except Exception:
            error_log.exception(
                "unhandled error in %s %s", scope["method"], _route(scope), extra={"status": 500}
            )
            if response_started:
                raise
            await unexpected_error_response()(scope, receive, send_with_request_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route(scope)
            self.metrics.observe(scope["method"], route, status, seconds)
            if access_log.isEnabledFor(logging.INFO):
                _log_access(scope["method"], route, status, seconds)
            current_request_id.reset(token)
            self.in_flight.end()


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER:
            candidate = value.decode("latin-1")
            return candidate if acceptable(candidate) else None
    return None


def _log_access(method: str, route: str, status: int, seconds: float) -> None:
    duration_ms = round(seconds * 1000, 3)
    access_log.info(
        "%s %s %d %.1fms",
        method,
        route,
        status,
        duration_ms,
        extra={"method": method, "route": route, "status": status, "duration_ms": duration_ms},
    )


def _route(scope: Scope) -> str:
    """The matched route's template: `/api/v1/todos/{todo_id}`, or `/docs/assets/{path}` for
    every file of a mount."""
    route = scope.get("route")
    return getattr(route, "path_format", UNMATCHED) if route is not None else UNMATCHED
