"""Throttling of failed logins: by client address first, so that an attacker who hammers an
account from elsewhere never locks its owner out.

Three limits over one sliding window, each counting the failures recorded in it:

- per address and account: the failures of one address on one account;
- per address: the failures of one address on any account (one address trying many);
- per account: the failures on one account from any address (many addresses trying one).
  It throttles only the addresses that have failed on that account themselves, so nobody
  can lock the owner out: a correct password from an address without failures still counts.

A throttled attempt costs no password hash and is refused the same whether the account
exists or not. An admitted attempt counts as a failure from the start, before its hash, and
a success takes it back with the other failures of its address on that account. Every check
of a password that a caller proves knowledge with (a login, the current password of a
password change) goes through `admit`, then `succeeded` when the password is right.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from todo_domain.entities import LoginAttempt
from todo_domain.errors import TooManyAttempts
from todo_domain.ports import Clock, LoginFailureRepository, UnitOfWorkFactory

PRUNE_EVERY = timedelta(minutes=1)
"""How often a process deletes failures too old to count, so the table stays bounded: it
holds at most a window's failures (each of which cost a hash) plus this much."""


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """How many failures each rule allows within `window` before it throttles."""

    window: timedelta = timedelta(minutes=15)
    per_address_account: int = 10
    per_address: int = 100
    per_account: int = 100

    def __post_init__(self) -> None:
        if self.window <= timedelta(0):
            raise ValueError("the window must be positive")
        if min(self.per_address_account, self.per_address, self.per_account) < 1:
            raise ValueError("every limit must be at least 1")


@dataclass(frozen=True, slots=True)
class RecentFailures:
    """The newest failures within the window that concern one attempt (newest first, each at
    most its rule's limit long)."""

    of_address_account: Sequence[datetime]
    of_address: Sequence[datetime]
    of_account: Sequence[datetime]

    def retry_after(self, limits: LoginLimits, now: datetime) -> timedelta | None:
        """How long the attempt is throttled (until enough failures leave the window), or
        None when it may go ahead."""
        limited = [
            (self.of_address_account, limits.per_address_account),
            (self.of_address, limits.per_address),
        ]
        if self.of_address_account:  # the account limit binds only who failed on it
            limited.append((self.of_account, limits.per_account))
        frees_at = [
            times[limit - 1] + limits.window for times, limit in limited if len(times) >= limit
        ]
        return max(frees_at) - now if frees_at else None


async def recent_failures(
    failures: LoginFailureRepository, attempt: LoginAttempt, limits: LoginLimits, now: datetime
) -> RecentFailures:
    since = now - limits.window
    of_pair = await failures.latest(
        since, limits.per_address_account, address=attempt.address, account=attempt.account
    )
    of_address = await failures.latest(since, limits.per_address, address=attempt.address)
    of_account = (
        await failures.latest(since, limits.per_account, account=attempt.account) if of_pair else ()
    )
    return RecentFailures(of_pair, of_address, of_account)


class LoginThrottle:
    """The throttle of password checks, on the failures the storage keeps (shared by every
    process on the same database)."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, limits: LoginLimits | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.limits = limits if limits is not None else LoginLimits()
        self._next_prune: datetime | None = None

    async def admit(self, attempt: LoginAttempt) -> datetime:
        """Raises `TooManyAttempts` while `attempt` is throttled; else counts it as a failure
        at once, before its password is checked, so that attempts running at the same time
        count each other (a burst from one address gets no more checks than its limit), and
        returns when it was counted. `succeeded` takes it back once the password proves
        right, `withdraw` when the password could not be checked at all."""
        now = self._clock.now()
        async with self._uow() as uow:
            recent = await recent_failures(uow.login_failures, attempt, self.limits, now)
            retry_after = recent.retry_after(self.limits, now)
            if retry_after is not None:
                raise TooManyAttempts(retry_after)
            await uow.login_failures.add(attempt, now)
            if self._next_prune is None or now >= self._next_prune:
                await uow.login_failures.prune(now - self.limits.window)
                self._next_prune = now + PRUNE_EVERY
        return now

    async def withdraw(self, attempt: LoginAttempt, admitted_at: datetime) -> None:
        """Takes back the failure `admit` counted for an attempt whose password was never
        checked (no hash slot in time): the caller may simply try again."""
        async with self._uow() as uow:
            await uow.login_failures.withdraw(attempt, admitted_at)

    async def succeeded(self, attempt: LoginAttempt) -> None:
        """Forgets the failures of the address on the account (the admitted attempt's own
        among them), once the password was right."""
        async with self._uow() as uow:
            await uow.login_failures.clear(attempt)
