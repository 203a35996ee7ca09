"""User use cases: registration and authentication."""

from uuid import UUID

from todo_domain import rules
from todo_domain.entities import User
from todo_domain.errors import AuthenticationFailed, NotFound
from todo_domain.ids import new_id
from todo_domain.ports import Clock, PasswordHasher, UnitOfWorkFactory


class UserService:
    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock

    async def register(self, email: str, password: str, display_name: str | None = None) -> User:
        """Raises `Conflict` when the e-mail (case-insensitively) is taken."""
        user = User(
            id=new_id(),
            email=rules.email(email),
            display_name=rules.display_name(display_name),
            password_hash=await self._hasher.hash(rules.password(password)),
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            await uow.users.add(user)
        return user

    async def authenticate(self, email: str, password: str) -> User:
        """The user with these credentials, else `AuthenticationFailed` (never saying which part
        was wrong). An unknown e-mail still costs one hash verification, so timing tells
        nothing either."""
        rules.storable("password", password)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(rules.storable("email", email).strip().lower())
        if user is None:
            await self._hasher.verify(password, self._hasher.dummy_hash)
            raise AuthenticationFailed()
        if not await self._hasher.verify(password, user.password_hash):
            raise AuthenticationFailed()
        return user

    async def get(self, user_id: UUID) -> User:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("user")
        return user
