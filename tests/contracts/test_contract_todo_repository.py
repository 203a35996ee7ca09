"""TodoRepository contract: add/get, ownership (owners are registered users), compare-and-set
update and delete."""

from datetime import date, timedelta
from uuid import UUID

import pytest

from builders import (
    T0,
    changed,
    fetch,
    inbox_of,
    inbox_owner,
    make_todo,
    make_user,
    register_owners,
    store,
    walk,
)
from todo_domain import (
    Membership,
    NotFound,
    Priority,
    Role,
    Status,
    Todo,
    UnitOfWorkFactory,
    VersionConflict,
    new_id,
)


def a_full_todo() -> Todo:
    return make_todo(
        new_id(),
        title="Ünïcode title with 'quotes' and \"double\" and % _ \\",
        description="line one\nline two\t" + "x" * 9_000,
        status=Status.DONE,
        priority=Priority.HIGH,
        due_date=date(2024, 2, 29),
        tags=("a", "b-c", "ünï", "z" * 50),
        created_at=T0,
        updated_at=T0 + timedelta(hours=1, microseconds=999_998),
        completed_at=T0 + timedelta(minutes=30, microseconds=1),
        version=7,
    )


async def add(uow_factory: UnitOfWorkFactory, *todos: Todo) -> None:
    """All of `todos` in one unit of work, their owners as they are (unlike `store`)."""
    async with uow_factory() as uow:
        for todo in todos:
            await uow.todos.add(todo)


async def test_add_then_get_returns_an_equal_todo(uow_factory: UnitOfWorkFactory) -> None:
    todo = a_full_todo()
    await store(uow_factory, [todo])
    got = await fetch(uow_factory, inbox_owner(todo), todo.id)
    assert got == todo
    assert got is not None
    for moment in (got.created_at, got.updated_at, got.completed_at):
        assert moment is not None
        assert moment.utcoffset() == timedelta(0)


async def test_a_minimal_todo_round_trips(uow_factory: UnitOfWorkFactory) -> None:
    todo = make_todo(new_id(), title="x")
    await store(uow_factory, [todo])
    got = await fetch(uow_factory, inbox_owner(todo), todo.id)
    assert got == todo
    assert got is not None
    assert (got.description, got.tags, got.due_date, got.completed_at) == ("", (), None, None)


async def test_add_into_a_missing_list_is_not_found_and_leaves_nothing(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    """A todo's list is stored (SQL: a foreign key); the refusal may surface at the add or at
    the end of the unit of work, and takes the unit of work's other writes with it."""
    bystander = make_todo(owner, title="added before the stray one")
    stray = make_todo(new_id(), title="stray", tags=("a", "b"))
    with pytest.raises(NotFound):
        await add(uow_factory, bystander, stray)
    assert await fetch(uow_factory, inbox_owner(stray), stray.id) is None
    assert await fetch(uow_factory, owner, bystander.id) is None
    assert await walk(uow_factory, inbox_owner(stray)) == []
    assert await walk(uow_factory, owner) == []
    async with uow_factory() as uow:
        assert await uow.lists.get(stray.list_id) is None
    # and the todo can be added once its list is stored
    await register_owners(uow_factory, inbox_owner(stray))
    await add(uow_factory, stray)
    assert await fetch(uow_factory, inbox_owner(stray), stray.id) == stray


async def test_a_list_stored_in_the_same_unit_of_work_may_hold_todos(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user = make_user()
    todo = make_todo(user.id)
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.lists.add(inbox_of(user))
        await uow.memberships.add(Membership(todo.list_id, user.id, Role.OWNER))
        await uow.todos.add(todo)
    assert await fetch(uow_factory, user.id, todo.id) == todo


async def test_get_of_a_missing_todo_is_none(uow_factory: UnitOfWorkFactory) -> None:
    await store(uow_factory, [make_todo(new_id())])
    assert await fetch(uow_factory, new_id(), new_id()) is None


async def test_get_through_another_owner_is_none(uow_factory: UnitOfWorkFactory) -> None:
    todo = make_todo(new_id())
    await store(uow_factory, [todo])
    assert await fetch(uow_factory, new_id(), todo.id) is None
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) == todo


async def test_many_owners_keep_their_own_todos(uow_factory: UnitOfWorkFactory) -> None:
    owners = [new_id() for _ in range(3)]
    todos = [make_todo(owner, title=f"{n}") for n, owner in enumerate(owners)]
    await store(uow_factory, todos)
    for todo in todos:
        for owner in owners:
            expected = todo if owner == inbox_owner(todo) else None
            assert await fetch(uow_factory, owner, todo.id) == expected


# --- update --------------------------------------------------------------------------------
async def test_update_with_the_current_version_stores_the_change(
    uow_factory: UnitOfWorkFactory,
) -> None:
    todo = make_todo(new_id(), tags=("a",))
    await store(uow_factory, [todo])
    new = changed(
        todo,
        title="renamed",
        description="now with text",
        status=Status.DONE,
        completed_at=T0 + timedelta(days=1, microseconds=5),
        priority=Priority.LOW,
        due_date=date(2030, 1, 1),
        tags=("b", "c"),
    )
    async with uow_factory() as uow:
        await uow.todos.update(new, expected_version=todo.version)
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) == new


async def test_update_can_clear_optional_fields(uow_factory: UnitOfWorkFactory) -> None:
    todo = make_todo(new_id(), status=Status.DONE, due_date=date(2024, 1, 1), tags=("x", "y"))
    await store(uow_factory, [todo])
    new = changed(todo, status=Status.OPEN, completed_at=None, due_date=None, tags=())
    async with uow_factory() as uow:
        await uow.todos.update(new, expected_version=todo.version)
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) == new


async def test_successive_updates_each_need_the_version_before(
    uow_factory: UnitOfWorkFactory,
) -> None:
    todo = make_todo(new_id())
    await store(uow_factory, [todo])
    current = todo
    for n in range(3):
        new = changed(current, title=f"v{n}")
        async with uow_factory() as uow:
            await uow.todos.update(new, expected_version=current.version)
        current = new
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) == current
    assert current.version == todo.version + 3


@pytest.mark.parametrize("expected_version", [0, 1, 3, 100])
async def test_update_with_another_version_is_a_version_conflict(
    uow_factory: UnitOfWorkFactory, expected_version: int
) -> None:
    todo = make_todo(new_id(), version=1)
    stored = changed(todo, title="moved on")  # version 2, so 1 is stale and 3 from the future
    await store(uow_factory, [todo])
    async with uow_factory() as uow:
        await uow.todos.update(stored, expected_version=1)
    with pytest.raises(VersionConflict):
        async with uow_factory() as uow:
            await uow.todos.update(changed(stored, title="lost"), expected_version=expected_version)
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) == stored


async def test_update_of_a_missing_todo_is_not_found(uow_factory: UnitOfWorkFactory) -> None:
    with pytest.raises(NotFound):
        async with uow_factory() as uow:
            await uow.todos.update(changed(make_todo(new_id())), expected_version=1)
    assert await fetch(uow_factory, new_id(), new_id()) is None


async def test_update_of_a_deleted_todo_is_not_found(uow_factory: UnitOfWorkFactory) -> None:
    todo = make_todo(new_id())
    await store(uow_factory, [todo])
    async with uow_factory() as uow:
        assert await uow.todos.delete(todo.list_id, todo.id)
    with pytest.raises(NotFound):
        async with uow_factory() as uow:
            await uow.todos.update(changed(todo), expected_version=todo.version)
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) is None


async def test_a_move_into_a_missing_list_is_not_found(uow_factory: UnitOfWorkFactory) -> None:
    todo = make_todo(new_id())
    await store(uow_factory, [todo])
    astray = changed(todo, list_id=new_id(), title="astray")
    with pytest.raises(NotFound):
        async with uow_factory() as uow:
            await uow.todos.update(astray, expected_version=todo.version)
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) == todo


# --- delete --------------------------------------------------------------------------------
async def test_delete_returns_true_once_and_then_false(uow_factory: UnitOfWorkFactory) -> None:
    todo, other = make_todo(new_id()), make_todo(new_id())
    await store(uow_factory, [todo, other])
    async with uow_factory() as uow:
        assert await uow.todos.delete(todo.list_id, todo.id) is True
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) is None
    async with uow_factory() as uow:
        assert await uow.todos.delete(todo.list_id, todo.id) is False
    assert await fetch(uow_factory, inbox_owner(other), other.id) == other


async def test_delete_of_a_missing_todo_is_false(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.todos.delete(new_id(), new_id()) is False


async def test_delete_in_another_list_is_false_and_keeps_it(
    uow_factory: UnitOfWorkFactory,
) -> None:
    todo, elsewhere = make_todo(new_id()), make_todo(new_id())
    await store(uow_factory, [todo, elsewhere])
    async with uow_factory() as uow:
        assert await uow.todos.delete(new_id(), todo.id) is False
        assert await uow.todos.delete(elsewhere.list_id, todo.id) is False
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) == todo
