"""Every TodoFilter field, alone and combined, including falsy and literal-wildcard values."""

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import pytest

from builders import make_todo, store, titles, walk
from todo_domain import Priority, Status, Todo, TodoFilter, UnitOfWorkFactory, inbox_id, new_id


def dataset(owner: UUID) -> list[Todo]:
    return [
        make_todo(owner, title="Buy milk", tags=("home", "shopping"), due_date=date(2024, 6, 10)),
        make_todo(owner, title="Pay 100% of rent", priority=Priority.HIGH, tags=("home", "money"),
                  due_date=date(2024, 6, 1)),
        make_todo(owner, title="rename file_name", status=Status.DONE, priority=Priority.LOW,
                  tags=("work",)),
        make_todo(owner, title="Fix C:\\temp path", priority=Priority.LOW, tags=("homework",),
                  due_date=date(2024, 6, 15)),
        make_todo(owner, title="BUY BREAD", status=Status.DONE, priority=Priority.HIGH,
                  due_date=date(2024, 6, 10)),
        make_todo(owner, title="plain task", tags=("urgent", "work"), due_date=date(2024, 5, 31)),
        make_todo(owner, title="100 percent", tags=("works",)),
        make_todo(owner, title="see fileXname", tags=("wor",)),
        make_todo(owner, title="C:temp drive"),
    ]  # fmt: skip


ALL = {
    "Buy milk", "Pay 100% of rent", "rename file_name", "Fix C:\\temp path", "BUY BREAD",
    "plain task", "100 percent", "see fileXname", "C:temp drive",
}  # fmt: skip
DATED = {"Buy milk", "Pay 100% of rent", "Fix C:\\temp path", "BUY BREAD", "plain task"}


@dataclass(frozen=True)
class Case:
    filter: TodoFilter
    expected: set[str]


CASES: dict[str, Case] = {
    "no filter": Case(TodoFilter(), ALL),
    # status
    "status open": Case(TodoFilter(status=Status.OPEN), ALL - {"rename file_name", "BUY BREAD"}),
    "status done": Case(TodoFilter(status=Status.DONE), {"rename file_name", "BUY BREAD"}),
    # priority
    "priority low": Case(
        TodoFilter(priority=Priority.LOW), {"rename file_name", "Fix C:\\temp path"}
    ),
    "priority normal": Case(
        TodoFilter(priority=Priority.NORMAL),
        {"Buy milk", "plain task", "100 percent", "see fileXname", "C:temp drive"},
    ),
    "priority high": Case(TodoFilter(priority=Priority.HIGH), {"Pay 100% of rent", "BUY BREAD"}),
    # tag: exact, never a substring or prefix
    "tag home": Case(TodoFilter(tag="home"), {"Buy milk", "Pay 100% of rent"}),
    "tag work": Case(TodoFilter(tag="work"), {"rename file_name", "plain task"}),
    "tag homework": Case(TodoFilter(tag="homework"), {"Fix C:\\temp path"}),
    "tag wor": Case(TodoFilter(tag="wor"), {"see fileXname"}),
    "tag unknown": Case(TodoFilter(tag="nosuch"), set()),
    "tag empty": Case(TodoFilter(tag=""), set()),  # not None, so it narrows: no todo has it
    "tag %": Case(TodoFilter(tag="%"), set()),
    "tag _ork": Case(TodoFilter(tag="_ork"), set()),
    # due dates: strict bounds, undated todos never match
    "due before": Case(
        TodoFilter(due_before=date(2024, 6, 10)), {"Pay 100% of rent", "plain task"}
    ),
    "due after": Case(TodoFilter(due_after=date(2024, 6, 10)), {"Fix C:\\temp path"}),
    "due after, inclusive of the next day": Case(
        TodoFilter(due_after=date(2024, 6, 9)), {"Buy milk", "BUY BREAD", "Fix C:\\temp path"}
    ),
    "due window": Case(
        TodoFilter(due_after=date(2024, 5, 31), due_before=date(2024, 6, 15)),
        {"Pay 100% of rent", "Buy milk", "BUY BREAD"},
    ),
    "empty due window": Case(
        TodoFilter(due_after=date(2024, 6, 10), due_before=date(2024, 6, 10)), set()
    ),
    "inverted due window": Case(
        TodoFilter(due_after=date(2024, 6, 15), due_before=date(2024, 5, 31)), set()
    ),
    "due before far future": Case(TodoFilter(due_before=date(9999, 12, 31)), DATED),
    "due after far past": Case(TodoFilter(due_after=date(1000, 1, 1)), DATED),
    "due before far past": Case(TodoFilter(due_before=date(1000, 1, 1)), set()),
    # text: case-insensitive substring of the title, every character literal
    "text empty": Case(TodoFilter(text=""), ALL),
    "text buy": Case(TodoFilter(text="buy"), {"Buy milk", "BUY BREAD"}),
    "text BUY": Case(TodoFilter(text="BUY"), {"Buy milk", "BUY BREAD"}),
    "text mIlK": Case(TodoFilter(text="mIlK"), {"Buy milk"}),
    "text space": Case(TodoFilter(text=" "), ALL),
    "text whole title": Case(TodoFilter(text="plain task"), {"plain task"}),
    "text longer than any title": Case(TodoFilter(text="plain task!"), set()),
    "text no match": Case(TodoFilter(text="zzz"), set()),
    "text %": Case(TodoFilter(text="%"), {"Pay 100% of rent"}),
    "text 100%": Case(TodoFilter(text="100%"), {"Pay 100% of rent"}),
    "text %%": Case(TodoFilter(text="%%"), set()),
    "text _": Case(TodoFilter(text="_"), {"rename file_name"}),
    "text file_name": Case(TodoFilter(text="file_name"), {"rename file_name"}),
    "text b_y": Case(TodoFilter(text="b_y"), set()),
    "text backslash": Case(TodoFilter(text="\\"), {"Fix C:\\temp path"}),
    "text C:\\temp": Case(TodoFilter(text="C:\\temp"), {"Fix C:\\temp path"}),
    "text C:\\t": Case(TodoFilter(text="c:\\t"), {"Fix C:\\temp path"}),
    "text \\%": Case(TodoFilter(text="\\%"), set()),
    "text \\_": Case(TodoFilter(text="\\_"), set()),
    "text quote": Case(TodoFilter(text="'"), set()),
    # combined: every field must hold
    "open and tag home": Case(
        TodoFilter(status=Status.OPEN, tag="home"), {"Buy milk", "Pay 100% of rent"}
    ),
    "done and high": Case(TodoFilter(status=Status.DONE, priority=Priority.HIGH), {"BUY BREAD"}),
    "open and text buy": Case(TodoFilter(status=Status.OPEN, text="buy"), {"Buy milk"}),
    "low and tag work": Case(TodoFilter(priority=Priority.LOW, tag="work"), {"rename file_name"}),
    "tag work and due": Case(TodoFilter(tag="work", due_before=date(2024, 7, 1)), {"plain task"}),
    "high and due window and text": Case(
        TodoFilter(
            priority=Priority.HIGH,
            due_after=date(2024, 6, 1),
            due_before=date(2024, 6, 11),
            text="bread",
        ),
        {"BUY BREAD"},
    ),
    "all fields": Case(
        TodoFilter(
            status=Status.OPEN,
            priority=Priority.HIGH,
            tag="money",
            due_after=date(2024, 5, 1),
            due_before=date(2024, 6, 2),
            text="100%",
        ),
        {"Pay 100% of rent"},
    ),
    "all fields, one off": Case(
        TodoFilter(
            status=Status.DONE,
            priority=Priority.HIGH,
            tag="money",
            due_after=date(2024, 5, 1),
            due_before=date(2024, 6, 2),
            text="100%",
        ),
        set(),
    ),
    "contradiction": Case(TodoFilter(status=Status.DONE, text="milk"), set()),
}


@pytest.fixture
async def owner(uow_factory: UnitOfWorkFactory, owner: UUID, other_owner: UUID) -> UUID:
    """A registered owner with the dataset, beside another holding the very same todos."""
    await store(uow_factory, dataset(owner) + dataset(other_owner))
    return owner


def test_the_cases_agree_with_the_reference_semantics() -> None:
    """Guards the table itself: the expectations above are what `TodoFilter.matches` says."""
    todos = dataset(new_id())
    assert titles(todos) == ALL
    for name, case in CASES.items():
        assert titles(t for t in todos if case.filter.matches(t)) == case.expected, name


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_filter(uow_factory: UnitOfWorkFactory, owner: UUID, case: Case) -> None:
    found = await walk(uow_factory, owner, case.filter)
    assert titles(found) == case.expected
    assert len(found) == len(case.expected)
    assert all(todo.list_id == inbox_id(owner) for todo in found)


@pytest.mark.parametrize("name", ["text buy", "tag home", "status open", "due window"])
async def test_filter_with_small_pages(
    uow_factory: UnitOfWorkFactory, owner: UUID, name: str
) -> None:
    case = CASES[name]
    found = await walk(uow_factory, owner, case.filter, limit=1)
    assert titles(found) == case.expected
    assert len(found) == len(case.expected)


async def test_a_stranger_sees_nothing(uow_factory: UnitOfWorkFactory, owner: UUID) -> None:
    assert await walk(uow_factory, new_id()) == []
