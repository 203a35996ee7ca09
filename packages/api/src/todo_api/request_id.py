"""The id of the request being served, for log lines and problem bodies (a context variable:
each request runs in a task of its own)."""

import re
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_MAX = 128
_SAFE = re.compile(rf"[A-Za-z0-9._:-]{{1,{REQUEST_ID_MAX}}}")

current_request_id: ContextVar[str | None] = ContextVar("todo_request_id", default=None)


def acceptable(value: str) -> bool:
    """A caller's id is taken when short and plain: it ends up in logs and headers."""
    return _SAFE.fullmatch(value) is not None
