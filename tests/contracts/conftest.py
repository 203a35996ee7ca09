"""Owners for the contract suite: a todo's owner is a registered user on every backend."""

from uuid import UUID

import pytest

from builders import register_owners
from todo_domain import UnitOfWorkFactory, new_id


@pytest.fixture
async def owner(uow_factory: UnitOfWorkFactory) -> UUID:
    """The id of a user registered (and committed) in `uow_factory`'s storage."""
    owner_id = new_id()
    await register_owners(uow_factory, owner_id)
    return owner_id


@pytest.fixture
async def other_owner(uow_factory: UnitOfWorkFactory) -> UUID:
    """A second registered user, for tests that need two owners of todos."""
    owner_id = new_id()
    await register_owners(uow_factory, owner_id)
    return owner_id
