"""An account deleted while its user, or someone sharing a list with them, acts at the same
time: each use case runs in one of the two units of work of `racing.race`, so both have written
before either commits (the memory adapter then refuses the commit that no longer fits)."""

from uuid import UUID

import pytest

from fakes import FakeHasher, FixedClock
from racing import lent, race
from todo_domain import (
    AccountService,
    Conflict,
    ListService,
    LoginThrottle,
    NewTodo,
    NotFound,
    Role,
    TodoService,
    UnitOfWork,
    UnitOfWorkFactory,
    UserService,
    VersionConflict,
)
from todo_memory import MemoryUnitOfWorkFactory

ADDRESS = "192.0.2.1"
PASSWORD = "correct horse"


class Services:
    def __init__(self, hasher: FakeHasher, clock: FixedClock) -> None:
        self._hasher = hasher
        self._clock = clock

    def accounts(self, uow: UnitOfWorkFactory) -> AccountService:
        return AccountService(uow, self._hasher, self._clock, LoginThrottle(uow, self._clock))

    def lists(self, uow: UnitOfWorkFactory) -> ListService:
        return ListService(uow, self._clock)

    def todos(self, uow: UnitOfWorkFactory) -> TodoService:
        return TodoService(uow, self._clock)


@pytest.fixture
def services(hasher: FakeHasher, clock: FixedClock) -> Services:
    return Services(hasher, clock)


@pytest.fixture
async def people(users: UserService) -> tuple[UUID, UUID]:
    """Ada, whose account goes, and Bob."""
    ada = await users.register("ada@example.com", PASSWORD)
    bob = await users.register("bob@example.com", PASSWORD)
    return ada.id, bob.id


async def members_of(uow: MemoryUnitOfWorkFactory, list_id: UUID) -> set[UUID]:
    return {m.user_id for m in uow.store.memberships.values() if m.list_id == list_id}


@pytest.mark.parametrize("where", ["inbox", "a list she alone owns", "a list she co-owns"])
@pytest.mark.parametrize("deletion_first", [True, False], ids=["deletion first", "write first"])
async def test_a_write_of_the_deleted_user_lands_before_the_deletion_or_not_at_all(
    uow: MemoryUnitOfWorkFactory,
    services: Services,
    lists: ListService,
    people: tuple[UUID, UUID],
    where: str,
    deletion_first: bool,
) -> None:
    ada, _ = people
    list_id = ada  # her Inbox
    if where != "inbox":
        list_id = (await lists.create(ada, "Shared")).todo_list.id
        role = Role.EDITOR if where == "a list she alone owns" else Role.OWNER
        await lists.share(ada, list_id, "bob@example.com", role)
    written: list[UUID] = []

    async def delete(unit: UnitOfWork) -> None:
        await services.accounts(lent(unit)).delete(ada, PASSWORD, address=ADDRESS)

    async def write(unit: UnitOfWork) -> None:
        todo = await services.todos(lent(unit)).create(ada, NewTodo("late", list_id=list_id))
        written.append(todo.id)

    error = await race(*((delete, write) if deletion_first else (write, delete)), uow)

    assert ada not in uow.store.users
    assert all(m.user_id != ada for m in uow.store.memberships.values())
    (todo_id,) = written
    if deletion_first:  # the write's commit is refused: it was never acknowledged
        assert isinstance(error, NotFound)
        assert todo_id not in uow.store.todos
    else:  # it landed, and went with the list unless the list stays with Bob
        assert error is None
        assert (todo_id in uow.store.todos) is (where == "a list she co-owns")
    assert all(t.list_id in uow.store.lists for t in uow.store.todos.values())


@pytest.mark.parametrize("deletion_first", [True, False], ids=["deletion first", "leave first"])
async def test_a_co_owner_leaving_while_the_other_is_deleted_leaves_an_owner_or_no_list(
    uow: MemoryUnitOfWorkFactory,
    services: Services,
    lists: ListService,
    people: tuple[UUID, UUID],
    deletion_first: bool,
) -> None:
    ada, bob = people
    list_id = (await lists.create(ada, "Ours")).todo_list.id
    await lists.share(ada, list_id, "bob@example.com", Role.OWNER)

    async def delete(unit: UnitOfWork) -> None:
        await services.accounts(lent(unit)).delete(ada, PASSWORD, address=ADDRESS)

    async def leave(unit: UnitOfWork) -> None:
        await services.lists(lent(unit)).leave(bob, list_id)

    error = await race(*((delete, leave) if deletion_first else (leave, delete)), uow)

    # one of the two changes of members lost its compare-and-set to the other
    assert isinstance(error, VersionConflict)
    if deletion_first:
        assert await members_of(uow, list_id) == {bob}
        with pytest.raises(Conflict):  # tried again: Bob is its last owner now
            await services.lists(uow).leave(bob, list_id)
        assert await members_of(uow, list_id) == {bob}
    else:
        assert await members_of(uow, list_id) == {ada}
        await services.accounts(uow).delete(ada, PASSWORD, address=ADDRESS)  # tried again
        assert list_id not in uow.store.lists
        assert all(m.list_id != list_id for m in uow.store.memberships.values())


@pytest.mark.parametrize("deletion_first", [True, False], ids=["deletion first", "share first"])
async def test_a_list_shared_with_the_user_while_the_account_goes_keeps_no_membership(
    uow: MemoryUnitOfWorkFactory,
    services: Services,
    lists: ListService,
    people: tuple[UUID, UUID],
    deletion_first: bool,
) -> None:
    ada, bob = people
    list_id = (await lists.create(bob, "Bob's")).todo_list.id
    version = uow.store.lists[list_id].version

    async def delete(unit: UnitOfWork) -> None:
        await services.accounts(lent(unit)).delete(ada, PASSWORD, address=ADDRESS)

    async def share(unit: UnitOfWork) -> None:
        await services.lists(lent(unit)).share(bob, list_id, "ada@example.com", Role.EDITOR)

    error = await race(*((delete, share) if deletion_first else (share, delete)), uow)

    if deletion_first:  # the membership of a user who is gone is refused
        assert isinstance(error, Conflict)
        assert ada not in uow.store.users
    else:  # the deletion read Ada's lists before the share: it has to walk them again
        assert isinstance(error, VersionConflict)
        await services.accounts(uow).delete(ada, PASSWORD, address=ADDRESS)
        assert uow.store.lists[list_id].version == version + 2  # shared, then left
    assert await members_of(uow, list_id) == {bob}
