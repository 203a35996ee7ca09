"""Property: for random todos, filters and sorts, walking every page with a random limit returns
each matching todo exactly once, in the declared order (computed here, not by an adapter)."""

from datetime import date, timedelta
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import ALL_SORTS, T0, expected_order, ids, make_todo, register_owners, store, walk
from todo_domain import Priority, Sort, Status, Todo, TodoFilter, UnitOfWorkFactory, new_id

# ASCII only, so that "case-insensitive" means the same in Python and in every database; with
# the LIKE wildcards and the escape character, which must all be taken literally.
ALPHABET = "aAbB%_\\ "
TAGS = ["a", "b", "ab", "c"]
DAYS = [date(2024, 1, day) for day in range(1, 7)]


@st.composite
def todo_fields(draw: st.DrawFn) -> dict[str, object]:
    # few distinct moments, so created_at ties (broken by id) come up; whole seconds apart
    moment = T0 + timedelta(seconds=draw(st.integers(0, 15)) * 1_000, microseconds=3)
    status = draw(st.sampled_from(Status))
    return {
        "title": draw(st.text(ALPHABET, min_size=1, max_size=8)),
        "status": status,
        "priority": draw(st.sampled_from(Priority)),
        "due_date": draw(st.none() | st.sampled_from(DAYS)),
        "tags": tuple(sorted(draw(st.sets(st.sampled_from(TAGS), max_size=3)))),
        "created_at": moment,
        "updated_at": moment + timedelta(microseconds=draw(st.integers(0, 999_999))),
        "completed_at": moment + timedelta(minutes=1) if status is Status.DONE else None,
    }


T = TypeVar("T")


def maybe(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


FILTERS = st.builds(
    TodoFilter,
    status=maybe(st.sampled_from(Status)),
    priority=maybe(st.sampled_from(Priority)),
    tag=maybe(st.sampled_from([*TAGS, "abc"])),
    due_before=maybe(st.sampled_from(DAYS)),
    due_after=maybe(st.sampled_from(DAYS)),
    text=maybe(st.text(ALPHABET, max_size=3)),
)


# Hypothesis runs every example inside one call of the test, so the function-scoped
# `uow_factory` (one fresh storage per backend) is shared by all examples, which the health
# check warns about. That is deliberate: each example registers a fresh owner and writes under
# it, so it only ever lists its own todos, and the other examples' rows are other owners' todos.
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    fields=st.lists(todo_fields(), max_size=25),
    filter=FILTERS,
    sort=st.sampled_from(ALL_SORTS),
    limit=st.integers(1, 10) | st.just(100),
)
async def test_walking_all_pages_returns_every_match_once_in_order(
    uow_factory: UnitOfWorkFactory,
    fields: list[dict[str, object]],
    filter: TodoFilter,
    sort: Sort,
    limit: int,
) -> None:
    owner = new_id()
    await register_owners(uow_factory, owner)
    todos: list[Todo] = [make_todo(owner, **values) for values in fields]
    await store(uow_factory, todos)

    found = await walk(uow_factory, owner, filter, sort, limit)

    expected = expected_order([todo for todo in todos if filter.matches(todo)], sort)
    assert ids(found) == ids(expected)
    assert found == expected  # whole entities, not just their ids
