"""Entities and value objects. Frozen: a change is a new value, so nothing mutates behind a port."""

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from todo_domain import rules


class Status(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """Sort order: low < normal < high (the names alone would sort wrongly)."""
        return _PRIORITY_RANK[self]

    @classmethod
    def from_rank(cls, rank: int) -> "Priority":
        return _PRIORITY_BY_RANK[rank]


_PRIORITY_RANK = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3}
_PRIORITY_BY_RANK = {rank: priority for priority, rank in _PRIORITY_RANK.items()}


@dataclass(frozen=True, slots=True)
class User:
    id: UUID
    email: str
    password_hash: str
    created_at: datetime
    display_name: str | None = None
    version: int = 1  # every stored change of the user (profile, password) is a new one
    credentials_version: int = 1  # a password change is a new one: older tokens stop working


@dataclass(frozen=True, slots=True)
class Session:
    """What a bearer token stands for: the user, the token's own id (`jti`), the credentials
    it was issued under, and when it expires (UTC). It is current while the user's
    credentials are still those and the token was not ended (signed out)."""

    user_id: UUID
    token_id: str
    credentials_version: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Todo:
    """A todo of one list: the list decides who sees it and who may change it."""

    id: UUID
    list_id: UUID
    title: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    status: Status = Status.OPEN
    priority: Priority = Priority.NORMAL
    due_date: date | None = None
    tags: tuple[str, ...] = field(default=())
    completed_at: datetime | None = None
    version: int = 1


class Role(enum.StrEnum):
    """What a member may do with a list (the table of `todo_domain.sharing.ALLOWED`)."""

    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


INBOX_NAME = "Inbox"


def inbox_id(user_id: UUID) -> UUID:
    """The id of a user's Inbox: the user's own. So the Inbox is found without a lookup, and
    every todo stored before there were lists is in its owner's Inbox by its owner's id."""
    return user_id


@dataclass(frozen=True, slots=True)
class TodoList:
    """A list of todos, seen by its members. `inbox_of` names the user whose Inbox it is: that
    list is private, keeps its name, lives as long as the account and has the id
    `inbox_id(inbox_of)`."""

    id: UUID
    name: str
    created_at: datetime
    updated_at: datetime
    inbox_of: UUID | None = None
    version: int = 1

    @property
    def is_inbox(self) -> bool:
        return self.inbox_of is not None


@dataclass(frozen=True, slots=True)
class Membership:
    list_id: UUID
    user_id: UUID
    role: Role


@dataclass(frozen=True, slots=True)
class Member:
    """A member of a list as the other members see them."""

    user_id: UUID
    email: str
    display_name: str | None
    role: Role


@dataclass(frozen=True, slots=True)
class ListAccess:
    """A list as one of its members sees it: the list, and the member's role in it."""

    todo_list: TodoList
    role: Role


@dataclass(frozen=True, slots=True)
class TodoAccess:
    """A todo as a member of its list sees it: the todo, and the member's role in the list."""

    todo: Todo
    role: Role


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """Who checks a password: the client's address and the account (normalised e-mail)."""

    address: str
    account: str

    @classmethod
    def of(cls, address: str, email: str) -> "LoginAttempt":
        """Normalised and cut to what is stored: the account as the user lookup sees it."""
        return cls(address[: rules.ADDRESS_MAX], email.strip().lower()[: rules.EMAIL_MAX])
