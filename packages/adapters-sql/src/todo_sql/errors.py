"""Database errors the domain has a name for. Anything else propagates unchanged."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from todo_domain import Conflict, InvalidInput, StorageUnavailable

# PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected, lock_not_available.
_PG_CONCURRENCY = frozenset({"40001", "40P01", "55P03"})
# MariaDB/MySQL error numbers: lock wait timeout, deadlock.
_MYSQL_CONCURRENCY = frozenset({1205, 1213})
_SQLITE_BUSY = ("database is locked", "database table is locked")
_MYSQL_CHECK_FAILED = 4025  # MariaDB reports a failed CHECK as an OperationalError
# PostgreSQL: connection exceptions (class 08), admin/crash shutdown, cannot connect now,
# too many connections.
_PG_UNAVAILABLE_CLASSES = ("08",)
_PG_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "53300"})
# MariaDB/MySQL client errors: cannot connect, server gone away, lost connection, too many.
_MYSQL_UNAVAILABLE = frozenset({1040, 1053, 2002, 2003, 2006, 2013, 2055})


def _sqlstate(error: exc.DBAPIError) -> str:
    return str(getattr(error.orig, "sqlstate", None) or "")


def is_constraint_violation(error: exc.DBAPIError) -> bool:
    """Unique, foreign key, CHECK or NOT NULL (SQLSTATE class 23 on PostgreSQL, whatever
    class the asyncpg adapter gives it)."""
    if isinstance(error, exc.IntegrityError) or _sqlstate(error).startswith("23"):
        return True
    args: tuple[object, ...] = getattr(error.orig, "args", ())
    return bool(args) and args[0] == _MYSQL_CHECK_FAILED


def is_bad_value(error: exc.DBAPIError) -> bool:
    """A value that does not fit its column (too long, out of range): SQLSTATE class 22."""
    return isinstance(error, exc.DataError) or _sqlstate(error).startswith("22")


def is_concurrency_failure(error: exc.DBAPIError) -> bool:
    """A transaction lost against a concurrent one (worth retrying), on any backend."""
    orig = error.orig
    if _sqlstate(error) in _PG_CONCURRENCY:
        return True
    args: tuple[object, ...] = getattr(orig, "args", ())
    if args and args[0] in _MYSQL_CONCURRENCY:
        return True
    return isinstance(error, exc.OperationalError) and any(
        message in str(orig) for message in _SQLITE_BUSY
    )


def is_unavailable(error: BaseException) -> bool:
    """The database could not be reached or the connection broke: the operation may be
    retried once the database is back (as opposed to an error of the statement itself)."""
    if isinstance(error, exc.TimeoutError | TimeoutError | OSError):  # pool wait, connect
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, exc.InterfaceError):
        return True
    sqlstate = _sqlstate(error)
    if sqlstate.startswith(_PG_UNAVAILABLE_CLASSES) or sqlstate in _PG_UNAVAILABLE:
        return True
    orig = error.orig
    if isinstance(orig, OSError | TimeoutError):
        return True
    args: tuple[object, ...] = getattr(orig, "args", ())
    return bool(args) and args[0] in _MYSQL_UNAVAILABLE


def unavailable_error(error: BaseException) -> StorageUnavailable | None:
    """`StorageUnavailable` (without the driver's message) if `error` means the database
    cannot be reached; None for any other error."""
    if is_unavailable(error):
        return StorageUnavailable("the database cannot be reached")
    return None


@contextmanager
def domain_errors(conflict: str) -> Iterator[None]:
    """Constraint violations (reported as `conflict`) and lost concurrency races become
    `Conflict`, values that do not fit `InvalidInput`; the driver's message (table and
    constraint names, SQL) stays out of the domain error."""
    try:
        yield
    except exc.DBAPIError as error:
        if is_bad_value(error):  # a value the domain rules would have refused
            raise InvalidInput("value", "does not fit its column") from error
        if is_constraint_violation(error):
            raise Conflict(conflict) from error
        if is_concurrency_failure(error):
            raise Conflict("clashed with a concurrent change; try again") from error
        raise
