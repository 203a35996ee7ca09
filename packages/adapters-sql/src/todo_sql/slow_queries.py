"""A log line for every statement slower than a threshold: the statement, never its
parameters (they hold e-mails, password hashes and todo texts)."""

import logging
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("todo_sql.slow_queries")
_STARTED = "todo_sql_started"


def log_slow_queries(engine: AsyncEngine, threshold_seconds: float) -> None:
    """Log statements of `engine` that take longer than `threshold_seconds` (WARNING, with
    `statement` and `duration_ms` as fields)."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "before_cursor_execute")
    def started(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        conn.info[_STARTED] = time.perf_counter()

    @event.listens_for(sync_engine, "after_cursor_execute")
    def finished(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        began = conn.info.pop(_STARTED, None)
        if began is None:
            return
        seconds = time.perf_counter() - began
        if seconds > threshold_seconds:
            duration_ms = round(seconds * 1000, 3)
            log.warning(
                "slow query (%.1f ms): %s",
                duration_ms,
                statement,
                extra={"statement": statement, "duration_ms": duration_ms},
            )
