"""Lost connections: no ping in steady use; a connection the server closed while it rested
in the pool is replaced on checkout instead of failing the next request; a read that loses its
connection outside a transaction runs again on a fresh one, a transaction is never replayed.

(SQLite files are not pooled over a network: these run on PostgreSQL and MariaDB.)
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pymysql  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from builders import make_user
from sqldb import empty_tables, migrated_url
from todo_domain import StorageUnavailable
from todo_sql import SqlUnitOfWork, SqlUnitOfWorkFactory, create_engine

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
    if made:
        await empty_tables(made[0])
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
    await seen_closed(driver)

    assert await session_id(sql, backend) != first
    assert pings == []


async def terminate_own_connection(
    uow: SqlUnitOfWork, make: Callable[..., AsyncEngine], backend: str
) -> None:
    """Ends the unit of work's connection from the server side, and waits until the driver
    has seen it go (asyncpg reads the goodbye on the event loop)."""
    session = int(await uow.connection.scalar(text(SESSION_ID[backend])))
    driver = (await uow.connection.get_raw_connection()).driver_connection
    assert driver is not None
    await terminate(make, backend, session)
    if backend == "postgresql":
        await seen_closed(driver)


async def seen_closed(asyncpg_connection: Any) -> None:
    """Lets the event loop read the server's goodbye on an asyncpg connection."""
    for _ in range(100):
        if asyncpg_connection.is_closed():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the terminated connection still looks open")


async def test_a_read_that_lost_its_connection_runs_again_on_a_fresh_one(
    backend: str, engine_of: Callable[..., AsyncEngine]
) -> None:
    sql = SqlUnitOfWorkFactory(engine_of())
    user = make_user()
    async with sql() as uow:
        await uow.users.add(user)

    async with sql() as uow:
        await terminate_own_connection(uow, engine_of, backend)
        found = await uow.users.get(user.id)

    assert found == user


async def test_reads_after_an_earlier_read_run_again_on_a_fresh_connection(
    backend: str, engine_of: Callable[..., AsyncEngine]
) -> None:
    """MariaDB's first read began a transaction; with nothing written, losing it loses
    nothing."""
    sql = SqlUnitOfWorkFactory(engine_of())
    user = make_user()
    async with sql() as uow:
        await uow.users.add(user)

    async with sql() as uow:
        assert await uow.users.get(user.id) == user
        await terminate_own_connection(uow, engine_of, backend)
        found = await uow.users.get_by_email(user.email)

    assert found == user


async def test_a_transaction_that_lost_its_connection_is_not_replayed(
    backend: str, engine_of: Callable[..., AsyncEngine]
) -> None:
    sql = SqlUnitOfWorkFactory(engine_of())
    written, unsent = make_user(), make_user()

    async def write_both() -> None:
        async with sql() as uow:
            await uow.users.add(written)
            await terminate_own_connection(uow, engine_of, backend)
            await uow.users.add(unsent)

    with pytest.raises(StorageUnavailable):
        await write_both()

    async with sql() as uow:
        assert await uow.users.get(written.id) is None
        assert await uow.users.get(unsent.id) is None


# What each driver raises, bare, when the server closes a new connection while SQLAlchemy
# still sets it up (its own on-connect steps run as pool "connect" listeners, unwrapped).
CLOSED_WHILE_CONNECTING = {
    "postgresql": lambda: asyncpg.exceptions.InterfaceError("connection is closed"),
    "mariadb": lambda: pymysql.err.OperationalError(2013, "Lost connection to server"),
}


async def test_a_connection_closed_while_it_is_set_up_is_unavailable(
    engine_of: Callable[..., AsyncEngine], backend: str
) -> None:
    """Seen when connections were cut under load: the bare driver error escaped as a 500."""
    engine = engine_of()

    def closed_by_the_server(dbapi_connection: Any, record: Any) -> None:
        raise CLOSED_WHILE_CONNECTING[backend]()

    event.listen(engine.sync_engine.pool, "connect", closed_by_the_server)
    try:
        with pytest.raises(StorageUnavailable):
            async with SqlUnitOfWorkFactory(engine)() as uow:
                await uow.users.get(make_user().id)
    finally:
        event.remove(engine.sync_engine.pool, "connect", closed_by_the_server)
