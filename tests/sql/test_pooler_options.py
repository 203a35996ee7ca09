"""What the engine asks of asyncpg behind a pooler in transaction mode, and without one
(checked at the connection attempt, on a port where nothing listens)."""

from typing import Any

import pytest

from sqldb import first_connect_options
from todo_sql import create_engine

URL = "postgresql+asyncpg://nobody@127.0.0.1:1/none"


async def connect_options(**engine_options: Any) -> dict[str, Any]:
    engine = create_engine(URL, **engine_options)
    try:
        return await first_connect_options(engine)
    finally:
        await engine.dispose()


async def test_behind_a_transaction_pooler_no_prepared_statement_is_kept() -> None:
    options = await connect_options(pooler="transaction")

    assert options["statement_cache_size"] == 0  # asyncpg's own: unnamed statements
    assert options["prepared_statement_cache_size"] == 0  # SQLAlchemy's
    name_of = options["prepared_statement_name_func"]
    names = {name_of() for _ in range(1000)}
    assert len(names) == 1000
    assert all(name.startswith("__todo_") for name in names)


async def test_behind_a_transaction_pooler_only_settings_it_passes_on_are_sent() -> None:
    options = await connect_options(pooler="transaction", statement_timeout=3.0)

    assert options["server_settings"] == {"application_name": "todo", "timezone": "UTC"}


async def test_without_a_pooler_statements_are_cached_and_the_session_is_set_up() -> None:
    options = await connect_options(statement_timeout=3.0)

    assert "statement_cache_size" not in options  # asyncpg's default cache
    assert "prepared_statement_name_func" not in options
    assert options["server_settings"]["statement_timeout"] == "3000ms"
    assert options["server_settings"]["lock_timeout"] == "3000ms"
    assert options["server_settings"]["max_parallel_workers_per_gather"] == "0"


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///x.db", "mariadb+aiomysql://u@h/x"])
def test_a_transaction_pooler_is_for_postgresql_only(url: str) -> None:
    with pytest.raises(ValueError, match="for PostgreSQL"):
        create_engine(url, pooler="transaction")
