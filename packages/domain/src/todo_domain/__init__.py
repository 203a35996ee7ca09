"""The Todo domain: entities, rules, ports and use cases. Standard library only."""

from todo_domain.changes import UNSET, NewTodo, TodoChanges, Unset
from todo_domain.clock import SystemClock
from todo_domain.entities import Priority, Status, Todo, User
from todo_domain.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    StorageBusy,
    StorageUnavailable,
    VersionConflict,
)
from todo_domain.ids import new_id
from todo_domain.ports import (
    Clock,
    PasswordHasher,
    TodoRepository,
    UnitOfWork,
    UnitOfWorkFactory,
    UserRepository,
)
from todo_domain.query import (
    LIMIT_DEFAULT,
    LIMIT_MAX,
    Cursor,
    Page,
    PageRequest,
    Sort,
    SortKey,
    SortValue,
    TodoFilter,
    page_of_todos,
)
from todo_domain.todos import TodoService
from todo_domain.users import UserService

__all__ = [
    "LIMIT_DEFAULT",
    "LIMIT_MAX",
    "UNSET",
    "AuthenticationFailed",
    "Clock",
    "Conflict",
    "Cursor",
    "DomainError",
    "InvalidInput",
    "NewTodo",
    "NotFound",
    "Page",
    "PageRequest",
    "PasswordHasher",
    "Priority",
    "Sort",
    "SortKey",
    "SortValue",
    "Status",
    "StorageBusy",
    "StorageUnavailable",
    "SystemClock",
    "Todo",
    "TodoChanges",
    "TodoFilter",
    "TodoRepository",
    "TodoService",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "Unset",
    "User",
    "UserRepository",
    "UserService",
    "VersionConflict",
    "new_id",
    "page_of_todos",
]
