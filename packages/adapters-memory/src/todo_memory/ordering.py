"""The sort orders and keyset positions of docs/http.md, in Python."""

from typing import Any
from uuid import UUID

from todo_domain import Cursor, Priority, Sort, SortValue, Todo


def order_key(sort: Sort, value: SortValue, todo_id: UUID) -> tuple[Any, ...]:
    """A key for `sorted(..., reverse=sort.descending)` that keeps missing values last."""
    comparable = value.rank if isinstance(value, Priority) else value
    missing_last = value is not None if sort.descending else value is None
    return (missing_last, comparable, todo_id)


def sort_todos(todos: list[Todo], sort: Sort) -> list[Todo]:
    return sorted(
        todos,
        key=lambda todo: order_key(sort, sort.value_of(todo), todo.id),
        reverse=sort.descending,
    )


def comes_after(todo: Todo, cursor: Cursor) -> bool:
    sort = cursor.sort
    mine = order_key(sort, sort.value_of(todo), todo.id)
    theirs = order_key(sort, cursor.value, cursor.id)
    return mine < theirs if sort.descending else mine > theirs
