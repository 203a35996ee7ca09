"""Timestamps come back timezone-aware UTC with their microseconds; dates and UUIDs exactly."""

from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID

import pytest
from sqlalchemy import exc, text

from builders import fetch, make_todo, make_user, store
from todo_domain import Priority, Status
from todo_sql import SqlUnitOfWorkFactory

MOMENTS = [
    datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2038, 1, 19, 3, 14, 8, 500_000, tzinfo=UTC),  # past the 32-bit time_t
    datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
async def test_timestamps_round_trip_with_microseconds_in_utc(
    sql: SqlUnitOfWorkFactory, owner: UUID, moment: datetime
) -> None:
    todo = make_todo(
        owner,
        status=Status.DONE,
        created_at=moment,
        updated_at=moment,
        completed_at=moment,
        due_date=moment.date(),
    )
    await store(sql, [todo])
    got = await fetch(sql, owner, todo.id)
    assert got == todo
    assert got is not None
    for value in (got.created_at, got.updated_at, got.completed_at):
        assert value is not None
        assert value.tzinfo is UTC or value.utcoffset() == timedelta(0)
        assert value.microsecond == moment.microsecond


async def test_another_time_zone_is_stored_as_the_same_instant(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    local = datetime(2024, 6, 1, 12, 0, 0, 123_456, tzinfo=timezone(timedelta(hours=-5)))
    todo = make_todo(owner, created_at=local, updated_at=local)
    await store(sql, [todo])
    got = await fetch(sql, owner, todo.id)
    assert got is not None
    assert got.created_at == local
    assert got.created_at.utcoffset() == timedelta(0)
    assert got.created_at.hour == 17


async def test_a_naive_timestamp_is_refused(sql: SqlUnitOfWorkFactory, owner: UUID) -> None:
    naive = datetime(2024, 6, 1, 12, 0, 0)
    with pytest.raises(exc.StatementError, match="naive"):
        await store(sql, [make_todo(owner, created_at=naive, updated_at=naive)])


async def test_priority_is_stored_as_its_rank(sql: SqlUnitOfWorkFactory, owner: UUID) -> None:
    todos = [make_todo(owner, priority=p) for p in Priority]
    await store(sql, todos)
    async with sql() as uow:
        rows = await uow.connection.execute(text("SELECT id, priority FROM todos"))
        ranks = {str(row[0]).replace("-", ""): row[1] for row in rows}
    assert ranks == {todo.id.hex: todo.priority.rank for todo in todos}


async def test_a_user_round_trips(sql: SqlUnitOfWorkFactory) -> None:
    user = make_user(display_name="Ada Lovelace", created_at=MOMENTS[0])
    async with sql() as uow:
        await uow.users.add(user)
    async with sql() as uow:
        assert await uow.users.get(user.id) == user
        assert await uow.users.get_by_email(user.email) == user


async def test_dates_round_trip(sql: SqlUnitOfWorkFactory, owner: UUID) -> None:
    todos = [make_todo(owner, due_date=d) for d in (date(1, 1, 1), date(9999, 12, 31))]
    await store(sql, todos)
    for todo in todos:
        assert await fetch(sql, owner, todo.id) == todo
