"""`TodoService.update` against concurrent writers: a lost compare-and-set is applied again
when the caller expected no particular version, and only then."""

import dataclasses
from uuid import UUID

import pytest

from builders import register_owners
from fakes import FixedClock
from todo_domain import (
    NewTodo,
    StorageBusy,
    Todo,
    TodoAccess,
    TodoChanges,
    TodoService,
    VersionConflict,
    new_id,
)
from todo_domain.races import UPDATE_ATTEMPTS
from todo_memory import MemoryUnitOfWorkFactory
from todo_memory.repositories import MemoryTodoRepository
from todo_memory.transaction import Transaction
from todo_memory.unit_of_work import MemoryUnitOfWork


class RacedTodos:
    """The memory adapter where a concurrent writer commits a change to the todo just after
    each of the first `races` reads of it, so that the compare-and-set after the read fails.
    Counts the units of work opened (`attempts`)."""

    def __init__(self, storage: MemoryUnitOfWorkFactory, races: int) -> None:
        self.storage = storage
        self.races_left = races
        self.attempts = 0

    def __call__(self) -> MemoryUnitOfWork:
        return RacedUnitOfWork(self)


class RacedUnitOfWork(MemoryUnitOfWork):
    def __init__(self, raced: RacedTodos) -> None:
        super().__init__(raced.storage.store)
        self.todos = RacedRepository(self._tx, raced)
        raced.attempts += 1


class RacedRepository(MemoryTodoRepository):
    def __init__(self, transaction: Transaction, raced: RacedTodos) -> None:
        super().__init__(transaction)
        self._raced = raced
        self._read = False  # only the unit of work's first read races

    async def get(self, user_id: UUID, todo_id: UUID) -> TodoAccess | None:
        access = await super().get(user_id, todo_id)
        first, self._read = not self._read, True
        if access is not None and first and self._raced.races_left > 0:
            self._raced.races_left -= 1
            todo = access.todo
            async with self._raced.storage() as interloper:
                await interloper.todos.update(
                    dataclasses.replace(todo, version=todo.version + 1), todo.version
                )
        return access


async def _raced_todo(races: int) -> tuple[TodoService, RacedTodos, UUID, Todo]:
    storage = MemoryUnitOfWorkFactory()
    owner = new_id()
    await register_owners(storage, owner)
    todo = await TodoService(storage, FixedClock()).create(owner, NewTodo(title="start"))
    raced = RacedTodos(storage, races)
    return TodoService(raced, FixedClock()), raced, owner, todo


async def test_a_change_without_expected_version_survives_lost_races() -> None:
    service, raced, owner, todo = await _raced_todo(races=3)

    changed = await service.update(owner, todo.id, TodoChanges(title="mine"))

    assert raced.attempts == 4
    assert changed.title == "mine"
    assert changed.version == todo.version + 3 + 1  # after the three interlopers' versions
    assert await service.get(owner, todo.id) == changed


async def test_a_change_with_an_expected_version_is_never_retried() -> None:
    service, raced, owner, todo = await _raced_todo(races=1)

    with pytest.raises(VersionConflict):
        await service.update(owner, todo.id, TodoChanges(title="mine"), expected_version=1)

    assert raced.attempts == 1


async def test_endless_contention_is_busy_storage_not_a_version_conflict() -> None:
    service, raced, owner, todo = await _raced_todo(races=UPDATE_ATTEMPTS)

    with pytest.raises(StorageBusy) as caught:
        await service.update(owner, todo.id, TodoChanges(title="mine"))

    assert not isinstance(caught.value, VersionConflict)
    assert raced.attempts == UPDATE_ATTEMPTS
