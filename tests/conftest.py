from collections.abc import AsyncIterator

import pytest

from backends import BACKENDS
from todo_domain import UnitOfWorkFactory


@pytest.fixture(params=list(BACKENDS))
async def uow_factory(request: pytest.FixtureRequest) -> AsyncIterator[UnitOfWorkFactory]:
    """A fresh, empty storage of every backend in turn."""
    async with BACKENDS[request.param]() as factory:
        yield factory
