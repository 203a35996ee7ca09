"""Todo use cases. Each call is one unit of work; a todo's list decides who may do what with it
(`todo_domain.sharing`): to a non-member it does not exist."""

import dataclasses
from datetime import datetime
from uuid import UUID

from todo_domain import rules
from todo_domain.changes import UNSET, NewTodo, TodoChanges
from todo_domain.entities import Status, Todo, TodoAccess, inbox_id
from todo_domain.errors import NotFound, VersionConflict
from todo_domain.ids import new_id
from todo_domain.ports import Clock, UnitOfWork, UnitOfWorkFactory
from todo_domain.query import Page, PageRequest, Sort, TodoFilter
from todo_domain.races import retrying
from todo_domain.sharing import Action, authorize


class TodoService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def create(self, user_id: UUID, new: NewTodo) -> Todo:
        """Into `new.list_id`, or the user's Inbox; the user must be its editor or owner."""
        now = self._clock.now()
        todo = Todo(
            id=new_id(),
            list_id=inbox_id(user_id) if new.list_id is None else new.list_id,
            title=rules.title(new.title),
            description=rules.description(new.description),
            priority=new.priority,
            due_date=new.due_date,
            tags=rules.tags(new.tags),
            created_at=now,
            updated_at=now,
        )
        async with self._uow() as uow:
            await _hold(uow, user_id, todo.list_id, Action.CREATE_TODO)
            await uow.todos.add(todo)
        return todo

    async def get(self, user_id: UUID, todo_id: UUID) -> Todo:
        async with self._uow() as uow:
            return _found(await uow.todos.get(user_id, todo_id)).todo

    async def list(
        self,
        user_id: UUID,
        filter: TodoFilter | None = None,
        sort: Sort | None = None,
        page: PageRequest | None = None,
    ) -> Page[Todo]:
        """The todos of every list the user is a member of, or of `filter.list_id` only (which
        is `NotFound` to a non-member, as a missing list)."""
        filter = filter or TodoFilter()
        if filter.tag is not None:
            filter = dataclasses.replace(filter, tag=rules.tag(filter.tag))
        if filter.text is not None:
            rules.storable("text", filter.text)
        async with self._uow() as uow:
            if filter.list_id is not None:
                role = await uow.memberships.role_of(filter.list_id, user_id)
                authorize(role, Action.VIEW_TODOS)
            return await uow.todos.list(user_id, filter, sort or Sort(), page or PageRequest())

    async def update(
        self,
        user_id: UUID,
        todo_id: UUID,
        changes: TodoChanges,
        expected_version: int | None = None,
    ) -> Todo:
        """Apply `changes`; with `expected_version`, only if the todo is still at that version
        (else `VersionConflict`). Without it the change applies to whatever version is current
        when it is stored: the last writer wins, and every change gets its own version.

        A change of `list_id` moves the todo: the user must be editor or owner of both lists,
        and the move is one transaction with the rest of the change. A change that changes
        nothing leaves the todo (and its version) as it is.
        """
        return await retrying(
            lambda: self._update_once(user_id, todo_id, changes, expected_version),
            retry=expected_version is None,
        )

    async def _update_once(
        self,
        user_id: UUID,
        todo_id: UUID,
        changes: TodoChanges,
        expected_version: int | None,
    ) -> Todo:
        """Find, authorize, check the expected version, apply, stamp, store (a
        compare-and-set)."""
        async with self._uow() as uow:
            access = _found(await uow.todos.get(user_id, todo_id))
            current = access.todo
            changed = _apply(current, changes)
            moving = changed.list_id != current.list_id
            action = Action.MOVE_TODO if moving else Action.CHANGE_TODO
            authorize(access.role, action)
            if expected_version is not None and current.version != expected_version:
                raise VersionConflict(expected_version, current.version)
            if changed == current:
                return current
            await _hold(uow, user_id, current.list_id, action)
            if moving:
                await _hold(uow, user_id, changed.list_id, Action.MOVE_TODO)
            changed = dataclasses.replace(
                changed,
                updated_at=self._clock.now(),
                version=current.version + 1,
                completed_at=self._completed_at(current, changed),
            )
            await uow.todos.update(changed, expected_version=current.version)
        return changed

    async def complete(self, user_id: UUID, todo_id: UUID) -> Todo:
        return await self.update(user_id, todo_id, TodoChanges(status=Status.DONE))

    async def reopen(self, user_id: UUID, todo_id: UUID) -> Todo:
        return await self.update(user_id, todo_id, TodoChanges(status=Status.OPEN))

    async def move(self, user_id: UUID, todo_id: UUID, list_id: UUID) -> Todo:
        return await self.update(user_id, todo_id, TodoChanges(list_id=list_id))

    async def delete(self, user_id: UUID, todo_id: UUID) -> None:
        await retrying(lambda: self._delete_once(user_id, todo_id))

    async def _delete_once(self, user_id: UUID, todo_id: UUID) -> None:
        async with self._uow() as uow:
            access = _found(await uow.todos.get(user_id, todo_id))
            list_id = access.todo.list_id
            authorize(access.role, Action.DELETE_TODO)
            await _hold(uow, user_id, list_id, Action.DELETE_TODO)
            if not await uow.todos.delete(list_id, todo_id):
                # Moved (or deleted) since it was read: look again where it is now.
                raise VersionConflict(access.todo.version)

    def _completed_at(self, before: Todo, after: Todo) -> datetime | None:
        if after.status is Status.OPEN:
            return None
        if before.status is Status.DONE:
            return before.completed_at
        return self._clock.now()


async def _hold(uow: UnitOfWork, user_id: UUID, list_id: UUID, action: Action) -> None:
    """Passes when the user's role in the list allows `action`, and keeps that role from
    changing until the unit of work ends (`MembershipRepository.hold`)."""
    authorize(await uow.memberships.hold(list_id, user_id), action)


def _found(access: TodoAccess | None) -> TodoAccess:
    if access is None:
        raise NotFound("todo")
    return access


def _apply(todo: Todo, changes: TodoChanges) -> Todo:
    """The todo with `changes` validated and applied; version and timestamps untouched."""
    return dataclasses.replace(
        todo,
        list_id=todo.list_id if changes.list_id is UNSET else changes.list_id,
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
