"""Test doubles for the domain's ports: a clock under the test's control, a cheap, inspectable
password hasher, and a unit of work whose storage fails."""

from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

START = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


class FixedClock:
    """The `Clock` port, frozen at `now` until the test advances it."""

    def __init__(self, now: datetime = START) -> None:
        if now.tzinfo is None:
            raise ValueError("a clock tells UTC time")
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta = timedelta(seconds=1, microseconds=1)) -> datetime:
        self._now += by
        return self._now


class FakeHasher:
    """The `PasswordHasher` port without the cost: the "hash" is the password behind a prefix.

    It counts `verify` calls and records what was verified against, so a test can prove that an
    unknown e-mail still costs one verification against `dummy_hash`.
    """

    PREFIX = "fake$"

    def __init__(self) -> None:
        self.hash_calls = 0
        self.verify_calls: list[tuple[str, str]] = []

    async def hash(self, password: str) -> str:
        self.hash_calls += 1
        return self.PREFIX + password

    async def verify(self, password: str, password_hash: str) -> bool:
        self.verify_calls.append((password, password_hash))
        return password_hash == self.PREFIX + password

    @property
    def dummy_hash(self) -> str:
        # No password maps to it: the prefix differs from what `hash` produces.
        return "dummy$" + "x" * 32


class ExplodingUnitOfWork:
    """A unit of work whose storage fails on entry with `message` (an unexpected error, not a
    domain one). Use `functools.partial(ExplodingUnitOfWork, message)` as the factory."""

    def __init__(self, message: str) -> None:
        self._message = message

    async def __aenter__(self) -> Self:
        raise RuntimeError(self._message)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None
