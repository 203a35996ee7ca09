"""Alembic environment: async engines from todo_sql, target metadata from todo_sql.records.

The database: what the caller put in `config.attributes["connection"]` (a `Connection`; an
`AsyncEngine`, or anything with a sync `connect()` such as an `Engine`, to connect with;
todo_sql.migrations and pytest-alembic do that), else the config's `sqlalchemy.url`, else
TODO_DATABASE_URL, else the SQLite file ./todo.db. What is given stays the caller's: a given
connection is not closed here, a given engine not disposed.

The same file runs from the checkout (`alembic` with alembic.ini) and from an installed wheel,
which carries it as todo_sql/alembic/env.py.
"""

import asyncio
import os
from typing import Any

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from todo_sql import create_engine, metadata

DEFAULT_URL = "sqlite+aiosqlite:///./todo.db"

config = context.config


def database_url() -> str:
    configured = config.get_main_option("sqlalchemy.url")
    return configured or os.environ.get("TODO_DATABASE_URL") or DEFAULT_URL


def context_options(connection: Connection) -> dict[str, Any]:
    """What autogenerate compares, and how."""
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


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, **context_options(connection))
    with context.begin_transaction():
        context.run_migrations()


async def run_on_engine(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.run_sync(run_on)
        await connection.commit()


async def run_on_own_engine() -> None:
    engine = create_engine(database_url(), pool_size=1, max_overflow=0, statement_timeout=None)
    try:
        await run_on_engine(engine)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is None:
        asyncio.run(run_on_own_engine())
    elif isinstance(given, AsyncEngine):
        asyncio.run(run_on_engine(given))
    elif isinstance(given, AsyncConnection):
        raise TypeError("env.py needs a Connection (AsyncConnection.run_sync gives one)")
    elif isinstance(given, Connection):
        run_on(given)
    else:
        with given.connect() as connection:
            run_on(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
