"""Keyset paging: whole walks without duplicates or gaps, stability under concurrent inserts and
deletes, and cursors that are not this listing's."""

import random
from datetime import date, datetime, timedelta
from uuid import UUID

import pytest

from builders import ALL_SORTS, T0, at, expected_order, ids, make_todo, store, walk
from todo_domain import (
    InvalidInput,
    Page,
    PageRequest,
    Priority,
    Sort,
    SortKey,
    Todo,
    TodoFilter,
    UnitOfWorkFactory,
    new_id,
)


async def page(
    uow_factory: UnitOfWorkFactory,
    owner: UUID,
    sort: Sort,
    limit: int,
    cursor: str | None = None,
    filter: TodoFilter = TodoFilter(),  # noqa: B008 (frozen)
) -> Page[Todo]:
    async with uow_factory() as uow:
        return await uow.todos.list(owner, filter, sort, PageRequest(limit, cursor))


def varied(owner: UUID, count: int, seed: int) -> list[Todo]:
    rng = random.Random(seed)
    return [
        make_todo(
            owner,
            title=f"todo {n}",
            created_at=at(rng.randrange(10_000)),
            priority=rng.choice(list(Priority)),
            due_date=rng.choice([None, date(2024, 6, rng.randint(1, 5))]),
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 22, 23, 24, 100])
@pytest.mark.parametrize("sort", ALL_SORTS, ids=str)
async def test_a_walk_returns_everything_once_in_order(
    uow_factory: UnitOfWorkFactory, sort: Sort, limit: int
) -> None:
    owner = new_id()
    todos = varied(owner, 23, seed=limit)
    await store(uow_factory, todos + varied(new_id(), 5, seed=0))
    found = await walk(uow_factory, owner, sort=sort, limit=limit)
    assert len(found) == len(set(ids(found))) == 23
    assert ids(found) == ids(expected_order(todos, sort))


async def test_an_empty_listing_is_one_empty_page(uow_factory: UnitOfWorkFactory) -> None:
    await store(uow_factory, [make_todo(new_id())])
    for sort in ALL_SORTS:
        empty = await page(uow_factory, new_id(), sort, 10)
        assert (list(empty.items), empty.next_cursor) == ([], None)


@pytest.mark.parametrize("sort", ALL_SORTS, ids=str)
async def test_page_sizes_and_the_last_cursor(uow_factory: UnitOfWorkFactory, sort: Sort) -> None:
    owner = new_id()
    todos = varied(owner, 6, seed=3)
    await store(uow_factory, todos)
    order = ids(expected_order(todos, sort))

    whole = await page(uow_factory, owner, sort, 6)  # exactly the limit: no next page
    assert (ids(whole.items), whole.next_cursor) == (order, None)

    first = await page(uow_factory, owner, sort, 3)
    assert ids(first.items) == order[:3]
    assert first.next_cursor is not None
    second = await page(uow_factory, owner, sort, 3, first.next_cursor)
    assert ids(second.items) == order[3:]
    assert second.next_cursor is None  # no trailing empty page

    short = await page(uow_factory, owner, sort, 4, first.next_cursor)
    assert (ids(short.items), short.next_cursor) == (order[3:], None)


@pytest.mark.parametrize("sort", ALL_SORTS, ids=str)
async def test_the_same_cursor_gives_the_same_page(
    uow_factory: UnitOfWorkFactory, sort: Sort
) -> None:
    owner = new_id()
    todos = varied(owner, 9, seed=5)
    await store(uow_factory, todos)
    first = await page(uow_factory, owner, sort, 4)
    once = await page(uow_factory, owner, sort, 4, first.next_cursor)
    twice = await page(uow_factory, owner, sort, 4, first.next_cursor)
    assert ids(once.items) == ids(twice.items) == ids(expected_order(todos, sort))[4:8]
    assert once.next_cursor == twice.next_cursor


def sorting_before_everything(owner: UUID, sort: Sort) -> Todo:
    """A todo whose place is before every todo of `existing_for` in `sort`."""
    match sort.key, sort.descending:
        case SortKey.CREATED_AT, False:
            return make_todo(owner, title="new", created_at=T0 - timedelta(days=1))
        case SortKey.CREATED_AT, True:
            return make_todo(owner, title="new", created_at=T0 + timedelta(days=3650))
        case SortKey.DUE_DATE, False:
            return make_todo(owner, title="new", due_date=date(2000, 1, 1))
        case SortKey.DUE_DATE, True:
            return make_todo(owner, title="new", due_date=date(2100, 1, 1))
        case SortKey.PRIORITY, False:
            return make_todo(owner, title="new", priority=Priority.LOW)
        case _:
            return make_todo(owner, title="new", priority=Priority.HIGH)


def existing_for(owner: UUID, sort: Sort) -> list[Todo]:
    rng = random.Random(11)
    middle = [Priority.NORMAL]
    priorities = middle + ([Priority.HIGH] if not sort.descending else [Priority.LOW])
    return [
        make_todo(
            owner,
            title=f"todo {n}",
            priority=rng.choice(priorities) if sort.key is SortKey.PRIORITY else Priority.NORMAL,
            due_date=rng.choice([None, date(2024, 6, 1), date(2024, 6, 2), date(2024, 6, 3)]),
        )
        for n in range(10)
    ]


@pytest.mark.parametrize("sort", ALL_SORTS, ids=str)
async def test_an_insert_before_the_cursor_neither_appears_nor_shifts_the_rest(
    uow_factory: UnitOfWorkFactory, sort: Sort
) -> None:
    owner = new_id()
    existing = existing_for(owner, sort)
    await store(uow_factory, existing)
    order = ids(expected_order(existing, sort))

    first = await page(uow_factory, owner, sort, 4)
    assert ids(first.items) == order[:4]
    newcomer = sorting_before_everything(owner, sort)
    assert ids(expected_order([*existing, newcomer], sort))[0] == newcomer.id
    await store(uow_factory, [newcomer])

    seen = list(first.items)
    cursor = first.next_cursor
    while cursor is not None:
        next_page = await page(uow_factory, owner, sort, 4, cursor)
        seen.extend(next_page.items)
        cursor = next_page.next_cursor
    assert ids(seen) == order
    assert ids(await walk(uow_factory, owner, sort=sort, limit=4)) == [newcomer.id, *order]


@pytest.mark.parametrize(("sort", "latecomer_at"), [
    (Sort(SortKey.CREATED_AT, descending=False), T0 + timedelta(days=3650)),
    (Sort(SortKey.CREATED_AT, descending=True), T0 - timedelta(days=1)),
], ids=str)  # fmt: skip
async def test_an_insert_after_the_cursor_appears_in_its_place(
    uow_factory: UnitOfWorkFactory, sort: Sort, latecomer_at: datetime
) -> None:
    owner = new_id()
    existing = varied(owner, 7, seed=13)
    await store(uow_factory, existing)
    first = await page(uow_factory, owner, sort, 3)
    latecomer = make_todo(owner, title="late", created_at=latecomer_at)
    await store(uow_factory, [latecomer])
    rest = await walk_from(uow_factory, owner, sort, 3, first.next_cursor)
    assert ids([*first.items, *rest]) == [*ids(expected_order(existing, sort)), latecomer.id]


@pytest.mark.parametrize("sort", ALL_SORTS, ids=str)
async def test_a_cursor_outlives_the_todo_it_points_at(
    uow_factory: UnitOfWorkFactory, sort: Sort
) -> None:
    owner = new_id()
    existing = varied(owner, 9, seed=17)
    await store(uow_factory, existing)
    order = ids(expected_order(existing, sort))
    first = await page(uow_factory, owner, sort, 3)
    async with uow_factory() as uow:
        assert await uow.todos.delete(owner, first.items[-1].id)
    rest = await walk_from(uow_factory, owner, sort, 3, first.next_cursor)
    assert ids(rest) == order[3:]


async def test_a_filter_applies_on_every_page(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_id()
    todos = varied(owner, 20, seed=19)
    await store(uow_factory, todos)
    only_high = TodoFilter(priority=Priority.HIGH)
    sort = Sort(SortKey.DUE_DATE, descending=False)
    found = await walk(uow_factory, owner, only_high, sort, limit=2)
    expected = [todo for todo in todos if todo.priority is Priority.HIGH]
    assert expected, "the seed should give some high-priority todos"
    assert ids(found) == ids(expected_order(expected, sort))


async def walk_from(
    uow_factory: UnitOfWorkFactory, owner: UUID, sort: Sort, limit: int, cursor: str | None
) -> list[Todo]:
    found: list[Todo] = []
    while cursor is not None:
        next_page = await page(uow_factory, owner, sort, limit, cursor)
        found.extend(next_page.items)
        cursor = next_page.next_cursor
    return found


# --- cursors that are not this listing's ---------------------------------------------------
@pytest.mark.parametrize(
    "cursor", ["", "garbage", "!!!", "e30", "A" * 600, "bnVsbA", "\u00e9t\u00e9"]
)
async def test_a_malformed_cursor_is_invalid_input(
    uow_factory: UnitOfWorkFactory, cursor: str
) -> None:
    owner = new_id()
    await store(uow_factory, [make_todo(owner)])
    for sort in ALL_SORTS:
        with pytest.raises(InvalidInput):
            await page(uow_factory, owner, sort, 5, cursor)


async def test_a_cursor_of_another_sort_is_invalid_input(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_id()
    await store(uow_factory, varied(owner, 5, seed=23))
    for written in ALL_SORTS:
        cursor = (await page(uow_factory, owner, written, 2)).next_cursor
        assert cursor is not None
        for read in ALL_SORTS:
            if read != written:
                with pytest.raises(InvalidInput):
                    await page(uow_factory, owner, read, 2, cursor)
