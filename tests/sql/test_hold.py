"""`MembershipRepository.hold` and `UserRepository.hold` on SQL locks: a change or removal of a
held membership, and a row added for a held user, wait for the holder's unit of work to end
(the contract also allows an optimistic backend to fail the holder instead; these backends
make the other one wait)."""

import asyncio
from uuid import UUID

import pytest

from builders import at, fetch, make_todo, register_owners, share
from todo_domain import Membership, Role, Session, inbox_id, new_id
from todo_sql import SqlUnitOfWorkFactory

WAITED = 0.3  # long enough for a change that does not wait to be done


@pytest.mark.parametrize("change", ["remove", "change_role"])
async def test_a_held_membership_changes_only_after_the_holder_ends(
    sql: SqlUnitOfWorkFactory, owner: UUID, change: str
) -> None:
    editor = new_id()
    await register_owners(sql, editor)
    shared = await share(sql, owner, {editor: Role.EDITOR})
    todo = make_todo(editor, list_id=shared.id)

    async def change_membership() -> None:
        async with sql() as uow:
            if change == "remove":
                assert await uow.memberships.remove(shared.id, editor)
            else:
                await uow.memberships.change_role(shared.id, editor, Role.VIEWER)

    async with sql() as holder:
        assert await holder.memberships.hold(shared.id, editor) is Role.EDITOR
        changing = asyncio.create_task(change_membership())
        await asyncio.sleep(WAITED)
        assert not changing.done()  # it waits for the holder
        await holder.todos.add(todo)
    await changing

    assert await fetch(sql, owner, todo.id) == todo
    async with sql() as uow:
        expected = None if change == "remove" else Role.VIEWER
        assert await uow.memberships.role_of(shared.id, editor) is expected


async def test_hold_after_a_write_reads_inside_the_same_transaction(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    """A unit of work that wrote already holds within its transaction: it sees its own
    uncommitted membership."""
    shared = await share(sql, owner, {})
    viewer = new_id()
    await register_owners(sql, viewer)
    async with sql() as uow:
        await uow.todos.add(make_todo(owner, list_id=shared.id))
        await uow.memberships.add(Membership(shared.id, viewer, Role.VIEWER))
        assert await uow.memberships.hold(shared.id, viewer) is Role.VIEWER


@pytest.mark.parametrize("added", ["membership", "ended session"])
async def test_a_held_user_gains_a_membership_or_ended_session_only_after_the_holder_ends(
    sql: SqlUnitOfWorkFactory, owner: UUID, added: str
) -> None:
    """The row lock of `users.hold` makes the foreign key check of an insert for the user
    wait (SQLite: the holder's write lock makes every other writer wait)."""
    other = new_id()
    await register_owners(sql, other)
    theirs = await share(sql, other, {})

    async def add_for_the_user() -> None:
        async with sql() as uow:
            if added == "membership":
                await uow.memberships.add(Membership(theirs.id, owner, Role.VIEWER))
            else:
                await uow.sessions.end(Session(owner, "token", 1, at(100)))

    async with sql() as holder:
        assert await holder.users.hold(owner) is not None
        adding = asyncio.create_task(add_for_the_user())
        await asyncio.sleep(WAITED)
        assert not adding.done()  # it waits for the holder
        assert await holder.memberships.of_user(owner) == [
            Membership(inbox_id(owner), owner, Role.OWNER)
        ]
    await adding

    async with sql() as uow:
        if added == "membership":
            assert await uow.memberships.role_of(theirs.id, owner) is Role.VIEWER
        else:
            assert not await uow.sessions.is_current(Session(owner, "token", 1, at(100)))
