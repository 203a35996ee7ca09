"""Shared lists under concurrent use cases, on the memory adapter: every repository call and
every commit waits a tiny random while first, so each seed interleaves the callers differently."""

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from types import TracebackType
from uuid import UUID

import pytest

from builders import share, walk
from fakes import FixedClock
from todo_domain import (
    Forbidden,
    ListAccess,
    ListService,
    Member,
    Membership,
    NewTodo,
    NotFound,
    Page,
    PageRequest,
    Role,
    Todo,
    TodoAccess,
    TodoChanges,
    TodoFilter,
    TodoList,
    TodoService,
)
from todo_memory import (
    MemoryMembershipRepository,
    MemoryStore,
    MemoryTodoListRepository,
    MemoryTodoRepository,
    MemoryUnitOfWork,
    MemoryUnitOfWorkFactory,
)
from todo_memory.transaction import Transaction

SEEDS = range(50)
PAUSE_MAX = 0.001

Pause = Callable[[], Awaitable[None]]


def pauses(seed: int) -> Pause:
    rng = random.Random(seed)

    async def pause() -> None:
        await asyncio.sleep(rng.uniform(0, PAUSE_MAX))

    return pause


class PausingTodos(MemoryTodoRepository):
    def __init__(self, transaction: Transaction, pause: Pause) -> None:
        super().__init__(transaction)
        self._pause = pause

    async def add(self, todo: Todo) -> None:
        await self._pause()
        await super().add(todo)

    async def get(self, user_id: UUID, todo_id: UUID) -> TodoAccess | None:
        await self._pause()
        return await super().get(user_id, todo_id)

    async def update(self, todo: Todo, expected_version: int) -> None:
        await self._pause()
        await super().update(todo, expected_version)

    async def delete(self, list_id: UUID, todo_id: UUID) -> bool:
        await self._pause()
        return await super().delete(list_id, todo_id)


class PausingLists(MemoryTodoListRepository):
    def __init__(self, transaction: Transaction, pause: Pause) -> None:
        super().__init__(transaction)
        self._pause = pause

    async def get(self, list_id: UUID) -> TodoList | None:
        await self._pause()
        return await super().get(list_id)

    async def list_for(
        self, user_id: UUID, page: PageRequest, role: Role | None = None
    ) -> Page[ListAccess]:
        await self._pause()
        return await super().list_for(user_id, page, role)

    async def update(self, todo_list: TodoList, expected_version: int) -> None:
        await self._pause()
        await super().update(todo_list, expected_version)


class PausingMemberships(MemoryMembershipRepository):
    def __init__(self, transaction: Transaction, pause: Pause) -> None:
        super().__init__(transaction)
        self._pause = pause

    async def add(self, membership: Membership) -> None:
        await self._pause()
        await super().add(membership)

    async def role_of(self, list_id: UUID, user_id: UUID) -> Role | None:
        await self._pause()
        return await super().role_of(list_id, user_id)

    async def hold(self, list_id: UUID, user_id: UUID) -> Role | None:
        await self._pause()
        return await super().hold(list_id, user_id)

    async def members(self, list_id: UUID) -> list[Member]:
        await self._pause()
        return await super().members(list_id)

    async def change_role(self, list_id: UUID, user_id: UUID, role: Role) -> None:
        await self._pause()
        await super().change_role(list_id, user_id, role)

    async def remove(self, list_id: UUID, user_id: UUID) -> bool:
        await self._pause()
        return await super().remove(list_id, user_id)

    async def count_owners(self, list_id: UUID) -> int:
        await self._pause()
        return await super().count_owners(list_id)


class PausingUnitOfWork(MemoryUnitOfWork):
    def __init__(self, store: MemoryStore, pause: Pause) -> None:
        super().__init__(store)
        self._pause = pause
        self.todos = PausingTodos(self._tx, pause)
        self.lists = PausingLists(self._tx, pause)
        self.memberships = PausingMemberships(self._tx, pause)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._pause()  # between the last write and the commit: where races are lost
        await super().__aexit__(exc_type, exc, traceback)


def services(uow: MemoryUnitOfWorkFactory, seed: int) -> tuple[ListService, TodoService]:
    pause = pauses(seed)
    clock = FixedClock()
    return (
        ListService(lambda: PausingUnitOfWork(uow.store, pause), clock),
        TodoService(lambda: PausingUnitOfWork(uow.store, pause), clock),
    )


async def roles(uow: MemoryUnitOfWorkFactory, list_id: UUID) -> dict[UUID, Role]:
    async with uow() as work:
        return {member.user_id: member.role for member in await work.memberships.members(list_id)}


# --- two owners dropping each other --------------------------------------------------------
@pytest.mark.parametrize("how", ["demote", "remove"])
@pytest.mark.parametrize("seed", SEEDS)
async def test_two_owners_dropping_each_other_at_once_leave_an_owner(
    uow: MemoryUnitOfWorkFactory, owner: UUID, stranger: UUID, seed: int, how: str
) -> None:
    lists, _ = services(uow, seed)
    todo_list = await share(uow, owner, {stranger: Role.OWNER})

    async def drop(by: UUID, whom: UUID) -> None:
        if how == "demote":
            await lists.change_role(by, todo_list.id, whom, Role.EDITOR)
        else:
            await lists.remove_member(by, todo_list.id, whom)

    outcomes = await asyncio.gather(
        drop(owner, stranger), drop(stranger, owner), return_exceptions=True
    )

    owners = [user for user, role in (await roles(uow, todo_list.id)).items() if role is Role.OWNER]
    assert len(owners) == 1
    # The winner's change is the one that took effect; the loser tried again as what the
    # winner left them: an editor (may not change roles) or no member at all.
    winner = owner if outcomes[0] is None else stranger
    assert owners == [winner]
    refusals = [outcome for outcome in outcomes if outcome is not None]
    assert len(refusals) == 1
    assert type(refusals[0]) is (Forbidden if how == "demote" else NotFound)


# --- concurrent moves of one todo ----------------------------------------------------------
@pytest.mark.parametrize("targets", [(1, 2, 3), (1, 1, 2)], ids=["distinct", "repeated"])
@pytest.mark.parametrize("seed", range(20))
async def test_concurrent_moves_leave_the_todo_in_one_list_with_a_version_per_applied_move(
    uow: MemoryUnitOfWorkFactory,
    owner: UUID,
    editor: UUID,
    viewer: UUID,
    seed: int,
    targets: tuple[int, ...],
) -> None:
    """Three movers (editors of every list), each moving the todo from list 0 to theirs."""
    _, todos = services(uow, seed)
    movers = [owner, editor, viewer]
    shared = [
        await share(uow, owner, {editor: Role.EDITOR, viewer: Role.EDITOR}, name=f"list {n}")
        for n in range(4)
    ]
    start = await todos.create(owner, NewTodo(title="t", tags=["kept"], list_id=shared[0].id))

    moved = await asyncio.gather(
        *(
            todos.move(mover, start.id, shared[target].id)
            for mover, target in zip(movers, targets, strict=True)
        )
    )

    final = await todos.get(owner, start.id)
    applied = {todo.version for todo in moved}  # a move that found the todo there is no version
    assert final.version == 1 + len(applied)
    assert sorted(applied) == list(range(2, final.version + 1))
    assert final == max(moved, key=lambda todo: todo.version)  # the last one applied wins
    if len(set(targets)) == len(targets):
        assert len(applied) == len(movers)
    holding = [
        todo_list.id
        for todo_list in shared
        for todo in (await todos.list(owner, TodoFilter(list_id=todo_list.id))).items
        if todo.id == start.id
    ]
    assert holding == [final.list_id]
    assert final.tags == ("kept",)
    assert final.list_id in {shared[target].id for target in targets}


# --- a member removed (or demoted) while writing -------------------------------------------
WRITES = ("rename", "create", "move in")


@pytest.mark.parametrize("how", ["remove", "demote"])
@pytest.mark.parametrize("seed", range(20))
async def test_no_write_of_a_member_succeeds_after_their_removal_returned(
    uow: MemoryUnitOfWorkFactory, owner: UUID, editor: UUID, seed: int, how: str
) -> None:
    lists, todos = services(uow, seed)
    team = await share(uow, owner, {editor: Role.EDITOR})
    task = await todos.create(owner, NewTodo(title="t", list_id=team.id))
    dropped = False
    succeeded = dict.fromkeys(WRITES, 0)
    late: list[str] = []  # writes that succeeded after the removal returned
    # (write, error, whether the removal had returned): the memory adapter's commit and the
    # removal's return happen without a pause between, so no refusal may come before it
    refusals: list[tuple[str, type[Exception], bool]] = []

    async def write(kind: str, n: int) -> None:
        if kind == "rename":
            await todos.update(editor, task.id, TodoChanges(title=f"renamed {n}"))
        elif kind == "create":
            await todos.create(editor, NewTodo(title=f"created {n}", list_id=team.id))
        else:
            own = await todos.create(editor, NewTodo(title=f"moved {n}"))  # into the Inbox
            await todos.move(editor, own.id, team.id)

    async def writer(kind: str) -> None:
        for n in range(200):
            try:
                await write(kind, n)
            except (NotFound, Forbidden) as error:
                refusals.append((kind, type(error), dropped))
                if sum(refused == kind for refused, _, _ in refusals) == 3:
                    return
            else:
                succeeded[kind] += 1
                if dropped:
                    late.append(kind)

    async def drop() -> None:
        nonlocal dropped
        await asyncio.sleep(random.Random(seed).uniform(0, 10 * PAUSE_MAX))
        if how == "remove":
            await lists.remove_member(owner, team.id, editor)
        else:
            await lists.change_role(owner, team.id, editor, Role.VIEWER)
        dropped = True

    await asyncio.gather(drop(), *(writer(kind) for kind in WRITES))

    assert late == []
    refusal = NotFound if how == "remove" else Forbidden
    assert Counter(refusals) == {(kind, refusal, True): 3 for kind in WRITES}
    # what succeeded is stored, once each
    titles = [todo.title for todo in await walk(uow, owner, TodoFilter(list_id=team.id))]
    assert sum(title.startswith("created ") for title in titles) == succeeded["create"]
    assert sum(title.startswith("moved ") for title in titles) == succeeded["move in"]
    assert (await todos.get(owner, task.id)).version == 1 + succeeded["rename"]


# --- a list deleted while one of its todos moves out ---------------------------------------
class DeletingLists(MemoryTodoListRepository):
    """Marks the list deleted, then lets `meanwhile` run before the unit of work commits."""

    def __init__(
        self, transaction: Transaction, meanwhile: Callable[[], Awaitable[object]]
    ) -> None:
        super().__init__(transaction)
        self._meanwhile = meanwhile

    async def delete(self, list_id: UUID) -> bool:
        deleted = await super().delete(list_id)
        await self._meanwhile()
        return deleted


class DeletingUnitOfWork(MemoryUnitOfWork):
    def __init__(self, store: MemoryStore, meanwhile: Callable[[], Awaitable[object]]) -> None:
        super().__init__(store)
        self.lists = DeletingLists(self._tx, meanwhile)


async def test_a_todo_moved_out_before_its_old_list_is_deleted_stays_in_its_new_list(
    uow: MemoryUnitOfWorkFactory, owner: UUID, editor: UUID
) -> None:
    """The move is acknowledged before the deletion commits: the todo is no longer in the list
    that goes, so the deletion (a cascade over the list's todos, as stored when it commits)
    must not take it."""
    clock = FixedClock()
    todos = TodoService(uow, clock)
    old = await share(uow, owner, {editor: Role.EDITOR}, name="old")
    new = await share(uow, owner, {editor: Role.EDITOR}, name="new")
    todo = await todos.create(editor, NewTodo(title="t", list_id=old.id))
    moved: list[Todo] = []

    async def move() -> None:
        moved.append(await todos.move(editor, todo.id, new.id))

    lists = ListService(lambda: DeletingUnitOfWork(uow.store, move), clock)
    await lists.delete(owner, old.id)

    assert [m.list_id for m in moved] == [new.id]
    assert await todos.get(editor, todo.id) == moved[0]
