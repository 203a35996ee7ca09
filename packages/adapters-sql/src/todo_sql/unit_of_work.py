"""One transaction on one pooled connection (the `UnitOfWork` port)."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy import CursorResult, Executable
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from todo_domain import StorageBusy
from todo_sql.accounts import SqlSessionRepository, SqlUserRepository
from todo_sql.driver_reads import DriverReads
from todo_sql.engine import STATEMENT_TIMEOUT
from todo_sql.errors import domain_errors, is_busy, unavailable_error
from todo_sql.repositories import (
    SqlLoginFailureRepository,
    SqlMembershipRepository,
    SqlTodoListRepository,
    SqlTodoRepository,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

AUTOCOMMIT = "AUTOCOMMIT"
READ_COMMITTED = "READ COMMITTED"
# The client's own bound on a statement is the server's statement timeout plus this: the
# server's timeout ends a statement first whenever the server still answers (and leaves the
# connection usable); the client's ends it when the server stopped answering altogether
# (frozen, or a connection that silently went nowhere).
CLIENT_GRACE = 1.0
_NO_ANSWER = "the database did not answer in time"


class SqlUnitOfWork:
    """Checks a connection out of the pool on entry; commits on clean exit, rolls back when
    the block raises, and always returns the connection.

    The transaction begins with the first write (`writer`); MariaDB/MySQL begin it with the
    first statement. Isolation is READ COMMITTED on PostgreSQL and MariaDB/MySQL (see
    `engine.create_engine`), serialised writers on SQLite.

    Every statement is bounded: on the server by the engine's statement timeout, and here by
    that timeout plus `CLIENT_GRACE` (`statement_timeout`, the same value as the engine's).
    A statement that ran out, or lost a race the database aborted, raises `StorageBusy`; one
    that got no answer also discards its connection, which nobody can use any more.

    PostgreSQL reads before the first write run outside a transaction: under READ COMMITTED
    every statement sees its own snapshot anyway, inside a transaction or not, so a read-only
    unit of work means the same without its BEGIN and COMMIT round trips. The connection is
    switched to autocommit only when such a read goes through SQLAlchemy (reads on the driver
    need no switch), so a unit of work that starts with a write pays for no switching. SQLite's
    driver begins with the first write by itself (reads never hold a snapshot that a later
    write could not upgrade).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        driver_reads: DriverReads | None = None,
        *,
        statement_timeout: float = STATEMENT_TIMEOUT,
    ) -> None:
        self._engine = engine
        self._driver_reads = driver_reads
        self._answer_within = statement_timeout + CLIENT_GRACE
        self.dialect = engine.dialect.name
        self._connection: AsyncConnection | None = None
        self._reads_autocommit = self.dialect == "postgresql"
        self._in_transaction = False
        self._wrote = False  # a read may run again on a fresh connection until the first write
        self._autocommit = False  # switched on for the reads through SQLAlchemy
        self._todos = SqlTodoRepository(self)
        self._users = SqlUserRepository(self)
        self._login_failures = SqlLoginFailureRepository(self)
        self._lists = SqlTodoListRepository(self)
        self._memberships = SqlMembershipRepository(self)
        self._sessions = SqlSessionRepository(self)

    @property
    def todos(self) -> SqlTodoRepository:
        return self._todos

    @property
    def users(self) -> SqlUserRepository:
        return self._users

    @property
    def lists(self) -> SqlTodoListRepository:
        return self._lists

    @property
    def memberships(self) -> SqlMembershipRepository:
        return self._memberships

    @property
    def login_failures(self) -> SqlLoginFailureRepository:
        return self._login_failures

    @property
    def sessions(self) -> SqlSessionRepository:
        return self._sessions

    @property
    def connection(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("use the unit of work as `async with uow: ...`")
        return self._connection

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("a unit of work is entered once")
        self._in_transaction = not self._reads_autocommit
        self._connection = await self._connect()
        return self

    async def _connect(self) -> AsyncConnection:
        self._autocommit = False
        try:
            return await self._engine.connect()
        except Exception as error:
            if (unavailable := unavailable_error(error)) is not None:
                raise unavailable from error
            raise

    async def read(
        self, statement: Executable, params: Mapping[str, Any]
    ) -> Sequence[Sequence[Any]]:
        """The rows of a query.

        Outside a transaction (PostgreSQL, before the first write) a query runs on the driver
        itself (`DriverReads`, when usable), and, should that fail, once more through
        SQLAlchemy, which then says what went wrong. Before the first write a query that finds
        its connection closed by the server runs once more on a fresh connection (SQLAlchemy
        has already invalidated the pool's older ones): under READ COMMITTED the reads before
        it lose nothing with their connection (MariaDB's implicit transaction has written
        nothing yet), so a database restart or a killed connection costs no failed read."""
        reads = self._driver_reads
        if reads is not None and not self._in_transaction and reads.usable:
            try:
                connection = self.connection.sync_connection.connection  # type: ignore[union-attr]
                rows = await self._bounded(
                    reads.fetch(connection.driver_connection, statement, params)
                )
            except StorageBusy:
                raise
            except Exception as error:
                if is_busy(error):  # it would only wait as long once more
                    raise StorageBusy("the database is busy") from error
                # Run again below, where errors are mapped and a lost connection replaced.
                log.debug(
                    "a read on the driver failed; running it through SQLAlchemy", exc_info=True
                )
            else:
                if rows is not None:
                    return rows
        try:
            return await self._read_through_sqlalchemy(statement, params)
        except DBAPIError as error:
            if self._wrote or not error.connection_invalidated:
                raise
        await self.connection.close()
        self._connection = None  # a failed reconnect leaves nothing to close in __aexit__
        self._connection = await self._connect()
        return await self._read_through_sqlalchemy(statement, params)

    async def _read_through_sqlalchemy(
        self, statement: Executable, params: Mapping[str, Any]
    ) -> Sequence[Sequence[Any]]:
        connection = self.connection
        if not (self._in_transaction or self._autocommit or connection.in_transaction()):
            await connection.execution_options(isolation_level=AUTOCOMMIT)
            self._autocommit = True
        return (await self._bounded(connection.execute(statement, params))).all()

    async def write(
        self, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> CursorResult[Any]:
        """Runs a statement inside the transaction (the first one begins it)."""
        connection = await self.writer()
        return await self._bounded(connection.execute(statement, params))

    async def _bounded(self, statement: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self._answer_within):
                return await statement
        except TimeoutError as error:
            # Cancelled half-way, the connection is in a state nobody knows: discard it.
            with contextlib.suppress(Exception):
                await self.connection.invalidate()
            raise StorageBusy(_NO_ANSWER) from error

    async def writer(self) -> AsyncConnection:
        """The connection, inside the transaction: the first write begins it."""
        connection = self.connection
        if self._autocommit:
            await connection.commit()  # ends the autocommit reads (nothing is sent)
            await connection.execution_options(isolation_level=self._isolation)
            self._autocommit = False
        self._in_transaction = self._wrote = True
        return connection

    async def begin_writing(self) -> None:
        """Begins the transaction now, as a write would, so that what is read next is read
        inside it (`MembershipRepository.hold`).

        SQLite has no row locks, and its driver begins a transaction only before an INSERT,
        UPDATE or DELETE: a read before this unit of work's first write would run outside any
        transaction, and another writer could change what it read before that write. So on
        SQLite this takes the database's write lock (`BEGIN IMMEDIATE`, waiting up to the busy
        timeout) unless a transaction is open already; other writers wait for this one's end.
        Elsewhere the reads that need it lock their rows themselves."""
        connection = await self.writer()
        if self.dialect != "sqlite":
            return
        raw = await connection.get_raw_connection()
        if not raw.driver_connection.in_transaction:  # type: ignore[union-attr]
            await self._bounded(connection.exec_driver_sql("BEGIN IMMEDIATE"))

    @property
    def _isolation(self) -> str:
        return getattr(self._engine.dialect, "isolation_level", None) or READ_COMMITTED

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """A lost connection, in the block or in the commit, becomes `StorageUnavailable`
        (the domain's name for it; the API answers 503). A failed commit always raises."""
        connection = self._connection
        if connection is None:  # the reconnect of a `read` failed: nothing left to end
            return
        try:
            if exc_type is None:
                try:
                    with domain_errors("the changes conflict with stored data"):
                        await self._bounded(connection.commit())
                except Exception as error:
                    # Whatever state the failed commit left behind (an open transaction
                    # included) must not reach the next user of the connection: discard it.
                    with contextlib.suppress(Exception):
                        await connection.invalidate()
                    if (unavailable := unavailable_error(error)) is not None:
                        raise unavailable from error
                    raise
            else:
                try:
                    await connection.rollback()
                except Exception as error:
                    # The connection is gone: the server rolls back by itself. The error of
                    # the block is the one that matters.
                    if exc is None or unavailable_error(error) is None:
                        raise
                if exc is not None and (unavailable := unavailable_error(exc)) is not None:
                    raise unavailable from exc
        finally:
            await connection.close()


class SqlUnitOfWorkFactory:
    """Fresh units of work over one engine (the `UnitOfWorkFactory` port)."""

    def __init__(
        self, engine: AsyncEngine, *, statement_timeout: float = STATEMENT_TIMEOUT
    ) -> None:
        """`statement_timeout`: the one the engine was made with (`create_engine`)."""
        self.engine = engine
        self._statement_timeout = statement_timeout
        asyncpg = engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg"
        self._driver_reads = DriverReads(engine) if asyncpg else None

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.engine, self._driver_reads, statement_timeout=self._statement_timeout
        )
