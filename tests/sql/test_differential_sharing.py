"""Differential property test of sharing: the same random sequence of use cases by three users
(lists created, shared, roles changed, members removed, lists deleted; todos created in any
list, changed, moved, deleted, read and listed across lists) on the memory adapter (the
reference) and on the SQL adapter gives the same results and the same errors, call by call.

The services run unchanged on both; ids and timestamps are made deterministic (the same
sequence on both runs), so results compare as they are."""

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from uuid import UUID

import pytest
from hypothesis import strategies as st

import todo_domain.lists
import todo_domain.todos
import todo_domain.users
from differential import run_histories
from fakes import FakeHasher, FixedClock
from sqldb import SQL_BACKENDS, empty_tables
from todo_domain import (
    DomainError,
    ListService,
    NewTodo,
    PageRequest,
    Role,
    Sort,
    SortKey,
    Status,
    TodoChanges,
    TodoFilter,
    TodoService,
    UnitOfWorkFactory,
    UserService,
)
from todo_memory import MemoryUnitOfWorkFactory
from todo_sql import SqlUnitOfWorkFactory

EXAMPLES = {"sqlite": 60, "postgresql": 30, "mariadb": 30}
USERS = 3
TAGS = ["a", "b", "ä"]
UNKNOWN = 9


@dataclass(frozen=True)
class Op:
    kind: str
    user: int
    pick: int  # a todo or list, newest first (modulo; even: among the actor's own), or
    # `UNKNOWN`: an id nobody has
    other: int  # a second list, or a member
    role: Role
    tags: tuple[str, ...]
    status: Status


KINDS = (
    "create_todo",
    "create_todo",
    "update",
    "move",
    "delete",
    "get",
    "list_todos",
    "list_todos_in",
    "create_list",
    "share",
    "share",
    "change_role",
    "remove_member",
    "delete_list",
    "get_list",
    "mine",
    "members",
)
ops = st.lists(
    st.builds(
        Op,
        kind=st.sampled_from(KINDS),
        user=st.sampled_from([0, 0, 0, 1, 2]),  # mostly one actor: their lists get used
        pick=st.integers(0, UNKNOWN),
        other=st.integers(0, UNKNOWN),
        role=st.sampled_from(Role),
        tags=st.lists(st.sampled_from(TAGS), unique=True, max_size=2).map(tuple),
        status=st.sampled_from(Status),
    ),
    min_size=1,
    max_size=40,
)


class TickingClock(FixedClock):
    """A clock that moves on at every reading: no two stamps tie, on any backend alike."""

    def now(self) -> datetime:
        moment = super().now()
        self.advance(timedelta(seconds=1, microseconds=1))
        return moment


@contextlib.contextmanager
def deterministic_ids() -> Iterator[None]:
    """`new_id` of the services as a counter, so two runs of one sequence mint the same ids."""
    counter = itertools.count(1)

    def next_id() -> UUID:
        return UUID(int=(next(counter) << 64) | 0xABCDEF)

    with contextlib.ExitStack() as stack:
        for module in (todo_domain.todos, todo_domain.lists, todo_domain.users):
            stack.enter_context(mock.patch.object(module, "new_id", next_id))
        yield


def _newest(ids: list[UUID], pick: int) -> UUID:
    return ids[-1 - pick % len(ids)] if ids else UUID(int=UNKNOWN)


class Run:
    """One sequence on one adapter: what each call returned or raised."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        clock = TickingClock()
        self.todos = TodoService(uow, clock)
        self.lists = ListService(uow, clock)
        self.users = UserService(uow, FakeHasher(), clock)
        self.user_ids: list[UUID] = []
        self.emails: list[str] = []
        self.todo_ids: list[UUID] = []
        self.list_ids: list[UUID] = []
        # what each user created (their Inbox included): half the picks aim there, so that
        # sharing, moving and changing mostly meet a list or todo the actor may act on
        self.created: list[list[UUID]] = [[] for _ in range(USERS)]

    async def register(self) -> None:
        """Three users, each owning a list shared with the next as editor, and a todo in
        their Inbox and one in that list: the sequences start from shared state."""
        for n in range(USERS):
            user = await self.users.register(f"user{n}@example.com", "password-123")
            self.user_ids.append(user.id)
            self.emails.append(user.email)
            self.list_ids.append(user.id)  # the Inbox
            self.created[n].append(user.id)
        for n, owner in enumerate(self.user_ids):
            shared = (await self.lists.create(owner, f"shared by {n}")).todo_list
            self.list_ids.append(shared.id)
            self.created[n].append(shared.id)
            await self.lists.share(owner, shared.id, self.emails[(n + 1) % USERS], Role.EDITOR)
            for list_id in (None, shared.id):
                todo = await self.todos.create(
                    owner, NewTodo(f"by {n}", tags=("a",), list_id=list_id)
                )
                self.todo_ids.append(todo.id)
                self.created[n].append(todo.id)

    def _todo(self, op: Op) -> UUID:
        return self._pick(self.todo_ids, op.user, op.pick)

    def _list(self, op: Op, pick: int | None = None) -> UUID:
        return self._pick(self.list_ids, op.user, op.pick if pick is None else pick)

    def _pick(self, ids: list[UUID], user: int, pick: int) -> UUID:
        if pick == UNKNOWN:
            return UUID(int=pick)
        own = [i for i in self.created[user] if i in ids]
        return _newest(own if pick % 2 == 0 and own else ids, pick // 2 if own else pick)

    async def apply(self, number: int, op: Op) -> object:
        try:
            return await self._apply(number, op)
        except DomainError as error:
            return type(error).__name__

    async def _apply(self, number: int, op: Op) -> object:
        user = self.user_ids[op.user]
        match op.kind:
            case "create_todo":
                list_id = None if op.pick % 2 == 0 else self._list(op)
                new = NewTodo(f"todo {number}", tags=op.tags, list_id=list_id)
                todo = await self.todos.create(user, new)
                self.todo_ids.append(todo.id)
                self.created[op.user].append(todo.id)
                return todo
            case "update":
                changes = TodoChanges(title=f"changed {number}", tags=op.tags, status=op.status)
                return await self.todos.update(user, self._todo(op), changes)
            case "move":
                return await self.todos.move(user, self._todo(op), self._list(op, op.other))
            case "delete":
                await self.todos.delete(user, self._todo(op))
                return "deleted"
            case "get":
                return await self.todos.get(user, self._todo(op))
            case "list_todos" | "list_todos_in":
                list_id = self._list(op, op.other) if op.kind == "list_todos_in" else None
                tag = op.tags[0] if op.tags else None
                sort = Sort(SortKey.CREATED_AT, descending=op.pick % 2 == 0)
                return await self._walk(user, TodoFilter(list_id=list_id, tag=tag), sort)
            case "create_list":
                access = await self.lists.create(user, f"list {number % 5}")
                self.list_ids.append(access.todo_list.id)
                self.created[op.user].append(access.todo_list.id)
                return access
            case "share":
                email = self.emails[(op.user + 1 + op.other) % USERS]  # mostly another
                return await self.lists.share(user, self._list(op), email, op.role)
            case "change_role":
                member = self.user_ids[op.other % USERS]
                return await self.lists.change_role(user, self._list(op), member, op.role)
            case "remove_member":
                member = self.user_ids[op.other % USERS]
                await self.lists.remove_member(user, self._list(op), member)
                return "removed"
            case "delete_list":
                await self.lists.delete(user, self._list(op))
                return "deleted"
            case "get_list":
                return await self.lists.get(user, self._list(op))
            case "mine":
                role = op.role if op.pick % 2 else None
                return [page async for page in self._my_lists(user, role)]
            case "members":
                return await self.lists.members(user, self._list(op))
        raise AssertionError(op)

    async def _walk(self, user: UUID, filter: TodoFilter, sort: Sort) -> list[Any]:
        pages: list[Any] = []
        cursor: str | None = None
        while len(pages) < 50:
            page = await self.todos.list(user, filter, sort, PageRequest(2, cursor))
            pages.append(page)
            if page.next_cursor is None:
                return pages
            cursor = page.next_cursor
        raise AssertionError("no end of the listing")

    async def _my_lists(self, user: UUID, role: Role | None) -> Any:
        cursor: str | None = None
        for _ in range(50):
            page = await self.lists.mine(user, PageRequest(2, cursor), role)
            yield page
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


async def agree(sql: SqlUnitOfWorkFactory, sequence: list[Op]) -> None:
    await empty_tables(sql.engine)
    await compare(MemoryUnitOfWorkFactory(), sql, sequence)


async def compare(
    reference: UnitOfWorkFactory, candidate: UnitOfWorkFactory, sequence: list[Op]
) -> None:
    """Runs `sequence` on both; every call's outcome on `candidate` equals `reference`'s."""
    with deterministic_ids():
        expected = Run(reference)
        await expected.register()
        want = [await expected.apply(number, op) for number, op in enumerate(sequence)]
    with deterministic_ids():
        actual = Run(candidate)
        await actual.register()
        for number, op in enumerate(sequence):
            got = await actual.apply(number, op)
            assert got == want[number], f"operation {number}: {op}"


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_sharing_on_memory_and_sql_gives_the_same_results(backend: str) -> None:
    run_histories(backend, EXAMPLES[backend], ops, agree)
