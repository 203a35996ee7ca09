"""The repository ports over SQLAlchemy Core, with the semantics of the memory adapter."""

from datetime import datetime
from typing import TYPE_CHECKING, Any
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
    new_id,
    page_of_todos,
)
from todo_sql import statements as sql
from todo_sql.errors import domain_errors
from todo_sql.mapping import (
    tag_values,
    todo_from_row,
    todo_tag_values,
    todo_values,
    user_from_row,
    user_values,
)

if TYPE_CHECKING:
    from todo_sql.unit_of_work import SqlUnitOfWork


class SqlTodoRepository:
    def __init__(self, uow: "SqlUnitOfWork") -> None:
        self._uow = uow

    async def add(self, todo: Todo) -> None:
        uow = self._uow
        with domain_errors("todo conflicts with stored data"):
            result = await uow.write(sql.INSERT_TODO[uow.dialect], todo_values(todo))
            if result.rowcount == 0:
                raise Conflict("todo already exists")
            await _insert_tags(uow, todo)

    async def get(self, list_id: UUID, todo_id: UUID) -> Todo | None:
        rows = await self._uow.read(sql.GET_TODO, {"todo_id": todo_id, "list_id": list_id})
        if not rows:
            return None
        names = tuple(row[-1] for row in rows if row[-1] is not None)
        return todo_from_row(rows[0][:-1], names)

    async def list(
        self, list_id: UUID, filter: TodoFilter, sort: Sort, page: PageRequest
    ) -> Page[Todo]:
        after = page.position(sort)
        params: dict[str, Any] = {"list_id": list_id, "limit": page.limit + 1}
        filters: set[sql.Filter] = set()
        if filter.status is not None:
            filters.add(sql.Filter.STATUS)
            params["status"] = filter.status.value
        if filter.priority is not None:
            filters.add(sql.Filter.PRIORITY)
            params["priority"] = filter.priority.rank
        if filter.tag is not None:
            filters.add(sql.Filter.TAG)
            params["tag"] = filter.tag.lower()
        if filter.due_before is not None:
            filters.add(sql.Filter.DUE_BEFORE)
            params["due_before"] = filter.due_before
        if filter.due_after is not None:
            filters.add(sql.Filter.DUE_AFTER)
            params["due_after"] = filter.due_after
        if filter.text is not None:
            filters.add(sql.Filter.TEXT)
            params["pattern"] = sql.like_pattern(filter.text)
        if after is None:
            kind = sql.CursorKind.NONE
        else:
            kind = sql.CursorKind.NULL if after.value is None else sql.CursorKind.VALUE
            value = after.value
            params["cursor_value"] = getattr(value, "rank", value)  # a Priority is its rank
            params["cursor_id"] = after.id
        inline = self._uow.dialect == "postgresql"  # tag names as an array column
        statement = sql.list_todos(sort.key, sort.descending, kind, frozenset(filters), inline)

        rows = await self._uow.read(statement, params)
        shown = rows[: page.limit]  # a further row only says that there is a next page
        if inline:
            todos = [todo_from_row(row[:-1], tuple(row[-1] or ())) for row in shown]
        else:
            names: dict[UUID, list[str]] = {}
            if shown:
                tag_rows = await self._uow.read(
                    sql.TAGS_OF_TODOS, {"todo_ids": [r[0] for r in shown]}
                )
                for todo_id, name in tag_rows:
                    names.setdefault(todo_id, []).append(name)
            todos = [todo_from_row(row, tuple(names.get(row[0], ()))) for row in shown]
        if len(rows) > page.limit:
            last = rows[-1][: len(sql.TODO_COLUMNS)]
            todos.append(todo_from_row(last, ()))  # tells page_of_todos there is more
        return page_of_todos(todos, page, sort)

    async def update(self, todo: Todo, expected_version: int) -> None:
        uow = self._uow
        with domain_errors("todo conflicts with stored data"):
            values = todo_values(todo)
            del values["id"], values["list_id"]
            result = await uow.write(
                sql.UPDATE_TODO,
                {
                    **values,
                    "b_id": todo.id,
                    "b_list_id": todo.list_id,
                    "b_expected_version": expected_version,
                },
            )
            if result.rowcount != 1:
                versions = await uow.write(
                    sql.VERSION_OF_TODO, {"todo_id": todo.id, "list_id": todo.list_id}
                )
                current = versions.scalar()
                if current is None:
                    raise NotFound("todo")
                raise VersionConflict(expected_version, current)
            await uow.write(sql.DELETE_TAGS_OF_TODO, {"todo_id": todo.id})
            await _insert_tags(uow, todo)

    async def delete(self, list_id: UUID, todo_id: UUID) -> bool:
        with domain_errors("todo is still referenced"):
            result = await self._uow.write(
                sql.DELETE_TODO, {"todo_id": todo_id, "list_id": list_id}
            )
        return bool(result.rowcount)


async def _insert_tags(uow: "SqlUnitOfWork", todo: Todo) -> None:
    if todo.tags:
        await uow.write(sql.INSERT_TAGS[uow.dialect], tag_values(todo))
        await uow.write(sql.INSERT_TODO_TAGS, todo_tag_values(todo))


class SqlUserRepository:
    def __init__(self, uow: "SqlUnitOfWork") -> None:
        self._uow = uow

    async def add(self, user: User) -> None:
        with domain_errors("e-mail already registered"):
            result = await self._uow.write(sql.INSERT_USER[self._uow.dialect], user_values(user))
        if result.rowcount == 0:
            raise Conflict("e-mail already registered")

    async def get(self, user_id: UUID) -> User | None:
        rows = await self._uow.read(sql.GET_USER, {"user_id": user_id})
        return user_from_row(rows[0]) if rows else None

    async def get_by_email(self, email: str) -> User | None:
        rows = await self._uow.read(sql.GET_USER_BY_EMAIL, {"email": email})
        return user_from_row(rows[0]) if rows else None


class SqlLoginFailureRepository:
    def __init__(self, uow: "SqlUnitOfWork") -> None:
        self._uow = uow

    async def add(self, attempt: LoginAttempt, at: datetime) -> None:
        values = {
            "id": new_id(),
            "address": attempt.address,
            "account": attempt.account,
            "failed_at": at,
        }
        await self._uow.write(sql.INSERT_LOGIN_FAILURE, values)

    async def latest(
        self,
        since: datetime,
        limit: int,
        *,
        address: str | None = None,
        account: str | None = None,
    ) -> list[datetime]:
        statement = sql.latest_login_failures(address is not None, account is not None)
        params: dict[str, Any] = {"since": since, "limit": limit}
        if address is not None:
            params["address"] = address
        if account is not None:
            params["account"] = account
        return [row[0] for row in await self._uow.read(statement, params)]

    async def clear(self, attempt: LoginAttempt) -> None:
        params = {"address": attempt.address, "account": attempt.account}
        await self._uow.write(sql.CLEAR_LOGIN_FAILURES, params)

    async def withdraw(self, attempt: LoginAttempt, at: datetime) -> None:
        params = {"address": attempt.address, "account": attempt.account, "at": at}
        await self._uow.write(sql.WITHDRAW_LOGIN_FAILURE, params)

    async def prune(self, before: datetime) -> None:
        await self._uow.write(sql.PRUNE_LOGIN_FAILURES, {"before": before})
