"""Account use cases on the memory adapter: the profile under its version, a password change
checked and throttled as a login is, signing out, and the deletion of an account with what it
alone owns."""

import copy
from datetime import datetime, timedelta
from uuid import UUID

import pytest

from fakes import START, FakeHasher, FixedClock
from todo_domain import (
    AccountService,
    AuthenticationFailed,
    InvalidInput,
    ListService,
    LoginLimits,
    LoginThrottle,
    NewTodo,
    NotFound,
    Role,
    Session,
    StorageUnavailable,
    TodoService,
    TooManyAttempts,
    User,
    UserService,
    VersionConflict,
    new_id,
)
from todo_memory import (
    MemoryMembershipRepository,
    MemoryStore,
    MemoryTodoListRepository,
    MemoryUnitOfWork,
    MemoryUnitOfWorkFactory,
    MemoryUserRepository,
)

ADDRESS = "192.0.2.1"
PASSWORD = "correct horse"
NEW_PASSWORD = "battery staple"
LIFETIME = timedelta(hours=1)


@pytest.fixture
async def ada(users: UserService) -> User:
    return await users.register("ada@example.com", PASSWORD, "Ada")


async def failures(uow: MemoryUnitOfWorkFactory, address: str = ADDRESS) -> list[datetime]:
    """The failed password checks of `address` the throttle counts."""
    async with uow() as unit:
        return await unit.login_failures.latest(START - timedelta(days=1), 1000, address=address)


def session_of(user: User, token_id: str = "token", expires_at: datetime | None = None) -> Session:
    return Session(user.id, token_id, user.credentials_version, expires_at or START + LIFETIME)


# --- the profile -----------------------------------------------------------------------------
async def test_a_rename_stores_the_trimmed_name_as_the_next_version(
    accounts: AccountService, users: UserService, ada: User
) -> None:
    renamed = await accounts.rename(ada.id, "  Ada Lovelace ")
    assert (renamed.display_name, renamed.version, renamed.credentials_version) == (
        "Ada Lovelace",
        2,
        1,
    )
    assert await users.get(ada.id) == renamed
    assert renamed.password_hash == ada.password_hash


@pytest.mark.parametrize("name", [None, "", "   "])
async def test_a_rename_to_nothing_clears_the_name(
    accounts: AccountService, users: UserService, ada: User, name: str | None
) -> None:
    cleared = await accounts.rename(ada.id, name)
    assert (cleared.display_name, cleared.version) == (None, 2)
    assert await users.get(ada.id) == cleared


async def test_a_rename_to_the_same_name_stores_nothing(
    accounts: AccountService, users: UserService, ada: User
) -> None:
    assert await accounts.rename(ada.id, " Ada ", expected_version=1) == ada
    assert await users.get(ada.id) == ada


@pytest.mark.parametrize("name", ["n" * 101, "Ada\x00", "\ud800"])
async def test_a_rename_follows_the_display_name_rule_of_registration(
    accounts: AccountService, users: UserService, ada: User, name: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await accounts.rename(ada.id, name)
    assert caught.value.field == "display_name"
    assert await users.get(ada.id) == ada


async def test_a_rename_at_a_stale_version_is_a_version_conflict(
    accounts: AccountService, users: UserService, ada: User
) -> None:
    renamed = await accounts.rename(ada.id, "First", expected_version=1)
    with pytest.raises(VersionConflict) as caught:
        await accounts.rename(ada.id, "Second", expected_version=1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert await users.get(ada.id) == renamed
    assert (await accounts.rename(ada.id, "Second", expected_version=2)).version == 3


async def test_renaming_nobody_is_not_found(accounts: AccountService) -> None:
    with pytest.raises(NotFound):
        await accounts.rename(new_id(), "Nobody")


# --- the password ----------------------------------------------------------------------------
async def test_a_password_change_stores_the_new_hash_under_the_next_credentials(
    accounts: AccountService, users: UserService, hasher: FakeHasher, ada: User
) -> None:
    changed = await accounts.change_password(ada.id, PASSWORD, NEW_PASSWORD, address=ADDRESS)
    assert changed.password_hash == await hasher.hash(NEW_PASSWORD)
    assert (changed.version, changed.credentials_version) == (2, 2)
    assert (changed.email, changed.display_name) == (ada.email, ada.display_name)
    assert await users.get(ada.id) == changed
    assert await users.authenticate(ada.email, NEW_PASSWORD, address=ADDRESS) == changed
    with pytest.raises(AuthenticationFailed):
        await users.authenticate(ada.email, PASSWORD, address=ADDRESS)


async def test_only_a_password_change_moves_the_credentials_on_and_both_the_version(
    accounts: AccountService, ada: User
) -> None:
    renamed = await accounts.rename(ada.id, "Ada L.")
    changed = await accounts.change_password(ada.id, PASSWORD, NEW_PASSWORD, address=ADDRESS)
    renamed_again = await accounts.rename(ada.id, "Ada")
    assert [(u.version, u.credentials_version) for u in (renamed, changed, renamed_again)] == [
        (2, 1),
        (3, 2),
        (4, 2),
    ]
    assert renamed_again.password_hash == changed.password_hash


@pytest.mark.parametrize("new_password", ["", "p" * 7, "p" * 129, "password\x00", "\ud800" * 8])
async def test_the_new_password_follows_registrations_rule_before_any_check(
    accounts: AccountService,
    users: UserService,
    uow: MemoryUnitOfWorkFactory,
    hasher: FakeHasher,
    ada: User,
    new_password: str,
) -> None:
    hashed = hasher.hash_calls
    with pytest.raises(InvalidInput) as caught:
        await accounts.change_password(ada.id, PASSWORD, new_password, address=ADDRESS)
    assert caught.value.field == "password"
    assert (hasher.hash_calls, hasher.verify_calls, await failures(uow)) == (hashed, [], [])
    assert await users.get(ada.id) == ada


async def test_a_wrong_current_password_fails_and_counts_as_a_failed_login(
    accounts: AccountService,
    users: UserService,
    uow: MemoryUnitOfWorkFactory,
    hasher: FakeHasher,
    ada: User,
) -> None:
    with pytest.raises(AuthenticationFailed):
        await accounts.change_password(ada.id, "wrong password", NEW_PASSWORD, address=ADDRESS)
    assert hasher.verify_calls == [("wrong password", ada.password_hash)]
    assert await failures(uow) == [START]
    assert await users.get(ada.id) == ada
    # the right one then clears the address's failures on the account, as a login does
    await accounts.change_password(ada.id, PASSWORD, NEW_PASSWORD, address=ADDRESS)
    assert await failures(uow) == []


LIMITS = LoginLimits(per_address_account=3)


@pytest.fixture
def throttled(
    uow: MemoryUnitOfWorkFactory, hasher: FakeHasher, clock: FixedClock
) -> tuple[UserService, AccountService]:
    throttle = LoginThrottle(uow, clock, LIMITS)
    return UserService(uow, hasher, clock, throttle), AccountService(uow, hasher, clock, throttle)


async def test_wrong_passwords_of_logins_and_changes_count_together_until_throttled(
    throttled: tuple[UserService, AccountService], hasher: FakeHasher
) -> None:
    users, accounts = throttled
    ada = await users.register("ada@example.com", PASSWORD)
    for _ in range(LIMITS.per_address_account - 1):
        with pytest.raises(AuthenticationFailed):
            await users.authenticate(ada.email, "wrong password", address=ADDRESS)
    with pytest.raises(AuthenticationFailed):
        await accounts.change_password(ada.id, "wrong password", NEW_PASSWORD, address=ADDRESS)
    verified = len(hasher.verify_calls)
    for attempt in (
        accounts.change_password(ada.id, PASSWORD, NEW_PASSWORD, address=ADDRESS),
        accounts.delete(ada.id, PASSWORD, address=ADDRESS),
        users.authenticate(ada.email, PASSWORD, address=ADDRESS),
    ):
        with pytest.raises(TooManyAttempts) as caught:
            await attempt
        assert caught.value.retry_after == LIMITS.window
    assert len(hasher.verify_calls) == verified  # throttled before any hash
    assert await users.get(ada.id) == ada
    assert await accounts.change_password(ada.id, PASSWORD, NEW_PASSWORD, address="192.0.2.2")


async def test_an_unknown_user_fails_alike_after_one_check_against_the_dummy_hash(
    accounts: AccountService, uow: MemoryUnitOfWorkFactory, hasher: FakeHasher
) -> None:
    with pytest.raises(AuthenticationFailed):
        await accounts.change_password(new_id(), PASSWORD, NEW_PASSWORD, address=ADDRESS)
    assert hasher.verify_calls == [(PASSWORD, hasher.dummy_hash)]
    with pytest.raises(AuthenticationFailed):
        await accounts.delete(new_id(), PASSWORD, address=ADDRESS)
    assert hasher.verify_calls == [(PASSWORD, hasher.dummy_hash)] * 2
    assert await failures(uow) == [START, START]


async def test_a_deleted_user_fails_alike_after_one_check_against_the_dummy_hash(
    accounts: AccountService, hasher: FakeHasher, ada: User
) -> None:
    await accounts.delete(ada.id, PASSWORD, address=ADDRESS)
    hasher.verify_calls.clear()
    with pytest.raises(AuthenticationFailed):
        await accounts.change_password(ada.id, PASSWORD, NEW_PASSWORD, address=ADDRESS)
    assert hasher.verify_calls == [(PASSWORD, hasher.dummy_hash)]


class DeletingHasher(FakeHasher):
    """Deletes the account (in a unit of work of its own) while it hashes a password."""

    def __init__(self, uow: MemoryUnitOfWorkFactory, user_id: UUID) -> None:
        super().__init__()
        self._uow = uow
        self._user_id = user_id

    async def hash(self, password: str) -> str:
        async with self._uow() as unit:
            assert await unit.users.delete(self._user_id)
        return await super().hash(password)


async def test_a_user_deleted_while_the_new_password_is_hashed_fails_and_stores_nothing(
    uow: MemoryUnitOfWorkFactory, clock: FixedClock, users: UserService, ada: User
) -> None:
    accounts = AccountService(uow, DeletingHasher(uow, ada.id), clock, users.throttle)
    with pytest.raises(AuthenticationFailed):
        await accounts.change_password(ada.id, PASSWORD, NEW_PASSWORD, address=ADDRESS)
    assert uow.store.users == {}


# --- sessions --------------------------------------------------------------------------------
async def test_signing_out_ends_that_token_only_and_again_changes_nothing(
    accounts: AccountService, ada: User
) -> None:
    mine, other = session_of(ada, "mine"), session_of(ada, "other")
    assert await accounts.is_current(mine)
    await accounts.sign_out(mine)
    assert not await accounts.is_current(mine)
    assert await accounts.is_current(other)
    await accounts.sign_out(mine)
    assert not await accounts.is_current(mine)


async def test_a_password_change_ends_every_token_issued_before_it(
    accounts: AccountService, ada: User
) -> None:
    before = session_of(ada)
    changed = await accounts.change_password(ada.id, PASSWORD, NEW_PASSWORD, address=ADDRESS)
    assert not await accounts.is_current(before)
    assert await accounts.is_current(session_of(changed, "after"))
    assert not await accounts.is_current(Session(ada.id, "ahead", 3, START + LIFETIME))


async def test_a_deleted_account_has_no_current_token_and_signing_out_is_quiet(
    accounts: AccountService, ada: User
) -> None:
    session = session_of(ada)
    await accounts.delete(ada.id, PASSWORD, address=ADDRESS)
    assert not await accounts.is_current(session)
    await accounts.sign_out(session)
    assert not await accounts.is_current(Session(new_id(), "nobody's", 1, START))


async def test_ended_tokens_are_forgotten_long_after_they_expired_at_most_once_a_minute(
    accounts: AccountService, uow: MemoryUnitOfWorkFactory, clock: FixedClock, ada: User
) -> None:
    long_expired = session_of(ada, "long expired", START - timedelta(hours=2))
    just_expired = session_of(ada, "just expired", START - timedelta(minutes=30))
    await accounts.sign_out(just_expired)
    await accounts.sign_out(long_expired)  # pruned with the first sign-out of the minute
    assert set(uow.store.ended_sessions) == {"just expired", "long expired"}
    clock.advance(timedelta(minutes=31))
    await accounts.sign_out(session_of(ada, "live"))  # the next prune: a minute after that
    assert set(uow.store.ended_sessions) == {"live"}
    clock.advance(timedelta(seconds=30))
    await accounts.sign_out(session_of(ada, "expired too", START - timedelta(hours=3)))
    assert set(uow.store.ended_sessions) == {"live", "expired too"}


# --- the deletion walk -----------------------------------------------------------------------
class World:
    """Ada with an Inbox of tagged todos, a list she alone owns (Bob edits it), a list she
    owns with Bob, and a membership in Cy's list; Bob's and Cy's own Inboxes."""

    def __init__(self, store: MemoryStore, users: dict[str, UUID], lists: dict[str, UUID]):
        self.store = store
        self.users = users
        self.lists = lists


@pytest.fixture
async def world(
    uow: MemoryUnitOfWorkFactory,
    users: UserService,
    lists: ListService,
    todos: TodoService,
    ada: User,
) -> World:
    bob = (await users.register("bob@example.com", PASSWORD)).id
    cy = (await users.register("cy@example.com", PASSWORD)).id
    alone = (await lists.create(ada.id, "Ada's")).todo_list.id
    await lists.share(ada.id, alone, "bob@example.com", Role.EDITOR)
    together = (await lists.create(ada.id, "Ours")).todo_list.id
    await lists.share(ada.id, together, "bob@example.com", Role.OWNER)
    cys = (await lists.create(cy, "Cy's")).todo_list.id
    await lists.share(cy, cys, "ada@example.com", Role.EDITOR)
    for author, list_id in [
        (ada.id, None),
        (ada.id, alone),
        (bob, alone),
        (ada.id, together),
        (bob, together),
        (ada.id, cys),
        (bob, None),
    ]:
        await todos.create(author, NewTodo(title="a todo", tags=("home",), list_id=list_id))
    return World(
        uow.store,
        {"ada": ada.id, "bob": bob, "cy": cy},
        {"ada's": alone, "ours": together, "cy's": cys},
    )


def snapshot(store: MemoryStore) -> MemoryStore:
    return copy.deepcopy(store)


async def test_deleting_an_account_takes_what_it_alone_owns_and_leaves_the_rest(
    accounts: AccountService,
    users: UserService,
    lists: ListService,
    clock: FixedClock,
    world: World,
) -> None:
    store, ada, bob, cy = world.store, *world.users.values()
    ours_before, cys_before = (store.lists[world.lists[name]] for name in ("ours", "cy's"))
    kept = [ours_before.id, cys_before.id, bob]  # Ada's todos in the first two stay
    left = {t.id: t for t in store.todos.values() if t.list_id in kept}
    clock.advance()

    await accounts.delete(ada, PASSWORD, address=ADDRESS)

    assert ada not in store.users
    assert set(store.lists) == {bob, cy, ours_before.id, cys_before.id}  # Inbox and Ada's gone
    assert store.todos == left
    assert sorted(store.memberships) == sorted(
        [(bob, bob), (cy, cy), (ours_before.id, bob), (cys_before.id, cy)]
    )
    for before in (ours_before, cys_before):
        after = store.lists[before.id]
        assert (after.version, after.updated_at) == (before.version + 1, clock.now())
    assert [m.role for m in await lists.members(bob, ours_before.id)] == [Role.OWNER]
    with pytest.raises(AuthenticationFailed):
        await users.authenticate("ada@example.com", PASSWORD, address=ADDRESS)
    assert (await users.register("ada@example.com", PASSWORD)).id != ada  # the e-mail is free


async def test_a_wrong_password_deletes_nothing_and_counts_as_a_failed_login(
    accounts: AccountService, uow: MemoryUnitOfWorkFactory, world: World
) -> None:
    before = snapshot(world.store)
    with pytest.raises(AuthenticationFailed):
        await accounts.delete(world.users["ada"], "wrong password", address=ADDRESS)
    assert await failures(uow) == [START]
    after = world.store
    assert (after.users, after.lists, after.memberships, after.todos) == (
        before.users,
        before.lists,
        before.memberships,
        before.todos,
    )


class FailingLists(MemoryTodoListRepository):
    async def delete(self, list_id: UUID) -> bool:
        raise StorageUnavailable("connection lost")


class FailingMemberships(MemoryMembershipRepository):
    async def remove(self, list_id: UUID, user_id: UUID) -> bool:
        raise StorageUnavailable("connection lost")


class FailingUsers(MemoryUserRepository):
    async def delete(self, user_id: UUID) -> bool:
        raise StorageUnavailable("connection lost")


class FailingStepUnitOfWork(MemoryUnitOfWork):
    """A unit of work whose storage fails at one step of the deletion walk (`step`)."""

    def __init__(self, store: MemoryStore, step: str) -> None:
        super().__init__(store)
        if step == "delete a list":
            self.lists = FailingLists(self._tx)
        elif step == "end a membership":
            self.memberships = FailingMemberships(self._tx)
        else:
            self.users = FailingUsers(self._tx)


@pytest.mark.parametrize("step", ["delete a list", "end a membership", "delete the user"])
async def test_a_deletion_that_fails_at_any_step_leaves_everything_as_it_was(
    uow: MemoryUnitOfWorkFactory,
    hasher: FakeHasher,
    clock: FixedClock,
    users: UserService,
    accounts: AccountService,
    world: World,
    step: str,
) -> None:
    failing = AccountService(
        lambda: FailingStepUnitOfWork(uow.store, step), hasher, clock, users.throttle
    )
    before = snapshot(world.store)
    with pytest.raises(StorageUnavailable):
        await failing.delete(world.users["ada"], PASSWORD, address=ADDRESS)
    assert world.store == before
    await accounts.delete(world.users["ada"], PASSWORD, address=ADDRESS)  # it can be tried again
    assert world.users["ada"] not in world.store.users
