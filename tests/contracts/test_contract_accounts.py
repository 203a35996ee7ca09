"""The account ports, over every backend: a user's compare-and-set update, their deletion and
what goes with it, a held user, the memberships of a user, and ended sessions."""

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

import pytest

from builders import T0, at, make_todo, make_user, share, store
from racing import race
from todo_domain import (
    Conflict,
    Membership,
    NotFound,
    Role,
    Session,
    UnitOfWork,
    UnitOfWorkFactory,
    User,
    VersionConflict,
    inbox_id,
    new_id,
)

EXPIRES = T0 + timedelta(hours=1)
LATER = T0 + timedelta(days=365)  # after every token of these tests expired


async def stored_user(uow_factory: UnitOfWorkFactory, user_id: UUID) -> User | None:
    async with uow_factory() as uow:
        return await uow.users.get(user_id)


async def user_of(uow_factory: UnitOfWorkFactory, user_id: UUID) -> User:
    user = await stored_user(uow_factory, user_id)
    assert user is not None
    return user


def session(user: User, token_id: str = "token", expires_at: datetime = EXPIRES) -> Session:
    return Session(user.id, token_id, user.credentials_version, expires_at)


async def current(uow_factory: UnitOfWorkFactory, *sessions: Session) -> list[bool]:
    async with uow_factory() as uow:
        return [await uow.sessions.is_current(s) for s in sessions]


async def end(uow_factory: UnitOfWorkFactory, *sessions: Session) -> None:
    async with uow_factory() as uow:
        for s in sessions:
            await uow.sessions.end(s)


# --- users.update ----------------------------------------------------------------------------
async def test_update_is_a_compare_and_set_of_the_profile_and_the_credentials(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    user = await user_of(uow_factory, owner)
    assert (user.version, user.credentials_version) == (1, 1)
    changed = replace(
        user, display_name="Ada ✓", password_hash="new$hash", credentials_version=2, version=2
    )
    async with uow_factory() as uow:
        await uow.users.update(changed, expected_version=1)
        assert await uow.users.get(owner) == changed  # its own change it sees
    assert await stored_user(uow_factory, owner) == changed
    async with uow_factory() as uow:
        assert await uow.users.get_by_email(user.email) == changed
    cleared = replace(changed, display_name=None, version=3)
    async with uow_factory() as uow:
        await uow.users.update(cleared, expected_version=2)
    assert await stored_user(uow_factory, owner) == cleared


async def test_update_never_changes_the_email_or_the_creation_time(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    user = await user_of(uow_factory, owner)
    async with uow_factory() as uow:
        await uow.users.update(
            replace(user, email="other@example.com", created_at=at(999), version=2),
            expected_version=1,
        )
    assert await stored_user(uow_factory, owner) == replace(user, version=2)


async def test_update_at_a_stale_version_conflicts_and_of_nobody_is_not_found(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    user = await user_of(uow_factory, owner)
    renamed = replace(user, display_name="First", version=2)
    async with uow_factory() as uow:
        await uow.users.update(renamed, expected_version=1)
    stale = replace(user, display_name="Stale", version=2)
    with pytest.raises(VersionConflict) as caught:
        async with uow_factory() as uow:
            await uow.users.update(stale, expected_version=1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    with pytest.raises(NotFound):
        async with uow_factory() as uow:
            await uow.users.update(make_user(version=2), expected_version=1)
    assert await stored_user(uow_factory, owner) == renamed


async def test_of_two_updates_from_one_version_the_second_to_commit_conflicts(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    user = await user_of(uow_factory, owner)
    first, second = (replace(user, display_name=name, version=2) for name in ("one", "two"))
    error = await race(
        lambda uow: uow.users.update(first, expected_version=1),
        lambda uow: uow.users.update(second, expected_version=1),
        uow_factory,
    )
    assert isinstance(error, VersionConflict)
    assert await stored_user(uow_factory, owner) == first


# --- users.delete ----------------------------------------------------------------------------
async def test_delete_takes_the_inbox_the_memberships_and_the_ended_sessions_with_it(
    uow_factory: UnitOfWorkFactory, owner: UUID, other_owner: UUID
) -> None:
    user, other = await user_of(uow_factory, owner), await user_of(uow_factory, other_owner)
    theirs = await share(uow_factory, other_owner, {owner: Role.EDITOR})
    mine = await share(uow_factory, owner, {})
    in_inbox, in_theirs = make_todo(owner), make_todo(owner, list_id=theirs.id)
    await store(uow_factory, [in_inbox, in_theirs])
    await end(uow_factory, session(user, "mine"), session(other, "theirs"))

    async with uow_factory() as uow:
        assert await uow.users.delete(owner)
        assert not await uow.users.delete(owner)
        assert await uow.users.get(owner) is None  # gone already for this unit of work
    async with uow_factory() as uow:
        assert not await uow.users.delete(owner)
        assert await uow.users.get(owner) is None
        assert await uow.users.get_by_email(user.email) is None
        assert await uow.lists.get(inbox_id(owner)) is None
        assert not await uow.todos.delete(inbox_id(owner), in_inbox.id)  # went with the Inbox
        assert await uow.memberships.of_user(owner) == []
        assert await uow.memberships.role_of(theirs.id, owner) is None
        # the lists the user belonged to stay: what becomes of them is the use case's
        assert await uow.lists.get(theirs.id) == theirs
        assert await uow.lists.get(mine.id) == mine
        assert (await uow.todos.get(other_owner, in_theirs.id)) is not None
        assert await uow.sessions.prune(LATER) == 1  # the other user's: the user's went
    async with uow_factory() as uow:  # the e-mail address is free again
        await uow.users.add(replace(user, id=new_id()))


async def test_a_raising_block_deletes_nobody(uow_factory: UnitOfWorkFactory, owner: UUID) -> None:
    user = await user_of(uow_factory, owner)

    async def delete_then_fail() -> None:
        async with uow_factory() as uow:
            assert await uow.users.delete(owner)
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError):
        await delete_then_fail()
    assert await stored_user(uow_factory, owner) == user
    async with uow_factory() as uow:
        assert await uow.memberships.of_user(owner) == [
            Membership(inbox_id(owner), owner, Role.OWNER)
        ]


# --- memberships.of_user ---------------------------------------------------------------------
async def test_of_user_is_every_membership_of_the_user_by_list(
    uow_factory: UnitOfWorkFactory, owner: UUID, other_owner: UUID
) -> None:
    viewing = await share(uow_factory, other_owner, {owner: Role.VIEWER})
    owning = await share(uow_factory, owner, {other_owner: Role.EDITOR})
    await share(uow_factory, other_owner, {})
    expected = [
        Membership(inbox_id(owner), owner, Role.OWNER),
        Membership(viewing.id, owner, Role.VIEWER),
        Membership(owning.id, owner, Role.OWNER),
    ]
    async with uow_factory() as uow:
        assert await uow.memberships.of_user(owner) == sorted(expected, key=lambda m: m.list_id)
        assert await uow.memberships.of_user(new_id()) == []
        assert await uow.memberships.remove(viewing.id, owner)
        seen = await uow.memberships.of_user(owner)  # its own change it sees
    assert seen == sorted(expected[::2], key=lambda m: m.list_id)


# --- users.hold ------------------------------------------------------------------------------
async def test_hold_reads_the_user_inside_the_unit_of_work(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    user = await user_of(uow_factory, owner)
    async with uow_factory() as uow:
        assert await uow.users.hold(owner) == user
        assert await uow.users.hold(new_id()) is None
        await uow.users.update(replace(user, display_name="Held", version=2), expected_version=1)
        assert await uow.users.hold(owner) == replace(user, display_name="Held", version=2)


async def test_a_membership_added_for_a_held_user_being_deleted_is_refused(
    uow_factory: UnitOfWorkFactory, owner: UUID, other_owner: UUID
) -> None:
    """The holder deletes the user first: the membership added meanwhile waits for it on a
    locking backend and then finds no user; on an optimistic one its commit is refused."""
    theirs = await share(uow_factory, other_owner, {})

    async def hold_and_delete(uow: UnitOfWork) -> None:
        assert await uow.users.hold(owner) is not None
        assert await uow.users.delete(owner)

    error = await race(
        hold_and_delete,
        lambda uow: uow.memberships.add(Membership(theirs.id, owner, Role.EDITOR)),
        uow_factory,
    )
    assert isinstance(error, Conflict)
    async with uow_factory() as uow:
        assert [m.user_id for m in await uow.memberships.members(theirs.id)] == [other_owner]


async def test_a_holder_sees_every_membership_committed_before_it_or_fails_to_commit(
    uow_factory: UnitOfWorkFactory, owner: UUID, other_owner: UUID
) -> None:
    """The membership comes first: a locking backend makes the hold wait for it and then
    reads it; an optimistic one refuses the holder's commit, whose walk missed it."""
    theirs = await share(uow_factory, other_owner, {})
    seen: list[list[Membership]] = []

    async def hold_and_walk(uow: UnitOfWork) -> None:
        assert await uow.users.hold(owner) is not None
        seen.append(await uow.memberships.of_user(owner))
        assert await uow.users.delete(owner)

    error = await race(
        lambda uow: uow.memberships.add(Membership(theirs.id, owner, Role.EDITOR)),
        hold_and_walk,
        uow_factory,
    )
    (walked,) = seen
    if error is None:
        assert Membership(theirs.id, owner, Role.EDITOR) in walked
        assert await stored_user(uow_factory, owner) is None
    else:
        assert isinstance(error, VersionConflict)
        assert await stored_user(uow_factory, owner) is not None


async def test_a_holder_sees_a_change_of_the_user_committed_before_it_or_fails_to_commit(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    """The change comes first: a locking backend makes the hold wait for it and then reads
    it; an optimistic one refuses the holder's commit, which read the user before it."""
    user = await user_of(uow_factory, owner)
    renamed = replace(user, display_name="Renamed", version=2)
    held: list[User | None] = []

    async def hold(uow: UnitOfWork) -> None:
        held.append(await uow.users.hold(owner))
        await uow.sessions.end(session(user))  # a write, so that there is a commit to refuse

    error = await race(lambda uow: uow.users.update(renamed, expected_version=1), hold, uow_factory)
    assert (error is None and held == [renamed]) or (
        isinstance(error, VersionConflict) and held == [user]
    )
    assert await stored_user(uow_factory, owner) == renamed


# --- sessions --------------------------------------------------------------------------------
async def test_an_ended_token_is_not_current_and_the_others_stay(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    user = await user_of(uow_factory, owner)
    ended, other = session(user, "ended"), session(user, "other")
    assert await current(uow_factory, ended, other) == [True, True]
    async with uow_factory() as uow:
        await uow.sessions.end(ended)
        assert await uow.sessions.is_current(ended) is False  # its own change it sees
        await uow.sessions.end(ended)
    await end(uow_factory, ended)  # again, in another unit of work: nothing changes
    assert await current(uow_factory, ended, other) == [False, True]


async def test_a_token_is_current_only_under_the_users_credentials_version(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    user = await user_of(uow_factory, owner)
    issued = session(user)
    async with uow_factory() as uow:
        changed = replace(user, credentials_version=2, version=2)
        await uow.users.update(changed, expected_version=1)
    later, ahead = (replace(issued, credentials_version=cv) for cv in (2, 3))
    assert await current(uow_factory, issued, later, ahead) == [False, True, False]


async def test_no_token_of_a_missing_or_deleted_user_is_current_or_can_be_ended(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    user = await user_of(uow_factory, owner)
    nobodys = Session(new_id(), "nobody's", 1, EXPIRES)
    assert await current(uow_factory, nobodys) == [False]
    with pytest.raises(NotFound):
        await end(uow_factory, nobodys)
    async with uow_factory() as uow:
        await uow.users.delete(owner)
    assert await current(uow_factory, session(user)) == [False]
    with pytest.raises(NotFound):
        await end(uow_factory, session(user))
    async with uow_factory() as uow:
        assert await uow.sessions.prune(LATER) == 0


async def test_prune_forgets_the_ended_tokens_that_expired_before_and_counts_them(
    uow_factory: UnitOfWorkFactory, owner: UUID
) -> None:
    user = await user_of(uow_factory, owner)
    early, boundary, late = (
        session(user, name, T0 + timedelta(minutes=minutes))
        for name, minutes in (("early", 1), ("boundary", 2), ("late", 3))
    )
    await end(uow_factory, early, boundary, late)
    before = T0 + timedelta(minutes=2)
    async with uow_factory() as uow:
        assert await uow.sessions.prune(before) == 1
        assert await uow.sessions.prune(before) == 0
    # forgotten: only its expiry refuses it now (the token's signature check)
    assert await current(uow_factory, early, boundary, late) == [True, False, False]
    async with uow_factory() as uow:
        assert await uow.sessions.prune(LATER) == 2
