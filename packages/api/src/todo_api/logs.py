"""Logging: level and format (text, or one JSON object a line), and the request id of every
line logged while a request runs. The lines about each request are written by
`todo_api.observe.RequestObserver`."""

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import IO

from todo_api.request_id import current_request_id
from todo_api.settings import Settings

NO_REQUEST = "-"

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


class NoCancelledRequestTraceback(logging.Filter):
    """Drops uvicorn's traceback of a request it cancelled because its graceful shut-down time
    was up: it says so once (`Cancel N running task(s)`), and `RequestObserver` has answered
    each of them 503 and written its access line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[0] if record.exc_info else None
        return error is None or not issubclass(error, asyncio.CancelledError)


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
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    server_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(known, NoCancelledRequestTraceback) for known in server_log.filters):
        server_log.addFilter(NoCancelledRequestTraceback())
    # uvicorn's access line names the client and the full query string; the service writes its
    # own (`todo_api.access`). uvicorn's protocols log it whenever the logger has a handler, root's
    # included, and a worker process runs this after uvicorn has set `access_log=False` up.
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False
    # With `echo` on, SQLAlchemy gives its engine logger a stdout handler of its own (its
    # format, no request id) unless that logger already has one: a NullHandler keeps the
    # statements on the root handler alone.
    sql_log = logging.getLogger("sqlalchemy.engine.Engine")
    sql_log.handlers[:] = [logging.NullHandler()]
