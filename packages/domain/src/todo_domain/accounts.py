"""Account use cases of a signed-in user: the profile, the password, signing out and deleting
the account. A password the user must give again (to change it, to delete the account) is
checked as a login's is: counted by the same `LoginThrottle`."""

import dataclasses
from datetime import datetime, timedelta
from uuid import UUID

from todo_domain import rules
from todo_domain.entities import LoginAttempt, Membership, Role, Session, User
from todo_domain.errors import AuthenticationFailed, NotFound, VersionConflict
from todo_domain.lists import store_change
from todo_domain.ports import Clock, PasswordHasher, UnitOfWork, UnitOfWorkFactory
from todo_domain.races import retrying
from todo_domain.throttle import LoginThrottle
from todo_domain.users import check_password

PRUNE_EVERY = timedelta(minutes=1)
"""How often a process forgets ended tokens that expired (the table holds at most the tokens
ended within a token lifetime, plus this much)."""

KEPT_AFTER_EXPIRY = timedelta(hours=1)
"""How long an ended token is remembered after it expired: a host whose clock runs behind
still takes it for unexpired meanwhile, and must still refuse it."""


class AccountService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Clock,
        throttle: LoginThrottle,
    ) -> None:
        """`throttle`: the one `UserService` logs in with, so that a wrong password counts
        the same wherever it was given."""
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._throttle = throttle
        self._next_prune: datetime | None = None

    async def rename(
        self, user_id: UUID, display_name: str | None, expected_version: int | None = None
    ) -> User:
        """The display name, under registration's rule (None or blank clears it). With
        `expected_version`, only if the user is still at that version (else
        `VersionConflict`); without it the last writer wins."""
        name = rules.display_name(display_name)
        return await retrying(
            lambda: self._rename_once(user_id, name, expected_version),
            retry=expected_version is None,
        )

    async def change_password(
        self, user_id: UUID, current_password: str, new_password: str, *, address: str
    ) -> User:
        """The stored user with the new password and the next credentials version, so every
        token issued before stops being current. `current_password` is checked as a login's
        (`AuthenticationFailed`, `TooManyAttempts`); `new_password` follows registration's
        rule, checked first."""
        new_password = rules.password(new_password)
        proven = await self._prove(user_id, current_password, address)
        password_hash = await self._hasher.hash(new_password)
        return await retrying(
            lambda: self._store_password(proven, password_hash), lost=(VersionConflict, NotFound)
        )

    async def delete(self, user_id: UUID, password: str, *, address: str) -> None:
        """The account, in one unit of work: the lists the user alone owns (their Inbox
        among them) go with their todos, tags and other members; their memberships in the
        other lists end, and each of those lists moves to its next version, as for any change
        of members (a list they co-own stays with its other owners). `password` is checked as
        a login's."""
        proven = await self._prove(user_id, password, address)
        await retrying(lambda: self._delete_once(proven), lost=(VersionConflict, NotFound))

    async def sign_out(self, session: Session) -> None:
        """The session's token is refused from now on, everywhere (the user's other tokens
        stay good). A session of a deleted account has nothing left to end."""
        now = self._clock.now()
        prune = self._next_prune is None or now >= self._next_prune
        try:
            async with self._uow() as uow:
                await uow.sessions.end(session)
                if prune:
                    await uow.sessions.prune(now - KEPT_AFTER_EXPIRY)
        except NotFound:
            return  # the account is gone, and its tokens with it
        if prune:
            self._next_prune = now + PRUNE_EVERY

    async def is_current(self, session: Session) -> bool:
        """Whether the token still stands for its user: the account exists, its password is
        still the one the token was issued under, and the token was not signed out."""
        async with self._uow() as uow:
            return await uow.sessions.is_current(session)

    # --- one attempt each ----------------------------------------------------------------
    async def _prove(self, user_id: UUID, password: str, address: str) -> User:
        """The user, if `password` is theirs, checked as a login is; a user deleted meanwhile
        costs the same hash verification, and fails the same."""
        rules.storable("password", password)
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
        # A deleted account has no e-mail address left: its id stands for it, so the
        # address's limits still count.
        attempt = LoginAttempt.of(address, str(user_id) if user is None else user.email)

        async def found() -> User | None:
            return user

        return await check_password(self._throttle, self._hasher, attempt, password, found)

    async def _rename_once(
        self, user_id: UUID, name: str | None, expected_version: int | None
    ) -> User:
        async with self._uow() as uow:
            current = await uow.users.get(user_id)
            if current is None:
                raise NotFound("user")
            if expected_version is not None and current.version != expected_version:
                raise VersionConflict(expected_version, current.version)
            if current.display_name == name:
                return current
            renamed = dataclasses.replace(current, display_name=name, version=current.version + 1)
            await uow.users.update(renamed, expected_version=current.version)
        return renamed

    async def _store_password(self, proven: User, password_hash: str) -> User:
        async with self._uow() as uow:
            current = await _held(uow, proven)
            changed = dataclasses.replace(
                current,
                password_hash=password_hash,
                credentials_version=current.credentials_version + 1,
                version=current.version + 1,
            )
            await uow.users.update(changed, expected_version=current.version)
        return changed

    async def _delete_once(self, proven: User) -> None:
        async with self._uow() as uow:
            await _held(uow, proven)  # no membership can be added for them meanwhile
            for membership in await uow.memberships.of_user(proven.id):
                await self._end_membership(uow, membership)
            await uow.users.delete(proven.id)

    async def _end_membership(self, uow: UnitOfWork, membership: Membership) -> None:
        """The list goes when its last owner does; else only the membership, as a change of
        the list's members (its next version, by compare-and-set: so a co-owner who leaves at
        the same time cannot leave it without an owner; one of the two tries again)."""
        list_id = membership.list_id
        todo_list = await uow.lists.get(list_id)
        if todo_list is None:  # deleted meanwhile, with the membership
            return
        if membership.role is Role.OWNER and await uow.memberships.count_owners(list_id) == 1:
            await uow.lists.delete(list_id)
            return
        await uow.memberships.remove(list_id, membership.user_id)
        await store_change(uow, todo_list, todo_list, self._clock.now())


async def _held(uow: UnitOfWork, proven: User) -> User:
    """The user, held for the rest of the unit of work, as long as the password proven is
    still theirs (a user deleted, or whose password changed, since: `AuthenticationFailed`)."""
    current = await uow.users.hold(proven.id)
    if current is None or current.password_hash != proven.password_hash:
        raise AuthenticationFailed()
    return current
