"""The hot path's response bytes are exactly those of the Pydantic response models."""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from todo_api.schemas import TodoOut, TodoPage, page_json, todo_json
from todo_domain import Priority, Status, Todo

NOW = datetime(2026, 11, 24, 22, 5, 7, 123456, tzinfo=UTC)


def _todos() -> list[Todo]:
    todo_list = uuid4()
    return [
        Todo(id=uuid4(), list_id=todo_list, title="plain", created_at=NOW, updated_at=NOW),
        Todo(
            id=uuid4(),
            list_id=todo_list,
            title='quotes " and \\ and ünïcödé ✓',
            description="line\nbreak",
            created_at=NOW,
            updated_at=NOW + timedelta(seconds=1),
            status=Status.DONE,
            priority=Priority.HIGH,
            due_date=date(2027, 1, 31),
            tags=("a", "errand", "z"),
            completed_at=NOW + timedelta(seconds=1),
            version=7,
        ),
    ]


@pytest.mark.parametrize("todo", _todos())
def test_a_todo(todo: Todo) -> None:
    assert todo_json(todo) == TodoOut.of(todo).model_dump_json().encode()


@pytest.mark.parametrize("cursor", [None, "abc"])
def test_a_page(cursor: str | None) -> None:
    todos = _todos()
    model = TodoPage.model_construct(items=[TodoOut.of(t) for t in todos], next_cursor=cursor)
    assert page_json(todos, cursor) == model.model_dump_json().encode()
    assert page_json([], None) == b'{"items":[],"next_cursor":null}'
