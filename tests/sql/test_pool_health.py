"""Pooled connections: no ping in steady use, and a connection the server closed while it
rested in the pool is replaced on checkout instead of failing the next request.

(SQLite files are not pooled over a network: these run on PostgreSQL and MariaDB.)
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from sqldb import migrated_url
from todo_sql import SqlUnitOfWorkFactory, create_engine

SERVER_BACKENDS = ("postgresql", "mariadb")
SESSION_ID = {"postgresql": "SELECT pg_backend_pid()", "mariadb": "SELECT CONNECTION_ID()"}
TERMINATE = {
    "postgresql": "SELECT pg_terminate_backend({id})",
    "mariadb": "KILL {id}",
}


@pytest.fixture(params=SERVER_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def engine_of(backend: str) -> AsyncIterator[Callable[..., AsyncEngine]]:
    """Makes engines (pool of one connection) on the backend's migrated test database."""
    url = await migrated_url(backend)
    made: list[AsyncEngine] = []

    def make(**options: Any) -> AsyncEngine:
        engine = create_engine(url, pool_size=1, max_overflow=0, **options)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        await engine.dispose()


async def session_id(sql: SqlUnitOfWorkFactory, backend: str) -> int:
    """The server's id of the connection a unit of work runs on (a read, as the API's)."""
    async with sql() as uow:
        return int(await uow.connection.scalar(text(SESSION_ID[backend])))


async def terminate(make: Callable[..., AsyncEngine], backend: str, session: int) -> None:
    admin = make()
    async with admin.connect() as connection:
        await connection.execute(text(TERMINATE[backend].format(id=session)))
    await admin.dispose()


def count_pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    pings: list[object] = []
    real = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return pings


async def test_a_connection_in_steady_use_is_not_pinged(
    backend: str, engine_of: Callable[..., AsyncEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_of()
    pings = count_pings(engine, monkeypatch)
    sql = SqlUnitOfWorkFactory(engine)

    sessions = {await session_id(sql, backend) for _ in range(5)}

    assert len(sessions) == 1  # the same pooled connection every time
    assert pings == []


async def test_a_connection_that_rested_longer_than_the_limit_is_pinged(
    backend: str, engine_of: Callable[..., AsyncEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_of(ping_after_idle=0)
    pings = count_pings(engine, monkeypatch)
    sql = SqlUnitOfWorkFactory(engine)

    await session_id(sql, backend)  # a new connection: nothing to ping
    await session_id(sql, backend)

    assert len(pings) == 1


async def test_a_dead_connection_found_by_the_ping_is_replaced(
    backend: str, engine_of: Callable[..., AsyncEngine]
) -> None:
    sql = SqlUnitOfWorkFactory(engine_of(ping_after_idle=0))
    first = await session_id(sql, backend)

    await terminate(engine_of, backend, first)

    assert await session_id(sql, backend) != first  # no error: replaced on checkout


@pytest.mark.parametrize("backend", ["postgresql"])  # aiomysql learns it only on use
async def test_a_connection_terminated_while_it_rested_is_replaced_without_a_ping(
    engine_of: Callable[..., AsyncEngine], backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asyncpg sees the server close the socket at once; the pool asks it on checkout."""
    engine = engine_of()  # the default rest before a ping: far longer than this test
    pings = count_pings(engine, monkeypatch)
    sql = SqlUnitOfWorkFactory(engine)
    async with sql() as uow:
        first = int(await uow.connection.scalar(text(SESSION_ID[backend])))
        driver = (await uow.connection.get_raw_connection()).driver_connection
        assert driver is not None

    await terminate(engine_of, backend, first)
    for _ in range(100):  # let the event loop read the server's goodbye
        if driver.is_closed():
            break
        await asyncio.sleep(0.01)

    assert await session_id(sql, backend) != first
    assert pings == []
