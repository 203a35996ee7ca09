"""UserRepository contract: add, get, get_by_email and unique (normalised) e-mails."""

import pytest

from builders import make_user
from todo_domain import Conflict, UnitOfWorkFactory, User, new_id


async def add(uow_factory: UnitOfWorkFactory, *users: User) -> None:
    """All of `users` in one unit of work (a conflict may surface at add or at commit)."""
    async with uow_factory() as uow:
        for user in users:
            await uow.users.add(user)


async def test_add_then_get_and_get_by_email(uow_factory: UnitOfWorkFactory) -> None:
    user = make_user("ada@example.com", display_name="Ada Lovelace")
    other = make_user("bob@example.com")
    await add(uow_factory, user)
    await add(uow_factory, other)
    async with uow_factory() as uow:
        assert await uow.users.get(user.id) == user
        assert await uow.users.get_by_email("ada@example.com") == user
        assert await uow.users.get(other.id) == other
        assert await uow.users.get_by_email("bob@example.com") == other


async def test_a_user_without_display_name_round_trips(uow_factory: UnitOfWorkFactory) -> None:
    user = make_user(display_name=None)
    await add(uow_factory, user)
    async with uow_factory() as uow:
        got = await uow.users.get(user.id)
    assert got == user
    assert got is not None
    assert got.display_name is None
    assert got.created_at.utcoffset() is not None


async def test_unknown_users_are_none(uow_factory: UnitOfWorkFactory) -> None:
    await add(uow_factory, make_user("ada@example.com"))
    async with uow_factory() as uow:
        assert await uow.users.get(new_id()) is None
        assert await uow.users.get_by_email("bob@example.com") is None
        assert await uow.users.get_by_email("ada@example.co") is None
        assert await uow.users.get_by_email("da@example.com") is None
        assert await uow.users.get_by_email("%@example.com") is None
        assert await uow.users.get_by_email("") is None


async def test_a_taken_email_is_a_conflict(uow_factory: UnitOfWorkFactory) -> None:
    first = make_user("ada@example.com")
    await add(uow_factory, first)
    with pytest.raises(Conflict):
        await add(uow_factory, make_user("ada@example.com"))
    async with uow_factory() as uow:
        assert await uow.users.get_by_email("ada@example.com") == first


async def test_a_taken_email_in_the_same_unit_of_work_is_a_conflict(
    uow_factory: UnitOfWorkFactory,
) -> None:
    with pytest.raises(Conflict):
        await add(uow_factory, make_user("ada@example.com"), make_user("ada@example.com"))
    async with uow_factory() as uow:
        assert await uow.users.get_by_email("ada@example.com") is None


async def test_a_conflicting_add_takes_nothing_else_with_it(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await add(uow_factory, make_user("ada@example.com"))
    bystander = make_user("bob@example.com")
    with pytest.raises(Conflict):
        await add(uow_factory, bystander, make_user("ada@example.com"))
    async with uow_factory() as uow:
        assert await uow.users.get(bystander.id) is None
        assert await uow.users.get_by_email("bob@example.com") is None
