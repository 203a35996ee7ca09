"""TodoService through the sharing policy, on the memory adapter: a todo's list decides who sees
it and who may change it; to anyone who is not a member of that list it does not exist."""

from collections.abc import Awaitable, Callable
from uuid import UUID

import pytest

from builders import make_list, make_todo, share
from fakes import FixedClock
from todo_domain import (
    ALLOWED,
    Action,
    Forbidden,
    ListService,
    NewTodo,
    NotFound,
    Role,
    Status,
    StorageUnavailable,
    Todo,
    TodoChanges,
    TodoFilter,
    TodoList,
    TodoService,
    inbox_id,
    new_id,
)
from todo_memory import (
    MemoryMembershipRepository,
    MemoryStore,
    MemoryTodoRepository,
    MemoryUnitOfWork,
    MemoryUnitOfWorkFactory,
)
from todo_memory.transaction import Transaction

Call = Callable[[], Awaitable[object]]


@pytest.fixture
async def team(uow: MemoryUnitOfWorkFactory, owner: UUID, editor: UUID, viewer: UUID) -> TodoList:
    """A list of `owner`, shared with `editor` and `viewer` in those roles."""
    return await share(uow, owner, {editor: Role.EDITOR, viewer: Role.VIEWER}, name="team")


@pytest.fixture
async def task(todos: TodoService, owner: UUID, team: TodoList) -> Todo:
    """A todo of `team`, with tags (a move must take them along)."""
    return await todos.create(
        owner, NewTodo(title="task", tags=["home", "urgent"], list_id=team.id)
    )


async def listed(todos: TodoService, user_id: UUID, filter: TodoFilter | None = None) -> set[UUID]:
    return {todo.id for todo in (await todos.list(user_id, filter)).items}


async def in_list(todos: TodoService, user_id: UUID, list_id: UUID) -> list[Todo]:
    return list((await todos.list(user_id, TodoFilter(list_id=list_id))).items)


# --- create --------------------------------------------------------------------------------
async def test_a_todo_created_without_a_list_goes_to_the_creators_inbox(
    todos: TodoService, owner: UUID, stranger: UUID
) -> None:
    todo = await todos.create(owner, NewTodo(title="mine"))
    assert todo.list_id == inbox_id(owner)
    assert await in_list(todos, owner, inbox_id(owner)) == [todo]
    with pytest.raises(NotFound):
        await todos.get(stranger, todo.id)


@pytest.mark.parametrize("creator", ["owner", "editor"])
async def test_an_owner_or_editor_creates_into_a_shared_list(
    todos: TodoService,
    team: TodoList,
    owner: UUID,
    editor: UUID,
    viewer: UUID,
    creator: str,
) -> None:
    by = owner if creator == "owner" else editor
    todo = await todos.create(by, NewTodo(title="ours", list_id=team.id))
    assert todo.list_id == team.id
    for member in (owner, editor, viewer):
        assert await todos.get(member, todo.id) == todo
    assert await listed(todos, by, TodoFilter(list_id=inbox_id(by))) == set()


async def test_a_viewer_may_not_create_into_the_list(
    todos: TodoService, team: TodoList, owner: UUID, viewer: UUID
) -> None:
    with pytest.raises(Forbidden):
        await todos.create(viewer, NewTodo(title="sneaked in", list_id=team.id))
    assert await in_list(todos, owner, team.id) == []


async def test_a_non_member_creating_into_a_list_finds_none_exactly_as_a_missing_one(
    todos: TodoService, team: TodoList, owner: UUID, stranger: UUID
) -> None:
    messages = set()
    for list_id in (team.id, new_id(), inbox_id(owner)):
        with pytest.raises(NotFound) as raised:
            await todos.create(stranger, NewTodo(title="sneaked in", list_id=list_id))
        assert not isinstance(raised.value, Forbidden)
        messages.add(str(raised.value))
    assert len(messages) == 1
    assert await listed(todos, owner) == set()


# --- reading -------------------------------------------------------------------------------
async def test_a_viewer_gets_and_lists_the_todos_of_the_list(
    todos: TodoService, task: Todo, team: TodoList, viewer: UUID
) -> None:
    assert await todos.get(viewer, task.id) == task
    assert await in_list(todos, viewer, team.id) == [task]
    assert await listed(todos, viewer) == {task.id}


async def test_a_listing_spans_the_inbox_and_every_shared_list_and_nothing_else(
    todos: TodoService, team: TodoList, owner: UUID, editor: UUID, stranger: UUID
) -> None:
    in_team = await todos.create(owner, NewTodo(title="team", list_id=team.id))
    in_inbox = await todos.create(editor, NewTodo(title="editor's own"))
    owners_own = await todos.create(owner, NewTodo(title="owner's own"))
    strangers = await todos.create(stranger, NewTodo(title="stranger's own"))

    assert await listed(todos, editor) == {in_team.id, in_inbox.id}
    assert await listed(todos, owner) == {in_team.id, owners_own.id}
    assert await listed(todos, stranger) == {strangers.id}
    assert await listed(todos, editor, TodoFilter(list_id=team.id)) == {in_team.id}
    assert await listed(todos, editor, TodoFilter(list_id=inbox_id(editor))) == {in_inbox.id}
    assert await listed(todos, editor, TodoFilter(list_id=team.id, status=Status.DONE)) == set()


async def test_listing_a_list_of_which_one_is_no_member_is_not_found_as_a_missing_one(
    todos: TodoService, task: Todo, team: TodoList, owner: UUID, stranger: UUID
) -> None:
    messages = set()
    for list_id in (team.id, inbox_id(owner), new_id()):
        with pytest.raises(NotFound) as raised:
            await todos.list(stranger, TodoFilter(list_id=list_id))
        messages.add(str(raised.value))
    assert len(messages) == 1


# --- changing ------------------------------------------------------------------------------
async def test_a_viewer_may_neither_change_nor_complete_nor_delete_nor_move(
    todos: TodoService, task: Todo, viewer: UUID, owner: UUID
) -> None:
    refused: list[Call] = [
        lambda: todos.update(viewer, task.id, TodoChanges(title="mine now")),
        lambda: todos.update(viewer, task.id, TodoChanges(title="mine now"), expected_version=1),
        lambda: todos.update(viewer, task.id, TodoChanges(title=task.title)),  # even a no-op
        lambda: todos.complete(viewer, task.id),
        lambda: todos.delete(viewer, task.id),
        lambda: todos.move(viewer, task.id, inbox_id(viewer)),  # into a list the viewer owns
    ]
    for call in refused:
        with pytest.raises(Forbidden):
            await call()
    assert await todos.get(owner, task.id) == task


async def test_a_stranger_finds_no_todo_to_change_complete_delete_or_move(
    todos: TodoService, task: Todo, stranger: UUID, owner: UUID
) -> None:
    refused: list[Call] = [
        lambda: todos.get(stranger, task.id),
        lambda: todos.update(stranger, task.id, TodoChanges(title="mine now")),
        lambda: todos.update(stranger, task.id, TodoChanges(title="x"), expected_version=1),
        lambda: todos.complete(stranger, task.id),
        lambda: todos.reopen(stranger, task.id),
        lambda: todos.delete(stranger, task.id),
        lambda: todos.move(stranger, task.id, inbox_id(stranger)),
    ]
    for call in refused:
        with pytest.raises(NotFound) as raised:
            await call()
        assert str(raised.value) == "todo"  # as for a todo that does not exist
    assert await todos.get(owner, task.id) == task


async def test_an_editor_changes_completes_and_deletes_a_todo_of_the_list(
    todos: TodoService, task: Todo, editor: UUID, owner: UUID
) -> None:
    changed = await todos.update(editor, task.id, TodoChanges(title="edited"))
    done = await todos.complete(editor, task.id)
    assert (changed.version, done.version, done.status) == (2, 3, Status.DONE)
    assert await todos.get(owner, task.id) == done
    await todos.delete(editor, task.id)
    with pytest.raises(NotFound):
        await todos.get(owner, task.id)


# --- moving --------------------------------------------------------------------------------
@pytest.fixture
async def other(uow: MemoryUnitOfWorkFactory, owner: UUID, editor: UUID, viewer: UUID) -> TodoList:
    """A second list of `owner`, where `editor` edits too and `viewer` is a viewer again."""
    return await share(uow, owner, {editor: Role.EDITOR, viewer: Role.VIEWER}, name="other")


@pytest.mark.parametrize("mover", ["owner", "editor"])
@pytest.mark.parametrize("how", ["move", "update"])
async def test_a_move_takes_the_tags_along_and_bumps_the_version_once(
    todos: TodoService,
    clock: FixedClock,
    task: Todo,
    other: TodoList,
    team: TodoList,
    owner: UUID,
    editor: UUID,
    viewer: UUID,
    mover: str,
    how: str,
) -> None:
    by = owner if mover == "owner" else editor
    now = clock.advance()
    if how == "move":
        moved = await todos.move(by, task.id, other.id)
    else:  # a move with other changes: still one new version
        moved = await todos.update(
            by, task.id, TodoChanges(list_id=other.id, title="moved"), expected_version=1
        )
    assert moved.list_id == other.id
    assert moved.tags == ("home", "urgent")
    assert (moved.version, moved.updated_at, moved.created_at) == (2, now, task.created_at)
    assert moved.title == ("moved" if how == "update" else task.title)
    for member in (owner, editor, viewer):
        assert await todos.get(member, task.id) == moved
        assert await in_list(todos, member, team.id) == []
        assert await in_list(todos, member, other.id) == [moved]
    tagged = await todos.list(owner, TodoFilter(list_id=other.id, tag="urgent"))
    assert list(tagged.items) == [moved]


async def test_an_editor_moves_a_todo_from_their_inbox_into_a_shared_list_and_back(
    todos: TodoService, team: TodoList, editor: UUID, viewer: UUID
) -> None:
    mine = await todos.create(editor, NewTodo(title="to share"))
    shared = await todos.move(editor, mine.id, team.id)
    assert await todos.get(viewer, mine.id) == shared
    back = await todos.move(editor, mine.id, inbox_id(editor))
    assert (back.list_id, back.version) == (inbox_id(editor), 3)
    with pytest.raises(NotFound):
        await todos.get(viewer, mine.id)


async def test_a_move_into_the_list_it_is_in_changes_nothing(
    todos: TodoService, clock: FixedClock, task: Todo, team: TodoList, editor: UUID
) -> None:
    clock.advance()
    assert await todos.move(editor, task.id, team.id) == task
    assert await todos.update(editor, task.id, TodoChanges(list_id=team.id)) == task


async def test_a_move_needs_the_right_to_move_in_both_lists(
    uow: MemoryUnitOfWorkFactory, todos: TodoService, task: Todo, owner: UUID, viewer: UUID
) -> None:
    """Refused to a viewer of the source who edits the target, and the other way round."""
    target = await share(uow, owner, {viewer: Role.EDITOR}, name="target")
    with pytest.raises(Forbidden):
        await todos.move(viewer, task.id, target.id)
    # an owner of the source (their Inbox) who is only a viewer of the target
    mine = await todos.create(viewer, NewTodo(title="viewer's own"))
    readonly = await share(uow, owner, {viewer: Role.VIEWER}, name="read only")
    with pytest.raises(Forbidden):
        await todos.move(viewer, mine.id, readonly.id)
    with pytest.raises(Forbidden):
        await todos.update(viewer, mine.id, TodoChanges(list_id=readonly.id, title="x"))
    assert await todos.get(owner, task.id) == task
    assert await todos.get(viewer, mine.id) == mine


async def test_a_move_into_a_list_of_which_one_is_no_member_or_that_is_missing_is_not_found(
    todos: TodoService,
    lists: ListService,
    task: Todo,
    owner: UUID,
    editor: UUID,
    stranger: UUID,
) -> None:
    strangers = (await lists.create(stranger, "theirs")).todo_list

    def moves_into(target: UUID) -> list[Call]:
        return [
            lambda: todos.move(editor, task.id, target),
            lambda: todos.update(editor, task.id, TodoChanges(list_id=target, title="x")),
            lambda: todos.update(editor, task.id, TodoChanges(list_id=target), expected_version=1),
        ]

    messages = set()
    for target in (strangers.id, inbox_id(stranger), new_id()):
        for call in moves_into(target):
            with pytest.raises(NotFound) as raised:
                await call()
            assert not isinstance(raised.value, Forbidden)
            messages.add(str(raised.value))
    assert messages == {"list"}
    assert await todos.get(owner, task.id) == task


class FailingAfterTheWrite(MemoryTodoRepository):
    """Stores the change in the unit of work, then fails as a lost connection would."""

    async def update(self, todo: Todo, expected_version: int) -> None:
        await super().update(todo, expected_version)
        raise StorageUnavailable("connection lost")


class FailingUnitOfWork(MemoryUnitOfWork):
    def __init__(self, store: MemoryStore) -> None:
        super().__init__(store)
        self.todos = FailingAfterTheWrite(self._tx)


async def test_a_move_that_fails_leaves_the_todo_where_it_was(
    uow: MemoryUnitOfWorkFactory,
    todos: TodoService,
    clock: FixedClock,
    task: Todo,
    team: TodoList,
    other: TodoList,
    editor: UUID,
) -> None:
    failing = TodoService(lambda: FailingUnitOfWork(uow.store), clock)
    with pytest.raises(StorageUnavailable):
        await failing.update(editor, task.id, TodoChanges(list_id=other.id, title="moved"))
    assert await todos.get(editor, task.id) == task
    assert await in_list(todos, editor, team.id) == [task]
    assert await in_list(todos, editor, other.id) == []


class DeletingTheTarget(MemoryMembershipRepository):
    """Once a move holds its membership of `target`, the target's owner deletes it."""

    def __init__(self, transaction: Transaction, target: UUID, delete: Call) -> None:
        super().__init__(transaction)
        self._target = target
        self._delete = delete

    async def hold(self, list_id: UUID, user_id: UUID) -> Role | None:
        role = await super().hold(list_id, user_id)
        if list_id == self._target:
            await self._delete()
        return role


class DeletingUnitOfWork(MemoryUnitOfWork):
    def __init__(self, store: MemoryStore, target: UUID, delete: Call) -> None:
        super().__init__(store)
        self.memberships = DeletingTheTarget(self._tx, target, delete)


async def test_a_move_into_a_list_deleted_meanwhile_is_not_found_and_leaves_the_todo(
    uow: MemoryUnitOfWorkFactory,
    todos: TodoService,
    lists: ListService,
    clock: FixedClock,
    task: Todo,
    team: TodoList,
    other: TodoList,
    owner: UUID,
    editor: UUID,
) -> None:
    def unit_of_work() -> MemoryUnitOfWork:
        return DeletingUnitOfWork(uow.store, other.id, lambda: lists.delete(owner, other.id))

    with pytest.raises(NotFound):
        await TodoService(unit_of_work, clock).move(editor, task.id, other.id)
    assert await todos.get(editor, task.id) == task
    assert set(uow.store.todos) == {task.id}


# --- membership ends -----------------------------------------------------------------------
async def test_a_removed_member_can_no_longer_read_or_write(
    todos: TodoService,
    lists: ListService,
    task: Todo,
    team: TodoList,
    other: TodoList,
    owner: UUID,
    editor: UUID,
) -> None:
    own = await todos.create(editor, NewTodo(title="editor's own"))
    await lists.remove_member(owner, team.id, editor)

    refused: list[Call] = [
        lambda: todos.get(editor, task.id),
        lambda: todos.list(editor, TodoFilter(list_id=team.id)),
        lambda: todos.create(editor, NewTodo(title="late", list_id=team.id)),
        lambda: todos.update(editor, task.id, TodoChanges(title="late")),
        lambda: todos.complete(editor, task.id),
        lambda: todos.delete(editor, task.id),
        lambda: todos.move(editor, task.id, other.id),  # out of it
        lambda: todos.move(editor, own.id, team.id),  # into it
    ]
    for call in refused:
        with pytest.raises(NotFound):
            await call()
    assert await listed(todos, editor) == {own.id}
    assert await todos.get(owner, task.id) == task
    assert await todos.get(editor, own.id) == own


async def test_a_member_demoted_to_viewer_reads_but_no_longer_writes(
    todos: TodoService, lists: ListService, task: Todo, team: TodoList, owner: UUID, editor: UUID
) -> None:
    await lists.change_role(owner, team.id, editor, Role.VIEWER)
    assert await todos.get(editor, task.id) == task
    with pytest.raises(Forbidden):
        await todos.update(editor, task.id, TodoChanges(title="late"))
    with pytest.raises(Forbidden):
        await todos.create(editor, NewTodo(title="late", list_id=team.id))
    with pytest.raises(Forbidden):
        await todos.delete(editor, task.id)


async def test_a_deleted_list_takes_its_todos_with_it(
    uow: MemoryUnitOfWorkFactory,
    todos: TodoService,
    lists: ListService,
    task: Todo,
    team: TodoList,
    owner: UUID,
    editor: UUID,
    viewer: UUID,
) -> None:
    second = await todos.create(editor, NewTodo(title="second", list_id=team.id))
    kept = await todos.create(editor, NewTodo(title="editor's own"))
    await lists.delete(owner, team.id)
    for member in (owner, editor, viewer):
        for todo in (task, second):
            with pytest.raises(NotFound):
                await todos.get(member, todo.id)
        with pytest.raises(NotFound):
            await todos.list(member, TodoFilter(list_id=team.id))
    assert await listed(todos, editor) == {kept.id}
    assert set(uow.store.todos) == {kept.id}  # gone from storage, not just hidden


# --- every role x every todo action, through the service -----------------------------------
TODO_ACTIONS = (
    Action.VIEW_TODOS,
    Action.CREATE_TODO,
    Action.CHANGE_TODO,
    Action.MOVE_TODO,
    Action.DELETE_TODO,
)


async def _view(todos: TodoService, actor: UUID, todo_list: TodoList, todo: Todo) -> None:
    assert await todos.get(actor, todo.id) == todo
    assert await in_list(todos, actor, todo_list.id) == [todo]


async def _create(todos: TodoService, actor: UUID, todo_list: TodoList, todo: Todo) -> None:
    created = await todos.create(actor, NewTodo(title="new", list_id=todo_list.id))
    assert await todos.get(actor, created.id) == created
    assert created.list_id == todo_list.id


async def _change(todos: TodoService, actor: UUID, todo_list: TodoList, todo: Todo) -> None:
    changed = await todos.update(actor, todo.id, TodoChanges(title="changed"))
    assert (changed.title, changed.version) == ("changed", todo.version + 1)


async def _complete(todos: TodoService, actor: UUID, todo_list: TodoList, todo: Todo) -> None:
    assert (await todos.complete(actor, todo.id)).status is Status.DONE


async def _move_out(todos: TodoService, actor: UUID, todo_list: TodoList, todo: Todo) -> None:
    """Into the actor's Inbox, which they own: only their role in `todo_list` can stop it."""
    moved = await todos.move(actor, todo.id, inbox_id(actor))
    assert await todos.get(actor, todo.id) == moved
    assert moved.list_id == inbox_id(actor)


async def _move_in(todos: TodoService, actor: UUID, todo_list: TodoList, todo: Todo) -> None:
    """Out of the actor's Inbox, which they own: only their role in `todo_list` can stop it."""
    (own,) = await in_list(todos, actor, inbox_id(actor))
    moved = await todos.update(actor, own.id, TodoChanges(list_id=todo_list.id))
    assert (moved.list_id, moved.version) == (todo_list.id, own.version + 1)


async def _delete(todos: TodoService, actor: UUID, todo_list: TodoList, todo: Todo) -> None:
    await todos.delete(actor, todo.id)
    with pytest.raises(NotFound):
        await todos.get(actor, todo.id)


Perform = Callable[[TodoService, UUID, TodoList, Todo], Awaitable[None]]

# Each use case with the action of the policy it needs (a move needs it in both lists).
USE_CASES: dict[str, tuple[Action, Perform]] = {
    "view": (Action.VIEW_TODOS, _view),
    "create": (Action.CREATE_TODO, _create),
    "change": (Action.CHANGE_TODO, _change),
    "complete": (Action.CHANGE_TODO, _complete),
    "move out": (Action.MOVE_TODO, _move_out),
    "move in": (Action.MOVE_TODO, _move_in),
    "delete": (Action.DELETE_TODO, _delete),
}


def test_the_use_cases_cover_every_todo_action() -> None:
    assert {action for action, _ in USE_CASES.values()} == set(TODO_ACTIONS)
    assert set(TODO_ACTIONS) == {action for action in Action if "todo" in action.value}


async def _everything(todos: TodoService, *user_ids: UUID) -> list[tuple[Todo, ...]]:
    return [tuple((await todos.list(user_id)).items) for user_id in user_ids]


@pytest.mark.parametrize("use_case", list(USE_CASES))
@pytest.mark.parametrize("role", list(Role))
async def test_a_member_acts_on_todos_exactly_as_the_policy_allows(
    uow: MemoryUnitOfWorkFactory,
    todos: TodoService,
    owner: UUID,
    actor: UUID,
    role: Role,
    use_case: str,
) -> None:
    action, perform = USE_CASES[use_case]
    todo_list = await share(uow, owner, {actor: role})
    todo = await todos.create(owner, NewTodo(title="theirs", list_id=todo_list.id))
    await todos.create(actor, NewTodo(title="the actor's own"))
    before = await _everything(todos, owner, actor)

    if action in ALLOWED[role]:
        await perform(todos, actor, todo_list, todo)
    else:
        with pytest.raises(Forbidden):
            await perform(todos, actor, todo_list, todo)
        assert await _everything(todos, owner, actor) == before


@pytest.mark.parametrize("use_case", list(USE_CASES))
async def test_a_non_member_finds_nothing_exactly_as_if_it_did_not_exist(
    uow: MemoryUnitOfWorkFactory, todos: TodoService, owner: UUID, stranger: UUID, use_case: str
) -> None:
    _, perform = USE_CASES[use_case]
    todo_list = await share(uow, owner, {}, name="not theirs")
    todo = await todos.create(owner, NewTodo(title="theirs", list_id=todo_list.id))
    await todos.create(stranger, NewTodo(title="the stranger's own"))
    missing_list = make_list()  # never stored
    missing_todo = make_todo(owner, list_id=missing_list.id)
    before = await _everything(todos, owner, stranger)

    with pytest.raises(NotFound) as hidden:
        await perform(todos, stranger, todo_list, todo)
    with pytest.raises(NotFound) as missing:
        await perform(todos, stranger, missing_list, missing_todo)

    assert not isinstance(hidden.value, Forbidden)
    assert str(hidden.value) == str(missing.value)
    assert await _everything(todos, owner, stranger) == before
