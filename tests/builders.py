"""Entities and helpers for the contract suite: built by hand, never through an adapter.

Timestamps carry microseconds and UTC, and consecutive `created_at` values are whole seconds
(plus a few microseconds) apart, so no ordering depends on sub-microsecond detail.
"""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from todo_domain import (
    INBOX_NAME,
    Membership,
    PageRequest,
    Priority,
    Role,
    Sort,
    SortKey,
    Status,
    Todo,
    TodoFilter,
    TodoList,
    UnitOfWorkFactory,
    User,
    inbox_id,
    new_id,
)

T0 = datetime(2024, 5, 1, 9, 30, 15, 250_001, tzinfo=UTC)
MAX_PAGES = 1000

ALL_SORTS = tuple(Sort(key, descending) for key in SortKey for descending in (False, True))

_serial = itertools.count(1)


def at(n: int) -> datetime:
    """The n-th moment after T0: n seconds and 3n microseconds later."""
    return T0 + timedelta(seconds=n, microseconds=3 * n)


def make_todo(owner_id: UUID, **fields: Any) -> Todo:
    """A valid todo in the Inbox of `owner_id` (unless `list_id` says otherwise);
    `created_at` defaults to a fresh, distinct moment."""
    created_at = fields.pop("created_at", None) or at(next(_serial))
    values: dict[str, Any] = {
        "id": new_id(),
        "list_id": inbox_id(owner_id),
        "title": "a todo",
        "created_at": created_at,
        "updated_at": created_at,
    }
    values.update(fields)
    if values.get("status") is Status.DONE and "completed_at" not in fields:
        values["completed_at"] = created_at + timedelta(minutes=5, microseconds=17)
    return Todo(**values)


def inbox_owner(todo: Todo) -> UUID:
    """The user whose Inbox holds `todo` (an Inbox's id is its user's)."""
    return todo.list_id


def make_user(email: str | None = None, **fields: Any) -> User:
    user_id = fields.pop("id", None) or new_id()
    values: dict[str, Any] = {
        "id": user_id,
        "email": email or f"user-{user_id.hex}@example.com",
        "password_hash": "hash$" + user_id.hex,
        "created_at": at(next(_serial)),
        "display_name": None,
    }
    values.update(fields)
    return User(**values)


def changed(todo: Todo, **fields: Any) -> Todo:
    """`todo` with `fields` changed, as a service would store it: next version, later stamp."""
    return replace(
        todo,
        version=todo.version + 1,
        updated_at=todo.updated_at + timedelta(seconds=1, microseconds=1),
        **fields,
    )


async def register_owners(uow_factory: UnitOfWorkFactory, *owner_ids: UUID) -> None:
    """A user for each of `owner_ids`, with their Inbox (owned by them), in one committed
    unit of work: a todo's list must be stored, and its reader a member, on every backend."""
    async with uow_factory() as uow:
        for owner_id in owner_ids:
            user = make_user(id=owner_id)
            await uow.users.add(user)
            await uow.lists.add(inbox_of(user))
            await uow.memberships.add(Membership(inbox_id(owner_id), owner_id, Role.OWNER))


def inbox_of(user: User) -> TodoList:
    return TodoList(
        id=inbox_id(user.id),
        name=INBOX_NAME,
        created_at=user.created_at,
        updated_at=user.created_at,
        inbox_of=user.id,
    )


def make_list(name: str = "a list", **fields: Any) -> TodoList:
    created_at = fields.pop("created_at", None) or at(next(_serial))
    values: dict[str, Any] = {
        "id": new_id(),
        "name": name,
        "created_at": created_at,
        "updated_at": created_at,
    }
    values.update(fields)
    return TodoList(**values)


async def share(
    uow_factory: UnitOfWorkFactory, owner_id: UUID, members: dict[UUID, Role], name: str = "shared"
) -> TodoList:
    """A new list owned by `owner_id`, with `members` (registered users) in their roles."""
    todo_list = make_list(name)
    async with uow_factory() as uow:
        await uow.lists.add(todo_list)
        await uow.memberships.add(Membership(todo_list.id, owner_id, Role.OWNER))
        for user_id, role in members.items():
            await uow.memberships.add(Membership(todo_list.id, user_id, role))
    return todo_list


async def store(uow_factory: UnitOfWorkFactory, todos: Iterable[Todo]) -> None:
    """`todos`, added in one unit of work, after registering the users whose Inboxes hold
    them and who are not users yet (in a unit of work of their own). Todos in other lists
    need those lists stored first."""
    todos = list(todos)
    list_ids = dict.fromkeys(todo.list_id for todo in todos)
    async with uow_factory() as uow:
        unknown = [list_id for list_id in list_ids if await uow.lists.get(list_id) is None]
    if unknown:
        await register_owners(uow_factory, *unknown)  # an Inbox's id is its user's
    async with uow_factory() as uow:
        for todo in todos:
            await uow.todos.add(todo)


async def fetch(uow_factory: UnitOfWorkFactory, user_id: UUID, todo_id: UUID) -> Todo | None:
    """The todo as `user_id` sees it (None when they cannot)."""
    async with uow_factory() as uow:
        access = await uow.todos.get(user_id, todo_id)
    return None if access is None else access.todo


async def walk(
    uow_factory: UnitOfWorkFactory,
    owner_id: UUID,
    filter: TodoFilter = TodoFilter(),  # noqa: B008 (frozen, so sharing the default is safe)
    sort: Sort = Sort(),  # noqa: B008
    limit: int = 100,
) -> list[Todo]:
    """Every page of a listing, each read in its own unit of work, concatenated.

    Checks the paging invariants on the way: no page is longer than the limit, only the last
    page lacks a cursor, and no page but the first is empty."""
    items: list[Todo] = []
    cursor: str | None = None
    for number in range(MAX_PAGES):
        async with uow_factory() as uow:
            page = await uow.todos.list(owner_id, filter, sort, PageRequest(limit, cursor))
        assert len(page.items) <= limit
        if number > 0:
            assert page.items, "a cursor was handed out for an empty page"
        if page.next_cursor is not None:
            assert len(page.items) == limit, "a short page must be the last one"
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor
    raise AssertionError(f"no end after {MAX_PAGES} pages")


def expected_order(todos: Sequence[Todo], sort: Sort) -> list[Todo]:
    """The documented order (docs/http.md), written independently of any adapter: by the sort
    value, ties by id, both in the sort's direction; todos without a due date after all dated
    ones either way."""

    def value(todo: Todo) -> datetime | date | int | None:
        match sort.key:
            case SortKey.CREATED_AT:
                return todo.created_at
            case SortKey.DUE_DATE:
                return todo.due_date
            case SortKey.PRIORITY:
                return {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2}[todo.priority]

    with_value = [todo for todo in todos if value(todo) is not None]
    without_value = [todo for todo in todos if value(todo) is None]
    with_value.sort(key=lambda todo: (value(todo), todo.id), reverse=sort.descending)
    without_value.sort(key=lambda todo: todo.id, reverse=sort.descending)
    return with_value + without_value


def ids(todos: Iterable[Todo]) -> list[UUID]:
    return [todo.id for todo in todos]


def titles(todos: Iterable[Todo]) -> set[str]:
    return {todo.title for todo in todos}
