"""LoginFailureRepository contract: failures by address, by account and by both, newest first
within a window; clearing an address's failures on an account; pruning; and the isolation of
a unit of work until it commits."""

from datetime import datetime, timedelta

import pytest

from fakes import START
from todo_domain import LoginAttempt, UnitOfWorkFactory

ADA_HERE = LoginAttempt("192.0.2.1", "ada@example.com")
ADA_THERE = LoginAttempt("198.51.100.7", "ada@example.com")
BOB_HERE = LoginAttempt("192.0.2.1", "bob@example.com")
EARLY = START - timedelta(hours=1)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


async def record(uow_factory: UnitOfWorkFactory, *failures: tuple[LoginAttempt, datetime]) -> None:
    async with uow_factory() as uow:
        for attempt, moment in failures:
            await uow.login_failures.add(attempt, moment)


async def latest(
    uow_factory: UnitOfWorkFactory,
    *,
    since: datetime = EARLY,
    limit: int = 100,
    address: str | None = None,
    account: str | None = None,
) -> list[datetime]:
    async with uow_factory() as uow:
        return await uow.login_failures.latest(since, limit, address=address, account=account)


@pytest.fixture
async def three(uow_factory: UnitOfWorkFactory) -> UnitOfWorkFactory:
    """Ada's account failed from two addresses, and Bob's from the first."""
    await record(
        uow_factory, (ADA_HERE, at(1)), (ADA_THERE, at(2)), (BOB_HERE, at(3)), (ADA_HERE, at(4))
    )
    return uow_factory


async def test_nothing_recorded_is_an_empty_list(uow_factory: UnitOfWorkFactory) -> None:
    assert await latest(uow_factory, address="192.0.2.1") == []
    assert await latest(uow_factory, account="ada@example.com") == []
    assert await latest(uow_factory) == []


async def test_failures_by_address_account_or_both_newest_first(
    three: UnitOfWorkFactory,
) -> None:
    here, ada = ADA_HERE.address, ADA_HERE.account
    assert await latest(three, address=here) == [at(4), at(3), at(1)]
    assert await latest(three, account=ada) == [at(4), at(2), at(1)]
    assert await latest(three, address=here, account=ada) == [at(4), at(1)]
    assert await latest(three, address=ADA_THERE.address, account="bob@example.com") == []
    assert await latest(three) == [at(4), at(3), at(2), at(1)]


async def test_the_times_come_back_as_aware_instants_to_the_microsecond(
    uow_factory: UnitOfWorkFactory,
) -> None:
    moment = START + timedelta(microseconds=1)
    await record(uow_factory, (ADA_HERE, moment))
    [got] = await latest(uow_factory, address=ADA_HERE.address)
    assert got == moment
    assert got.utcoffset() == timedelta(0)


async def test_only_failures_after_since_and_at_most_limit(three: UnitOfWorkFactory) -> None:
    here = ADA_HERE.address
    assert await latest(three, address=here, since=at(1)) == [at(4), at(3)]
    assert await latest(three, address=here, since=at(4)) == []
    assert await latest(three, address=here, limit=2) == [at(4), at(3)]
    assert await latest(three, address=here, limit=1, since=at(3)) == [at(4)]


async def test_addresses_and_accounts_match_exactly(uow_factory: UnitOfWorkFactory) -> None:
    await record(uow_factory, (LoginAttempt("192.0.2.10", "Ada@example.com"), at(1)))
    assert await latest(uow_factory, address="192.0.2.1") == []
    assert await latest(uow_factory, address="192.0.2.1%") == []
    assert await latest(uow_factory, account="ada@example.com") == []
    assert await latest(uow_factory, account="Ada@example.com") == [at(1)]


async def test_clear_forgets_one_address_on_one_account(three: UnitOfWorkFactory) -> None:
    async with three() as uow:
        await uow.login_failures.clear(ADA_HERE)
    assert await latest(three) == [at(3), at(2)]
    assert await latest(three, address=ADA_HERE.address) == [at(3)]
    assert await latest(three, account=ADA_HERE.account) == [at(2)]


async def test_withdraw_forgets_one_failure_of_one_attempt(three: UnitOfWorkFactory) -> None:
    async with three() as uow:
        await uow.login_failures.withdraw(ADA_HERE, at(4))
        await uow.login_failures.withdraw(BOB_HERE, at(4))  # none then: nothing to forget
    assert await latest(three) == [at(3), at(2), at(1)]


async def test_prune_forgets_what_is_older_than_before(three: UnitOfWorkFactory) -> None:
    async with three() as uow:
        await uow.login_failures.prune(at(3))
    assert await latest(three) == [at(4), at(3)]


async def test_failures_are_invisible_to_others_until_commit(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as writer:
        await writer.login_failures.add(ADA_HERE, at(1))
        assert await writer.login_failures.latest(EARLY, 10, address=ADA_HERE.address) == [at(1)]
        assert await latest(uow_factory, address=ADA_HERE.address) == []
    assert await latest(uow_factory, address=ADA_HERE.address) == [at(1)]


async def test_a_rolled_back_unit_of_work_records_nothing(uow_factory: UnitOfWorkFactory) -> None:
    await record(uow_factory, (ADA_HERE, at(1)))

    async def change_then_fail() -> None:
        async with uow_factory() as uow:
            await uow.login_failures.add(ADA_HERE, at(2))
            await uow.login_failures.clear(ADA_HERE)
            await uow.login_failures.prune(at(5))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        await change_then_fail()
    assert await latest(uow_factory) == [at(1)]


async def test_the_longest_address_and_account_are_stored(uow_factory: UnitOfWorkFactory) -> None:
    attempt = LoginAttempt.of("a" * 400, "b" * 300 + "@example.com")
    await record(uow_factory, (attempt, at(1)))
    assert await latest(uow_factory, address=attempt.address, account=attempt.account) == [at(1)]
