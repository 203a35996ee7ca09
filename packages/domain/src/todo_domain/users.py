"""User use cases: registration and authentication."""

import contextlib
from collections.abc import Awaitable, Callable
from uuid import UUID

from todo_domain import rules
from todo_domain.entities import LoginAttempt, User
from todo_domain.errors import AuthenticationFailed, NotFound, Overloaded, StorageUnavailable
from todo_domain.ids import new_id
from todo_domain.lists import add_inbox
from todo_domain.ports import Clock, PasswordHasher, UnitOfWorkFactory
from todo_domain.throttle import LoginThrottle


class UserService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Clock,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self.throttle = throttle if throttle is not None else LoginThrottle(uow, clock)

    async def register(self, email: str, password: str, display_name: str | None = None) -> User:
        """The user and their Inbox, stored together (a failed registration leaves neither).
        Raises `Conflict` when the e-mail (case-insensitively) is taken."""
        user = User(
            id=new_id(),
            email=rules.email(email),
            display_name=rules.display_name(display_name),
            password_hash=await self._hasher.hash(rules.password(password)),
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            await uow.users.add(user)
            await add_inbox(uow, user)
        return user

    async def authenticate(self, email: str, password: str, *, address: str) -> User:
        """The user with these credentials, else `AuthenticationFailed` (never saying which part
        was wrong). An unknown e-mail still costs one hash verification, so timing tells
        nothing either. `address` is the client's: while it has failed too often (see
        `LoginThrottle`), `TooManyAttempts` comes before any hash, account or not."""
        rules.storable("password", password)
        attempt = LoginAttempt.of(address, rules.storable("email", email))

        async def by_email() -> User | None:
            async with self._uow() as uow:
                return await uow.users.get_by_email(attempt.account)

        return await check_password(self.throttle, self._hasher, attempt, password, by_email)

    async def get(self, user_id: UUID) -> User:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("user")
        return user


async def check_password(
    throttle: LoginThrottle,
    hasher: PasswordHasher,
    attempt: LoginAttempt,
    password: str,
    find_user: Callable[[], Awaitable[User | None]],
) -> User:
    """The user `find_user` finds (once `attempt` is admitted), if `password` is theirs;
    else `AuthenticationFailed`, whether the password was wrong or there was no user: that
    still costs one hash verification (against the dummy hash), so timing tells nothing
    either. Every check counts against the throttle (`TooManyAttempts` before any hash)."""
    admitted_at = await throttle.admit(attempt)
    try:
        user = await find_user()
        proven = await hasher.verify(
            password, hasher.dummy_hash if user is None else user.password_hash
        )
    except (Overloaded, StorageUnavailable):
        # The password was not checked, so the attempt does not count.
        with contextlib.suppress(StorageUnavailable):
            await throttle.withdraw(attempt, admitted_at)
        raise
    if user is None or not proven:
        raise AuthenticationFailed()
    await throttle.succeeded(attempt)
    return user
