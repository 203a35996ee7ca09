"""The account repositories over SQLAlchemy Core: users and the tokens ended early."""

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from todo_domain import Conflict, NotFound, Session, User
from todo_sql import statements as sql
from todo_sql.errors import domain_errors
from todo_sql.mapping import (
    session_params,
    session_values,
    user_changes,
    user_from_row,
    user_values,
)
from todo_sql.repositories import lost_compare_and_set

if TYPE_CHECKING:
    from todo_sql.unit_of_work import SqlUnitOfWork


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

    async def update(self, user: User, *, expected_version: int) -> None:
        uow = self._uow
        with domain_errors("user conflicts with stored data"):
            params = {**user_changes(user), "b_id": user.id, "b_expected_version": expected_version}
            result = await uow.write(sql.UPDATE_USER, params)
            if result.rowcount != 1:
                await lost_compare_and_set(
                    uow, sql.VERSION_OF_USER, {"user_id": user.id}, expected_version, "user"
                )

    async def delete(self, user_id: UUID) -> bool:
        """The memberships first, then the user (the Inbox and the rest by the cascade): as
        `SqlTodoListRepository.delete`, so a write that holds one of the user's memberships
        is waited for in the order writers take their locks."""
        params = {"user_id": user_id}
        with domain_errors("user is still referenced"):
            await self._uow.write(sql.DELETE_MEMBERSHIPS_OF_USER, params)
            result = await self._uow.write(sql.DELETE_USER, params)
        return bool(result.rowcount)

    async def hold(self, user_id: UUID) -> User | None:
        uow = self._uow
        with domain_errors("user conflicts with stored data"):
            await uow.begin_writing()
            result = await uow.write(sql.HOLD_USER, {"user_id": user_id})
        row = result.first()
        return None if row is None else user_from_row(row)


class SqlSessionRepository:
    def __init__(self, uow: "SqlUnitOfWork") -> None:
        self._uow = uow

    async def end(self, session: Session) -> None:
        uow = self._uow
        with domain_errors("session conflicts with stored data", missing=NotFound("user")):
            await uow.write(sql.INSERT_ENDED_SESSION[uow.dialect], session_values(session))

    async def is_current(self, session: Session) -> bool:
        return bool(await self._uow.read(sql.IS_CURRENT, session_params(session)))

    async def prune(self, before: datetime) -> int:
        result = await self._uow.write(sql.PRUNE_ENDED_SESSIONS, {"before": before})
        return int(result.rowcount)
