"""Logging: level and format (text, or one JSON object a line), the request id of every line
logged while a request runs, and one access line per request.

`RequestLog` is pure ASGI (cheaper than `BaseHTTPMiddleware`). It takes the caller's
`X-Request-ID` when it is short and plain (else makes one), echoes it on every response, keeps
it in a context variable for the log lines and problem bodies of the request, logs one line
per request (method, route template, status, duration; never the query string or a header)
and logs an unhandled error once, with its traceback and the request id, before answering 500.
"""

import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import IO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_api.problems import unexpected_error_response
from todo_api.request_id import REQUEST_ID_HEADER, acceptable, current_request_id
from todo_api.settings import Settings

_REQUEST_ID_HEADER = REQUEST_ID_HEADER.lower().encode()
UNMATCHED = "<unmatched>"
NO_REQUEST = "-"

access_log = logging.getLogger("todo_api.access")
error_log = logging.getLogger("todo_api.errors")

# Fields a record may carry (`extra=`) that the JSON format writes out.
_FIELDS = ("request_id", "method", "route", "status", "duration_ms", "statement")


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request being served (or `-`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get() or NO_REQUEST
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = record.__dict__
        for name in _FIELDS:
            value = fields.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s]: %(message)s"


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> None:
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level_number)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER:
            candidate = value.decode("latin-1")
            return candidate if acceptable(candidate) else None
    return None


class RequestLog:
    """See the module's docstring. Outermost of the app's own middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        header = (_REQUEST_ID_HEADER, request_id.encode())
        token = current_request_id.set(request_id)
        status = 500
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
        except Exception:
            error_log.exception(
                "unhandled error in %s %s", scope["method"], _route(scope), extra={"status": 500}
            )
            if response_started:
                raise
            await unexpected_error_response()(scope, receive, send_with_request_id)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                route = _route(scope)
                duration_ms = round((time.perf_counter() - started) * 1000, 3)
                access_log.info(
                    "%s %s %d %.1fms",
                    scope["method"],
                    route,
                    status,
                    duration_ms,
                    extra={
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "duration_ms": duration_ms,
                    },
                )
            current_request_id.reset(token)


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", UNMATCHED) if route is not None else UNMATCHED
