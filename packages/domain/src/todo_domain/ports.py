"""The ports: what the domain needs from storage, password hashing and time.

Adapters implement these Protocols; nothing here knows which adapter runs.
"""

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from todo_domain.entities import LoginAttempt, Membership, Role, Todo, TodoList, User
from todo_domain.query import Page, PageRequest, Sort, TodoFilter


class TodoRepository(Protocol):
    """Todos, always seen through their owner: another owner's todo does not exist here."""

    async def add(self, todo: Todo) -> None: ...

    async def get(self, owner_id: UUID, todo_id: UUID) -> Todo | None: ...

    async def list(
        self, owner_id: UUID, filter: TodoFilter, sort: Sort, page: PageRequest
    ) -> Page[Todo]: ...

    async def update(self, todo: Todo, expected_version: int) -> None:
        """Store `todo` if the stored one still has `expected_version` (a compare-and-set).

        Raises `VersionConflict` when it moved on and `NotFound` when it is gone.
        """
        ...

    async def delete(self, owner_id: UUID, todo_id: UUID) -> bool:
        """True when a todo was deleted, False when there was none."""
        ...


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Raises `Conflict` when the (normalised) e-mail is taken."""
        ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None: ...


class TodoListRepository(Protocol):
    """Lists, as stored; who may see one is the `MembershipRepository`'s to say."""

    async def add(self, todo_list: TodoList) -> None:
        """Raises `Conflict` when the id is taken, or when the list is an Inbox and its user
        has one already."""
        ...

    async def get(self, list_id: UUID) -> TodoList | None: ...

    async def list_for(self, user_id: UUID, page: PageRequest) -> Page[TodoList]:
        """The lists `user_id` is a member of, by name (code point by code point), ties by id;
        keyset pages (`ListCursor`)."""
        ...

    async def update(self, todo_list: TodoList, expected_version: int) -> None:
        """Store `todo_list` if the stored one still has `expected_version` (a compare-and-set).

        Raises `VersionConflict` when it moved on and `NotFound` when it is gone.
        """
        ...

    async def delete(self, list_id: UUID) -> bool:
        """True when a list was deleted (and its memberships with it), False when there was
        none."""
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

    async def members(self, list_id: UUID) -> list[Membership]:
        """Every member of the list, by user id."""
        ...

    async def change_role(self, list_id: UUID, user_id: UUID, role: Role) -> None:
        """Raises `NotFound` when the user is no member of the list."""
        ...

    async def remove(self, list_id: UUID, user_id: UUID) -> bool:
        """True when a membership was removed, False when there was none."""
        ...

    async def count_owners(self, list_id: UUID) -> int: ...


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
    def login_failures(self) -> LoginFailureRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
"""Makes a fresh unit of work; each service call opens its own."""


class SharingUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that also stores shared lists. Apart from `UnitOfWork` only while not
    every adapter stores lists yet (the memory adapter does); it folds into it once they do."""

    @property
    def lists(self) -> TodoListRepository: ...

    @property
    def memberships(self) -> MembershipRepository: ...


SharingUnitOfWorkFactory = Callable[[], SharingUnitOfWork]


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
