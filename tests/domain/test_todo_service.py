"""Todo use cases: ownership, optimistic versions, completion stamps and timestamps."""

from datetime import date, timedelta
from uuid import UUID

import pytest

from fakes import START, FixedClock
from todo_domain import (
    UNSET,
    NewTodo,
    NotFound,
    Priority,
    Status,
    Todo,
    TodoChanges,
    TodoService,
    VersionConflict,
    inbox_id,
    new_id,
)


async def test_create_fills_in_defaults_and_timestamps(todos: TodoService, owner: UUID) -> None:
    todo = await todos.create(owner, NewTodo(title="write tests"))
    assert todo.list_id == inbox_id(owner)
    assert todo.status is Status.OPEN
    assert todo.priority is Priority.NORMAL
    assert todo.description == ""
    assert todo.due_date is None
    assert todo.tags == ()
    assert todo.completed_at is None
    assert todo.version == 1
    assert todo.created_at == todo.updated_at == START
    assert await todos.get(owner, todo.id) == todo


async def test_create_keeps_every_given_field(todos: TodoService, owner: UUID) -> None:
    new = NewTodo(
        title="t", description="d", priority=Priority.HIGH, due_date=date(2024, 6, 1), tags=["x"]
    )
    todo = await todos.create(owner, new)
    assert (todo.description, todo.priority, todo.due_date, todo.tags) == (
        "d",
        Priority.HIGH,
        date(2024, 6, 1),
        ("x",),
    )


# --- NotFound: missing and foreign are indistinguishable -----------------------------------
async def test_get_missing_is_not_found(todos: TodoService, owner: UUID) -> None:
    with pytest.raises(NotFound):
        await todos.get(owner, new_id())


async def test_get_of_another_users_todo_is_not_found(
    todos: TodoService, owner: UUID, stranger: UUID
) -> None:
    todo = await todos.create(owner, NewTodo(title="mine"))
    with pytest.raises(NotFound):
        await todos.get(stranger, todo.id)


async def test_update_missing_is_not_found(todos: TodoService, owner: UUID) -> None:
    with pytest.raises(NotFound):
        await todos.update(owner, new_id(), TodoChanges(title="x"))


async def test_update_of_another_users_todo_is_not_found_and_changes_nothing(
    todos: TodoService, owner: UUID, stranger: UUID
) -> None:
    todo = await todos.create(owner, NewTodo(title="mine"))
    with pytest.raises(NotFound):
        await todos.update(stranger, todo.id, TodoChanges(title="theirs"))
    with pytest.raises(NotFound):
        await todos.update(stranger, todo.id, TodoChanges(title="theirs"), expected_version=1)
    with pytest.raises(NotFound):
        await todos.complete(stranger, todo.id)
    assert await todos.get(owner, todo.id) == todo


async def test_delete_missing_is_not_found(todos: TodoService, owner: UUID) -> None:
    with pytest.raises(NotFound):
        await todos.delete(owner, new_id())


async def test_delete_of_another_users_todo_is_not_found_and_keeps_it(
    todos: TodoService, owner: UUID, stranger: UUID
) -> None:
    todo = await todos.create(owner, NewTodo(title="mine"))
    with pytest.raises(NotFound):
        await todos.delete(stranger, todo.id)
    assert await todos.get(owner, todo.id) == todo


async def test_delete_removes_the_todo(todos: TodoService, owner: UUID) -> None:
    todo = await todos.create(owner, NewTodo(title="gone soon"))
    await todos.delete(owner, todo.id)
    with pytest.raises(NotFound):
        await todos.get(owner, todo.id)
    with pytest.raises(NotFound):
        await todos.delete(owner, todo.id)


async def test_list_shows_only_the_callers_todos(
    todos: TodoService, owner: UUID, stranger: UUID
) -> None:
    mine = await todos.create(owner, NewTodo(title="mine"))
    await todos.create(stranger, NewTodo(title="theirs"))
    assert [todo.id for todo in (await todos.list(owner)).items] == [mine.id]


# --- versions ------------------------------------------------------------------------------
async def test_stale_expected_version_is_a_version_conflict(
    todos: TodoService, owner: UUID
) -> None:
    todo = await todos.create(owner, NewTodo(title="v1"))
    current = await todos.update(owner, todo.id, TodoChanges(title="v2"), expected_version=1)
    assert current.version == 2
    with pytest.raises(VersionConflict) as caught:
        await todos.update(owner, todo.id, TodoChanges(title="v3"), expected_version=1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert await todos.get(owner, todo.id) == current


async def test_an_expected_version_from_the_future_is_a_conflict(
    todos: TodoService, owner: UUID
) -> None:
    todo = await todos.create(owner, NewTodo(title="v1"))
    with pytest.raises(VersionConflict):
        await todos.update(owner, todo.id, TodoChanges(title="v2"), expected_version=2)


async def test_a_stale_version_conflicts_even_when_the_change_is_a_no_op(
    todos: TodoService, owner: UUID
) -> None:
    todo = await todos.create(owner, NewTodo(title="v1"))
    await todos.update(owner, todo.id, TodoChanges(title="v2"))
    with pytest.raises(VersionConflict):
        await todos.update(owner, todo.id, TodoChanges(), expected_version=1)


async def test_every_change_increments_the_version_and_moves_updated_at(
    todos: TodoService, owner: UUID, clock: FixedClock
) -> None:
    todo = await todos.create(owner, NewTodo(title="t"))
    changes = [
        TodoChanges(title="t2"),
        TodoChanges(description="d"),
        TodoChanges(priority=Priority.LOW),
        TodoChanges(due_date=date(2024, 7, 1)),
        TodoChanges(due_date=None),
        TodoChanges(tags=["a"]),
        TodoChanges(status=Status.DONE),
        TodoChanges(status=Status.OPEN),
    ]
    for expected_version, change in enumerate(changes, start=2):
        now = clock.advance()
        todo = await todos.update(owner, todo.id, change, expected_version=expected_version - 1)
        assert todo.version == expected_version
        assert todo.updated_at == now
        assert todo.created_at == START
        assert await todos.get(owner, todo.id) == todo


@pytest.mark.parametrize(
    "change",
    [
        TodoChanges(),
        TodoChanges(title="same"),
        TodoChanges(title="  same  "),  # equal after trimming
        TodoChanges(description=""),
        TodoChanges(priority=Priority.NORMAL),
        TodoChanges(status=Status.OPEN),
        TodoChanges(due_date=None),
        TodoChanges(tags=["B", "a", "A"]),  # equal after normalising
        TodoChanges(title="same", description="", tags=["a", "b"], due_date=UNSET),
    ],
)
async def test_a_change_that_changes_nothing_keeps_version_and_updated_at(
    todos: TodoService, owner: UUID, clock: FixedClock, change: TodoChanges
) -> None:
    todo = await todos.create(owner, NewTodo(title="same", tags=["a", "b"]))
    clock.advance()
    assert await todos.update(owner, todo.id, change) == todo
    assert await todos.update(owner, todo.id, change, expected_version=1) == todo
    assert await todos.get(owner, todo.id) == todo


async def test_due_date_can_be_cleared(todos: TodoService, owner: UUID) -> None:
    todo = await todos.create(owner, NewTodo(title="t", due_date=date(2024, 6, 1)))
    untouched = await todos.update(owner, todo.id, TodoChanges(title="t2"))
    assert untouched.due_date == date(2024, 6, 1)
    cleared = await todos.update(owner, todo.id, TodoChanges(due_date=None))
    assert cleared.due_date is None
    assert (await todos.get(owner, todo.id)).due_date is None


# --- done and reopen -----------------------------------------------------------------------
async def test_done_stamps_completed_at_and_reopen_clears_it(
    todos: TodoService, owner: UUID, clock: FixedClock
) -> None:
    todo = await todos.create(owner, NewTodo(title="t"))
    done_at = clock.advance()
    done = await todos.complete(owner, todo.id)
    assert done.status is Status.DONE
    assert done.completed_at == done_at
    assert (await todos.get(owner, todo.id)).completed_at == done_at

    clock.advance()
    reopened = await todos.reopen(owner, todo.id)
    assert reopened.status is Status.OPEN
    assert reopened.completed_at is None
    assert (await todos.get(owner, todo.id)).completed_at is None


async def test_done_through_a_status_change_stamps_too(
    todos: TodoService, owner: UUID, clock: FixedClock
) -> None:
    todo = await todos.create(owner, NewTodo(title="t"))
    now = clock.advance()
    done = await todos.update(owner, todo.id, TodoChanges(status=Status.DONE))
    assert done.completed_at == now


async def test_completing_twice_keeps_the_first_stamp_and_version(
    todos: TodoService, owner: UUID, clock: FixedClock
) -> None:
    todo = await todos.create(owner, NewTodo(title="t"))
    first = clock.advance()
    done = await todos.complete(owner, todo.id)
    clock.advance()
    again = await todos.complete(owner, todo.id)
    assert again.completed_at == first
    assert again == done  # a no-op: same version, same updated_at


async def test_editing_a_done_todo_keeps_its_stamp(
    todos: TodoService, owner: UUID, clock: FixedClock
) -> None:
    todo = await todos.create(owner, NewTodo(title="t"))
    first = clock.advance()
    await todos.complete(owner, todo.id)
    clock.advance()
    edited = await todos.update(owner, todo.id, TodoChanges(title="t2", status=Status.DONE))
    assert edited.completed_at == first
    assert edited.version == 3


async def test_reopening_an_open_todo_changes_nothing(todos: TodoService, owner: UUID) -> None:
    todo = await todos.create(owner, NewTodo(title="t"))
    assert await todos.reopen(owner, todo.id) == todo


async def test_complete_and_reopen_of_missing_todo_is_not_found(
    todos: TodoService, owner: UUID
) -> None:
    with pytest.raises(NotFound):
        await todos.complete(owner, new_id())
    with pytest.raises(NotFound):
        await todos.reopen(owner, new_id())


async def test_a_redone_todo_gets_a_fresh_stamp(
    todos: TodoService, owner: UUID, clock: FixedClock
) -> None:
    todo = await todos.create(owner, NewTodo(title="t"))
    clock.advance()
    await todos.complete(owner, todo.id)
    await todos.reopen(owner, todo.id)
    second = clock.advance(timedelta(hours=1))
    redone: Todo = await todos.complete(owner, todo.id)
    assert redone.completed_at == second
    assert redone.version == 4
