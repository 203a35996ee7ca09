"""Repositories over a `Transaction`, with the filtering, sorting and paging of the SQL adapter."""

from datetime import datetime
from uuid import UUID

from todo_domain import (
    Conflict,
    LoginAttempt,
    NotFound,
    Page,
    PageRequest,
    Sort,
    Todo,
    TodoFilter,
    User,
    VersionConflict,
    page_of_todos,
)
from todo_memory.ordering import comes_after, sort_todos
from todo_memory.store import LoginFailure
from todo_memory.transaction import Transaction


class MemoryTodoRepository:
    def __init__(self, transaction: Transaction) -> None:
        self._tx = transaction

    async def add(self, todo: Todo) -> None:
        if self._tx.todo(todo.id) is not None:  # as the SQL primary key: never overwrite
            raise Conflict("todo already exists")
        # as the SQL foreign key to users (and its message); users are never removed, so an
        # owner visible now is still there at commit
        if self._tx.user(todo.owner_id) is None:
            raise Conflict("todo conflicts with stored data")
        self._tx.put_todo(todo)

    async def get(self, owner_id: UUID, todo_id: UUID) -> Todo | None:
        todo = self._tx.todo(todo_id)
        return todo if todo is not None and todo.owner_id == owner_id else None

    async def list(
        self, owner_id: UUID, filter: TodoFilter, sort: Sort, page: PageRequest
    ) -> Page[Todo]:
        after = page.position(sort)
        matching = [
            todo
            for todo in self._tx.all_todos()
            if todo.owner_id == owner_id
            and filter.matches(todo)
            and (after is None or comes_after(todo, after))
        ]
        return page_of_todos(sort_todos(matching, sort)[: page.limit + 1], page, sort)

    async def update(self, todo: Todo, expected_version: int) -> None:
        current = await self.get(todo.owner_id, todo.id)
        if current is None:
            raise NotFound("todo")
        if current.version != expected_version:
            raise VersionConflict(expected_version, current.version)
        self._tx.put_todo(todo)

    async def delete(self, owner_id: UUID, todo_id: UUID) -> bool:
        if await self.get(owner_id, todo_id) is None:
            return False
        self._tx.delete_todo(todo_id)
        return True


class MemoryUserRepository:
    def __init__(self, transaction: Transaction) -> None:
        self._tx = transaction

    async def add(self, user: User) -> None:
        self._tx.add_user(user)

    async def get(self, user_id: UUID) -> User | None:
        return self._tx.user(user_id)

    async def get_by_email(self, email: str) -> User | None:
        return self._tx.user_by_email(email)


class MemoryLoginFailureRepository:
    def __init__(self, transaction: Transaction) -> None:
        self._tx = transaction

    async def add(self, attempt: LoginAttempt, at: datetime) -> None:
        failure = LoginFailure(attempt, at)
        self._tx.change_login_failures(lambda failures: [*failures, failure])

    async def latest(
        self,
        since: datetime,
        limit: int,
        *,
        address: str | None = None,
        account: str | None = None,
    ) -> list[datetime]:
        times = [
            failure.at
            for failure in self._tx.login_failures()
            if failure.at > since
            and address in (None, failure.attempt.address)
            and account in (None, failure.attempt.account)
        ]
        return sorted(times, reverse=True)[:limit]

    async def clear(self, attempt: LoginAttempt) -> None:
        self._tx.change_login_failures(
            lambda failures: [failure for failure in failures if failure.attempt != attempt]
        )

    async def withdraw(self, attempt: LoginAttempt, at: datetime) -> None:
        withdrawn = LoginFailure(attempt, at)
        self._tx.change_login_failures(
            lambda failures: [failure for failure in failures if failure != withdrawn]
        )

    async def prune(self, before: datetime) -> None:
        self._tx.change_login_failures(
            lambda failures: [failure for failure in failures if failure.at >= before]
        )
