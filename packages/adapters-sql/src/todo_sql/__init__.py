"""SQL adapter: the domain's ports on SQLAlchemy (async) over SQLite, PostgreSQL and MariaDB.

Public: `create_engine`, `ping`, `SqlUnitOfWorkFactory`, `SqlUnitOfWork`, `metadata` (for
Alembic) and, in `todo_sql.migrations`, the Alembic helpers. Records stay inside.
"""

from todo_sql.accounts import SqlSessionRepository, SqlUserRepository
from todo_sql.engine import create_engine, ping
from todo_sql.records import metadata
from todo_sql.repositories import SqlLoginFailureRepository, SqlTodoRepository
from todo_sql.unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "SqlLoginFailureRepository",
    "SqlSessionRepository",
    "SqlTodoRepository",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "SqlUserRepository",
    "create_engine",
    "metadata",
    "ping",
]
