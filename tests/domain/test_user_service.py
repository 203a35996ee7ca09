"""User use cases: registration rules, the Inbox that comes with an account, duplicate e-mails
and authentication."""

from uuid import UUID

import pytest

from fakes import START, FakeHasher, FixedClock
from todo_domain import (
    INBOX_NAME,
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    ListService,
    Member,
    Membership,
    NewTodo,
    NotFound,
    Role,
    StorageUnavailable,
    TodoList,
    TodoService,
    UserService,
    inbox_id,
    new_id,
)
from todo_memory import (
    MemoryMembershipRepository,
    MemoryStore,
    MemoryTodoListRepository,
    MemoryUnitOfWork,
    MemoryUnitOfWorkFactory,
)

ADDRESS = "192.0.2.1"


async def test_register_stores_a_hashed_password_and_normalised_email(
    users: UserService, hasher: FakeHasher
) -> None:
    user = await users.register("  Ada@Example.COM ", "correct horse", "  Ada  ")
    assert user.email == "ada@example.com"
    assert user.display_name == "Ada"
    assert user.password_hash == await hasher.hash("correct horse")
    assert user.password_hash != "correct horse"
    assert user.created_at == START
    assert user.id.version == 7
    assert await users.get(user.id) == user


@pytest.mark.parametrize("name", [None, "", "   "])
async def test_a_missing_or_blank_display_name_is_none(
    users: UserService, name: str | None
) -> None:
    user = await users.register("a@example.com", "password", name)
    assert user.display_name is None


async def test_display_name_up_to_100_characters(users: UserService) -> None:
    user = await users.register("a@example.com", "password", "n" * 100)
    assert user.display_name == "n" * 100
    with pytest.raises(InvalidInput) as caught:
        await users.register("b@example.com", "password", "n" * 101)
    assert caught.value.field == "display_name"


@pytest.mark.parametrize("length", [8, 9, 127, 128])
async def test_password_of_8_to_128_characters_is_accepted(users: UserService, length: int) -> None:
    user = await users.register("a@example.com", "p" * length)
    assert (await users.authenticate("a@example.com", "p" * length, address=ADDRESS)).id == user.id


@pytest.mark.parametrize("length", [0, 1, 7, 129, 1000])
async def test_password_outside_8_to_128_is_invalid(
    users: UserService, hasher: FakeHasher, length: int
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await users.register("a@example.com", "p" * length)
    assert caught.value.field == "password"
    assert hasher.hash_calls == 0
    with pytest.raises(AuthenticationFailed):
        await users.authenticate("a@example.com", "p" * length, address=ADDRESS)


@pytest.mark.parametrize(
    "email",
    ["", "   ", "plain", "@example.com", "a@", "a@b", "a b@example.com", "a@@example.com",
     "a@example.com\nb", "x" * 250 + "@example.com"],
)  # fmt: skip
async def test_invalid_email_is_rejected(users: UserService, email: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await users.register(email, "password")
    assert caught.value.field == "email"


@pytest.mark.parametrize("second", ["ada@example.com", "ADA@example.com", " Ada@Example.Com "])
async def test_a_taken_email_in_any_case_is_a_conflict(users: UserService, second: str) -> None:
    first = await users.register("Ada@example.com", "password1")
    with pytest.raises(Conflict):
        await users.register(second, "password2")
    assert (
        await users.authenticate("ada@example.com", "password1", address=ADDRESS)
    ).id == first.id
    with pytest.raises(AuthenticationFailed):
        await users.authenticate("ada@example.com", "password2", address=ADDRESS)


@pytest.mark.parametrize("typed", ["ada@example.com", "ADA@EXAMPLE.COM", "  Ada@Example.com  "])
async def test_authenticate_finds_the_user_whatever_the_case(
    users: UserService, hasher: FakeHasher, typed: str
) -> None:
    user = await users.register("ada@example.com", "correct horse")
    assert await users.authenticate(typed, "correct horse", address=ADDRESS) == user
    assert hasher.verify_calls == [("correct horse", user.password_hash)]


async def test_wrong_password_fails(users: UserService, hasher: FakeHasher) -> None:
    user = await users.register("ada@example.com", "correct horse")
    with pytest.raises(AuthenticationFailed) as caught:
        await users.authenticate("ada@example.com", "Correct horse", address=ADDRESS)
    assert hasher.verify_calls == [("Correct horse", user.password_hash)]
    assert str(caught.value) == "invalid e-mail or password"


async def test_unknown_email_fails_after_exactly_one_dummy_verification(
    users: UserService, hasher: FakeHasher
) -> None:
    await users.register("ada@example.com", "correct horse")
    with pytest.raises(AuthenticationFailed) as caught:
        await users.authenticate("bob@example.com", "correct horse", address=ADDRESS)
    assert hasher.verify_calls == [("correct horse", hasher.dummy_hash)]
    assert str(caught.value) == "invalid e-mail or password"


async def test_unknown_email_with_empty_store_still_verifies_once(
    users: UserService, hasher: FakeHasher
) -> None:
    with pytest.raises(AuthenticationFailed):
        await users.authenticate("nobody@example.com", "whatever1", address=ADDRESS)
    assert len(hasher.verify_calls) == 1


async def test_get_of_an_unknown_user_is_not_found(users: UserService) -> None:
    with pytest.raises(NotFound):
        await users.get(new_id())


async def test_each_registration_gets_its_own_id(users: UserService) -> None:
    ids: set[UUID] = set()
    for i in range(5):
        ids.add((await users.register(f"u{i}@example.com", "password")).id)
    assert len(ids) == 5


# --- the Inbox comes with the account ------------------------------------------------------
async def test_registration_creates_the_users_inbox_owned_by_them(
    users: UserService, lists: ListService, todos: TodoService
) -> None:
    user = await users.register("ada@example.com", "password", "Ada")
    (access,) = (await lists.mine(user.id)).items
    inbox = access.todo_list
    assert access.role is Role.OWNER
    assert (inbox.is_inbox, inbox.inbox_of) == (True, user.id)
    assert inbox.id == inbox_id(user.id) == user.id
    assert (inbox.name, inbox.version) == (INBOX_NAME, 1)
    assert inbox.created_at == inbox.updated_at == user.created_at
    assert await lists.get(user.id, user.id) == access
    assert await lists.members(user.id, inbox.id) == [
        Member(user.id, "ada@example.com", "Ada", Role.OWNER)
    ]
    assert (await todos.create(user.id, NewTodo(title="first"))).list_id == inbox.id


async def test_every_user_gets_an_inbox_of_their_own(
    users: UserService, lists: ListService
) -> None:
    ada = await users.register("ada@example.com", "password")
    bob = await users.register("bob@example.com", "password")
    for user, other in ((ada, bob), (bob, ada)):
        assert [x.todo_list.id for x in (await lists.mine(user.id)).items] == [user.id]
        with pytest.raises(NotFound):
            await lists.get(user.id, inbox_id(other.id))


def stored(store: MemoryStore) -> tuple[set[UUID], set[UUID], set[tuple[UUID, UUID]]]:
    """The ids of every committed user, list and membership."""
    return set(store.users), set(store.lists), set(store.memberships)


async def test_a_taken_email_leaves_neither_a_second_user_nor_an_inbox(
    users: UserService, uow: MemoryUnitOfWorkFactory
) -> None:
    first = await users.register("ada@example.com", "password1")
    with pytest.raises(Conflict):
        await users.register("ADA@example.com", "password2")
    assert stored(uow.store) == ({first.id}, {first.id}, {(first.id, first.id)})


class InboxlessLists(MemoryTodoListRepository):
    async def add(self, todo_list: TodoList) -> None:
        if todo_list.is_inbox:
            raise StorageUnavailable("connection lost")
        await super().add(todo_list)


class OwnerlessMemberships(MemoryMembershipRepository):
    async def add(self, membership: Membership) -> None:
        if membership.list_id == inbox_id(membership.user_id):
            raise StorageUnavailable("connection lost")
        await super().add(membership)


class FailingInboxUnitOfWork(MemoryUnitOfWork):
    """A unit of work whose storage fails when the Inbox (`part`: the list or its owner's
    membership) is added, after the user was."""

    def __init__(self, store: MemoryStore, part: str) -> None:
        super().__init__(store)
        if part == "list":
            self.lists = InboxlessLists(self._tx)
        else:
            self.memberships = OwnerlessMemberships(self._tx)


@pytest.mark.parametrize("part", ["list", "membership"])
async def test_a_registration_whose_inbox_cannot_be_stored_leaves_no_user(
    uow: MemoryUnitOfWorkFactory,
    users: UserService,
    hasher: FakeHasher,
    clock: FixedClock,
    part: str,
) -> None:
    failing = UserService(lambda: FailingInboxUnitOfWork(uow.store, part), hasher, clock)
    with pytest.raises(StorageUnavailable):
        await failing.register("ada@example.com", "password")
    assert stored(uow.store) == (set(), set(), set())
    with pytest.raises(AuthenticationFailed):
        await users.authenticate("ada@example.com", "password", address=ADDRESS)
    # the e-mail was not taken: the registration can be tried again
    user = await users.register("ada@example.com", "password")
    assert stored(uow.store) == ({user.id}, {user.id}, {(user.id, user.id)})


@pytest.mark.parametrize("role", list(Role))
async def test_the_inbox_of_a_registered_user_is_neither_renamed_nor_shared_nor_deleted(
    users: UserService, lists: ListService, role: Role
) -> None:
    ada = await users.register("ada@example.com", "password")
    await users.register("bob@example.com", "password")
    before = await lists.get(ada.id, ada.id)
    for email in ("bob@example.com", "ada@example.com"):
        with pytest.raises(Conflict):
            await lists.share(ada.id, ada.id, email, role)
    with pytest.raises(Conflict):
        await lists.rename(ada.id, ada.id, "Elsewhere")
    with pytest.raises(Conflict):
        await lists.delete(ada.id, ada.id)
    assert await lists.get(ada.id, ada.id) == before
    assert [member.user_id for member in await lists.members(ada.id, ada.id)] == [ada.id]
