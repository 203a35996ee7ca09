"""Argon2 password hashing through pwdlib: the domain's `PasswordHasher` port.

Hashing is slow on purpose (tens of milliseconds), so it runs in a worker thread and never
blocks the event loop. Each hash also holds its memory cost (64 MiB by default) while it
runs, so `BoundedHasher` lets only a few run at once: a login flood waits briefly for a slot,
then gets `Overloaded`, instead of filling the thread pool and the memory.
"""

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from todo_domain import Overloaded, PasswordHasher


class Argon2PasswordHasher:
    def __init__(
        self, *, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4
    ) -> None:
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism),)
        )
        self._dummy_hash = self._hash.hash(secrets.token_urlsafe(32))

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str) -> bool:
        return await anyio.to_thread.run_sync(self._verify, password, password_hash)

    @property
    def dummy_hash(self) -> str:
        return self._dummy_hash

    def _verify(self, password: str, password_hash: str) -> bool:
        try:
            return self._hash.verify(password, password_hash)
        except Exception:  # an unreadable stored hash is a failed login, not a crash
            return False


class BoundedHasher:
    """A `PasswordHasher` that runs at most `max_concurrent` hashes and verifications of
    `hasher` at once; a call that finds no free slot within `queue_timeout` seconds raises
    `Overloaded`. The wait is bounded in time, so the queue is too."""

    def __init__(self, hasher: PasswordHasher, max_concurrent: int, queue_timeout: float) -> None:
        self._hasher = hasher
        self._slots = asyncio.Semaphore(max_concurrent)
        self._queue_timeout = queue_timeout

    async def hash(self, password: str) -> str:
        async with self._slot():
            return await self._hasher.hash(password)

    async def verify(self, password: str, password_hash: str) -> bool:
        async with self._slot():
            return await self._hasher.verify(password, password_hash)

    @property
    def dummy_hash(self) -> str:
        return self._hasher.dummy_hash

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self._queue_timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise Overloaded("no free password hashing slot") from None
        try:
            # A cancelled request still waits here for its hash thread to finish (threads
            # cannot be stopped), so a slot is free only when its memory is.
            yield
        finally:
            self._slots.release()
