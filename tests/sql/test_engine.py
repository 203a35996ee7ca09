"""Engine settings really take effect on each backend."""

from pathlib import Path

import pytest
from sqlalchemy import text

from sqldb import executed_statements
from todo_sql import SqlUnitOfWorkFactory, create_engine, ping


async def scalar(sql: SqlUnitOfWorkFactory, statement: str) -> object:
    async with sql.engine.connect() as connection:
        return await connection.scalar(text(statement))


async def test_sqlite_has_foreign_keys_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db", statement_timeout=2.5)
    try:
        sql = SqlUnitOfWorkFactory(engine)
        assert await scalar(sql, "PRAGMA foreign_keys") == 1
        assert await scalar(sql, "PRAGMA journal_mode") == "wal"
        assert await scalar(sql, "PRAGMA busy_timeout") == 2500
        assert await scalar(sql, "PRAGMA synchronous") == 1  # NORMAL
    finally:
        await engine.dispose()


async def test_in_memory_sqlite_is_one_shared_connection() -> None:
    engine = create_engine("sqlite+aiosqlite://")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM t")) == 0
    finally:
        await engine.dispose()


async def test_server_backends_read_committed_and_strict(sql: SqlUnitOfWorkFactory) -> None:
    dialect = sql.engine.dialect.name
    if dialect == "sqlite":
        pytest.skip("SQLite serialises writers; no isolation levels")
    if dialect == "postgresql":
        level = await scalar(sql, "SHOW transaction_isolation")
        assert level == "read committed"
        assert await scalar(sql, "SHOW timezone") == "UTC"
    else:
        level = await scalar(sql, "SELECT @@tx_isolation")
        assert level == "READ-COMMITTED"
        mode = str(await scalar(sql, "SELECT @@SESSION.sql_mode"))
        assert "STRICT_TRANS_TABLES" in mode


async def test_pool_settings_are_applied() -> None:
    engine = create_engine(
        "postgresql+asyncpg://nobody@127.0.0.1:1/none", pool_size=3, max_overflow=2
    )
    try:
        pool = engine.pool
        assert pool.size() == 3  # type: ignore[attr-defined]
        assert not pool._pre_ping  # pinged only after a rest (see engine.py)
        assert pool._recycle == 1800
        assert pool._max_overflow == 2  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_ping_is_one_read_of_the_todos_table_and_returns_its_connection(
    sql: SqlUnitOfWorkFactory,
) -> None:
    with executed_statements(sql.engine) as statements:
        await ping(sql.engine)

    [statement] = statements  # a locked table or a hung server makes this one fail
    assert statement.startswith("SELECT todos.id")
    assert "FROM todos" in statement
    assert sql.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_ping_raises_when_the_database_is_away() -> None:
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none", connect_timeout=1)
    try:
        with pytest.raises(OSError, match=r"(?i)connect|refused"):
            await ping(engine)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "url", ["postgresql://localhost/x", "sqlite:///x.db", "mysql+pymysql://localhost/x"]
)
def test_sync_drivers_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        create_engine(url)
