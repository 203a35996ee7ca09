"""Database errors the domain has a name for. Anything else propagates unchanged."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from todo_domain import Conflict

# PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected, lock_not_available.
_PG_CONCURRENCY = frozenset({"40001", "40P01", "55P03"})
# MariaDB/MySQL error numbers: lock wait timeout, deadlock.
_MYSQL_CONCURRENCY = frozenset({1205, 1213})
_SQLITE_BUSY = ("database is locked", "database table is locked")


def is_concurrency_failure(error: exc.DBAPIError) -> bool:
    """A transaction lost against a concurrent one (worth retrying), on any backend."""
    orig = error.orig
    if getattr(orig, "sqlstate", None) in _PG_CONCURRENCY:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in _MYSQL_CONCURRENCY:
        return True
    return isinstance(error, exc.OperationalError) and any(
        message in str(orig) for message in _SQLITE_BUSY
    )


@contextmanager
def domain_errors(conflict: str) -> Iterator[None]:
    """Constraint violations (reported as `conflict`) and lost concurrency races become
    `Conflict`; the driver's message (table and constraint names, SQL) stays out of it."""
    try:
        yield
    except exc.IntegrityError as error:
        raise Conflict(conflict) from error
    except exc.DBAPIError as error:
        if is_concurrency_failure(error):
            raise Conflict("clashed with a concurrent change; try again") from error
        raise
