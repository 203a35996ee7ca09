"""ListService on the memory adapter: lists, their members and roles, and the rules that keep
every list owned and the Inbox private."""

import asyncio
from uuid import UUID

import pytest

from builders import register_owners
from fakes import FixedClock
from todo_domain import (
    INBOX_NAME,
    Conflict,
    Cursor,
    Forbidden,
    InvalidInput,
    ListAccess,
    ListService,
    Member,
    NotFound,
    PageRequest,
    Role,
    Sort,
    TodoList,
    VersionConflict,
    inbox_id,
    new_id,
    rules,
)
from todo_memory import (
    MemoryMembershipRepository,
    MemoryStore,
    MemoryUnitOfWork,
    MemoryUnitOfWorkFactory,
)


async def email_of(uow: MemoryUnitOfWorkFactory, user_id: UUID) -> str:
    async with uow() as work:
        user = await work.users.get(user_id)
    assert user is not None
    return user.email


async def shared(
    lists: ListService, uow: MemoryUnitOfWorkFactory, owner: UUID, member: UUID, role: Role
) -> TodoList:
    """A list of `owner` that `member` belongs to in `role`."""
    todo_list = (await lists.create(owner, "groceries")).todo_list
    await lists.share(owner, todo_list.id, await email_of(uow, member), role)
    return todo_list


async def user(uow: MemoryUnitOfWorkFactory) -> UUID:
    user_id = new_id()
    await register_owners(uow, user_id)
    return user_id


def roles(members: list[Member]) -> dict[UUID, Role]:
    return {member.user_id: member.role for member in members}


# --- create, get, list mine --------------------------------------------------------------
async def test_the_creator_owns_a_new_list(
    lists: ListService, owner: UUID, clock: FixedClock
) -> None:
    access = await lists.create(owner, "  Groceries  ")
    created = access.todo_list
    assert access.role is Role.OWNER
    assert (created.name, created.version, created.inbox_of) == ("Groceries", 1, None)
    assert created.created_at == created.updated_at == clock.now()
    assert await lists.get(owner, created.id) == access
    assert roles(await lists.members(owner, created.id)) == {owner: Role.OWNER}


@pytest.mark.parametrize("name", ["", "   ", "x" * (rules.LIST_NAME_MAX + 1), "a\x00b", "\ud800"])
async def test_a_bad_name_is_invalid_input(lists: ListService, owner: UUID, name: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await lists.create(owner, name)
    assert raised.value.field == "name"


async def test_a_name_of_the_maximum_length_after_trimming_is_kept(
    lists: ListService, owner: UUID
) -> None:
    name = "x" * rules.LIST_NAME_MAX
    assert (await lists.create(owner, f" {name} ")).todo_list.name == name


async def test_a_list_is_not_found_by_a_stranger_exactly_as_a_missing_one(
    lists: ListService, owner: UUID, stranger: UUID
) -> None:
    todo_list = (await lists.create(owner, "mine")).todo_list
    for list_id in (todo_list.id, new_id()):
        with pytest.raises(NotFound) as raised:
            await lists.get(stranger, list_id)
        assert str(raised.value) == "list"
        with pytest.raises(NotFound):
            await lists.members(stranger, list_id)
        with pytest.raises(NotFound):
            await lists.rename(stranger, list_id, "taken")
        with pytest.raises(NotFound):
            await lists.delete(stranger, list_id)
        with pytest.raises(NotFound):
            await lists.share(stranger, list_id, "someone@example.com")
        with pytest.raises(NotFound):
            await lists.leave(stranger, list_id)


async def test_mine_lists_every_list_i_am_a_member_of_by_name_then_id(
    lists: ListService, uow: MemoryUnitOfWorkFactory, owner: UUID, stranger: UUID
) -> None:
    b = await lists.create(owner, "b")
    a1, a2 = await lists.create(owner, "a"), await lists.create(owner, "a")
    theirs = await shared(lists, uow, stranger, owner, Role.VIEWER)
    await lists.create(stranger, "not mine")
    inbox = await lists.get(owner, inbox_id(owner))
    as_viewer = await lists.get(owner, theirs.id)  # as it is since it was shared
    assert as_viewer.role is Role.VIEWER
    expected = sorted(
        [inbox, b, a1, a2, as_viewer], key=lambda x: (x.todo_list.name, x.todo_list.id)
    )
    seen: list[ListAccess] = []
    cursor: str | None = None
    while True:
        page = await lists.mine(owner, PageRequest(limit=2, cursor=cursor))
        seen.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected


async def test_mine_refuses_a_cursor_of_a_todo_listing(lists: ListService, owner: UUID) -> None:
    token = Cursor(Sort(), None, new_id()).encode()
    with pytest.raises(InvalidInput) as raised:
        await lists.mine(owner, PageRequest(cursor=token))
    assert raised.value.field == "cursor"


# --- the Inbox -----------------------------------------------------------------------------
@pytest.mark.parametrize("role", list(Role))
async def test_the_inbox_is_private_keeps_its_name_and_cannot_be_deleted(
    lists: ListService, uow: MemoryUnitOfWorkFactory, owner: UUID, stranger: UUID, role: Role
) -> None:
    access = await lists.get(owner, inbox_id(owner))
    inbox = access.todo_list
    assert (inbox.name, inbox.inbox_of, inbox.is_inbox) == (INBOX_NAME, owner, True)
    assert access.role is Role.OWNER
    for email in (await email_of(uow, stranger), await email_of(uow, owner)):
        with pytest.raises(Conflict):
            await lists.share(owner, inbox.id, email, role)
    with pytest.raises(Conflict):
        await lists.rename(owner, inbox.id, "Elsewhere")
    with pytest.raises(Conflict):
        await lists.rename(owner, inbox.id, "Elsewhere", expected_version=1)
    with pytest.raises(Conflict):
        await lists.delete(owner, inbox.id)
    with pytest.raises(Conflict):
        await lists.leave(owner, inbox.id)
    with pytest.raises(Conflict):
        await lists.change_role(owner, inbox.id, owner, Role.EDITOR)
    assert await lists.get(owner, inbox.id) == access  # not even a new version
    assert roles(await lists.members(owner, inbox.id)) == {owner: Role.OWNER}
    with pytest.raises(NotFound):
        await lists.get(stranger, inbox.id)


async def test_a_list_named_inbox_is_an_ordinary_list(lists: ListService, owner: UUID) -> None:
    named = (await lists.create(owner, INBOX_NAME)).todo_list
    assert (named.is_inbox, named.inbox_of) == (False, None)
    assert named.id != inbox_id(owner)
    await lists.rename(owner, named.id, "renamed")
    await lists.delete(owner, named.id)
    assert [x.todo_list.id for x in (await lists.mine(owner)).items] == [inbox_id(owner)]


# --- rename and delete ---------------------------------------------------------------------
async def test_an_owner_renames_with_or_without_the_version(
    lists: ListService, owner: UUID, clock: FixedClock
) -> None:
    todo_list = (await lists.create(owner, "old")).todo_list
    later = clock.advance()
    access = await lists.rename(owner, todo_list.id, " new ", expected_version=1)
    renamed = access.todo_list
    assert access.role is Role.OWNER
    assert (renamed.name, renamed.version, renamed.updated_at) == ("new", 2, later)
    assert renamed.created_at == todo_list.created_at
    assert (await lists.rename(owner, todo_list.id, "newer")).todo_list.version == 3
    assert await lists.get(owner, todo_list.id) == await lists.rename(owner, todo_list.id, "newer")


async def test_a_rename_from_a_stale_version_is_a_version_conflict(
    lists: ListService, owner: UUID
) -> None:
    todo_list = (await lists.create(owner, "old")).todo_list
    await lists.rename(owner, todo_list.id, "new")
    with pytest.raises(VersionConflict) as raised:
        await lists.rename(owner, todo_list.id, "stale", expected_version=1)
    assert (raised.value.expected, raised.value.actual) == (1, 2)
    assert (await lists.get(owner, todo_list.id)).todo_list.name == "new"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
async def test_only_an_owner_renames_deletes_shares_and_manages_members(
    lists: ListService, uow: MemoryUnitOfWorkFactory, owner: UUID, stranger: UUID, role: Role
) -> None:
    todo_list = await shared(lists, uow, owner, stranger, role)
    third = await user(uow)
    with pytest.raises(Forbidden):
        await lists.rename(stranger, todo_list.id, "mine now")
    with pytest.raises(Forbidden):
        await lists.delete(stranger, todo_list.id)
    with pytest.raises(Forbidden):
        await lists.share(stranger, todo_list.id, await email_of(uow, third))
    with pytest.raises(Forbidden):
        await lists.change_role(stranger, todo_list.id, stranger, Role.OWNER)
    with pytest.raises(Forbidden):
        await lists.remove_member(stranger, todo_list.id, owner)
    # but they see it, with their role, and its members
    seen = await lists.get(stranger, todo_list.id)
    assert (seen.todo_list.name, seen.role) == ("groceries", role)
    assert roles(await lists.members(stranger, todo_list.id)) == {owner: Role.OWNER, stranger: role}


async def test_a_deleted_list_is_gone_for_every_member(
    lists: ListService, uow: MemoryUnitOfWorkFactory, owner: UUID, stranger: UUID
) -> None:
    todo_list = await shared(lists, uow, owner, stranger, Role.EDITOR)
    await lists.delete(owner, todo_list.id)
    for member in (owner, stranger):
        with pytest.raises(NotFound):
            await lists.get(member, todo_list.id)
        mine = (await lists.mine(member)).items
        assert [x.todo_list.id for x in mine] == [inbox_id(member)]
    async with uow() as work:
        assert await work.memberships.members(todo_list.id) == []


# --- sharing, roles, removing and leaving --------------------------------------------------
async def test_sharing_by_email_adds_a_member_in_the_role_given(
    lists: ListService, uow: MemoryUnitOfWorkFactory, owner: UUID, stranger: UUID
) -> None:
    todo_list = (await lists.create(owner, "groceries")).todo_list
    email = await email_of(uow, stranger)
    member = await lists.share(owner, todo_list.id, f"  {email.upper()} ", Role.EDITOR)
    assert member == Member(stranger, email, None, Role.EDITOR)
    assert roles(await lists.members(owner, todo_list.id)) == {
        owner: Role.OWNER,
        stranger: Role.EDITOR,
    }
    # by name, code point by code point: "Inbox" comes before "groceries"
    mine = (await lists.mine(stranger)).items
    assert [(x.todo_list.id, x.role) for x in mine] == [
        (inbox_id(stranger), Role.OWNER),
        (todo_list.id, Role.EDITOR),
    ]
    assert (await lists.get(owner, todo_list.id)).todo_list.version == 2  # members are the list's


async def test_sharing_with_an_unknown_email_is_not_found(lists: ListService, owner: UUID) -> None:
    todo_list = (await lists.create(owner, "groceries")).todo_list
    with pytest.raises(NotFound) as raised:
        await lists.share(owner, todo_list.id, "nobody@example.com")
    assert str(raised.value) == "user"
    with pytest.raises(InvalidInput):
        await lists.share(owner, todo_list.id, "not an e-mail")


async def test_sharing_with_a_member_again_is_a_conflict_whatever_the_role(
    lists: ListService, uow: MemoryUnitOfWorkFactory, owner: UUID, stranger: UUID
) -> None:
    todo_list = await shared(lists, uow, owner, stranger, Role.VIEWER)
    for member in (stranger, owner):
        with pytest.raises(Conflict):
            await lists.share(owner, todo_list.id, await email_of(uow, member), Role.EDITOR)
    assert roles(await lists.members(owner, todo_list.id)) == {
        owner: Role.OWNER,
        stranger: Role.VIEWER,
    }


async def test_an_owner_changes_roles_and_a_list_may_have_several_owners(
    lists: ListService, uow: MemoryUnitOfWorkFactory, owner: UUID, stranger: UUID
) -> None:
    todo_list = await shared(lists, uow, owner, stranger, Role.VIEWER)
    await lists.change_role(owner, todo_list.id, stranger, Role.OWNER)
    await lists.change_role(stranger, todo_list.id, owner, Role.EDITOR)
    assert roles(await lists.members(owner, todo_list.id)) == {
        owner: Role.EDITOR,
        stranger: Role.OWNER,
    }
    with pytest.raises(NotFound) as raised:
        await lists.change_role(stranger, todo_list.id, new_id(), Role.VIEWER)
    assert str(raised.value) == "member"


async def test_the_last_owner_can_be_neither_demoted_nor_removed_nor_leave(
    lists: ListService, uow: MemoryUnitOfWorkFactory, owner: UUID, stranger: UUID
) -> None:
    todo_list = await shared(lists, uow, owner, stranger, Role.EDITOR)
    with pytest.raises(Conflict):
        await lists.change_role(owner, todo_list.id, owner, Role.EDITOR)
    with pytest.raises(Conflict):
        await lists.remove_member(owner, todo_list.id, owner)
    with pytest.raises(Conflict):
        await lists.leave(owner, todo_list.id)
    await lists.change_role(owner, todo_list.id, owner, Role.OWNER)  # no change, no conflict
    assert roles(await lists.members(owner, todo_list.id))[owner] is Role.OWNER


async def test_an_owner_leaves_when_another_owner_stays(
    lists: ListService, uow: MemoryUnitOfWorkFactory, owner: UUID, stranger: UUID
) -> None:
    todo_list = await shared(lists, uow, owner, stranger, Role.OWNER)
    await lists.leave(owner, todo_list.id)
    with pytest.raises(NotFound):
        await lists.get(owner, todo_list.id)
    assert roles(await lists.members(stranger, todo_list.id)) == {stranger: Role.OWNER}


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
async def test_any_member_leaves_and_an_owner_removes_anyone(
    lists: ListService, uow: MemoryUnitOfWorkFactory, owner: UUID, stranger: UUID, role: Role
) -> None:
    todo_list = await shared(lists, uow, owner, stranger, role)
    await lists.leave(stranger, todo_list.id)
    with pytest.raises(NotFound):
        await lists.get(stranger, todo_list.id)
    await lists.share(owner, todo_list.id, await email_of(uow, stranger), role)
    await lists.remove_member(owner, todo_list.id, stranger)
    assert roles(await lists.members(owner, todo_list.id)) == {owner: Role.OWNER}
    with pytest.raises(NotFound) as raised:
        await lists.remove_member(owner, todo_list.id, stranger)
    assert str(raised.value) == "member"


class PausingMemberships(MemoryMembershipRepository):
    async def count_owners(self, list_id: UUID) -> int:
        owners = await super().count_owners(list_id)
        await asyncio.sleep(0)  # the other unit of work counts now, too
        return owners


class RacingUnitOfWork(MemoryUnitOfWork):
    """Yields to the event loop after counting owners, so that two calls interleave there."""

    def __init__(self, store: MemoryStore) -> None:
        super().__init__(store)
        self.memberships = PausingMemberships(self._tx)


@pytest.mark.parametrize("how", ["demote", "remove"])
async def test_two_owners_dropping_each_other_at_once_leave_one_owner(
    uow: MemoryUnitOfWorkFactory, clock: FixedClock, owner: UUID, stranger: UUID, how: str
) -> None:
    lists = ListService(lambda: RacingUnitOfWork(uow.store), clock)
    todo_list = await shared(lists, uow, owner, stranger, Role.OWNER)

    async def drop(by: UUID, whom: UUID) -> None:
        if how == "demote":
            await lists.change_role(by, todo_list.id, whom, Role.VIEWER)
        else:
            await lists.remove_member(by, todo_list.id, whom)

    outcomes = await asyncio.gather(
        drop(owner, stranger), drop(stranger, owner), return_exceptions=True
    )
    owners = [m for m in await _members(uow, todo_list.id) if m.role is Role.OWNER]
    assert len(owners) == 1
    # the loser tried again and saw the new state: no longer an owner (demoted) or no longer
    # a member (removed)
    refused = Forbidden if how == "demote" else NotFound
    assert sorted(outcomes, key=lambda outcome: outcome is None)[1] is None
    assert type(sorted(outcomes, key=lambda outcome: outcome is None)[0]) is refused


async def _members(uow: MemoryUnitOfWorkFactory, list_id: UUID) -> list[Member]:
    async with uow() as work:
        return await work.memberships.members(list_id)
