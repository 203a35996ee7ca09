from collections.abc import AsyncIterator
from uuid import UUID

import pytest

from builders import register_owners
from sqldb import SQL_BACKENDS, sql_factory
from todo_domain import new_id
from todo_sql import SqlUnitOfWorkFactory


@pytest.fixture(params=SQL_BACKENDS)
async def sql(request: pytest.FixtureRequest) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """The SQL adapter itself on an empty, migrated database of every SQL backend."""
    async with sql_factory(request.param) as factory:
        yield factory


@pytest.fixture
async def owner(sql: SqlUnitOfWorkFactory) -> UUID:
    """A registered user with their Inbox (a todo needs a stored list, its reader a
    membership, in SQL)."""
    owner_id = new_id()
    await register_owners(sql, owner_id)
    return owner_id
