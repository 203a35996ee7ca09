"""Argon2 password hashing through pwdlib: the domain's `PasswordHasher` port.

Hashing is slow on purpose (tens of milliseconds), so it runs in a worker thread and never
blocks the event loop.
"""

import secrets

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


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
