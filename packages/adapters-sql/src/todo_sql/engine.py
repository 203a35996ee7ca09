"""The one `AsyncEngine` of a process, configured per dialect, and the readiness ping."""

from typing import Any

from sqlalchemy import event, make_url, pool, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

SUPPORTED = ("sqlite+aiosqlite", "postgresql+asyncpg", "mysql+aiomysql", "mariadb+aiomysql")

# Strict: a value that does not fit is an error, never silently truncated.
_MYSQL_SESSION = "SET SESSION sql_mode = 'TRADITIONAL', time_zone = '+00:00'"


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    pool_timeout: float = 10.0,
    pool_recycle: int = 1800,
    connect_timeout: float = 5.0,
    echo: bool = False,
    sqlite_busy_timeout: float = 5.0,
) -> AsyncEngine:
    """An engine for `url` (one of the async drivers of `SUPPORTED`).

    - PostgreSQL (asyncpg) and MariaDB/MySQL (aiomysql): a pool of `pool_size` connections
      (+ `max_overflow`), checked with a ping when checked out, recycled after `pool_recycle`
      seconds; waiting for a free one gives up after `pool_timeout`, connecting after
      `connect_timeout`. READ COMMITTED isolation (PostgreSQL's default; MariaDB's default
      REPEATABLE READ would let a unit of work read a stale version after a lost update).
    - SQLite (aiosqlite): foreign keys on, WAL journal (readers never wait for the writer),
      synchronous=NORMAL, and writers wait up to `sqlite_busy_timeout` for each other. An
      in-memory database (`sqlite+aiosqlite://`) is one shared connection: tests and demos only.
    """
    parsed = make_url(url)
    driver = f"{parsed.get_backend_name()}+{parsed.get_driver_name()}"
    if driver not in SUPPORTED:
        raise ValueError(f"unsupported database URL scheme {driver!r}; use one of {SUPPORTED}")
    options: dict[str, Any] = {"echo": echo}
    pooled: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": pool_timeout,
        "pool_recycle": pool_recycle,
        "pool_pre_ping": True,
    }
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        options["connect_args"] = {"timeout": sqlite_busy_timeout}
        if parsed.database in (None, "", ":memory:"):
            options["poolclass"] = pool.StaticPool
        else:
            options |= pooled | {"pool_pre_ping": False}  # a file does not drop connections
        engine = _create_async_engine(parsed, **options)
        _configure_sqlite(engine, sqlite_busy_timeout)
        return engine
    if backend == "postgresql":
        options["connect_args"] = {
            "timeout": connect_timeout,
            "server_settings": {
                "application_name": "todo",
                "timezone": "UTC",
                # Short index walks: parallel workers only add start-up time (a page at 1M
                # todos took 8-12 ms with a Gather Merge, 1.5-2 ms without) and compete for
                # the cores the other connections need.
                "max_parallel_workers_per_gather": "0",
            },
        }
    else:
        options["connect_args"] = {
            "connect_timeout": connect_timeout,
            "charset": "utf8mb4",
            "init_command": _MYSQL_SESSION,
        }
    engine = _create_async_engine(parsed, **options, **pooled, isolation_level="READ COMMITTED")
    if backend == "postgresql":
        _ping_in_autocommit(engine)
    return engine


def _ping_in_autocommit(engine: AsyncEngine) -> None:
    """asyncpg: a pooled connection rests in autocommit mode and is handed out as configured.

    The pre-ping on checkout then costs one round trip (`;`) instead of three: outside
    autocommit SQLAlchemy wraps it in BEGIN ... ROLLBACK. Only a flag of the driver adapter
    changes (no statement is sent), after the pool has reset the connection on check-in and
    before anyone else sees it on checkout, so every user meets the configured isolation.
    """

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def resting(dbapi_connection: Any, connection_record: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.autocommit = True

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def working(dbapi_connection: Any, connection_record: Any, proxy: Any) -> None:
        dbapi_connection.autocommit = False


def _configure_sqlite(engine: AsyncEngine, busy_timeout: float) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        finally:
            cursor.close()


_PING = text("SELECT 1")


async def ping(engine: AsyncEngine) -> None:
    """Round trip to the database; raises when it does not answer (readiness probe)."""
    async with engine.connect() as connection:
        await connection.execute(_PING)
