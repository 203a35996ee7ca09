"""The one `AsyncEngine` of a process, configured per dialect, and the readiness ping."""

import asyncio
import math
import time
from collections.abc import Awaitable, Coroutine
from typing import Any, Literal
from uuid import uuid4

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event, exc, make_url, pool, select
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from todo_sql.statements import todos

SUPPORTED = ("sqlite+aiosqlite", "postgresql+asyncpg", "mysql+aiomysql", "mariadb+aiomysql")

# A pooled connection that rested longer than this is pinged before it is handed out.
PING_AFTER_IDLE = 5.0
_RESTED_SINCE = "todo_rested_since"

# How long one statement may take on the server, lock waits included.
STATEMENT_TIMEOUT = 5.0

# Between two attempts to find a cluster's leader while it fails over (doubling up to the last).
LEADER_RETRY = (0.05, 0.5)
# PostgreSQL's read_only_sql_transaction: a write on a standby.
_PG_READ_ONLY = "25006"

# What sits between the service and PostgreSQL: nothing (or a pooler in session mode, which
# keeps a server connection per client connection), or a pooler in transaction mode
# (PgBouncer's `pool_mode = transaction`), which may hand each transaction to another server
# connection.
Pooler = Literal["none", "transaction"]
POOLERS: tuple[Pooler, ...] = ("none", "transaction")


def create_engine(
    url: str,
    *,
    pool_size: int = 20,
    max_overflow: int = 0,
    pool_timeout: float = 10.0,
    pool_recycle: int = 1800,
    connect_timeout: float = 5.0,
    echo: bool = False,
    statement_timeout: float | None = STATEMENT_TIMEOUT,
    ping_after_idle: float = PING_AFTER_IDLE,
    pooler: Pooler = "none",
) -> AsyncEngine:
    """An engine for `url` (one of the async drivers of `SUPPORTED`).

    - PostgreSQL (asyncpg) and MariaDB/MySQL (aiomysql): a pool of `pool_size` connections
      (+ `max_overflow`), checked on checkout (see `_ping_after_rest`: a ping only after a
      rest of `ping_after_idle` seconds), recycled after `pool_recycle` seconds; waiting for
      a free one gives up after `pool_timeout`, connecting after `connect_timeout`.
      READ COMMITTED isolation (PostgreSQL's default; MariaDB's default REPEATABLE READ
      would let a unit of work read a stale version after a lost update).
      Every statement, waiting for locks included, ends on the server after
      `statement_timeout` seconds (PostgreSQL `statement_timeout` and `lock_timeout`;
      MariaDB `max_statement_time`, `innodb_lock_wait_timeout` and, for table locks,
      `lock_wait_timeout`, the last two in whole seconds), so a lock held by another session
      costs a request at most that long instead of as long as the lock lasts. None leaves
      statements unbounded: for schema migrations and administration, never for requests.
    - PostgreSQL behind a pooler in transaction mode (`pooler="transaction"`): see
      `_behind_transaction_pooler`. The session settings above are then the server's to set.
    - PostgreSQL with several hosts (`?host=h1:p1&host=h2:p2&target_session_attrs=read-write`,
      a replicated cluster): a new connection goes to the one that takes writes, trying them
      all at once, and waits for one, up to `connect_timeout`, while none does (a failover
      under way: see `_connect_to_leader`). A write that meets a standby anyway drops the
      connection as a lost one (`_standby_is_a_disconnect`), so the pool reconnects to the
      leader.
    - SQLite (aiosqlite): foreign keys on, WAL journal (readers never wait for the writer),
      synchronous=NORMAL, and writers wait up to `statement_timeout` (`STATEMENT_TIMEOUT`
      when None) for each other: the busy timeout. An in-memory database
      (`sqlite+aiosqlite://`) is one shared connection: tests and demos only.
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
    }
    backend = parsed.get_backend_name()
    if pooler != "none" and backend != "postgresql":
        raise ValueError(f"a pooler in {pooler} mode is for PostgreSQL, not {backend}")
    if backend == "sqlite":
        busy_timeout = statement_timeout or STATEMENT_TIMEOUT
        options["connect_args"] = {"timeout": busy_timeout}
        if parsed.database in (None, "", ":memory:"):
            options["poolclass"] = pool.StaticPool
        else:
            options |= pooled  # a file does not drop connections: no ping
        engine = _create_async_engine(parsed, **options)
        _configure_sqlite(engine, busy_timeout)
        return engine
    if backend == "postgresql":
        options["connect_args"] = {
            "timeout": connect_timeout,
            "async_creator_fn": _connect_to_leader,
            "server_settings": {
                "application_name": "todo",
                "timezone": "UTC",
                # Short index walks: parallel workers only add start-up time (a page at 1M
                # todos took several times as long with a Gather Merge: bench/README.md) and
                # compete for the cores the other connections need.
                "max_parallel_workers_per_gather": "0",
            },
        }
        if statement_timeout is not None:
            bound = _milliseconds(statement_timeout)
            options["connect_args"]["server_settings"] |= {
                "statement_timeout": bound,
                "lock_timeout": bound,
            }
        if pooler == "transaction":
            _behind_transaction_pooler(options["connect_args"])
    else:
        options["connect_args"] = {
            "connect_timeout": connect_timeout,
            "charset": "utf8mb4",
            "init_command": _mysql_session(statement_timeout),
        }
    engine = _create_async_engine(parsed, **options, **pooled, isolation_level="READ COMMITTED")
    _ping_after_rest(engine, ping_after_idle, rest_in_autocommit=backend == "postgresql")
    if backend == "postgresql":
        event.listen(engine.sync_engine, "handle_error", _standby_is_a_disconnect)
    return engine


# The only startup parameters PgBouncer passes on (it tracks them per server connection); it
# refuses a connection that asks for any other.
_POOLER_SERVER_SETTINGS = ("application_name", "timezone")


def _behind_transaction_pooler(connect_args: dict[str, Any]) -> None:
    """Connection options for a pooler in transaction mode, where consecutive transactions of
    one connection may run on different server connections, each shared with other clients.

    A named prepared statement lives on the server connection that prepared it, so none is
    kept for reuse: asyncpg's statement cache is off (its statements, the driver reads of
    `todo_sql.driver_reads` included, are then unnamed and prepared and run in one
    Parse ... Sync exchange, which the pooler never splits), and so is SQLAlchemy's; the
    statements SQLAlchemy prepares by name get a name of their own, as one prepared on this
    server connection by another client under asyncpg's per-connection counter would be
    found instead (another statement, with other result types). Session settings other than
    those the pooler tracks are refused by it at startup: `statement_timeout`, `lock_timeout`
    and `max_parallel_workers_per_gather` are set on the database role instead
    (docs/operations.md, "Behind PgBouncer")."""
    connect_args["statement_cache_size"] = 0
    connect_args["prepared_statement_cache_size"] = 0
    connect_args["prepared_statement_name_func"] = _unique_statement_name
    settings = connect_args["server_settings"]
    connect_args["server_settings"] = {
        name: value for name, value in settings.items() if name in _POOLER_SERVER_SETTINGS
    }


def _unique_statement_name() -> str:
    return f"__todo_{uuid4().hex}__"


class ServerNotReady(ConnectionError):
    """The server answered but takes no connection of ours now: it is starting or shutting
    down, or, for a cluster, none of its hosts takes writes. "Cannot be reached" (503)."""


# A server that answered, but not as one that can serve us now.
_NOT_READY = (asyncpg.TargetServerAttributeNotMatched, asyncpg.CannotConnectNowError)


async def _connect_to_leader(*args: Any, **kwargs: Any) -> Any:
    """`asyncpg.connect`, for a cluster host by host at once: the first host to give a
    connection that matches `target_session_attrs` wins, and each host is tried again with a
    short backoff until the connect timeout is spent. So a failover of a few seconds (the
    leader gone or shutting down, no standby promoted yet) delays requests instead of
    failing them, and a host that never answers (a lost machine: asyncpg's own timeout
    covers all hosts together, tried in turn) costs nothing while another takes writes.
    asyncpg's errors for a server that answered but is not ready are no OSError and no
    connection error: they become `ServerNotReady`."""
    hosts, ports = kwargs.pop("host", None), kwargs.pop("port", None)
    deadline = time.monotonic() + kwargs.pop("timeout")
    if not isinstance(hosts, list) or len(hosts) < 2:
        return await _not_ready_named(
            asyncpg.connect(
                *args, host=hosts, port=ports, timeout=deadline - time.monotonic(), **kwargs
            )
        )
    attempts = [
        _keep_trying(host, port, deadline, args, kwargs)
        for host, port in zip(hosts, ports, strict=True)
    ]
    return await _not_ready_named(_first_to_connect(attempts))


async def _keep_trying(
    host: str, port: int, deadline: float, args: Any, kwargs: dict[str, Any]
) -> Any:
    pause, longest = LEADER_RETRY
    while True:
        try:
            return await asyncpg.connect(
                *args, host=host, port=port, timeout=deadline - time.monotonic(), **kwargs
            )
        except (OSError, *_NOT_READY):
            if time.monotonic() + pause >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, longest)


async def _first_to_connect(attempts: list[Coroutine[Any, Any, Any]]) -> Any:
    """The connection of the first attempt that succeeds; the others are cancelled, and
    closed if they connected meanwhile. If every one fails, the error that says most: a
    server that answered (not ready) rather than one that did not."""
    tasks = [asyncio.ensure_future(attempt) for attempt in attempts]
    errors: list[BaseException] = []
    winner = None
    try:
        for attempt in asyncio.as_completed(tasks):
            try:
                winner = await attempt
                return winner
            except (OSError, *_NOT_READY) as error:
                errors.append(error)
        raise next((e for e in errors if isinstance(e, _NOT_READY)), errors[-1])
    finally:
        for task in tasks:
            task.cancel()
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if outcome is not winner and not isinstance(outcome, BaseException):
                outcome.terminate()


async def _not_ready_named(connecting: Awaitable[Any]) -> Any:
    try:
        return await connecting
    except _NOT_READY as error:
        raise ServerNotReady(str(error)) from error


def _standby_is_a_disconnect(context: ExceptionContext) -> None:
    """A write refused as read-only came to a standby: the server this connection reached was
    the leader once and was demoted, or a connection was made without `target_session_attrs`.
    As a lost connection it is discarded with the pool's others (the unit of work answers
    503, as for any lost connection) and the next ones go to the leader."""
    original = context.original_exception
    if getattr(original, "sqlstate", None) == _PG_READ_ONLY:
        context.is_disconnect = True


def _milliseconds(seconds: float) -> str:
    return f"{max(1, round(seconds * 1000))}ms"


def _mysql_session(statement_timeout: float | None) -> str:
    """The session of a MariaDB/MySQL connection: strict (a value that does not fit is an
    error, never silently truncated), UTC, and bounded waits. The lock wait timeouts take whole
    seconds (at least one); `max_statement_time` is MariaDB's alone, so it sits in a comment
    that only MariaDB executes."""
    session = "SET SESSION sql_mode = 'TRADITIONAL', time_zone = '+00:00'"
    if statement_timeout is None:
        return session
    lock_wait = max(1, math.ceil(statement_timeout))
    return (
        f"{session}, innodb_lock_wait_timeout = {lock_wait}, lock_wait_timeout = {lock_wait}"
        f" /*M!, max_statement_time = {statement_timeout:.3f} */"
    )


def _ping_after_rest(engine: AsyncEngine, idle: float, *, rest_in_autocommit: bool) -> None:
    """Pings a pooled connection on checkout only when it rested more than `idle` seconds.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: one more round trip per unit of
    work (a sizeable share of a get by id's CPU, on the database and in the service). A
    connection in steady use proves itself with every statement, and a disconnect seen by a
    statement makes SQLAlchemy invalidate the whole pool (every connection checked in before
    it is replaced on its next checkout). So on checkout a connection is replaced, with the
    pool, when the driver already knows it was closed while it rested (terminated backend,
    restarted server: no round trip needed), and pinged only after a long rest (a peer that
    vanished without closing anything).

    asyncpg: a connection rests in autocommit mode and is handed out as configured, so the
    ping is one round trip (`;`) instead of three (outside autocommit SQLAlchemy wraps it in
    BEGIN ... ROLLBACK). Only a flag of the driver adapter changes (no statement is sent),
    after the pool has reset the connection on check-in and before anyone sees it on
    checkout, so every user meets the configured isolation.
    """
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def resting(dbapi_connection: Any, connection_record: Any) -> None:
        connection_record.info[_RESTED_SINCE] = time.monotonic()
        if rest_in_autocommit and dbapi_connection is not None:
            dbapi_connection.autocommit = True

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def working(dbapi_connection: Any, connection_record: Any, proxy: Any) -> None:
        rested_since = connection_record.info.pop(_RESTED_SINCE, None)
        if rested_since is not None:
            if _known_closed(connection_record.driver_connection):
                raise exc.InvalidatePoolError("the server closed a resting connection")
            if time.monotonic() - rested_since > idle:
                try:
                    dialect.do_ping(dbapi_connection)
                except Exception as error:
                    # As `pool_pre_ping`: the pool replaces this connection and every one
                    # that rested since before now (a failed ping after a rest: a restart).
                    raise exc.InvalidatePoolError(str(error)) from error
        if rest_in_autocommit:
            dbapi_connection.autocommit = False


def _known_closed(driver_connection: Any) -> bool:
    """What the driver already knows, without a round trip: asyncpg reads its sockets on the
    event loop, so a backend that was terminated, or a server that went away with a clean
    close, shows up here at once; aiomysql only learns it on its next use."""
    is_closed = getattr(driver_connection, "is_closed", None)  # asyncpg
    if callable(is_closed):
        return bool(is_closed())
    return bool(getattr(driver_connection, "closed", False))  # aiomysql


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


# A read of the todos table, not `SELECT 1`: a database that answers but cannot serve that
# table (locked by another session) is not ready either; the statement timeout bounds it.
_PING = select(todos.c.id).limit(1)


async def ping(engine: AsyncEngine) -> None:
    """A read from the todos table; raises when the database cannot serve it within the
    statement timeout, or cannot be reached (readiness probe)."""
    async with engine.connect() as connection:
        await connection.execute(_PING)
