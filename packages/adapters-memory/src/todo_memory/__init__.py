"""In-memory adapter: the domain's ports over dicts, with the semantics of the SQL adapter."""

from todo_memory.repositories import (
    MemoryLoginFailureRepository,
    MemoryMembershipRepository,
    MemorySessionRepository,
    MemoryTodoListRepository,
    MemoryTodoRepository,
    MemoryUserRepository,
)
from todo_memory.store import MemoryStore
from todo_memory.unit_of_work import MemoryUnitOfWork, MemoryUnitOfWorkFactory

__all__ = [
    "MemoryLoginFailureRepository",
    "MemoryMembershipRepository",
    "MemorySessionRepository",
    "MemoryStore",
    "MemoryTodoListRepository",
    "MemoryTodoRepository",
    "MemoryUnitOfWork",
    "MemoryUnitOfWorkFactory",
    "MemoryUserRepository",
]
