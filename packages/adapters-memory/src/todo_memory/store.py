"""The committed state of one process, shared by its units of work."""

from dataclasses import dataclass, field
from uuid import UUID

from todo_domain import Todo, User


@dataclass
class MemoryStore:
    todos: dict[UUID, Todo] = field(default_factory=dict)
    users: dict[UUID, User] = field(default_factory=dict)
    user_ids_by_email: dict[str, UUID] = field(default_factory=dict)
