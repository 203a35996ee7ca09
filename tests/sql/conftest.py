from collections.abc import AsyncIterator
from uuid import UUID

import pytest

from builders import make_user
from sqldb import SQL_BACKENDS, sql_factory
from todo_sql import SqlUnitOfWorkFactory


@pytest.fixture(params=SQL_BACKENDS)
async def sql(request: pytest.FixtureRequest) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """The SQL adapter itself on an empty, migrated database of every SQL backend."""
    async with sql_factory(request.param) as factory:
        yield factory


@pytest.fixture
async def owner(sql: SqlUnitOfWorkFactory) -> UUID:
    """A registered user (todos need an existing owner in SQL)."""
    user = make_user()
    async with sql() as uow:
        await uow.users.add(user)
    return user.id
