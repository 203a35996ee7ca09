"""TodoRepository and MembershipRepository together: todos seen through the lists a user
belongs to. A member gets the todo with their role, anyone else nothing; a listing spans every
list of the user (or one, with `list_id`); a move takes the todo's tags along; a list's
deletion takes its todos; a held membership is never changed under a write that acts on it."""

from uuid import UUID

import pytest

from builders import (
    ALL_SORTS,
    changed,
    expected_order,
    fetch,
    ids,
    make_todo,
    register_owners,
    share,
    store,
    walk,
)
from racing import race
from todo_domain import (
    NotFound,
    Priority,
    Role,
    TodoAccess,
    TodoFilter,
    UnitOfWork,
    UnitOfWorkFactory,
    new_id,
)

PRIORITIES = (Priority.LOW, Priority.HIGH, Priority.NORMAL, Priority.HIGH)


@pytest.fixture
async def users(uow_factory: UnitOfWorkFactory) -> list[UUID]:
    """Three registered users, each with an Inbox."""
    user_ids = [new_id() for _ in range(3)]
    await register_owners(uow_factory, *user_ids)
    return user_ids


async def test_a_member_gets_the_todo_with_their_role_and_a_stranger_nothing(
    uow_factory: UnitOfWorkFactory, users: list[UUID]
) -> None:
    owner, editor, stranger = users
    shared = await share(uow_factory, owner, {editor: Role.EDITOR})
    todo = make_todo(owner, list_id=shared.id, tags=("x",))
    await store(uow_factory, [todo])
    async with uow_factory() as uow:
        assert await uow.todos.get(owner, todo.id) == TodoAccess(todo, Role.OWNER)
        assert await uow.todos.get(editor, todo.id) == TodoAccess(todo, Role.EDITOR)
        assert await uow.todos.get(stranger, todo.id) is None
    async with uow_factory() as uow:
        await uow.memberships.change_role(shared.id, editor, Role.VIEWER)
    async with uow_factory() as uow:
        assert await uow.todos.get(editor, todo.id) == TodoAccess(todo, Role.VIEWER)
        assert await uow.memberships.remove(shared.id, editor)
    assert await fetch(uow_factory, editor, todo.id) is None


async def test_a_listing_spans_every_list_of_the_user_in_every_sort(
    uow_factory: UnitOfWorkFactory, users: list[UUID]
) -> None:
    me, friend, stranger = users
    ours = await share(uow_factory, friend, {me: Role.VIEWER}, name="ours")
    theirs = await share(uow_factory, friend, {stranger: Role.EDITOR}, name="theirs")
    mine = [make_todo(me, title=f"inbox {n}", priority=p) for n, p in enumerate(PRIORITIES)]
    shared = [
        make_todo(friend, list_id=ours.id, title=f"ours {n}", due_date=None) for n in range(4)
    ]
    hidden = [
        make_todo(friend, title="friend's inbox"),
        make_todo(friend, list_id=theirs.id, title="theirs"),
        make_todo(stranger, title="stranger's inbox"),
    ]
    await store(uow_factory, [*mine, *shared, *hidden])
    for sort in ALL_SORTS:
        for limit in (1, 2, 100):
            got = await walk(uow_factory, me, sort=sort, limit=limit)
            assert ids(got) == ids(expected_order([*mine, *shared], sort)), (sort, limit)


async def test_list_id_narrows_a_listing_to_one_list(
    uow_factory: UnitOfWorkFactory, users: list[UUID]
) -> None:
    me, friend, _ = users
    ours = await share(uow_factory, friend, {me: Role.EDITOR})
    inbox_todo = make_todo(me, tags=("t",))
    shared_todo = make_todo(friend, list_id=ours.id, tags=("t",))
    await store(uow_factory, [inbox_todo, shared_todo])
    assert ids(await walk(uow_factory, me, TodoFilter(list_id=ours.id))) == [shared_todo.id]
    assert ids(await walk(uow_factory, me, TodoFilter(list_id=me))) == [inbox_todo.id]
    assert await walk(uow_factory, me, TodoFilter(list_id=friend)) == []  # not a member
    # a tag of one name in two lists: both found across lists, one within one
    assert set(ids(await walk(uow_factory, me, TodoFilter(tag="t")))) == {
        inbox_todo.id,
        shared_todo.id,
    }
    assert ids(await walk(uow_factory, me, TodoFilter(tag="t", list_id=ours.id))) == [
        shared_todo.id
    ]


async def test_a_move_takes_the_tags_along(
    uow_factory: UnitOfWorkFactory, users: list[UUID]
) -> None:
    me, friend, _ = users
    ours = await share(uow_factory, friend, {me: Role.EDITOR})
    todo = make_todo(me, tags=("b", "a"))
    await store(uow_factory, [todo])
    moved = changed(todo, list_id=ours.id)
    async with uow_factory() as uow:
        await uow.todos.update(moved, expected_version=todo.version)
    assert await fetch(uow_factory, friend, todo.id) == moved
    assert ids(await walk(uow_factory, friend, TodoFilter(tag="a"))) == [todo.id]
    assert await walk(uow_factory, me, TodoFilter(tag="a", list_id=me)) == []
    back = changed(moved, list_id=me, tags=("c",))
    async with uow_factory() as uow:
        await uow.todos.update(back, expected_version=moved.version)
    assert await fetch(uow_factory, friend, todo.id) is None
    assert await fetch(uow_factory, me, todo.id) == back
    assert await walk(uow_factory, friend, TodoFilter(tag="a")) == []


async def test_deleting_a_list_deletes_its_todos(
    uow_factory: UnitOfWorkFactory, users: list[UUID]
) -> None:
    owner, member, _ = users
    doomed = await share(uow_factory, owner, {member: Role.EDITOR})
    gone = make_todo(owner, list_id=doomed.id, tags=("x",))
    kept = make_todo(owner, tags=("x",))
    await store(uow_factory, [gone, kept])
    async with uow_factory() as uow:
        assert await uow.lists.delete(doomed.id)
    for user in (owner, member):
        assert await fetch(uow_factory, user, gone.id) is None
    assert ids(await walk(uow_factory, owner, TodoFilter(tag="x"))) == [kept.id]
    async with uow_factory() as uow:
        assert not await uow.todos.delete(doomed.id, gone.id)


async def test_hold_reads_the_role_inside_the_unit_of_work(
    uow_factory: UnitOfWorkFactory, users: list[UUID]
) -> None:
    owner, viewer, stranger = users
    shared = await share(uow_factory, owner, {viewer: Role.VIEWER})
    async with uow_factory() as uow:
        assert await uow.memberships.hold(shared.id, owner) is Role.OWNER
        assert await uow.memberships.hold(shared.id, viewer) is Role.VIEWER
        assert await uow.memberships.hold(shared.id, stranger) is None
        assert await uow.memberships.hold(new_id(), owner) is None


async def test_a_write_on_a_held_membership_lands_before_its_removal(
    uow_factory: UnitOfWorkFactory, users: list[UUID]
) -> None:
    """The writer holds first: its todo is stored, and the removal still happens (after it,
    on a locking backend; beside it, on an optimistic one)."""
    owner, editor, _ = users
    shared = await share(uow_factory, owner, {editor: Role.EDITOR})
    todo = make_todo(editor, list_id=shared.id)

    async def hold_and_write(uow: UnitOfWork) -> None:
        assert await uow.memberships.hold(shared.id, editor) is Role.EDITOR
        await uow.todos.add(todo)

    error = await race(
        hold_and_write,
        lambda uow: uow.memberships.remove(shared.id, editor),
        uow_factory,
    )
    assert error is None
    assert await fetch(uow_factory, owner, todo.id) == todo
    assert await fetch(uow_factory, editor, todo.id) is None


async def test_a_write_never_lands_after_the_removal_of_its_member(
    uow_factory: UnitOfWorkFactory, users: list[UUID]
) -> None:
    """The removal comes first: the writer's hold then finds no role (a locking backend waits
    for the removal and reads past it), or its commit is refused (an optimistic one)."""
    owner, editor, _ = users
    shared = await share(uow_factory, owner, {editor: Role.EDITOR})
    todo = make_todo(editor, list_id=shared.id)
    held: list[Role | None] = []

    async def hold_and_write(uow: UnitOfWork) -> None:
        role = await uow.memberships.hold(shared.id, editor)
        held.append(role)
        if role is not None:
            await uow.todos.add(todo)

    error = await race(
        lambda uow: uow.memberships.remove(shared.id, editor),
        hold_and_write,
        uow_factory,
    )
    assert isinstance(error, NotFound) or held == [None]
    assert await fetch(uow_factory, owner, todo.id) is None
    async with uow_factory() as uow:
        assert await uow.memberships.role_of(shared.id, editor) is None
