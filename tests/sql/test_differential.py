"""Differential property test: the same random operations and queries on the memory adapter
(the reference) and on the SQL adapter give the same results, errors included. Two users, their
Inboxes and a list of the second shared with the first as editor: todos are added to, moved
between and deleted from the three, and read and listed through either user.

CI-sized: a few dozen short histories on SQLite, fewer on each server backend."""

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import strategies as st

from builders import make_list, register_owners
from differential import run_histories
from sqldb import SQL_BACKENDS, empty_tables, sql_factory
from todo_domain import (
    Conflict,
    DomainError,
    Membership,
    Page,
    PageRequest,
    Priority,
    Role,
    Sort,
    SortKey,
    Status,
    Todo,
    TodoAccess,
    TodoFilter,
    UnitOfWorkFactory,
    new_id,
)
from todo_memory import MemoryUnitOfWorkFactory
from todo_sql import SqlUnitOfWorkFactory

EXAMPLES = {"sqlite": 200, "postgresql": 80, "mariadb": 80}

T0 = datetime(2024, 5, 1, 9, 30, 15, 250_001, tzinfo=UTC)
MOMENTS = [T0 + timedelta(seconds=n, microseconds=n) for n in range(4)]  # few: ties happen
DATES = [date(2024, 6, d) for d in (1, 2, 3)]
TAGS = ["a", "b", "ä", "a_b"]
TITLE_CHARS = "aAzZ %_\\/İiıßΣσ"  # noqa: RUF001 - lookalikes on purpose


@dataclass(frozen=True)
class Fields:
    title: str
    description: str
    status: Status
    priority: Priority
    due_date: date | None
    tags: tuple[str, ...]
    moment: datetime


@dataclass(frozen=True)
class Add:
    place: int  # the list: an index into `History.lists`
    fields: Fields


@dataclass(frozen=True)
class Update:
    target: int
    fields: Fields
    version_offset: int  # 0: the current version, else a stale or future one
    to: int | None  # a move into this list (an index into `History.lists`, or a missing one)


@dataclass(frozen=True)
class Delete:
    target: int
    place: int


@dataclass(frozen=True)
class Get:
    target: int
    user: int


@dataclass(frozen=True)
class List:
    user: int
    filter: TodoFilter
    within: int | None  # `filter.list_id`: an index into `History.lists`, or a missing one
    sort: Sort
    limit: int


fields = st.builds(
    Fields,
    title=st.text(TITLE_CHARS, min_size=1, max_size=6),
    description=st.text("ab\n", max_size=3),
    status=st.sampled_from(Status),
    priority=st.sampled_from(Priority),
    due_date=st.none() | st.sampled_from(DATES),
    tags=st.lists(st.sampled_from(TAGS), unique=True, max_size=3).map(tuple),
    moment=st.sampled_from(MOMENTS),
)


def sometimes(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly None, so that combined filters still leave something to page through."""
    return st.one_of(st.none(), st.none(), st.none(), values)


filters = st.builds(
    TodoFilter,
    status=sometimes(st.sampled_from(Status)),
    priority=sometimes(st.sampled_from(Priority)),
    tag=sometimes(st.sampled_from([*TAGS, "A", "Ä", "c"])),
    due_before=sometimes(st.sampled_from(DATES)),
    due_after=sometimes(st.sampled_from(DATES)),
    text=sometimes(st.text(TITLE_CHARS, max_size=2)),
)
users = st.sampled_from([0, 0, 0, 1])
places = st.sampled_from([0, 0, 1, 2, 2])  # the Inboxes of users 0 and 1, the shared list
targets = st.integers(0, 30)  # an index into the ids added so far (modulo), or a stranger
adds = st.builds(Add, places, fields)
mixed = st.one_of(
    adds,
    st.builds(
        Update,
        targets,
        fields,
        st.sampled_from([0, 0, 0, -1, 1]),
        st.one_of(st.none(), st.none(), st.sampled_from([0, 1, 2, 3])),
    ),
    st.builds(Delete, targets, places),
    st.builds(Get, targets, users),
    st.builds(
        List,
        users,
        filters,
        st.one_of(st.none(), st.none(), st.sampled_from([0, 1, 2, 3])),
        st.builds(Sort, st.sampled_from(SortKey), st.booleans()),
        st.integers(1, 4),
    ),
)
operations = st.builds(
    lambda seed, rest: seed + rest,
    st.lists(adds, min_size=2, max_size=15),  # something to list from the start
    st.lists(mixed, min_size=1, max_size=30),
)


class History:
    """Replays operations on one adapter and records what each one returned or raised."""

    def __init__(self, uow: UnitOfWorkFactory, owners: list[UUID], lists: list[UUID]) -> None:
        self.uow = uow
        self.owners = owners
        self.lists = lists
        self.ids: list[UUID] = []

    def list_at(self, index: int) -> UUID:
        return self.lists[index] if index < len(self.lists) else UUID(int=index)

    def target(self, index: int) -> UUID:
        return self.ids[index % len(self.ids)] if self.ids and index < 25 else UUID(int=index)

    async def apply(self, op: Any, reference: "History | None") -> object:
        try:
            return await self._apply(op, reference)
        except DomainError as error:
            return type(error).__name__

    async def _apply(self, op: Any, reference: "History | None") -> object:
        match op:
            case Add(place, f):
                todo = Todo(
                    id=new_id() if reference is None else reference.ids[-1],
                    list_id=self.list_at(place),
                    title=f.title,
                    description=f.description,
                    status=f.status,
                    priority=f.priority,
                    due_date=f.due_date,
                    tags=f.tags,
                    created_at=f.moment,
                    updated_at=f.moment,
                    completed_at=f.moment if f.status is Status.DONE else None,
                )
                if reference is None:
                    self.ids.append(todo.id)
                async with self.uow() as uow:
                    await uow.todos.add(todo)
                return todo
            case Update(target, f, offset, to):
                async with self.uow() as uow:
                    todo_id = self.target(target)
                    access = None
                    for owner_id in self.owners:
                        access = access or await uow.todos.get(owner_id, todo_id)
                    current = (
                        access.todo if access else Todo(todo_id, self.lists[0], "gone", T0, T0)
                    )
                    changed = dataclasses.replace(
                        current,
                        list_id=current.list_id if to is None else self.list_at(to),
                        title=f.title,
                        status=f.status,
                        priority=f.priority,
                        due_date=f.due_date,
                        tags=f.tags,
                        updated_at=f.moment,
                        version=current.version + 1,
                    )
                    await uow.todos.update(changed, current.version + offset)
                return changed
            case Delete(target, place):
                async with self.uow() as uow:
                    return await uow.todos.delete(self.list_at(place), self.target(target))
            case Get(target, user):
                async with self.uow() as uow:
                    return await uow.todos.get(self.owners[user], self.target(target))
            case List(user, filter, within, sort, limit):
                if within is not None:
                    filter = dataclasses.replace(filter, list_id=self.list_at(within))
                pages: list[Page[Todo]] = []
                cursor: str | None = None
                while len(pages) < 50:
                    async with self.uow() as uow:
                        page = await uow.todos.list(
                            self.owners[user], filter, sort, PageRequest(limit, cursor)
                        )
                    pages.append(page)
                    if page.next_cursor is None:
                        break
                    cursor = page.next_cursor
                return pages
        raise AssertionError(op)


async def agree(sql: SqlUnitOfWorkFactory, ops: list[Any]) -> None:
    await empty_tables(sql.engine)
    owner_ids = [new_id(), new_id()]
    shared = make_list("shared")
    memory = MemoryUnitOfWorkFactory()
    for factory in (memory, sql):
        await register_owners(factory, *owner_ids)
        async with factory() as uow:
            await uow.lists.add(shared)
            await uow.memberships.add(Membership(shared.id, owner_ids[1], Role.OWNER))
            await uow.memberships.add(Membership(shared.id, owner_ids[0], Role.EDITOR))
    lists = [*owner_ids, shared.id]  # an Inbox's id is its user's
    expected, actual = History(memory, owner_ids, lists), History(sql, owner_ids, lists)
    for number, op in enumerate(ops):
        want = await expected.apply(op, None)
        actual.ids = expected.ids
        got = await actual.apply(op, expected)
        assert got == want, f"operation {number}: {op}"


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_memory_and_sql_give_the_same_results(backend: str) -> None:
    run_histories(backend, EXAMPLES[backend], operations, agree)


async def test_adding_an_existing_id_is_a_conflict_on_memory_and_sql_alike() -> None:
    """Regression: the memory adapter overwrote the stored todo (even another owner's) where
    the SQL primary key refuses it."""
    users = [new_id(), new_id()]
    first = Todo(new_id(), users[0], "first", T0, T0)
    async with sql_factory("sqlite") as sql:
        for factory in (MemoryUnitOfWorkFactory(), sql):
            await register_owners(factory, *users)
            async with factory() as uow:
                await uow.todos.add(first)
            for user in users:
                with pytest.raises(Conflict):
                    async with factory() as uow:
                        await uow.todos.add(dataclasses.replace(first, list_id=user))
            async with factory() as uow:
                assert await uow.todos.get(users[0], first.id) == TodoAccess(first, Role.OWNER)
                assert await uow.todos.get(users[1], first.id) is None
