"""The repository ports over SQLAlchemy Core, with the semantics of the memory adapter."""

from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn
from uuid import UUID

from sqlalchemy import Select

from todo_domain import (
    Conflict,
    ListAccess,
    LoginAttempt,
    Member,
    Membership,
    NotFound,
    Page,
    PageRequest,
    Role,
    Sort,
    Todo,
    TodoAccess,
    TodoFilter,
    TodoList,
    VersionConflict,
    new_id,
    page_of_lists,
    page_of_todos,
)
from todo_sql import statements as sql
from todo_sql.errors import domain_errors
from todo_sql.mapping import (
    list_from_row,
    list_values,
    member_from_row,
    membership_from_row,
    role_from_value,
    tag_values,
    tagging_arrays,
    todo_from_row,
    todo_tag_values,
    todo_values,
)

if TYPE_CHECKING:
    from todo_sql.unit_of_work import SqlUnitOfWork


class SqlTodoRepository:
    def __init__(self, uow: "SqlUnitOfWork") -> None:
        self._uow = uow

    async def add(self, todo: Todo) -> None:
        uow = self._uow
        with domain_errors("todo conflicts with stored data", missing=NotFound("list")):
            result = await uow.write(sql.INSERT_TODO[uow.dialect], todo_values(todo))
            if result.rowcount == 0:
                raise Conflict("todo already exists")
            await _insert_tags(uow, todo)

    async def get(self, user_id: UUID, todo_id: UUID) -> TodoAccess | None:
        rows = await self._uow.read(sql.GET_TODO, {"todo_id": todo_id, "user_id": user_id})
        if not rows:
            return None
        names = tuple(row[-1] for row in rows if row[-1] is not None)
        return TodoAccess(todo_from_row(rows[0][:-2], names), role_from_value(rows[0][-2]))

    async def list(
        self, user_id: UUID, filter: TodoFilter, sort: Sort, page: PageRequest
    ) -> Page[Todo]:
        after = page.position(sort)
        params: dict[str, Any] = {"user_id": user_id, "limit": page.limit + 1}
        filters: set[sql.Filter] = set()
        if filter.list_id is not None:
            filters.add(sql.Filter.LIST_ID)
            params["list_id"] = filter.list_id
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
        postgresql = self._uow.dialect == "postgresql"  # per list, tag names as an array
        statement = sql.list_todos(sort.key, sort.descending, kind, frozenset(filters), postgresql)

        rows = await self._uow.read(statement, params)
        shown = rows[: page.limit]  # a further row only says that there is a next page
        if postgresql:
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
        with domain_errors("todo conflicts with stored data", missing=NotFound("list")):
            values = todo_values(todo)
            del values["id"]
            result = await uow.write(
                sql.UPDATE_TODO,
                {**values, "b_id": todo.id, "b_expected_version": expected_version},
            )
            if result.rowcount != 1:
                await lost_compare_and_set(
                    uow, sql.VERSION_OF_TODO, {"todo_id": todo.id}, expected_version, "todo"
                )
            # The tags again, under the todo's list (another one, after a move).
            await uow.write(sql.DELETE_TAGS_OF_TODO, {"todo_id": todo.id})
            await _insert_tags(uow, todo)

    async def delete(self, list_id: UUID, todo_id: UUID) -> bool:
        with domain_errors("todo is still referenced"):
            result = await self._uow.write(
                sql.DELETE_TODO, {"todo_id": todo_id, "list_id": list_id}
            )
        return bool(result.rowcount)


async def lost_compare_and_set(
    uow: "SqlUnitOfWork",
    version_of: Select[Any],
    params: dict[str, Any],
    expected_version: int,
    what: str,
) -> NoReturn:
    """Why a compare-and-set changed no row: the row is gone (`NotFound`), or at another
    version (`VersionConflict`)."""
    current = (await uow.write(version_of, params)).scalar()
    if current is None:
        raise NotFound(what)
    raise VersionConflict(expected_version, current)


async def _insert_tags(uow: "SqlUnitOfWork", todo: Todo) -> None:
    if not todo.tags:
        return
    if uow.dialect == "postgresql":
        await uow.write(sql.TAG_TODO_FROM_ARRAYS, tagging_arrays(todo))
    else:
        await uow.write(sql.INSERT_TAGS[uow.dialect], tag_values(todo))
        await uow.write(sql.INSERT_TODO_TAGS, todo_tag_values(todo))


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


class SqlTodoListRepository:
    def __init__(self, uow: "SqlUnitOfWork") -> None:
        self._uow = uow

    async def add(self, todo_list: TodoList) -> None:
        uow = self._uow
        # A second Inbox of a user breaks the unique key on `inbox_of`; an Inbox of nobody,
        # its foreign key to users.
        with domain_errors(
            "the user has an Inbox already", missing=Conflict("list conflicts with stored data")
        ):
            result = await uow.write(sql.INSERT_LIST[uow.dialect], list_values(todo_list))
        if result.rowcount == 0:
            raise Conflict("list already exists")

    async def get(self, list_id: UUID) -> TodoList | None:
        rows = await self._uow.read(sql.GET_LIST, {"list_id": list_id})
        return list_from_row(rows[0]) if rows else None

    async def list_for(
        self, user_id: UUID, page: PageRequest, role: Role | None = None
    ) -> Page[ListAccess]:
        after = page.list_position()
        params: dict[str, Any] = {"user_id": user_id, "limit": page.limit + 1}
        if role is not None:
            params["role"] = role.value
        if after is not None:
            params["cursor_name"], params["cursor_id"] = after.key()
        statement = sql.lists_of_user(role is not None, after is not None)
        rows = await self._uow.read(statement, params)
        accesses = [ListAccess(list_from_row(row[:-1]), role_from_value(row[-1])) for row in rows]
        return page_of_lists(accesses, page)

    async def update(self, todo_list: TodoList, expected_version: int) -> None:
        uow = self._uow
        with domain_errors("list conflicts with stored data"):
            values = list_values(todo_list)
            del values["id"]
            result = await uow.write(
                sql.UPDATE_LIST,
                {**values, "b_id": todo_list.id, "b_expected_version": expected_version},
            )
            if result.rowcount != 1:
                params = {"list_id": todo_list.id}
                await lost_compare_and_set(
                    uow, sql.VERSION_OF_LIST, params, expected_version, "list"
                )

    async def delete(self, list_id: UUID) -> bool:
        """The memberships first, then the list (its todos and tags by the cascade). A todo
        write holds its writer's membership before it touches a todo (`hold`): taking the
        memberships first waits for those writes to end, in the order they take their locks,
        where the cascade alone would lock todos first and deadlock with them."""
        params = {"list_id": list_id}
        with domain_errors("list is still referenced"):
            await self._uow.write(sql.DELETE_MEMBERSHIPS_OF_LIST, params)
            result = await self._uow.write(sql.DELETE_LIST, params)
        return bool(result.rowcount)


class SqlMembershipRepository:
    def __init__(self, uow: "SqlUnitOfWork") -> None:
        self._uow = uow

    async def add(self, membership: Membership) -> None:
        uow = self._uow
        values = {
            "list_id": membership.list_id,
            "user_id": membership.user_id,
            "role": membership.role.value,
        }
        with domain_errors(
            "already a member of the list",
            missing=Conflict("membership conflicts with stored data"),
        ):
            result = await uow.write(sql.INSERT_MEMBERSHIP[uow.dialect], values)
        if result.rowcount == 0:
            raise Conflict("already a member of the list")

    async def role_of(self, list_id: UUID, user_id: UUID) -> Role | None:
        rows = await self._uow.read(sql.ROLE_OF, {"list_id": list_id, "user_id": user_id})
        return role_from_value(rows[0][0]) if rows else None

    async def hold(self, list_id: UUID, user_id: UUID) -> Role | None:
        uow = self._uow
        with domain_errors("membership conflicts with stored data"):
            await uow.begin_writing()
            result = await uow.write(sql.HOLD_ROLE, {"list_id": list_id, "user_id": user_id})
        value = result.scalar()
        return None if value is None else role_from_value(value)

    async def members(self, list_id: UUID) -> list[Member]:
        rows = await self._uow.read(sql.MEMBERS, {"list_id": list_id})
        return [member_from_row(row) for row in rows]

    async def change_role(self, list_id: UUID, user_id: UUID, role: Role) -> None:
        with domain_errors("membership conflicts with stored data"):
            result = await self._uow.write(
                sql.CHANGE_ROLE, {"b_list_id": list_id, "b_user_id": user_id, "role": role.value}
            )
        if result.rowcount == 0:
            raise NotFound("member")

    async def remove(self, list_id: UUID, user_id: UUID) -> bool:
        with domain_errors("membership is still referenced"):
            result = await self._uow.write(
                sql.REMOVE_MEMBERSHIP, {"list_id": list_id, "user_id": user_id}
            )
        return bool(result.rowcount)

    async def count_owners(self, list_id: UUID) -> int:
        rows = await self._uow.read(sql.COUNT_OWNERS, {"list_id": list_id})
        return int(rows[0][0])

    async def of_user(self, user_id: UUID) -> list[Membership]:
        rows = await self._uow.read(sql.MEMBERSHIPS_OF_USER, {"user_id": user_id})
        return [membership_from_row(row) for row in rows]
