"""The ORM records and their mapping functions, on their own (create_all on in-memory SQLite:
the one place the schema is not made by Alembic)."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import selectinload

from builders import inbox_of, make_todo, make_user
from todo_domain import Priority, Status, new_id
from todo_sql import create_engine, metadata
from todo_sql.mapping import (
    list_values,
    tag_id,
    todo_from_record,
    todo_to_record,
    user_from_record,
    user_to_record,
)
from todo_sql.records import ListRecord, TodoRecord, TodoTagRecord, UserRecord


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = create_engine("sqlite+aiosqlite://")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def test_records_round_trip_through_the_orm(engine: AsyncEngine) -> None:
    user = make_user(display_name="Ada")
    todo = make_todo(
        user.id,
        title="Ünïcode",
        status=Status.DONE,
        priority=Priority.LOW,
        tags=("z", "a", "ü"),
    )
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions.begin() as session:
        session.add(user_to_record(user))
        await session.flush()  # the Inbox refers to its user without a relationship
        session.add(ListRecord(**list_values(inbox_of(user))))
        await session.flush()  # and tags to their list
        session.add(todo_to_record(todo))
    async with sessions() as session:
        user_record = await session.get(UserRecord, user.id)
        todo_record = await session.get(
            TodoRecord,
            todo.id,
            options=[selectinload(TodoRecord.tag_links).selectinload(TodoTagRecord.tag)],
        )
        assert user_record is not None
        assert todo_record is not None
        assert user_from_record(user_record) == user
        assert todo_from_record(todo_record) == todo
        assert todo_record.priority == 1
        assert todo_record.title_lower == "ünïcode"
        assert [link.tag_id for link in todo_record.tag_links] == [
            tag_id(user.id, name) for name in todo.tags
        ]


def test_tag_ids_follow_from_list_and_name() -> None:
    one, other = new_id(), new_id()
    assert tag_id(one, "a") == tag_id(one, "a")
    assert tag_id(one, "a") != tag_id(one, "b")
    assert tag_id(one, "a") != tag_id(other, "a")
