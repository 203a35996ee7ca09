"""Logging set-up: level and format from the settings, uvicorn's loggers through the root (its
access logger silenced: the service writes its own access line)."""

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from todo_api.logs import configure_logging
from todo_sql import create_engine

from .support import settings_for


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_format_writes_one_object_a_line(
    root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings_for("memory", log_format="json", log_level="warning"))

    logging.getLogger("todo_api.test").info("not shown")
    logging.getLogger("uvicorn.error").warning("shown %s", "here")

    [line] = capsys.readouterr().err.strip().splitlines()
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "uvicorn.error"
    assert entry["message"] == "shown here"
    assert root_logger.level == logging.WARNING


def test_text_format_names_level_and_logger(
    root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings_for("memory"))

    logging.getLogger("todo_api.test").info("hello")

    assert "INFO    todo_api.test [-]: hello" in capsys.readouterr().err


def test_a_request_cancelled_at_shut_down_logs_no_traceback(
    root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings_for("memory"))
    server_log = logging.getLogger("uvicorn.error")

    for error in (asyncio.CancelledError("timeout graceful shutdown exceeded"), ValueError("bug")):
        try:
            raise error
        except BaseException as raised:
            server_log.error("Exception in ASGI application\n", exc_info=raised)

    output = capsys.readouterr().err
    assert output.count("Exception in ASGI application") == 1
    assert "ValueError: bug" in output
    assert "CancelledError" not in output


async def test_echoed_sql_is_logged_once_in_the_services_format(
    root_logger: logging.Logger, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """SQLAlchemy's `echo` adds a handler of its own (stdout, its format, no request id)
    unless its logger has one: every statement must go through the service's handler only."""
    configure_logging(settings_for("memory", log_format="json"))
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'echo.db'}", echo=True)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 42"))
    finally:
        await engine.dispose()

    captured = capsys.readouterr()
    assert "SELECT 42" not in captured.out
    echoed = [json.loads(line) for line in captured.err.splitlines() if "SELECT 42" in line]
    assert [entry["logger"] for entry in echoed] == ["sqlalchemy.engine.Engine"]
    assert echoed[0]["request_id"] == "-"
