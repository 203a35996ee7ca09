"""The ports: what the domain needs from storage, password hashing and time.

Adapters implement these Protocols; nothing here knows which adapter runs.
"""

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from todo_domain.entities import (
    ListAccess,
    LoginAttempt,
    Member,
    Membership,
    Role,
    Session,
    Todo,
    TodoAccess,
    TodoList,
    User,
)
from todo_domain.query import Page, PageRequest, Sort, TodoFilter


class TodoRepository(Protocol):
    """Todos, always seen through a member of their list: to anyone else a todo does not exist
    here. Who may change what is the domain's policy (`todo_domain.sharing`); the repository
    stores what the service decided."""

    async def add(self, todo: Todo) -> None:
        """Raises `Conflict` when the id is taken and `NotFound` when the list is gone."""
        ...

    async def get(self, user_id: UUID, todo_id: UUID) -> TodoAccess | None:
        """The todo and `user_id`'s role in its list (one lookup); None for a missing todo and
        for a todo in a list the user is no member of."""
        ...

    async def list(
        self, user_id: UUID, filter: TodoFilter, sort: Sort, page: PageRequest
    ) -> Page[Todo]:
        """The todos of every list `user_id` is a member of (or of `filter.list_id` only),
        matching `filter`, in `sort` order, keyset paged."""
        ...

    async def update(self, todo: Todo, expected_version: int) -> None:
        """Store `todo` (in `todo.list_id`: a move when that changed) if the stored one still
        has `expected_version` (a compare-and-set).

        Raises `VersionConflict` when it moved on, `NotFound` when it (or the list it is moved
        into) is gone.
        """
        ...

    async def delete(self, list_id: UUID, todo_id: UUID) -> bool:
        """True when the todo was deleted, False when there was none in that list."""
        ...


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Raises `Conflict` when the (normalised) e-mail is taken."""
        ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None: ...

    async def update(self, user: User, *, expected_version: int) -> None:
        """Store `user`'s display name, password hash, credentials version and version if the
        stored user still has `expected_version` (a compare-and-set; the e-mail and creation
        time never change).

        Raises `VersionConflict` when it moved on and `NotFound` when the user is gone.
        """
        ...

    async def delete(self, user_id: UUID) -> bool:
        """True when the user was deleted, with their Inbox (and its todos), their memberships
        and their ended sessions; False when there was none. The lists they belonged to stay:
        deciding what becomes of them is the use case's (`AccountService.delete`)."""
        ...

    async def hold(self, user_id: UUID) -> User | None:
        """As `get`, read inside the transaction and held until this unit of work ends: a
        change or deletion of the user by another unit of work, and a membership added for
        them, cannot take effect before this one ends (it waits, or this unit of work fails
        to commit with `VersionConflict`, when the user changed or gained a membership, or
        `NotFound`, when the user is gone). So a walk over the user's memberships misses
        none."""
        ...


class TodoListRepository(Protocol):
    """Lists, as stored; who may see one is the `MembershipRepository`'s to say."""

    async def add(self, todo_list: TodoList) -> None:
        """Raises `Conflict` when the id is taken, or when the list is an Inbox and its user
        has one already (or does not exist)."""
        ...

    async def get(self, list_id: UUID) -> TodoList | None: ...

    async def list_for(
        self, user_id: UUID, page: PageRequest, role: Role | None = None
    ) -> Page[ListAccess]:
        """The lists `user_id` is a member of (in `role` only, if given), with that role, by
        name (code point by code point), ties by id; keyset pages (`ListCursor`)."""
        ...

    async def update(self, todo_list: TodoList, expected_version: int) -> None:
        """Store `todo_list` if the stored one still has `expected_version` (a compare-and-set).

        Raises `VersionConflict` when it moved on and `NotFound` when it is gone.
        """
        ...

    async def delete(self, list_id: UUID) -> bool:
        """True when a list was deleted (its memberships and todos with it), False when there
        was none."""
        ...


class MembershipRepository(Protocol):
    """Who belongs to which list, in which role. A member is a registered user of a stored
    list."""

    async def add(self, membership: Membership) -> None:
        """Raises `Conflict` when the user is a member of the list already (in any role), or
        when the list or the user does not exist."""
        ...

    async def role_of(self, list_id: UUID, user_id: UUID) -> Role | None:
        """The user's role in the list; None for a non-member (or a list that does not exist)."""
        ...

    async def hold(self, list_id: UUID, user_id: UUID) -> Role | None:
        """As `role_of`, read inside the transaction and held until this unit of work ends:
        a change or removal of the membership by another unit of work cannot take effect
        before this one's writes (it waits, or this unit of work fails to commit). Writes
        that act on a role hold it, so nobody writes after their removal was acknowledged."""
        ...

    async def members(self, list_id: UUID) -> list[Member]:
        """Every member of the list, by e-mail."""
        ...

    async def change_role(self, list_id: UUID, user_id: UUID, role: Role) -> None:
        """Raises `NotFound` when the user is no member of the list."""
        ...

    async def remove(self, list_id: UUID, user_id: UUID) -> bool:
        """True when a membership was removed, False when there was none."""
        ...

    async def count_owners(self, list_id: UUID) -> int: ...

    async def of_user(self, user_id: UUID) -> list[Membership]:
        """Every membership of the user (their Inbox's too), by list id."""
        ...


class LoginFailureRepository(Protocol):
    """Failed password checks, by client address and account, for the `LoginThrottle`."""

    async def add(self, attempt: LoginAttempt, at: datetime) -> None: ...

    async def latest(
        self,
        since: datetime,
        limit: int,
        *,
        address: str | None = None,
        account: str | None = None,
    ) -> list[datetime]:
        """When the newest failures after `since` happened, newest first, at most `limit`:
        those of `address`, of `account`, or of both together (every failure without
        either)."""
        ...

    async def clear(self, attempt: LoginAttempt) -> None:
        """Forgets every failure of the attempt's address on its account."""
        ...

    async def withdraw(self, attempt: LoginAttempt, at: datetime) -> None:
        """Forgets the failure of `attempt` recorded `at` (if any): one that never happened."""
        ...

    async def prune(self, before: datetime) -> None:
        """Forgets every failure older than `before`."""
        ...


class SessionRepository(Protocol):
    """Which tokens are still good: a token is current while its user exists with the
    credentials version it was issued under and it was not ended."""

    async def end(self, session: Session) -> None:
        """The token is refused from now on, until `session.expires_at` (when it expires
        anyway). Ending it again changes nothing. Raises `NotFound` when the user is gone."""
        ...

    async def is_current(self, session: Session) -> bool:
        """True iff the user exists with exactly `session.credentials_version` and the token
        was not ended."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forgets the ended tokens that expired before `before`; how many."""
        ...


class UnitOfWork(Protocol):
    """One transaction: commits when the block exits cleanly, rolls back when it raises.

    Until it commits, its changes are invisible to every other unit of work.
    """

    # Read-only in the protocol, so an adapter may expose its own repository classes
    # (a plain mutable attribute would be invariant and reject them).
    @property
    def todos(self) -> TodoRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def lists(self) -> TodoListRepository: ...

    @property
    def memberships(self) -> MembershipRepository: ...

    @property
    def login_failures(self) -> LoginFailureRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
"""Makes a fresh unit of work; each service call opens its own."""


class PasswordHasher(Protocol):
    """Async because a good hash is slow on purpose: adapters keep it off the event loop."""

    async def hash(self, password: str) -> str:
        """Raises `Overloaded` when too many hashes are under way to wait for one."""
        ...

    async def verify(self, password: str, password_hash: str) -> bool: ...

    @property
    def dummy_hash(self) -> str:
        """A valid hash of an unguessable password: verifying against it costs what a real
        check costs, so an unknown e-mail takes as long as a wrong password."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...
