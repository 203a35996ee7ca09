"""How todos (and lists) are asked for: the filter, the sort order and keyset pages with opaque
cursors."""

import base64
import binascii
import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, Self, TypeVar
from uuid import UUID

from todo_domain import rules
from todo_domain.entities import ListAccess, Priority, Status, Todo, TodoList
from todo_domain.errors import InvalidInput

LIMIT_MAX = 100
LIMIT_DEFAULT = 20
_CURSOR_MAX = 512

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TodoFilter:
    """Every field that is not None narrows the result; all of them must hold."""

    list_id: UUID | None = None
    status: Status | None = None
    priority: Priority | None = None
    tag: str | None = None
    due_before: date | None = None  # strictly before; todos without a due date never match
    due_after: date | None = None  # strictly after; todos without a due date never match
    text: str | None = None  # case-insensitive substring of the title, taken literally

    def matches(self, todo: Todo) -> bool:
        """The reference semantics every adapter must reproduce."""
        return (
            (self.list_id is None or todo.list_id == self.list_id)
            and (self.status is None or todo.status == self.status)
            and (self.priority is None or todo.priority == self.priority)
            and (self.tag is None or self.tag.lower() in todo.tags)
            and (
                self.due_before is None
                or (todo.due_date is not None and todo.due_date < self.due_before)
            )
            and (
                self.due_after is None
                or (todo.due_date is not None and todo.due_date > self.due_after)
            )
            and (self.text is None or self.text.lower() in todo.title.lower())
        )


class SortKey(enum.StrEnum):
    CREATED_AT = "created_at"
    DUE_DATE = "due_date"
    PRIORITY = "priority"


SortValue = datetime | date | Priority | None


@dataclass(frozen=True, slots=True)
class Sort:
    """Order by `key`, ties broken by id in the same direction. Todos without a due date come
    after every dated one, ascending and descending alike."""

    key: SortKey = SortKey.CREATED_AT
    descending: bool = True

    @classmethod
    def parse(cls, text: str) -> Self:
        """`created_at` ascending, `-created_at` descending."""
        descending = text.startswith("-")
        try:
            key = SortKey(text.removeprefix("-"))
        except ValueError:
            choices = ", ".join(f"{k}, -{k}" for k in SortKey)
            raise InvalidInput("sort", f"must be one of {choices}") from None
        return cls(key, descending)

    def __str__(self) -> str:
        return f"-{self.key}" if self.descending else str(self.key)

    def value_of(self, todo: Todo) -> SortValue:
        match self.key:
            case SortKey.CREATED_AT:
                return todo.created_at
            case SortKey.DUE_DATE:
                return todo.due_date
            case SortKey.PRIORITY:
                return todo.priority


@dataclass(frozen=True, slots=True)
class Cursor:
    """A keyset position: the sort value and id of the last item a page returned."""

    sort: Sort
    value: SortValue
    id: UUID

    @classmethod
    def after(cls, sort: Sort, todo: Todo) -> Self:
        return cls(sort, sort.value_of(todo), todo.id)

    def encode(self) -> str:
        return _encode({"s": str(self.sort), "v": _dump_value(self.value), "i": self.id.hex})

    @classmethod
    def decode(cls, token: str, sort: Sort) -> Self:
        """Malformed, tampered or foreign cursors are `InvalidInput`, never a crash."""
        try:
            payload = _decode(token, str(sort))
            return cls(sort, _load_value(sort.key, payload["v"]), UUID(hex=payload["i"]))
        except _MALFORMED as error:
            raise InvalidInput("cursor", "is not a cursor of this listing") from error


@dataclass(frozen=True, slots=True)
class ListCursor:
    """A keyset position in the lists of a user: the name and id of the last list a page
    returned. Lists come by name (code point by code point), ties by id."""

    name: str
    id: UUID

    @classmethod
    def after(cls, todo_list: TodoList) -> Self:
        return cls(todo_list.name, todo_list.id)

    def key(self) -> tuple[str, UUID]:
        return (self.name, self.id)

    def encode(self) -> str:
        return _encode({"s": _LIST_ORDER, "v": self.name, "i": self.id.hex})

    @classmethod
    def decode(cls, token: str) -> Self:
        """Malformed, tampered or foreign cursors (a todo listing's) are `InvalidInput`."""
        try:
            payload = _decode(token, _LIST_ORDER)
            name = payload["v"]
            if not isinstance(name, str):
                raise TypeError("a list name is text")
            return cls(rules.storable("cursor", name), UUID(hex=payload["i"]))
        except _MALFORMED as error:
            raise InvalidInput("cursor", "is not a cursor of this listing") from error


_LIST_ORDER = "name"  # no todo sort order is called so: a todo cursor is no list cursor
_MALFORMED = (ValueError, TypeError, KeyError, AttributeError, OverflowError, binascii.Error)


def _encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str, order: str) -> dict[str, Any]:
    """The payload of a cursor of the listing in `order`; raises one of `_MALFORMED`."""
    if len(token) > _CURSOR_MAX:
        raise ValueError("too long")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    payload = json.loads(raw)
    if not isinstance(payload, dict) or payload.get("s") != order:
        raise ValueError("cursor of another sort order")
    return payload


def _dump_value(value: SortValue) -> Any:
    if isinstance(value, Priority):
        return value.rank
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    return None


def _load_value(key: SortKey, value: Any) -> SortValue:
    if key is SortKey.PRIORITY:
        if type(value) is not int:
            raise TypeError("priority rank must be an integer")
        return Priority.from_rank(value)
    if key is SortKey.DUE_DATE:
        return None if value is None else date.fromisoformat(value)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("timestamp without time zone")
    return moment.astimezone(UTC)  # OverflowError when the instant is out of range in UTC


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int = LIMIT_DEFAULT
    cursor: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= LIMIT_MAX:
            raise InvalidInput("limit", f"must be between 1 and {LIMIT_MAX}")

    def position(self, sort: Sort) -> Cursor | None:
        """Where the page starts: after this cursor, or at the beginning."""
        return None if self.cursor is None else Cursor.decode(self.cursor, sort)

    def list_position(self) -> ListCursor | None:
        """Where a page of lists starts: after this cursor, or at the beginning."""
        return None if self.cursor is None else ListCursor.decode(self.cursor)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None = None


def page_of_todos(rows: Sequence[Todo], request: PageRequest, sort: Sort) -> Page[Todo]:
    """Cut rows fetched with `limit + 1` into a page; the extra row only says there is more."""
    if len(rows) <= request.limit:
        return Page(tuple(rows))
    items = tuple(rows[: request.limit])
    return Page(items, Cursor.after(sort, items[-1]).encode())


def page_of_lists(rows: Sequence[ListAccess], request: PageRequest) -> Page[ListAccess]:
    """Like `page_of_todos`, for lists in their one order."""
    if len(rows) <= request.limit:
        return Page(tuple(rows))
    items = tuple(rows[: request.limit])
    return Page(items, ListCursor.after(items[-1].todo_list).encode())
