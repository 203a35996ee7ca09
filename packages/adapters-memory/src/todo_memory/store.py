"""The committed state of one process, shared by its units of work."""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from todo_domain import LoginAttempt, Membership, Todo, TodoList, User

MemberKey = tuple[UUID, UUID]  # (list id, user id), the SQL table's primary key


@dataclass(frozen=True, slots=True)
class LoginFailure:
    attempt: LoginAttempt
    at: datetime


@dataclass(frozen=True, slots=True)
class EndedSession:
    """A signed-out token, remembered until it expires (the SQL table `ended_sessions`)."""

    user_id: UUID
    expires_at: datetime


EndedSessions = dict[str, EndedSession]  # by the token's id


@dataclass
class MemoryStore:
    todos: dict[UUID, Todo] = field(default_factory=dict)
    users: dict[UUID, User] = field(default_factory=dict)
    user_ids_by_email: dict[str, UUID] = field(default_factory=dict)
    login_failures: list[LoginFailure] = field(default_factory=list)
    lists: dict[UUID, TodoList] = field(default_factory=dict)
    memberships: dict[MemberKey, Membership] = field(default_factory=dict)
    ended_sessions: EndedSessions = field(default_factory=dict)
