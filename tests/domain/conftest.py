"""Domain services wired to the memory adapter, a fixed clock and a fake hasher."""

from uuid import UUID

import pytest

from builders import register_owners
from fakes import FakeHasher, FixedClock
from todo_domain import AccountService, ListService, TodoService, UserService, new_id
from todo_memory import MemoryUnitOfWorkFactory


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def hasher() -> FakeHasher:
    return FakeHasher()


@pytest.fixture
def uow() -> MemoryUnitOfWorkFactory:
    return MemoryUnitOfWorkFactory()


@pytest.fixture
def todos(uow: MemoryUnitOfWorkFactory, clock: FixedClock) -> TodoService:
    return TodoService(uow, clock)


@pytest.fixture
def lists(uow: MemoryUnitOfWorkFactory, clock: FixedClock) -> ListService:
    return ListService(uow, clock)


@pytest.fixture
def users(uow: MemoryUnitOfWorkFactory, hasher: FakeHasher, clock: FixedClock) -> UserService:
    return UserService(uow, hasher, clock)


@pytest.fixture
def accounts(
    uow: MemoryUnitOfWorkFactory, hasher: FakeHasher, clock: FixedClock, users: UserService
) -> AccountService:
    """Wired as the service is: the login throttle is the one `users` logs in with."""
    return AccountService(uow, hasher, clock, users.throttle)


@pytest.fixture
async def owner(uow: MemoryUnitOfWorkFactory) -> UUID:
    """A registered user, with their Inbox (owned by them)."""
    return await registered(uow)


@pytest.fixture
async def stranger(uow: MemoryUnitOfWorkFactory) -> UUID:
    """A registered user who belongs to no list but their Inbox."""
    return await registered(uow)


@pytest.fixture
async def editor(uow: MemoryUnitOfWorkFactory) -> UUID:
    """A registered user, for a test to make an editor of a list."""
    return await registered(uow)


@pytest.fixture
async def viewer(uow: MemoryUnitOfWorkFactory) -> UUID:
    """A registered user, for a test to make a viewer of a list."""
    return await registered(uow)


@pytest.fixture
async def actor(uow: MemoryUnitOfWorkFactory) -> UUID:
    """A registered user, for a test to give whichever role it is about."""
    return await registered(uow)


async def registered(uow: MemoryUnitOfWorkFactory) -> UUID:
    user_id = new_id()
    await register_owners(uow, user_id)
    return user_id
