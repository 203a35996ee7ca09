"""Shared-list use cases. Each call is one unit of work; what a member may do is the table of
`todo_domain.sharing`, and a list nobody can see is `NotFound` to its every stranger."""

import dataclasses
from datetime import datetime
from uuid import UUID

from todo_domain import rules
from todo_domain.entities import (
    INBOX_NAME,
    ListAccess,
    Member,
    Membership,
    Role,
    TodoList,
    User,
    inbox_id,
)
from todo_domain.errors import Conflict, NotFound, VersionConflict
from todo_domain.ids import new_id
from todo_domain.ports import Clock, UnitOfWork, UnitOfWorkFactory
from todo_domain.query import Page, PageRequest
from todo_domain.races import retrying
from todo_domain.sharing import Action, authorize


class ListService:
    """Every change of a list's members is also a change of the list (a new version, through
    its compare-and-set): so two owners who demote or remove each other at once cannot both
    succeed and leave the list without one; the loser tries again and sees the new state."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def create(self, user_id: UUID, name: str) -> ListAccess:
        """A new list, owned by its creator."""
        now = self._clock.now()
        todo_list = TodoList(
            id=new_id(), name=rules.list_name(name), created_at=now, updated_at=now
        )
        async with self._uow() as uow:
            await _add_owned(uow, todo_list, user_id)
        return ListAccess(todo_list, Role.OWNER)

    async def get(self, user_id: UUID, list_id: UUID) -> ListAccess:
        async with self._uow() as uow:
            role = authorize(await uow.memberships.role_of(list_id, user_id), Action.VIEW_LIST)
            return ListAccess(await _stored(uow, list_id), role)

    async def mine(
        self, user_id: UUID, page: PageRequest | None = None, role: Role | None = None
    ) -> Page[ListAccess]:
        """The lists the user is a member of (in `role` only, if given), by name."""
        async with self._uow() as uow:
            return await uow.lists.list_for(user_id, page or PageRequest(), role)

    async def members(self, user_id: UUID, list_id: UUID) -> list[Member]:
        async with self._uow() as uow:
            await _authorized(uow, user_id, list_id, Action.VIEW_MEMBERS)
            return await uow.memberships.members(list_id)

    async def rename(
        self, user_id: UUID, list_id: UUID, name: str, expected_version: int | None = None
    ) -> ListAccess:
        """With `expected_version`, only if the list is still at that version (else
        `VersionConflict`); without it the last writer wins. The Inbox keeps its name."""
        name = rules.list_name(name)
        renamed = await retrying(
            lambda: self._rename_once(user_id, list_id, name, expected_version),
            retry=expected_version is None,
        )
        return ListAccess(renamed, Role.OWNER)

    async def delete(self, user_id: UUID, list_id: UUID) -> None:
        """The list, its memberships and its todos with it. The Inbox lives as long as the
        account."""
        async with self._uow() as uow:
            todo_list = await _authorized(uow, user_id, list_id, Action.DELETE_LIST)
            _not_inbox(todo_list, "the Inbox cannot be deleted")
            if not await uow.lists.delete(list_id):
                raise NotFound("list")

    async def share(
        self, user_id: UUID, list_id: UUID, email: str, role: Role = Role.VIEWER
    ) -> Member:
        """Makes the user registered with `email` a member; `NotFound` for an unknown e-mail,
        `Conflict` for a member already (whatever their role) and for the Inbox."""
        email = rules.email(email)
        return await retrying(lambda: self._share_once(user_id, list_id, email, role))

    async def change_role(
        self, user_id: UUID, list_id: UUID, member_id: UUID, role: Role
    ) -> Member:
        """`Conflict` when it would leave the list without an owner."""
        return await retrying(lambda: self._change_role_once(user_id, list_id, member_id, role))

    async def remove_member(self, user_id: UUID, list_id: UUID, member_id: UUID) -> None:
        """An owner removes anyone; every member may remove themselves (leave). `Conflict`
        when it would leave the list without an owner."""
        await retrying(lambda: self._remove_member_once(user_id, list_id, member_id))

    async def leave(self, user_id: UUID, list_id: UUID) -> None:
        await self.remove_member(user_id, list_id, user_id)

    # --- one attempt each ----------------------------------------------------------------
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

    async def _share_once(self, user_id: UUID, list_id: UUID, email: str, role: Role) -> Member:
        async with self._uow() as uow:
            todo_list = await _authorized(uow, user_id, list_id, Action.SHARE_LIST)
            _not_inbox(todo_list, "the Inbox cannot be shared")
            user = await uow.users.get_by_email(email)
            if user is None:
                raise NotFound("user")
            if await uow.memberships.role_of(list_id, user.id) is not None:
                raise Conflict("already a member of the list")
            await uow.memberships.add(Membership(list_id, user.id, role))
            await self._store_change(uow, todo_list, todo_list)
        return _member(user, role)

    async def _change_role_once(
        self, user_id: UUID, list_id: UUID, member_id: UUID, role: Role
    ) -> Member:
        async with self._uow() as uow:
            todo_list = await _authorized(uow, user_id, list_id, Action.CHANGE_ROLE)
            current = await _member_role(uow, list_id, member_id)
            if current is not role:
                await _keep_an_owner(uow, list_id, current)
                await uow.memberships.change_role(list_id, member_id, role)
                await self._store_change(uow, todo_list, todo_list)
            user = await uow.users.get(member_id)
        if user is None:  # deleted with the account meanwhile
            raise NotFound("member")
        return _member(user, role)

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
        self, uow: UnitOfWork, changed: TodoList, current: TodoList
    ) -> TodoList:
        return await store_change(uow, changed, current, self._clock.now())


async def store_change(
    uow: UnitOfWork, changed: TodoList, current: TodoList, now: datetime
) -> TodoList:
    """`changed` as the list's next version (stamped `now`), stored by compare-and-set
    against `current`: every change of a list's members is one, so concurrent ones cannot
    all succeed."""
    stamped = dataclasses.replace(changed, updated_at=now, version=current.version + 1)
    await uow.lists.update(stamped, expected_version=current.version)
    return stamped


async def _add_owned(uow: UnitOfWork, todo_list: TodoList, owner_id: UUID) -> None:
    await uow.lists.add(todo_list)
    await uow.memberships.add(Membership(todo_list.id, owner_id, Role.OWNER))


async def add_inbox(uow: UnitOfWork, user: User) -> TodoList:
    """Stores the Inbox of `user`, owned by them, in the unit of work that adds the user."""
    inbox = TodoList(
        id=inbox_id(user.id),
        name=INBOX_NAME,
        created_at=user.created_at,
        updated_at=user.created_at,
        inbox_of=user.id,
    )
    await _add_owned(uow, inbox, user.id)
    return inbox


def _member(user: User, role: Role) -> Member:
    return Member(user.id, user.email, user.display_name, role)


async def _stored(uow: UnitOfWork, list_id: UUID) -> TodoList:
    todo_list = await uow.lists.get(list_id)
    if todo_list is None:
        raise NotFound("list")
    return todo_list


async def _authorized(uow: UnitOfWork, user_id: UUID, list_id: UUID, action: Action) -> TodoList:
    """The list, if the user's role allows `action` (see `authorize`)."""
    authorize(await uow.memberships.role_of(list_id, user_id), action)
    return await _stored(uow, list_id)


async def _member_role(uow: UnitOfWork, list_id: UUID, member_id: UUID) -> Role:
    role = await uow.memberships.role_of(list_id, member_id)
    if role is None:
        raise NotFound("member")
    return role


async def _keep_an_owner(uow: UnitOfWork, list_id: UUID, losing: Role) -> None:
    """`Conflict` when a member in role `losing` gives it up and no owner would be left."""
    if losing is Role.OWNER and await uow.memberships.count_owners(list_id) <= 1:
        raise Conflict("a list keeps at least one owner")


def _not_inbox(todo_list: TodoList, message: str) -> None:
    if todo_list.is_inbox:
        raise Conflict(message)
