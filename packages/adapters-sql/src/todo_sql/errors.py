"""Database errors the domain has a name for. Anything else propagates unchanged."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import exc

from todo_domain import Conflict, DomainError, InvalidInput, StorageBusy, StorageUnavailable

# PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected.
_PG_LOST_RACE = frozenset({"40001", "40P01"})
# MariaDB/MySQL error number: deadlock.
_MYSQL_LOST_RACE = frozenset({1213})
# PostgreSQL SQLSTATEs: query_canceled (statement_timeout), lock_not_available (lock_timeout).
_PG_BUSY = frozenset({"57014", "55P03"})
# MariaDB/MySQL error numbers: lock wait timeout (row or metadata lock), statement time exceeded
# (MariaDB's max_statement_time, MySQL's max_execution_time).
_MYSQL_BUSY = frozenset({1205, 1969, 3024})
_SQLITE_BUSY = ("database is locked", "database table is locked")
_BUSY = "the database is busy"
_MYSQL_CHECK_FAILED = 4025  # MariaDB reports a failed CHECK as an OperationalError
# A row that refers to a missing one: PostgreSQL's foreign_key_violation, MariaDB/MySQL's
# "cannot add or update a child row", SQLite's message.
_PG_FOREIGN_KEY = "23503"
_MYSQL_FOREIGN_KEY = frozenset({1452, 1216})
_SQLITE_FOREIGN_KEY = "FOREIGN KEY constraint failed"
# PostgreSQL: connection exceptions (class 08), admin/crash shutdown, cannot connect now,
# too many connections.
_PG_UNAVAILABLE_CLASSES = ("08",)
_PG_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "53300"})
# MariaDB/MySQL client errors: cannot connect, server gone away, lost connection, too many.
_MYSQL_UNAVAILABLE = frozenset({1040, 1053, 2002, 2003, 2006, 2013, 2055})


def _driver_error(error: BaseException) -> BaseException:
    """The driver's own exception: SQLAlchemy's wraps it, a read on the driver raises it bare."""
    if isinstance(error, exc.DBAPIError) and error.orig is not None:
        return error.orig
    return error


def _sqlstate(error: BaseException) -> str:
    return str(getattr(_driver_error(error), "sqlstate", None) or "")


def _error_number(error: BaseException) -> object:
    args: tuple[object, ...] = getattr(_driver_error(error), "args", ())
    return args[0] if args else None


def is_constraint_violation(error: exc.DBAPIError) -> bool:
    """Unique, foreign key, CHECK or NOT NULL (SQLSTATE class 23 on PostgreSQL, whatever
    class the asyncpg adapter gives it)."""
    if isinstance(error, exc.IntegrityError) or _sqlstate(error).startswith("23"):
        return True
    return _error_number(error) == _MYSQL_CHECK_FAILED


def is_missing_reference(error: exc.DBAPIError) -> bool:
    """A foreign key that names no row (inserted or updated to refer to a missing one)."""
    return (
        _sqlstate(error) == _PG_FOREIGN_KEY
        or _error_number(error) in _MYSQL_FOREIGN_KEY
        or _SQLITE_FOREIGN_KEY in str(_driver_error(error))
    )


def is_bad_value(error: exc.DBAPIError) -> bool:
    """A value that does not fit its column (too long, out of range): SQLSTATE class 22."""
    return isinstance(error, exc.DataError) or _sqlstate(error).startswith("22")


def is_concurrency_failure(error: BaseException) -> bool:
    """A transaction the database aborted because it lost a race against a concurrent one
    (deadlock, serialization failure): nothing of it happened, and running it again may work."""
    return _sqlstate(error) in _PG_LOST_RACE or _error_number(error) in _MYSQL_LOST_RACE


def is_busy(error: BaseException) -> bool:
    """A statement that ran out of its time on the server: waiting for a lock held by another
    session (PostgreSQL `lock_timeout`, InnoDB's lock wait timeouts, SQLite's busy timeout) or
    running too long (`statement_timeout`, `max_statement_time`)."""
    if _sqlstate(error) in _PG_BUSY or _error_number(error) in _MYSQL_BUSY:
        return True
    orig = _driver_error(error)
    return isinstance(orig, sqlite3.OperationalError) and any(
        message in str(orig) for message in _SQLITE_BUSY
    )


def is_unavailable(error: BaseException) -> bool:
    """The database could not be reached or the connection broke: the operation may be
    retried once the database is back (as opposed to an error of the statement itself)."""
    if isinstance(error, exc.TimeoutError | TimeoutError | OSError):  # pool wait, connect
        return True
    if isinstance(error, asyncpg.InterfaceError | asyncpg.PostgresConnectionError):
        # Bare: raised while SQLAlchemy sets a new connection up (its on-connect steps run
        # unwrapped), or by a read on the driver itself.
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, exc.InterfaceError):
        return True
    sqlstate = _sqlstate(error)
    if sqlstate.startswith(_PG_UNAVAILABLE_CLASSES) or sqlstate in _PG_UNAVAILABLE:
        return True
    if isinstance(error.orig, OSError | TimeoutError):
        return True
    return _error_number(error) in _MYSQL_UNAVAILABLE


def unavailable_error(error: BaseException) -> StorageUnavailable | None:
    """The domain's name (without the driver's message) for an error that says the database
    cannot serve right now: `StorageBusy` when it is reachable but busy (locks, timeouts, a
    lost race), `StorageUnavailable` when it cannot be reached; None for any other error."""
    if is_busy(error) or is_concurrency_failure(error):
        return StorageBusy(_BUSY)
    if is_unavailable(error):
        return StorageUnavailable("the database cannot be reached")
    return None


@contextmanager
def domain_errors(conflict: str, *, missing: DomainError | None = None) -> Iterator[None]:
    """Constraint violations (reported as `conflict`) become `Conflict`, values that do not
    fit `InvalidInput`, a busy database `StorageBusy`; the driver's message (table and
    constraint names, SQL) stays out of the domain error. With `missing`, a foreign key that
    names no row raises that instead (a todo stored into a list that is gone is `NotFound`).

    A busy database or a lost race is never a `Conflict`: the caller did nothing wrong, and
    the same request may succeed a moment later."""
    try:
        yield
    except exc.DBAPIError as error:
        if is_bad_value(error):  # a value the domain rules would have refused
            raise InvalidInput("value", "does not fit its column") from error
        if missing is not None and is_missing_reference(error):
            raise missing from error
        if is_constraint_violation(error):
            raise Conflict(conflict) from error
        if is_busy(error) or is_concurrency_failure(error):
            raise StorageBusy(_BUSY) from error
        raise
