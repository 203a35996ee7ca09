"""The login throttle: the rule (a table of cases), and `UserService.authenticate` through it
on the memory adapter with a fixed clock and a fake hasher."""

import asyncio
from collections import Counter
from datetime import datetime, timedelta

import pytest

from fakes import START, FakeHasher, FixedClock
from todo_domain import (
    AuthenticationFailed,
    LoginAttempt,
    LoginLimits,
    LoginThrottle,
    RecentFailures,
    TooManyAttempts,
    UserService,
)
from todo_memory import MemoryUnitOfWorkFactory

LIMITS = LoginLimits(
    window=timedelta(minutes=15), per_address_account=3, per_address=5, per_account=4
)
HERE, THERE, ELSEWHERE = "192.0.2.1", "198.51.100.7", "203.0.113.9"
PASSWORD = "correct horse"


def ago(minutes: float) -> datetime:
    return START - timedelta(minutes=minutes)


def times(*minutes_ago: float) -> list[datetime]:
    return [ago(minutes) for minutes in minutes_ago]


@pytest.mark.parametrize(
    ("pair", "address", "account", "expected"),
    [
        pytest.param((), (), (), None, id="no failures"),
        pytest.param(times(1, 2), times(1, 2), times(1, 2), None, id="pair under its limit"),
        pytest.param(times(1, 2, 10), times(1, 2, 10), times(1, 2, 10), 5, id="pair at its limit"),
        pytest.param((), times(1, 2, 3, 4, 14), (), 1, id="address at its limit across accounts"),
        pytest.param((), times(1, 2, 3, 4), (), None, id="address under its limit"),
        pytest.param(
            (), (), times(1, 2, 3, 4), None, id="account at its limit: not for a clean address"
        ),
        pytest.param(
            times(6), times(6), times(1, 2, 3, 6), 9, id="account at its limit: who failed on it"
        ),
        pytest.param(
            times(1, 2, 3),
            times(1, 2, 3, 4, 12),
            times(1, 2, 3, 4),
            12,
            id="several rules: the longest wait",
        ),
    ],
)
def test_retry_after_by_rule(
    pair: list[datetime],
    address: list[datetime],
    account: list[datetime],
    expected: float | None,
) -> None:
    """Failures are minutes ago, newest first; `expected` is the wait in minutes: a rule at its
    limit waits until its oldest counted failure leaves the 15-minute window."""
    got = RecentFailures(pair, address, account).retry_after(LIMITS, START)
    assert got == (None if expected is None else timedelta(minutes=expected))


@pytest.mark.parametrize(
    "limits",
    [
        {"window": timedelta(0)},
        {"per_address_account": 0},
        {"per_address": 0},
        {"per_account": 0},
    ],
)
def test_limits_must_be_positive(limits: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        LoginLimits(**limits)  # type: ignore[arg-type]


def test_an_attempt_is_normalised_and_cut_to_what_is_stored() -> None:
    attempt = LoginAttempt.of("a" * 300, "  Ada@Example.COM ")
    assert attempt == LoginAttempt("a" * 255, "ada@example.com")


@pytest.fixture
def throttled(uow: MemoryUnitOfWorkFactory, hasher: FakeHasher, clock: FixedClock) -> UserService:
    return UserService(uow, hasher, clock, LoginThrottle(uow, clock, LIMITS))


async def fail(users: UserService, email: str, address: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationFailed):
            await users.authenticate(email, "wrong password", address=address)


async def test_the_pair_limit_throttles_without_a_hash_known_account_or_not(
    throttled: UserService, hasher: FakeHasher
) -> None:
    await throttled.register("ada@example.com", PASSWORD)
    for email, address in (("ada@example.com", HERE), ("nobody@example.com", THERE)):
        await fail(throttled, email, address, LIMITS.per_address_account)
        verified = len(hasher.verify_calls)
        with pytest.raises(TooManyAttempts) as caught:
            await throttled.authenticate(email, PASSWORD, address=address)
        assert caught.value.retry_after == LIMITS.window
        assert len(hasher.verify_calls) == verified


async def test_the_owner_logs_in_from_elsewhere_while_one_address_is_throttled(
    throttled: UserService,
) -> None:
    user = await throttled.register("ada@example.com", PASSWORD)
    await fail(throttled, "ada@example.com", HERE, LIMITS.per_address_account)
    with pytest.raises(TooManyAttempts):
        await throttled.authenticate("ada@example.com", PASSWORD, address=HERE)
    assert await throttled.authenticate("ada@example.com", PASSWORD, address=THERE) == user


async def test_the_address_limit_counts_every_account(throttled: UserService) -> None:
    for n in range(LIMITS.per_address):
        await fail(throttled, f"user{n}@example.com", HERE)
    with pytest.raises(TooManyAttempts):
        await throttled.authenticate("fresh@example.com", PASSWORD, address=HERE)
    await fail(throttled, "fresh@example.com", THERE)


async def test_the_account_limit_throttles_only_addresses_that_failed_on_it(
    throttled: UserService, clock: FixedClock
) -> None:
    user = await throttled.register("ada@example.com", PASSWORD)
    for address in (HERE, THERE):
        await fail(throttled, "ada@example.com", address, 2)
    for address in (HERE, THERE):
        with pytest.raises(TooManyAttempts):
            await throttled.authenticate("ada@example.com", PASSWORD, address=address)
    assert await throttled.authenticate("ada@example.com", PASSWORD, address=ELSEWHERE) == user


async def test_a_success_clears_the_failures_of_its_address_on_the_account(
    throttled: UserService,
) -> None:
    user = await throttled.register("ada@example.com", PASSWORD)
    await fail(throttled, "ada@example.com", HERE, LIMITS.per_address_account - 1)
    assert await throttled.authenticate("ada@example.com", PASSWORD, address=HERE) == user
    await fail(throttled, "ada@example.com", HERE, LIMITS.per_address_account - 1)
    assert await throttled.authenticate("ada@example.com", PASSWORD, address=HERE) == user


async def test_the_throttle_ends_when_the_failures_leave_the_window(
    throttled: UserService, clock: FixedClock
) -> None:
    user = await throttled.register("ada@example.com", PASSWORD)
    await fail(throttled, "ada@example.com", HERE)
    clock.advance(timedelta(minutes=5))
    await fail(throttled, "ada@example.com", HERE, LIMITS.per_address_account - 1)
    with pytest.raises(TooManyAttempts) as caught:
        await throttled.authenticate("ada@example.com", PASSWORD, address=HERE)
    assert caught.value.retry_after == LIMITS.window - timedelta(minutes=5)
    clock.advance(caught.value.retry_after - timedelta(microseconds=1))
    with pytest.raises(TooManyAttempts):
        await throttled.authenticate("ada@example.com", PASSWORD, address=HERE)
    clock.advance(timedelta(microseconds=1))  # the first failure has left the window
    assert await throttled.authenticate("ada@example.com", PASSWORD, address=HERE) == user


async def test_failures_older_than_the_window_are_pruned(
    throttled: UserService, uow: MemoryUnitOfWorkFactory, clock: FixedClock
) -> None:
    await fail(throttled, "ada@example.com", HERE, 2)
    clock.advance(LIMITS.window + timedelta(minutes=1))
    await fail(throttled, "bob@example.com", THERE)
    assert [failure.attempt.address for failure in uow.store.login_failures] == [THERE]


class SlowHasher(FakeHasher):
    """A check of a password takes a while, as argon2's does: long enough for concurrent
    attempts to be under way at once."""

    async def verify(self, password: str, password_hash: str) -> bool:
        await asyncio.sleep(0.01)
        return await super().verify(password, password_hash)


async def test_a_burst_of_concurrent_failures_gets_no_more_checks_than_the_limit(
    uow: MemoryUnitOfWorkFactory, clock: FixedClock
) -> None:
    hasher = SlowHasher()
    users = UserService(uow, hasher, clock, LoginThrottle(uow, clock, LIMITS))
    await users.register("ada@example.com", PASSWORD)

    outcomes = await asyncio.gather(
        *(users.authenticate("ada@example.com", "wrong", address=HERE) for _ in range(20)),
        return_exceptions=True,
    )

    kinds = Counter(type(outcome).__name__ for outcome in outcomes)
    assert kinds == {
        "AuthenticationFailed": LIMITS.per_address_account,
        "TooManyAttempts": 20 - LIMITS.per_address_account,
    }
    assert len(hasher.verify_calls) == LIMITS.per_address_account
