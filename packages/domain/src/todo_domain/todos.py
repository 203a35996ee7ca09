"""Todo use cases. Each call is one unit of work and only ever touches the caller's todos."""

import asyncio
import dataclasses
import random
from datetime import datetime
from uuid import UUID

from todo_domain import rules
from todo_domain.changes import UNSET, NewTodo, TodoChanges
from todo_domain.entities import Status, Todo
from todo_domain.errors import NotFound, StorageBusy, VersionConflict
from todo_domain.ids import new_id
from todo_domain.ports import Clock, UnitOfWorkFactory
from todo_domain.query import Page, PageRequest, Sort, TodoFilter

# A change without an expected version that loses its compare-and-set to a concurrent writer
# is applied again to the newer version, at most this many times in all (each round of
# contenders has a winner, so this covers that many writers at once), with a short random
# pause so that the losers of a round do not collide again in lockstep.
UPDATE_ATTEMPTS = 50
RETRY_PAUSE_MAX = 0.005


class TodoService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def create(self, owner_id: UUID, new: NewTodo) -> Todo:
        now = self._clock.now()
        todo = Todo(
            id=new_id(),
            owner_id=owner_id,
            title=rules.title(new.title),
            description=rules.description(new.description),
            priority=new.priority,
            due_date=new.due_date,
            tags=rules.tags(new.tags),
            created_at=now,
            updated_at=now,
        )
        async with self._uow() as uow:
            await uow.todos.add(todo)
        return todo

    async def get(self, owner_id: UUID, todo_id: UUID) -> Todo:
        async with self._uow() as uow:
            return _found(await uow.todos.get(owner_id, todo_id))

    async def list(
        self,
        owner_id: UUID,
        filter: TodoFilter | None = None,
        sort: Sort | None = None,
        page: PageRequest | None = None,
    ) -> Page[Todo]:
        filter = filter or TodoFilter()
        if filter.tag is not None:
            filter = dataclasses.replace(filter, tag=rules.tag(filter.tag))
        if filter.text is not None:
            rules.storable("text", filter.text)
        async with self._uow() as uow:
            return await uow.todos.list(owner_id, filter, sort or Sort(), page or PageRequest())

    async def update(
        self,
        owner_id: UUID,
        todo_id: UUID,
        changes: TodoChanges,
        expected_version: int | None = None,
    ) -> Todo:
        """Apply `changes`; with `expected_version`, only if the todo is still at that version
        (else `VersionConflict`). Without it the change applies to whatever version is current
        when it is stored: the last writer wins, and every change gets its own version.

        A change that changes nothing leaves the todo (and its version) as it is.
        """
        attempts = 0
        while True:
            try:
                return await self._update_once(owner_id, todo_id, changes, expected_version)
            except VersionConflict as error:
                attempts += 1
                if expected_version is not None:
                    raise
                if attempts == UPDATE_ATTEMPTS:
                    raise StorageBusy("the todo has too many writers at once") from error
            await asyncio.sleep(random.uniform(0, RETRY_PAUSE_MAX))

    async def _update_once(
        self,
        owner_id: UUID,
        todo_id: UUID,
        changes: TodoChanges,
        expected_version: int | None,
    ) -> Todo:
        """Find, check the expected version, apply, stamp, store (a compare-and-set)."""
        async with self._uow() as uow:
            current = _found(await uow.todos.get(owner_id, todo_id))
            if expected_version is not None and current.version != expected_version:
                raise VersionConflict(expected_version, current.version)
            changed = _apply(current, changes)
            if changed == current:
                return current
            changed = dataclasses.replace(
                changed,
                updated_at=self._clock.now(),
                version=current.version + 1,
                completed_at=self._completed_at(current, changed),
            )
            await uow.todos.update(changed, expected_version=current.version)
        return changed

    async def complete(self, owner_id: UUID, todo_id: UUID) -> Todo:
        return await self.update(owner_id, todo_id, TodoChanges(status=Status.DONE))

    async def reopen(self, owner_id: UUID, todo_id: UUID) -> Todo:
        return await self.update(owner_id, todo_id, TodoChanges(status=Status.OPEN))

    async def delete(self, owner_id: UUID, todo_id: UUID) -> None:
        async with self._uow() as uow:
            if not await uow.todos.delete(owner_id, todo_id):
                raise NotFound("todo")

    def _completed_at(self, before: Todo, after: Todo) -> datetime | None:
        if after.status is Status.OPEN:
            return None
        if before.status is Status.DONE:
            return before.completed_at
        return self._clock.now()


def _found(todo: Todo | None) -> Todo:
    if todo is None:
        raise NotFound("todo")
    return todo


def _apply(todo: Todo, changes: TodoChanges) -> Todo:
    """The todo with `changes` validated and applied; version and timestamps untouched."""
    return dataclasses.replace(
        todo,
        title=todo.title if changes.title is UNSET else rules.title(changes.title),
        description=(
            todo.description
            if changes.description is UNSET
            else rules.description(changes.description)
        ),
        tags=todo.tags if changes.tags is UNSET else rules.tags(changes.tags),
        status=todo.status if changes.status is UNSET else changes.status,
        priority=todo.priority if changes.priority is UNSET else changes.priority,
        due_date=todo.due_date if changes.due_date is UNSET else changes.due_date,
    )
