"""Alembic environment: async engines from todo_sql, target metadata from todo_sql.records.

URL: the config's `sqlalchemy.url` when a caller set it (todo_sql.migrations does), else
TODO_DATABASE_URL, else the SQLite file ./todo.db.
"""

import asyncio
import os
from typing import Any

from alembic import context
from sqlalchemy import Connection

from todo_sql import create_engine, metadata

DEFAULT_URL = "sqlite+aiosqlite:///./todo.db"

config = context.config


def database_url() -> str:
    configured = config.get_main_option("sqlalchemy.url")
    return configured or os.environ.get("TODO_DATABASE_URL") or DEFAULT_URL


def context_options(connection: Connection) -> dict[str, Any]:
    """Shared with the drift test: what autogenerate compares, and how."""
    return {
        "target_metadata": metadata,
        "compare_type": True,
        "compare_server_default": False,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        "render_as_batch": connection.dialect.name == "sqlite",
    }


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        compare_type=True,
        render_as_batch=database_url().startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    context.configure(connection=connection, **context_options(connection))
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_engine(database_url(), pool_size=1, max_overflow=0, statement_timeout=None)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
