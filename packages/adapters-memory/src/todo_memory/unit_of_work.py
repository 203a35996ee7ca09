from types import TracebackType
from typing import Self

from todo_memory.repositories import (
    MemoryLoginFailureRepository,
    MemoryMembershipRepository,
    MemorySessionRepository,
    MemoryTodoListRepository,
    MemoryTodoRepository,
    MemoryUserRepository,
)
from todo_memory.store import MemoryStore
from todo_memory.transaction import Transaction


class MemoryUnitOfWork:
    """Commits on clean exit, rolls back when the block raises (the `UnitOfWork` port)."""

    def __init__(self, store: MemoryStore) -> None:
        self._tx = Transaction(store)
        self.todos = MemoryTodoRepository(self._tx)
        self.users = MemoryUserRepository(self._tx)
        self.login_failures = MemoryLoginFailureRepository(self._tx)
        self.lists = MemoryTodoListRepository(self._tx)
        self.memberships = MemoryMembershipRepository(self._tx)
        self.sessions = MemorySessionRepository(self._tx)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self._tx.commit()
        else:
            self._tx.rollback()


class MemoryUnitOfWorkFactory:
    """Units of work over one shared store (the `UnitOfWorkFactory` port)."""

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store if store is not None else MemoryStore()

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store)
