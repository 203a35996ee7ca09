"""One transaction on one pooled connection (the `UnitOfWork` port)."""

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from todo_sql.errors import domain_errors
from todo_sql.repositories import SqlTodoRepository, SqlUserRepository


class SqlUnitOfWork:
    """Checks a connection out of the pool on entry; commits on clean exit, rolls back when
    the block raises, and always returns the connection.

    The transaction begins with the first statement (SQLite: with the first write, so reads
    never hold a snapshot that a later write could not upgrade). Isolation is READ COMMITTED
    on PostgreSQL and MariaDB/MySQL (see `engine.create_engine`), serialised writers on SQLite.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.dialect = engine.dialect.name
        self._connection: AsyncConnection | None = None
        self._todos = SqlTodoRepository(self)
        self._users = SqlUserRepository(self)

    @property
    def todos(self) -> SqlTodoRepository:
        return self._todos

    @property
    def users(self) -> SqlUserRepository:
        return self._users

    @property
    def connection(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("use the unit of work as `async with uow: ...`")
        return self._connection

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("a unit of work is entered once")
        self._connection = await self._engine.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection = self.connection
        try:
            if exc_type is None:
                with domain_errors("the changes conflict with stored data"):
                    await connection.commit()
            else:
                await connection.rollback()
        finally:
            await connection.close()


class SqlUnitOfWorkFactory:
    """Fresh units of work over one engine (the `UnitOfWorkFactory` port)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)
