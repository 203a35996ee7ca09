"""User use cases: registration rules, duplicate e-mails and authentication."""

from uuid import UUID

import pytest

from fakes import START, FakeHasher
from todo_domain import AuthenticationFailed, Conflict, InvalidInput, NotFound, UserService, new_id

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
