"""Shared-list use cases. Each call is one unit of work; what a member may do is the table of
`todo_domain.sharing`, and a list nobody can see is `NotFound` to its every stranger."""

import asyncio
import dataclasses
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

from todo_domain import rules
from todo_domain.entities import INBOX_NAME, Membership, Role, TodoList
from todo_domain.errors import Conflict, NotFound, StorageBusy, VersionConflict
from todo_domain.ids import new_id
from todo_domain.ports import Clock, SharingUnitOfWork, SharingUnitOfWorkFactory
from todo_domain.query import Page, PageRequest
from todo_domain.sharing import Action, authorize
from todo_domain.todos import RETRY_PAUSE_MAX, UPDATE_ATTEMPTS

T = TypeVar("T")


class ListService:
    """Every change of a list's members is also a change of the list (a new version, through
    its compare-and-set): so two owners who demote or remove each other at once cannot both
    succeed and leave the list without one; the loser tries again and sees the new state."""

    def __init__(self, uow: SharingUnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def create_inbox(self, user_id: UUID) -> TodoList:
        """The user's Inbox; `Conflict` when they have one already."""
        return await self._create(user_id, INBOX_NAME, inbox_of=user_id)

    async def create(self, user_id: UUID, name: str) -> TodoList:
        """A new list, owned by its creator."""
        return await self._create(user_id, rules.list_name(name), inbox_of=None)

    async def get(self, user_id: UUID, list_id: UUID) -> TodoList:
        async with self._uow() as uow:
            return await _authorized(uow, user_id, list_id, Action.VIEW_LIST)

    async def mine(self, user_id: UUID, page: PageRequest | None = None) -> Page[TodoList]:
        """The lists the user is a member of, in any role, by name."""
        async with self._uow() as uow:
            return await uow.lists.list_for(user_id, page or PageRequest())

    async def members(self, user_id: UUID, list_id: UUID) -> list[Membership]:
        async with self._uow() as uow:
            await _authorized(uow, user_id, list_id, Action.VIEW_MEMBERS)
            return await uow.memberships.members(list_id)

    async def rename(
        self, user_id: UUID, list_id: UUID, name: str, expected_version: int | None = None
    ) -> TodoList:
        """With `expected_version`, only if the list is still at that version (else
        `VersionConflict`); without it the last writer wins. The Inbox keeps its name."""
        name = rules.list_name(name)
        return await self._retrying(
            lambda: self._rename_once(user_id, list_id, name, expected_version),
            retry=expected_version is None,
        )

    async def delete(self, user_id: UUID, list_id: UUID) -> None:
        """The list, its memberships with it. The Inbox lives as long as the account."""
        async with self._uow() as uow:
            todo_list = await _authorized(uow, user_id, list_id, Action.DELETE_LIST)
            _not_inbox(todo_list, "the Inbox cannot be deleted")
            if not await uow.lists.delete(list_id):
                raise NotFound("list")

    async def share(
        self, user_id: UUID, list_id: UUID, email: str, role: Role = Role.VIEWER
    ) -> Membership:
        """Makes the user registered with `email` a member; `NotFound` for an unknown e-mail,
        `Conflict` for a member already (whatever their role) and for the Inbox."""
        email = rules.email(email)
        return await self._retrying(lambda: self._share_once(user_id, list_id, email, role))

    async def change_role(
        self, user_id: UUID, list_id: UUID, member_id: UUID, role: Role
    ) -> Membership:
        """`Conflict` when it would leave the list without an owner."""
        return await self._retrying(
            lambda: self._change_role_once(user_id, list_id, member_id, role)
        )

    async def remove_member(self, user_id: UUID, list_id: UUID, member_id: UUID) -> None:
        """An owner removes anyone; every member may remove themselves (leave). `Conflict`
        when it would leave the list without an owner."""
        await self._retrying(lambda: self._remove_member_once(user_id, list_id, member_id))

    async def leave(self, user_id: UUID, list_id: UUID) -> None:
        await self.remove_member(user_id, list_id, user_id)

    # --- one attempt each ----------------------------------------------------------------
    async def _create(self, user_id: UUID, name: str, inbox_of: UUID | None) -> TodoList:
        now = self._clock.now()
        todo_list = TodoList(
            id=new_id(), name=name, created_at=now, updated_at=now, inbox_of=inbox_of
        )
        async with self._uow() as uow:
            await uow.lists.add(todo_list)
            await uow.memberships.add(Membership(todo_list.id, user_id, Role.OWNER))
        return todo_list

    async def _rename_once(
        self, user_id: UUID, list_id: UUID, name: str, expected_version: int | None
    ) -> TodoList:
        async with self._uow() as uow:
            current = await _authorized(uow, user_id, list_id, Action.RENAME_LIST)
            _not_inbox(current, "the Inbox cannot be renamed")
            if expected_version is not None and current.version != expected_version:
                raise VersionConflict(expected_version, current.version)
            if current.name == name:
                return current
            return await self._store_change(uow, dataclasses.replace(current, name=name), current)

    async def _share_once(self, user_id: UUID, list_id: UUID, email: str, role: Role) -> Membership:
        async with self._uow() as uow:
            todo_list = await _authorized(uow, user_id, list_id, Action.SHARE_LIST)
            _not_inbox(todo_list, "the Inbox cannot be shared")
            user = await uow.users.get_by_email(email)
            if user is None:
                raise NotFound("user")
            if await uow.memberships.role_of(list_id, user.id) is not None:
                raise Conflict("already a member of the list")
            membership = Membership(list_id, user.id, role)
            await uow.memberships.add(membership)
            await self._store_change(uow, todo_list, todo_list)
        return membership

    async def _change_role_once(
        self, user_id: UUID, list_id: UUID, member_id: UUID, role: Role
    ) -> Membership:
        async with self._uow() as uow:
            todo_list = await _authorized(uow, user_id, list_id, Action.CHANGE_ROLE)
            current = await _member_role(uow, list_id, member_id)
            if current is not role:
                await _keep_an_owner(uow, list_id, current)
                await uow.memberships.change_role(list_id, member_id, role)
                await self._store_change(uow, todo_list, todo_list)
        return Membership(list_id, member_id, role)

    async def _remove_member_once(self, user_id: UUID, list_id: UUID, member_id: UUID) -> None:
        leaving = member_id == user_id
        async with self._uow() as uow:
            todo_list = await _authorized(
                uow, user_id, list_id, Action.VIEW_LIST if leaving else Action.REMOVE_MEMBER
            )
            current = await _member_role(uow, list_id, member_id)
            await _keep_an_owner(uow, list_id, current)
            await uow.memberships.remove(list_id, member_id)
            await self._store_change(uow, todo_list, todo_list)

    async def _store_change(
        self, uow: SharingUnitOfWork, changed: TodoList, current: TodoList
    ) -> TodoList:
        """`changed` as the list's next version, stored by compare-and-set against `current`."""
        stamped = dataclasses.replace(
            changed, updated_at=self._clock.now(), version=current.version + 1
        )
        await uow.lists.update(stamped, expected_version=current.version)
        return stamped

    async def _retrying(self, attempt: Callable[[], Awaitable[T]], *, retry: bool = True) -> T:
        """`attempt` again while it loses its compare-and-set to a concurrent writer (as
        `TodoService.update` does), unless the caller asked for a version (`retry=False`)."""
        attempts = 0
        while True:
            try:
                return await attempt()
            except VersionConflict as error:
                attempts += 1
                if not retry:
                    raise
                if attempts == UPDATE_ATTEMPTS:
                    raise StorageBusy("the list has too many writers at once") from error
            await asyncio.sleep(random.uniform(0, RETRY_PAUSE_MAX))


async def _authorized(
    uow: SharingUnitOfWork, user_id: UUID, list_id: UUID, action: Action
) -> TodoList:
    """The list, if the user's role allows `action` (see `authorize`)."""
    authorize(await uow.memberships.role_of(list_id, user_id), action)
    todo_list = await uow.lists.get(list_id)
    if todo_list is None:
        raise NotFound("list")
    return todo_list


async def _member_role(uow: SharingUnitOfWork, list_id: UUID, member_id: UUID) -> Role:
    role = await uow.memberships.role_of(list_id, member_id)
    if role is None:
        raise NotFound("member")
    return role


async def _keep_an_owner(uow: SharingUnitOfWork, list_id: UUID, losing: Role) -> None:
    """`Conflict` when a member in role `losing` gives it up and no owner would be left."""
    if losing is Role.OWNER and await uow.memberships.count_owners(list_id) <= 1:
        raise Conflict("a list keeps at least one owner")


def _not_inbox(todo_list: TodoList, message: str) -> None:
    if todo_list.is_inbox:
        raise Conflict(message)
