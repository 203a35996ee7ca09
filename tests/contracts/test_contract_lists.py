"""TodoListRepository and MembershipRepository contract, over every backend: compare-and-set
lists, one Inbox per user, keyset pages by name then id, members keyed by (list, user) that
need a stored list and user, the cascade of a list's deletion, and commit/rollback like every
other repository."""

from dataclasses import replace
from uuid import UUID

import pytest

from builders import at, make_user
from racing import race
from todo_domain import (
    Conflict,
    Cursor,
    InvalidInput,
    ListAccess,
    Member,
    Membership,
    NotFound,
    PageRequest,
    Role,
    Sort,
    TodoList,
    UnitOfWorkFactory,
    User,
    VersionConflict,
    inbox_id,
    new_id,
)


class Boom(Exception):
    pass


@pytest.fixture
def sharing(uow_factory: UnitOfWorkFactory) -> UnitOfWorkFactory:
    return uow_factory


async def registered(sharing: UnitOfWorkFactory) -> UUID:
    user = make_user()
    async with sharing() as uow:
        await uow.users.add(user)
    return user.id


async def registered_user(sharing: UnitOfWorkFactory) -> User:
    user = make_user()
    async with sharing() as uow:
        await uow.users.add(user)
    return user


@pytest.fixture
async def user(sharing: UnitOfWorkFactory) -> UUID:
    return await registered(sharing)


def make_list(name: str = "a list", inbox_of: UUID | None = None) -> TodoList:
    list_id = new_id() if inbox_of is None else inbox_id(inbox_of)
    return TodoList(list_id, name, created_at=at(1), updated_at=at(1), inbox_of=inbox_of)


async def stored(sharing: UnitOfWorkFactory, owner: UUID, *lists: TodoList) -> tuple[TodoList, ...]:
    async with sharing() as uow:
        for todo_list in lists:
            await uow.lists.add(todo_list)
            await uow.memberships.add(Membership(todo_list.id, owner, Role.OWNER))
    return lists


async def members(sharing: UnitOfWorkFactory, list_id: UUID) -> list[Member]:
    async with sharing() as uow:
        return await uow.memberships.members(list_id)


async def roles(sharing: UnitOfWorkFactory, list_id: UUID) -> dict[UUID, Role]:
    return {member.user_id: member.role for member in await members(sharing, list_id)}


async def get(sharing: UnitOfWorkFactory, list_id: UUID) -> TodoList | None:
    async with sharing() as uow:
        return await uow.lists.get(list_id)


# --- lists ---------------------------------------------------------------------------------
async def test_a_stored_list_reads_back_equal(sharing: UnitOfWorkFactory, user: UUID) -> None:
    (todo_list,) = await stored(sharing, user, make_list("Ünïcode ✓"))
    assert await get(sharing, todo_list.id) == todo_list
    assert await get(sharing, new_id()) is None


async def test_a_taken_id_is_a_conflict(sharing: UnitOfWorkFactory, user: UUID) -> None:
    (todo_list,) = await stored(sharing, user, make_list())
    with pytest.raises(Conflict):
        async with sharing() as uow:
            await uow.lists.add(replace(todo_list, name="other"))
    assert await get(sharing, todo_list.id) == todo_list


async def test_a_user_has_at_most_one_inbox(sharing: UnitOfWorkFactory, user: UUID) -> None:
    await stored(sharing, user, make_list("Inbox", inbox_of=user))
    with pytest.raises(Conflict):
        async with sharing() as uow:
            await uow.lists.add(make_list("Inbox", inbox_of=user))
    with pytest.raises(Conflict):  # nor one of another id
        async with sharing() as uow:
            await uow.lists.add(replace(make_list("Inbox", inbox_of=user), id=new_id()))
    other = await registered(sharing)
    await stored(sharing, other, make_list("Inbox", inbox_of=other))


async def test_an_inbox_needs_a_stored_user(sharing: UnitOfWorkFactory) -> None:
    with pytest.raises(Conflict):
        async with sharing() as uow:
            await uow.lists.add(make_list("Inbox", inbox_of=new_id()))


async def test_two_units_adding_an_inbox_for_one_user_commit_one(
    sharing: UnitOfWorkFactory, user: UUID
) -> None:
    first, second = make_list("Inbox", inbox_of=user), make_list("Inbox", inbox_of=user)
    error = await race(lambda uow: uow.lists.add(first), lambda uow: uow.lists.add(second), sharing)
    assert isinstance(error, Conflict)
    assert await get(sharing, inbox_id(user)) == first


async def test_a_user_lists_the_lists_they_belong_to_by_name_then_id_in_pages(
    sharing: UnitOfWorkFactory, user: UUID
) -> None:
    names = ["b", "a", "B", "a", "ä", "z", "a"]
    mine = await stored(sharing, user, *(make_list(name) for name in names))
    await stored(sharing, await registered(sharing), make_list("not mine"))
    seen: list[ListAccess] = []
    cursor: str | None = None
    for _ in range(len(names) + 1):
        async with sharing() as uow:
            page = await uow.lists.list_for(user, PageRequest(limit=2, cursor=cursor))
        assert len(page.items) <= 2
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = sorted(mine, key=lambda x: (x.name, x.id))  # code point order: B < a < z < ä
    assert seen == [ListAccess(todo_list, Role.OWNER) for todo_list in expected]


async def test_a_user_lists_their_lists_in_one_role_with_that_role(
    sharing: UnitOfWorkFactory, user: UUID
) -> None:
    owned, shared = (
        await stored(sharing, user, make_list("owned")),
        await stored(sharing, await registered(sharing), make_list("shared")),
    )
    async with sharing() as uow:
        await uow.memberships.add(Membership(shared[0].id, user, Role.EDITOR))
    async with sharing() as uow:
        assert (await uow.lists.list_for(user, PageRequest())).items == (
            ListAccess(owned[0], Role.OWNER),
            ListAccess(shared[0], Role.EDITOR),
        )
        editing = await uow.lists.list_for(user, PageRequest(), Role.EDITOR)
        assert editing.items == (ListAccess(shared[0], Role.EDITOR),)
        assert (await uow.lists.list_for(user, PageRequest(), Role.VIEWER)).items == ()


async def test_a_cursor_of_a_todo_listing_is_invalid_input(
    sharing: UnitOfWorkFactory, user: UUID
) -> None:
    for token in (Cursor(Sort(), None, new_id()).encode(), "garbage"):
        with pytest.raises(InvalidInput):
            async with sharing() as uow:
                await uow.lists.list_for(user, PageRequest(cursor=token))


async def test_update_is_a_compare_and_set(sharing: UnitOfWorkFactory, user: UUID) -> None:
    (todo_list,) = await stored(sharing, user, make_list("old"))
    renamed = replace(todo_list, name="new", version=2, updated_at=at(2))
    async with sharing() as uow:
        await uow.lists.update(renamed, expected_version=1)
    assert await get(sharing, todo_list.id) == renamed
    with pytest.raises(VersionConflict):
        async with sharing() as uow:
            await uow.lists.update(replace(renamed, name="stale", version=2), expected_version=1)
    with pytest.raises(NotFound):
        async with sharing() as uow:
            await uow.lists.update(make_list(), expected_version=1)
    assert await get(sharing, todo_list.id) == renamed


async def test_of_two_writers_from_one_version_the_second_to_commit_conflicts(
    sharing: UnitOfWorkFactory, user: UUID
) -> None:
    (todo_list,) = await stored(sharing, user, make_list("old"))

    error = await race(
        lambda uow: uow.lists.update(replace(todo_list, name="first", version=2), 1),
        lambda uow: uow.lists.update(replace(todo_list, name="second", version=2), 1),
        sharing,
    )
    assert isinstance(error, VersionConflict)
    assert (await get(sharing, todo_list.id)) == replace(todo_list, name="first", version=2)


async def test_delete_takes_the_memberships_with_it(sharing: UnitOfWorkFactory, user: UUID) -> None:
    (todo_list,) = await stored(sharing, user, make_list())
    async with sharing() as uow:
        assert await uow.lists.delete(todo_list.id)
        assert not await uow.lists.delete(todo_list.id)
    assert await get(sharing, todo_list.id) is None
    assert await members(sharing, todo_list.id) == []
    async with sharing() as uow:
        assert (await uow.lists.list_for(user, PageRequest())).items == ()


# --- memberships ---------------------------------------------------------------------------
async def test_members_their_roles_and_the_owner_count(
    sharing: UnitOfWorkFactory, user: UUID
) -> None:
    (todo_list,) = await stored(sharing, user, make_list())
    editor, viewer = await registered(sharing), await registered_user(sharing)
    async with sharing() as uow:
        owner = await uow.users.get(user)
    assert owner is not None
    async with sharing() as uow:
        await uow.memberships.add(Membership(todo_list.id, editor, Role.EDITOR))
        await uow.memberships.add(Membership(todo_list.id, viewer.id, Role.VIEWER))
    async with sharing() as uow:
        assert await uow.memberships.role_of(todo_list.id, editor) is Role.EDITOR
        assert await uow.memberships.role_of(todo_list.id, new_id()) is None
        assert await uow.memberships.role_of(new_id(), user) is None
        assert await uow.memberships.count_owners(todo_list.id) == 1
        await uow.memberships.change_role(todo_list.id, viewer.id, Role.OWNER)
        assert await uow.memberships.count_owners(todo_list.id) == 2
        assert await uow.memberships.remove(todo_list.id, editor)
        assert not await uow.memberships.remove(todo_list.id, editor)
    assert await members(sharing, todo_list.id) == sorted(
        [
            Member(owner.id, owner.email, owner.display_name, Role.OWNER),
            Member(viewer.id, viewer.email, viewer.display_name, Role.OWNER),
        ],
        key=lambda member: member.email,
    )


async def test_a_member_added_again_is_a_conflict(sharing: UnitOfWorkFactory, user: UUID) -> None:
    (todo_list,) = await stored(sharing, user, make_list())
    with pytest.raises(Conflict):
        async with sharing() as uow:
            await uow.memberships.add(Membership(todo_list.id, user, Role.VIEWER))
    assert await roles(sharing, todo_list.id) == {user: Role.OWNER}


async def test_two_units_adding_one_member_commit_one(
    sharing: UnitOfWorkFactory, user: UUID
) -> None:
    (todo_list,) = await stored(sharing, user, make_list())
    other = await registered(sharing)

    error = await race(
        lambda uow: uow.memberships.add(Membership(todo_list.id, other, Role.EDITOR)),
        lambda uow: uow.memberships.add(Membership(todo_list.id, other, Role.VIEWER)),
        sharing,
    )
    assert isinstance(error, Conflict)
    async with sharing() as uow:
        assert await uow.memberships.role_of(todo_list.id, other) is Role.EDITOR


async def test_a_member_needs_a_stored_list_and_user(
    sharing: UnitOfWorkFactory, user: UUID
) -> None:
    (todo_list,) = await stored(sharing, user, make_list())
    for membership in (
        Membership(new_id(), user, Role.VIEWER),
        Membership(todo_list.id, new_id(), Role.VIEWER),
    ):
        with pytest.raises(Conflict):
            async with sharing() as uow:
                await uow.memberships.add(membership)


async def test_changing_the_role_of_a_non_member_is_not_found(
    sharing: UnitOfWorkFactory, user: UUID
) -> None:
    (todo_list,) = await stored(sharing, user, make_list())
    with pytest.raises(NotFound):
        async with sharing() as uow:
            await uow.memberships.change_role(todo_list.id, new_id(), Role.OWNER)


# --- commit and rollback -------------------------------------------------------------------
async def test_a_raising_block_leaves_no_list_and_no_membership_change(
    sharing: UnitOfWorkFactory, user: UUID
) -> None:
    (kept,) = await stored(sharing, user, make_list("kept"))
    doomed = make_list("doomed")

    async def change_then_fail() -> None:
        async with sharing() as uow:
            await uow.lists.add(doomed)
            await uow.memberships.add(Membership(doomed.id, user, Role.OWNER))
            await uow.memberships.change_role(kept.id, user, Role.VIEWER)
            await uow.lists.update(replace(kept, name="changed", version=2), 1)
            assert await uow.lists.get(doomed.id) == doomed  # its own changes it sees
            raise Boom

    async def delete_then_fail() -> None:
        async with sharing() as uow:
            await uow.lists.delete(kept.id)
            raise Boom

    with pytest.raises(Boom):
        await change_then_fail()
    assert await get(sharing, doomed.id) is None
    assert await get(sharing, kept.id) == kept
    assert await roles(sharing, kept.id) == {user: Role.OWNER}
    with pytest.raises(Boom):
        await delete_then_fail()
    assert await roles(sharing, kept.id) == {user: Role.OWNER}


async def test_uncommitted_lists_and_members_are_invisible_to_others(
    sharing: UnitOfWorkFactory, user: UUID
) -> None:
    todo_list = make_list()
    async with sharing() as writer:
        await writer.lists.add(todo_list)
        await writer.memberships.add(Membership(todo_list.id, user, Role.OWNER))
        async with sharing() as reader:
            assert await reader.lists.get(todo_list.id) is None
            assert await reader.memberships.role_of(todo_list.id, user) is None
            assert (await reader.lists.list_for(user, PageRequest())).items == ()
    assert await get(sharing, todo_list.id) == todo_list
