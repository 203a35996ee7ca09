"""Each sort key in both directions: undated todos last either way, ties broken by id in the
sort's direction, priority ranked low < normal < high."""

import random
from datetime import date, timedelta
from uuid import UUID

import pytest

from builders import ALL_SORTS, T0, at, expected_order, ids, make_todo, store, walk
from todo_domain import Priority, Sort, SortKey, Todo, UnitOfWorkFactory, new_id

CREATED_ASC = Sort(SortKey.CREATED_AT, descending=False)
CREATED_DESC = Sort(SortKey.CREATED_AT, descending=True)
DUE_ASC = Sort(SortKey.DUE_DATE, descending=False)
DUE_DESC = Sort(SortKey.DUE_DATE, descending=True)
PRIORITY_ASC = Sort(SortKey.PRIORITY, descending=False)
PRIORITY_DESC = Sort(SortKey.PRIORITY, descending=True)


def mixed(owner: UUID) -> list[Todo]:
    """Todos with ties in every key, undated ones, and ids that do not follow created_at."""
    id_list = sorted(new_id() for _ in range(12))
    moments = [at(1000 + n) for n in range(12)]
    random.Random(7).shuffle(moments)
    moments[3] = moments[4]  # a tie in created_at too
    priorities = [Priority.HIGH, Priority.LOW, Priority.NORMAL] * 4
    dues: list[date | None] = [date(2024, 6, d % 4 + 1) if d % 3 else None for d in range(12)]
    return [
        make_todo(
            owner,
            id=todo_id,
            title=f"todo {n}",
            created_at=moment,
            priority=priority,
            due_date=due,
        )
        for n, (todo_id, moment, priority, due) in enumerate(
            zip(id_list, moments, priorities, dues, strict=True)
        )
    ]


@pytest.mark.parametrize("limit", [1, 2, 5, 100])
@pytest.mark.parametrize("sort", ALL_SORTS, ids=str)
async def test_each_sort_in_both_directions(
    uow_factory: UnitOfWorkFactory, sort: Sort, limit: int
) -> None:
    owner = new_id()
    todos = mixed(owner)
    shuffled = todos[:]
    random.Random(limit).shuffle(shuffled)
    await store(uow_factory, shuffled)
    assert ids(await walk(uow_factory, owner, sort=sort, limit=limit)) == ids(
        expected_order(todos, sort)
    )


async def test_created_at_orders_by_time_not_by_id(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_id()
    id_list = sorted(new_id() for _ in range(4))
    # ids ascend while creation times descend, and the times differ by microseconds only
    todos = [
        make_todo(owner, id=todo_id, created_at=T0 - timedelta(microseconds=n))
        for n, todo_id in enumerate(id_list)
    ]
    await store(uow_factory, todos)
    assert ids(await walk(uow_factory, owner, sort=CREATED_ASC)) == id_list[::-1]
    assert ids(await walk(uow_factory, owner, sort=CREATED_DESC)) == id_list
    assert ids(await walk(uow_factory, owner)) == id_list  # the default is newest first


async def test_created_at_ties_break_on_id_in_the_sort_direction(
    uow_factory: UnitOfWorkFactory,
) -> None:
    owner = new_id()
    tied = [make_todo(owner, created_at=T0) for _ in range(5)]
    await store(uow_factory, tied)
    by_id = sorted(ids(tied))
    assert ids(await walk(uow_factory, owner, sort=CREATED_ASC, limit=2)) == by_id
    assert ids(await walk(uow_factory, owner, sort=CREATED_DESC, limit=2)) == by_id[::-1]


@pytest.mark.parametrize(("sort", "expected"), [
    (PRIORITY_ASC, [Priority.LOW, Priority.NORMAL, Priority.HIGH]),
    (PRIORITY_DESC, [Priority.HIGH, Priority.NORMAL, Priority.LOW]),
], ids=str)  # fmt: skip
async def test_priority_is_ranked_not_alphabetical(
    uow_factory: UnitOfWorkFactory, sort: Sort, expected: list[Priority]
) -> None:
    owner = new_id()
    stored = [Priority.NORMAL, Priority.HIGH, Priority.LOW]  # neither ranked nor alphabetical
    await store(uow_factory, [make_todo(owner, priority=priority) for priority in stored])
    found = await walk(uow_factory, owner, sort=sort, limit=1)
    assert [todo.priority for todo in found] == expected


@pytest.mark.parametrize("sort", [PRIORITY_ASC, PRIORITY_DESC], ids=str)
async def test_priority_ties_break_on_id_in_the_sort_direction(
    uow_factory: UnitOfWorkFactory, sort: Sort
) -> None:
    owner = new_id()
    lows = [make_todo(owner, priority=Priority.LOW) for _ in range(3)]
    highs = [make_todo(owner, priority=Priority.HIGH) for _ in range(3)]
    await store(uow_factory, highs + lows)
    found = ids(await walk(uow_factory, owner, sort=sort, limit=2))
    groups = [sorted(ids(lows)), sorted(ids(highs))]
    if sort.descending:
        groups = [group[::-1] for group in groups[::-1]]
    assert found == groups[0] + groups[1]


@pytest.mark.parametrize("sort", [DUE_ASC, DUE_DESC], ids=str)
async def test_undated_todos_come_last_in_both_directions(
    uow_factory: UnitOfWorkFactory, sort: Sort
) -> None:
    owner = new_id()
    early = make_todo(owner, due_date=date(2024, 1, 1))
    late = make_todo(owner, due_date=date(2024, 12, 31))
    undated = [make_todo(owner, due_date=None) for _ in range(3)]
    await store(uow_factory, [undated[0], late, undated[1], early, undated[2]])
    found = ids(await walk(uow_factory, owner, sort=sort, limit=2))
    dated = [early.id, late.id]
    undated_ids = sorted(ids(undated))
    if sort.descending:
        dated, undated_ids = dated[::-1], undated_ids[::-1]
    assert found == dated + undated_ids


@pytest.mark.parametrize("sort", [DUE_ASC, DUE_DESC], ids=str)
async def test_due_date_ties_break_on_id_in_the_sort_direction(
    uow_factory: UnitOfWorkFactory, sort: Sort
) -> None:
    owner = new_id()
    same_day = [make_todo(owner, due_date=date(2024, 6, 1)) for _ in range(4)]
    await store(uow_factory, same_day)
    found = ids(await walk(uow_factory, owner, sort=sort, limit=3))
    assert found == sorted(ids(same_day), reverse=sort.descending)


@pytest.mark.parametrize("sort", [DUE_ASC, DUE_DESC], ids=str)
async def test_only_undated_todos_still_page_by_id(
    uow_factory: UnitOfWorkFactory, sort: Sort
) -> None:
    owner = new_id()
    undated = [make_todo(owner) for _ in range(5)]
    await store(uow_factory, undated)
    found = ids(await walk(uow_factory, owner, sort=sort, limit=2))
    assert found == sorted(ids(undated), reverse=sort.descending)
