"""UnitOfWork contract: commit on clean exit, rollback when the block raises, and isolation
between units of work (uncommitted changes are invisible; of two writers from the same version
the second to commit gets a Conflict, at the write or at commit, as the backend reports it)."""

from collections.abc import Awaitable, Callable
from uuid import UUID

import pytest

from builders import changed, fetch, inbox_owner, make_todo, make_user, store, walk
from racing import race
from todo_domain import (
    Conflict,
    NotFound,
    PageRequest,
    Role,
    Sort,
    Todo,
    TodoAccess,
    TodoFilter,
    UnitOfWork,
    UnitOfWorkFactory,
    User,
    VersionConflict,
)

Work = Callable[[UnitOfWork], Awaitable[object]]


class Boom(Exception):
    pass


async def fail_after(uow_factory: UnitOfWorkFactory, *work: Work) -> None:
    async with uow_factory() as uow:
        for step in work:
            await step(uow)
        raise Boom


async def user_by_email(uow_factory: UnitOfWorkFactory, email: str) -> User | None:
    async with uow_factory() as uow:
        return await uow.users.get_by_email(email)


# --- commit and rollback -------------------------------------------------------------------
async def test_a_clean_exit_commits_everything_together(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    doomed, kept = make_todo(owner, title="doomed"), make_todo(owner, title="kept")
    user = make_user()
    await store(uow_factory, [doomed, kept])
    async with uow_factory() as uow:
        await uow.todos.add(added := make_todo(owner, title="added"))
        await uow.todos.update(edited := changed(kept, title="edited"), kept.version)
        assert await uow.todos.delete(owner, doomed.id)
        await uow.users.add(user)
    assert {todo.id: todo for todo in await walk(uow_factory, owner)} == {
        added.id: added,
        kept.id: edited,
    }
    assert await user_by_email(uow_factory, user.email) == user


async def test_a_unit_of_work_sees_its_own_changes(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    old = make_todo(owner, title="old")
    await store(uow_factory, [old])
    async with uow_factory() as uow:
        new = make_todo(owner, title="new")
        await uow.todos.add(new)
        assert await uow.todos.get(owner, new.id) == TodoAccess(new, Role.OWNER)
        await uow.todos.update(renamed := changed(old, title="renamed"), old.version)
        assert await uow.todos.get(owner, old.id) == TodoAccess(renamed, Role.OWNER)
        listed = await uow.todos.list(owner, TodoFilter(text="renamed"), Sort(), PageRequest())
        assert [todo.id for todo in listed.items] == [old.id]
        assert await uow.todos.delete(owner, new.id)
        assert await uow.todos.get(owner, new.id) is None
        user = make_user()
        await uow.users.add(user)
        assert await uow.users.get(user.id) == user
        assert await uow.users.get_by_email(user.email) == user


async def test_a_raising_block_leaves_no_new_todo(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    todo = make_todo(owner)
    with pytest.raises(Boom):
        await fail_after(uow_factory, lambda uow: uow.todos.add(todo))
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) is None
    assert await walk(uow_factory, inbox_owner(todo)) == []


async def test_a_raising_block_leaves_no_update(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    todo = make_todo(owner)
    await store(uow_factory, [todo])
    with pytest.raises(Boom):
        await fail_after(uow_factory, lambda uow: uow.todos.update(changed(todo), todo.version))
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) == todo
    # and the version it was at is still the one to update from
    async with uow_factory() as uow:
        await uow.todos.update(changed(todo, title="later"), todo.version)


async def test_a_raising_block_leaves_no_delete(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    todo = make_todo(owner)
    await store(uow_factory, [todo])
    with pytest.raises(Boom):
        await fail_after(uow_factory, lambda uow: uow.todos.delete(todo.list_id, todo.id))
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) == todo


async def test_a_raising_block_leaves_no_user(uow_factory: UnitOfWorkFactory) -> None:
    user = make_user("ada@example.com")
    with pytest.raises(Boom):
        await fail_after(uow_factory, lambda uow: uow.users.add(user))
    async with uow_factory() as uow:
        assert await uow.users.get(user.id) is None
        assert await uow.users.get_by_email("ada@example.com") is None
    # the e-mail was not left taken
    again = make_user("ada@example.com")
    async with uow_factory() as uow:
        await uow.users.add(again)
    assert await user_by_email(uow_factory, "ada@example.com") == again


async def test_a_raising_block_undoes_every_change_it_made(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    a, b = make_todo(owner, title="a"), make_todo(owner, title="b")
    await store(uow_factory, [a, b])
    before = await walk(uow_factory, owner)
    with pytest.raises(Boom):
        await fail_after(
            uow_factory,
            lambda uow: uow.todos.add(make_todo(owner, title="c")),
            lambda uow: uow.todos.update(changed(a, title="a2"), a.version),
            lambda uow: uow.todos.delete(owner, b.id),
            lambda uow: uow.users.add(make_user()),
        )
    assert await walk(uow_factory, owner) == before


async def test_a_domain_error_inside_the_block_rolls_back_earlier_writes(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    stale = make_todo(owner, version=3)
    await store(uow_factory, [stale])
    early = make_todo(owner, title="written before the failure")

    async def add_then_update_stale(uow: UnitOfWork) -> None:
        await uow.todos.add(early)
        await uow.todos.update(changed(stale), expected_version=1)

    with pytest.raises(VersionConflict):
        await work_in(uow_factory, add_then_update_stale)
    assert await fetch(uow_factory, owner, early.id) is None

    async def add_then_update_missing(uow: UnitOfWork) -> None:
        await uow.todos.add(early)
        await uow.todos.update(changed(make_todo(owner)), expected_version=1)

    with pytest.raises(NotFound):
        await work_in(uow_factory, add_then_update_missing)
    assert await fetch(uow_factory, owner, early.id) is None


async def work_in(uow_factory: UnitOfWorkFactory, work: Work) -> None:
    async with uow_factory() as uow:
        await work(uow)


# --- isolation -----------------------------------------------------------------------------
async def test_an_uncommitted_todo_is_invisible_to_others(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    todo = make_todo(owner)
    async with uow_factory() as writer:
        await writer.todos.add(todo)
        assert await fetch(uow_factory, owner, todo.id) is None
        assert await walk(uow_factory, owner) == []
    assert await fetch(uow_factory, owner, todo.id) == todo


async def test_an_uncommitted_update_is_invisible_to_others(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    todo = make_todo(owner)
    await store(uow_factory, [todo])
    new = changed(todo, title="new")
    async with uow_factory() as writer:
        await writer.todos.update(new, todo.version)
        assert await fetch(uow_factory, inbox_owner(todo), todo.id) == todo
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) == new


async def test_an_uncommitted_delete_is_invisible_to_others(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    todo = make_todo(owner)
    await store(uow_factory, [todo])
    async with uow_factory() as writer:
        assert await writer.todos.delete(todo.list_id, todo.id)
        assert await fetch(uow_factory, inbox_owner(todo), todo.id) == todo
        assert await walk(uow_factory, inbox_owner(todo)) == [todo]
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) is None


async def test_an_uncommitted_user_is_invisible_to_others(uow_factory: UnitOfWorkFactory) -> None:
    user = make_user()
    async with uow_factory() as writer:
        await writer.users.add(user)
        async with uow_factory() as reader:
            assert await reader.users.get(user.id) is None
            assert await reader.users.get_by_email(user.email) is None
    assert await user_by_email(uow_factory, user.email) == user


async def test_a_rolled_back_change_was_never_visible(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    todo = make_todo(owner)
    seen: list[Todo | None] = []

    async def add_and_look(uow: UnitOfWork) -> None:
        await uow.todos.add(todo)
        seen.append(await fetch(uow_factory, inbox_owner(todo), todo.id))

    with pytest.raises(Boom):
        await fail_after(uow_factory, add_and_look)
    assert seen == [None]
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) is None


async def test_an_update_from_a_version_that_moved_meanwhile_conflicts(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    """The late writer read version 1, then another unit of work committed version 2."""
    todo = make_todo(owner)
    await store(uow_factory, [todo])
    winner, loser = changed(todo, title="winner"), changed(todo, title="loser")

    async def read_then_write_late() -> None:
        async with uow_factory() as late:
            assert await late.todos.get(inbox_owner(todo), todo.id) == TodoAccess(todo, Role.OWNER)
            async with uow_factory() as early:
                await early.todos.update(winner, todo.version)
            await late.todos.update(loser, todo.version)

    with pytest.raises(Conflict):
        await read_then_write_late()
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) == winner


async def test_of_two_updates_from_the_same_version_the_second_commit_conflicts(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    todo = make_todo(owner)
    await store(uow_factory, [todo])
    winner, loser = changed(todo, title="winner"), changed(todo, title="loser")

    error = await race(
        lambda uow: uow.todos.update(winner, todo.version),
        lambda uow: uow.todos.update(loser, todo.version),
        uow_factory,
    )
    assert isinstance(error, Conflict)
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) == winner


async def test_an_update_racing_a_delete_is_not_found(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    todo = make_todo(owner)
    await store(uow_factory, [todo])
    error = await race(
        lambda uow: uow.todos.delete(todo.list_id, todo.id),
        lambda uow: uow.todos.update(changed(todo), todo.version),
        uow_factory,
    )
    assert isinstance(error, NotFound)
    assert await fetch(uow_factory, inbox_owner(todo), todo.id) is None


async def test_of_two_registrations_of_one_email_the_second_commit_conflicts(
    uow_factory: UnitOfWorkFactory,
) -> None:
    winner, loser = make_user("ada@example.com"), make_user("ada@example.com")
    error = await race(
        lambda uow: uow.users.add(winner), lambda uow: uow.users.add(loser), uow_factory
    )
    assert isinstance(error, Conflict)
    assert await user_by_email(uow_factory, "ada@example.com") == winner
    async with uow_factory() as uow:
        assert await uow.users.get(loser.id) is None


async def test_a_race_without_a_clash_commits_both(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    """The race harness itself: two writers of different rows both succeed."""
    a, b = make_todo(owner, title="a"), make_todo(owner, title="b")
    error = await race(lambda uow: uow.todos.add(a), lambda uow: uow.todos.add(b), uow_factory)
    assert error is None
    assert {todo.id for todo in await walk(uow_factory, owner)} == {a.id, b.id}
