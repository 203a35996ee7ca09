"""The storage backends every contract test runs against.

Each backend is an async context manager that yields a fresh, empty `UnitOfWorkFactory` and
cleans up after itself. A backend joins the contract suite by being listed in `BACKENDS`.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from todo_domain import UnitOfWorkFactory
from todo_memory import MemoryUnitOfWorkFactory

Backend = Callable[[], AbstractAsyncContextManager[UnitOfWorkFactory]]


@asynccontextmanager
async def memory() -> AsyncIterator[UnitOfWorkFactory]:
    yield MemoryUnitOfWorkFactory()


BACKENDS: dict[str, Backend] = {"memory": memory}
