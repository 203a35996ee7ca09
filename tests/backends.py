"""The storage backends every contract test runs against.

Each backend is an async context manager that yields a fresh, empty `UnitOfWorkFactory` and
cleans up after itself. A backend joins the contract suite by being listed in `BACKENDS`.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from pgbouncer import through_pgbouncer
from sqldb import sql_factory
from todo_domain import UnitOfWorkFactory
from todo_memory import MemoryUnitOfWorkFactory

Backend = Callable[[], AbstractAsyncContextManager[UnitOfWorkFactory]]


@asynccontextmanager
async def memory() -> AsyncIterator[UnitOfWorkFactory]:
    yield MemoryUnitOfWorkFactory()


@asynccontextmanager
async def sqlite() -> AsyncIterator[UnitOfWorkFactory]:
    async with sql_factory("sqlite") as factory:
        yield factory


@asynccontextmanager
async def postgresql() -> AsyncIterator[UnitOfWorkFactory]:
    """Skipped when the server is unreachable (TEST_POSTGRES_URL), failed instead in CI."""
    async with sql_factory("postgresql") as factory:
        yield factory


@asynccontextmanager
async def postgresql_pgbouncer() -> AsyncIterator[UnitOfWorkFactory]:
    """PostgreSQL through PgBouncer in transaction mode (`pgbouncer.py`): skipped without
    the server or the binary, failed instead in CI."""
    async with sql_factory("postgresql", through_pooler=through_pgbouncer) as factory:
        yield factory


@asynccontextmanager
async def mariadb() -> AsyncIterator[UnitOfWorkFactory]:
    """Skipped when the server is unreachable (TEST_MARIADB_URL), failed instead in CI."""
    async with sql_factory("mariadb") as factory:
        yield factory


BACKENDS: dict[str, Backend] = {
    "memory": memory,
    "sqlite": sqlite,
    "postgresql": postgresql,
    "postgresql-pgbouncer": postgresql_pgbouncer,
    "mariadb": mariadb,
}
