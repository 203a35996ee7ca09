"""Sort parsing, page request bounds and the opaque keyset cursor."""

import base64
import itertools
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakes import START
from todo_domain import (
    LIMIT_DEFAULT,
    LIMIT_MAX,
    Cursor,
    InvalidInput,
    NewTodo,
    PageRequest,
    Priority,
    Sort,
    SortKey,
    Todo,
    TodoService,
    new_id,
)

ALL_SORTS = [Sort(key, descending) for key in SortKey for descending in (False, True)]


def sort_id(sort: Sort) -> str:
    return str(sort)


def todo(**fields: Any) -> Todo:
    values: dict[str, Any] = {
        "id": new_id(),
        "list_id": new_id(),
        "title": "t",
        "created_at": START,
        "updated_at": START,
    }
    values.update(fields)
    return Todo(**values)


def token_of(payload: object) -> str:
    return raw_token(json.dumps(payload).encode())


def raw_token(raw: bytes) -> str:
    """A cursor of these bytes, JSON or not."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- Sort ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("created_at", Sort(SortKey.CREATED_AT, descending=False)),
        ("-created_at", Sort(SortKey.CREATED_AT, descending=True)),
        ("due_date", Sort(SortKey.DUE_DATE, descending=False)),
        ("-due_date", Sort(SortKey.DUE_DATE, descending=True)),
        ("priority", Sort(SortKey.PRIORITY, descending=False)),
        ("-priority", Sort(SortKey.PRIORITY, descending=True)),
    ],
)
def test_sort_parses_every_key_in_both_directions(text: str, expected: Sort) -> None:
    assert Sort.parse(text) == expected
    assert str(Sort.parse(text)) == text


def test_the_default_sort_is_newest_first() -> None:
    assert Sort() == Sort.parse("-created_at")


@pytest.mark.parametrize(
    "text",
    ["", "-", "--created_at", "+created_at", "Created_At", "CREATED_AT", " created_at",
     "created_at ", "title", "-title", "id", "created_at,priority", "due-date", "priority-"],
)  # fmt: skip
def test_sort_parse_rejects_anything_else(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Sort.parse(text)
    assert caught.value.field == "sort"
    assert "-created_at" in caught.value.message  # names the choices


# --- PageRequest ---------------------------------------------------------------------------
@pytest.mark.parametrize("limit", [1, 2, LIMIT_DEFAULT, LIMIT_MAX - 1, LIMIT_MAX])
def test_limit_within_bounds_is_accepted(limit: int) -> None:
    assert PageRequest(limit=limit).limit == limit


@pytest.mark.parametrize("limit", [-1, 0, LIMIT_MAX + 1, 10**9])
def test_limit_out_of_bounds_is_invalid(limit: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        PageRequest(limit=limit)
    assert caught.value.field == "limit"


def test_page_request_defaults() -> None:
    assert (LIMIT_DEFAULT, LIMIT_MAX) == (20, 100)
    assert PageRequest() == PageRequest(limit=20, cursor=None)
    assert PageRequest().position(Sort()) is None


# --- Cursor round trip ---------------------------------------------------------------------
ROUND_TRIP_TODOS = [
    todo(),
    todo(created_at=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)),
    todo(created_at=datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    todo(due_date=date(2024, 2, 29)),
    todo(due_date=None),
    *(todo(priority=priority) for priority in Priority),
]


@pytest.mark.parametrize("sort", ALL_SORTS, ids=sort_id)
@pytest.mark.parametrize("item", ROUND_TRIP_TODOS)
def test_cursor_round_trips(sort: Sort, item: Todo) -> None:
    cursor = Cursor.after(sort, item)
    token = cursor.encode()
    assert Cursor.decode(token, sort) == cursor
    assert PageRequest(cursor=token).position(sort) == cursor
    assert cursor.value == sort.value_of(item)
    assert cursor.id == item.id


def test_cursor_keeps_microseconds_and_the_instant() -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2)))
    sort = Sort(SortKey.CREATED_AT, descending=False)
    decoded = Cursor.decode(Cursor.after(sort, todo(created_at=moment)).encode(), sort)
    assert decoded.value == moment
    assert isinstance(decoded.value, datetime)
    assert decoded.value.microsecond == 6
    assert decoded.value.utcoffset() == timedelta(0)  # normalised to UTC


@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:00:00-02:00", "0001-01-01T00:30:00+01:00"],
)
def test_a_timestamp_out_of_range_in_utc_is_invalid(value: str) -> None:
    """Regression: these decoded fine and then overflowed wherever they met UTC (a SQL
    driver binding the parameter), a crash instead of `InvalidInput`."""
    sort = Sort(SortKey.CREATED_AT, descending=True)
    with pytest.raises(InvalidInput):
        Cursor.decode(token_of({"s": str(sort), "v": value, "i": new_id().hex}), sort)


def test_cursor_is_opaque_url_safe_text() -> None:
    token = Cursor.after(Sort(), todo()).encode()
    assert token.isascii()
    assert not set(token) & set("+/= \n")


# --- Cursors that are not ours -------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "read"),
    [(a, b) for a, b in itertools.product(ALL_SORTS, ALL_SORTS) if a != b],
    ids=lambda sort: str(sort),
)
def test_a_cursor_of_another_sort_is_invalid(written: Sort, read: Sort) -> None:
    token = Cursor.after(written, todo(due_date=date(2024, 1, 1))).encode()
    with pytest.raises(InvalidInput) as caught:
        Cursor.decode(token, read)
    assert caught.value.field == "cursor"


GARBAGE = [
    "",
    "=",
    "====",
    "x",
    "abc",
    "not a cursor",
    "%%%",
    "ü",
    "\x00",
    "\ud800",
    "🙂🙂🙂🙂",
    "e30",  # {}
    "W10",  # []
    "bnVsbA",  # null
    "MQ",  # 1
    "InMi",  # "s"
    "A" * 513,
    Cursor.after(Sort(), todo()).encode() + "A" * 513,
    base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    base64.urlsafe_b64encode(b"[" * 300).decode(),
    token_of({"s": "-created_at"}),
    token_of({"s": "-created_at", "v": START.isoformat()}),
    token_of({"s": "-created_at", "i": new_id().hex}),
    token_of({"v": START.isoformat(), "i": new_id().hex}),
    token_of({"s": "-created_at", "v": None, "i": new_id().hex}),
    token_of({"s": "-created_at", "v": 1, "i": new_id().hex}),
    token_of({"s": "-created_at", "v": [], "i": new_id().hex}),
    token_of({"s": "-created_at", "v": "yesterday", "i": new_id().hex}),
    token_of({"s": "-created_at", "v": "2024-05-01T12:00:00", "i": new_id().hex}),  # naive
    token_of({"s": "-created_at", "v": "2024-13-01T12:00:00+00:00", "i": new_id().hex}),
    token_of({"s": "-created_at", "v": START.isoformat(), "i": "xyz"}),
    token_of({"s": "-created_at", "v": START.isoformat(), "i": 42}),
    token_of({"s": "-created_at", "v": START.isoformat(), "i": None}),
    token_of({"s": "-created_at", "v": START.isoformat(), "i": new_id().hex[:-1]}),
    token_of({"s": "-created_at", "v": START.isoformat(), "i": {"a": 1}}),
    token_of({"s": ["-created_at"], "v": START.isoformat(), "i": new_id().hex}),
    token_of([{"s": "-created_at", "v": START.isoformat(), "i": new_id().hex}]),
    token_of({"s": "-created_at", "v": START.isoformat(), "i": new_id().hex[:-1] + "\x00"}),
    token_of({"s": "-created_at\x00", "v": START.isoformat(), "i": new_id().hex}),
    raw_token(b'{"s":"-created_at","v":"2024-05-01T12:00:00+00:00","i":1e999}'),
    raw_token(b'{"s":"-created_at","v":' + b"9" * 300 + b',"i":"' + new_id().hex.encode() + b'"}'),
    raw_token(b'{"s":"-created_at","v":"\xff\xfe","i":"' + new_id().hex.encode() + b'"}'),
]


@pytest.mark.parametrize("token", GARBAGE)
@pytest.mark.parametrize("sort", [Sort(), Sort(SortKey.CREATED_AT, descending=False)], ids=sort_id)
def test_garbage_cursors_are_invalid_input(token: str, sort: Sort) -> None:
    with pytest.raises(InvalidInput) as caught:
        Cursor.decode(token, sort)
    assert caught.value.field == "cursor"
    with pytest.raises(InvalidInput):
        PageRequest(cursor=token).position(sort)


@pytest.mark.parametrize(
    "value",
    [None, "2024-01-01", "high", 0, 4, -1, 2.0, True, "2", [2], {"r": 2}, 10**300, -(10**300)],
)
def test_tampered_priority_values_are_invalid(value: object) -> None:
    sort = Sort(SortKey.PRIORITY, descending=True)
    with pytest.raises(InvalidInput):
        Cursor.decode(token_of({"s": str(sort), "v": value, "i": new_id().hex}), sort)


@pytest.mark.parametrize(
    "value", ["2024-02-30", "2024-01-01T00:00:00+00:00", "tomorrow", 20240101, True, [], {}]
)
def test_tampered_due_date_values_are_invalid(value: object) -> None:
    sort = Sort(SortKey.DUE_DATE, descending=False)
    with pytest.raises(InvalidInput):
        Cursor.decode(token_of({"s": str(sort), "v": value, "i": new_id().hex}), sort)


def test_a_hand_written_cursor_in_the_right_shape_is_accepted() -> None:
    """The cursor is opaque, not signed: a well-formed position is a valid position."""
    sort = Sort(SortKey.PRIORITY, descending=True)
    todo_id = new_id()
    cursor = Cursor.decode(token_of({"s": "-priority", "v": 3, "i": todo_id.hex}), sort)
    assert cursor == Cursor(sort, Priority.HIGH, todo_id)


@pytest.mark.parametrize("sort", ALL_SORTS, ids=sort_id)
def test_every_single_character_change_is_invalid_or_a_cursor(sort: Sort) -> None:
    token = Cursor.after(sort, todo(due_date=date(2024, 1, 1))).encode()
    alphabet = "AQgw-_=+/.~ %é"
    for position in range(len(token) + 1):
        for char in alphabet:
            for tampered in (
                token[:position] + char + token[position + 1 :],
                token[:position] + char + token[position:],
                token[:position] + token[position + 1 :],
            ):
                assert_invalid_or_a_cursor(tampered, sort)


def assert_invalid_or_a_cursor(token: str, sort: Sort) -> None:
    try:
        decoded = Cursor.decode(token, sort)
    except InvalidInput as error:
        field = error.field
        assert field == "cursor"
        return
    assert decoded.sort == sort
    assert isinstance(decoded.id, UUID)
    if isinstance(decoded.value, datetime):
        assert decoded.value.utcoffset() == timedelta(0)


@given(token=st.text(max_size=600))
def test_any_text_is_invalid_or_a_cursor(token: str) -> None:
    for sort in ALL_SORTS:
        assert_invalid_or_a_cursor(token, sort)


@given(raw=st.binary(max_size=400))
def test_any_bytes_in_base64_are_invalid_or_a_cursor(raw: bytes) -> None:
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    for sort in ALL_SORTS:
        assert_invalid_or_a_cursor(token, sort)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["2024-05-01", START.isoformat(), "2024-05-01T12:00:00", new_id().hex]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=8,
)


@given(
    s=st.sampled_from([str(sort) for sort in ALL_SORTS]) | JSON_VALUES,
    v=JSON_VALUES,
    i=st.sampled_from([new_id().hex, str(new_id())]) | JSON_VALUES,
    drop=st.sets(st.sampled_from("svi")),
)
def test_any_json_payload_is_invalid_or_a_cursor(s: Any, v: Any, i: Any, drop: set[str]) -> None:
    payload = {key: value for key, value in {"s": s, "v": v, "i": i}.items() if key not in drop}
    token = token_of(payload)
    for sort in ALL_SORTS:
        assert_invalid_or_a_cursor(token, sort)


async def test_listing_with_a_garbage_cursor_is_invalid_input(
    todos: TodoService, owner: UUID
) -> None:
    await todos.create(owner, NewTodo(title="t"))
    for token in GARBAGE:
        with pytest.raises(InvalidInput) as caught:
            await todos.list(owner, page=PageRequest(cursor=token))
        assert caught.value.field == "cursor"
