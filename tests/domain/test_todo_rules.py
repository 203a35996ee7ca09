"""The input rules of a todo (docs/architecture.md, "Domain rules"), on create and on update."""

from uuid import UUID

import pytest

from todo_domain import InvalidInput, NewTodo, TodoChanges, TodoFilter, TodoService


async def assert_nothing_stored(todos: TodoService, owner: UUID) -> None:
    assert (await todos.list(owner)).items == ()


# --- title ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("a", "a"),
        ("  Buy milk \t\n", "Buy milk"),
        ("x" * 200, "x" * 200),
        ("   " + "y" * 200 + "   ", "y" * 200),  # the limit applies after trimming
        ("inner   spaces  kept", "inner   spaces  kept"),
    ],
)
async def test_title_is_trimmed_and_accepted_up_to_200(
    todos: TodoService, owner: UUID, raw: str, stored: str
) -> None:
    todo = await todos.create(owner, NewTodo(title=raw))
    assert todo.title == stored
    assert (await todos.get(owner, todo.id)).title == stored


@pytest.mark.parametrize("raw", ["", " ", "\t\n  ", "x" * 201, " " + "x" * 201 + " "])
async def test_title_blank_or_longer_than_200_is_invalid(
    todos: TodoService, owner: UUID, raw: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await todos.create(owner, NewTodo(title=raw))
    assert caught.value.field == "title"
    await assert_nothing_stored(todos, owner)


@pytest.mark.parametrize("raw", ["", "   ", "z" * 201])
async def test_title_rule_holds_on_update(todos: TodoService, owner: UUID, raw: str) -> None:
    todo = await todos.create(owner, NewTodo(title="keep me"))
    with pytest.raises(InvalidInput) as caught:
        await todos.update(owner, todo.id, TodoChanges(title=raw))
    assert caught.value.field == "title"
    assert await todos.get(owner, todo.id) == todo


async def test_title_is_trimmed_on_update(todos: TodoService, owner: UUID) -> None:
    todo = await todos.create(owner, NewTodo(title="old"))
    updated = await todos.update(owner, todo.id, TodoChanges(title="  new  "))
    assert updated.title == "new"


# --- description ---------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["", "d", "d" * 10_000])
async def test_description_up_to_10000_is_accepted_verbatim(
    todos: TodoService, owner: UUID, raw: str
) -> None:
    todo = await todos.create(owner, NewTodo(title="t", description=raw))
    assert todo.description == raw
    assert (await todos.get(owner, todo.id)).description == raw


async def test_description_longer_than_10000_is_invalid(todos: TodoService, owner: UUID) -> None:
    with pytest.raises(InvalidInput) as caught:
        await todos.create(owner, NewTodo(title="t", description="d" * 10_001))
    assert caught.value.field == "description"
    await assert_nothing_stored(todos, owner)


async def test_description_rule_holds_on_update(todos: TodoService, owner: UUID) -> None:
    todo = await todos.create(owner, NewTodo(title="t"))
    with pytest.raises(InvalidInput) as caught:
        await todos.update(owner, todo.id, TodoChanges(description="d" * 10_001))
    assert caught.value.field == "description"
    assert await todos.get(owner, todo.id) == todo


# --- tags ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ([], ()),
        (["Work"], ("work",)),
        (["b", "A", "c"], ("a", "b", "c")),
        (["Home", "home", " HOME ", "work"], ("home", "work")),
        (["t" * 50], ("t" * 50,)),
        ([" " + "t" * 50 + " "], ("t" * 50,)),
    ],
)
async def test_tags_are_lower_cased_trimmed_deduplicated_and_sorted(
    todos: TodoService, owner: UUID, raw: list[str], stored: tuple[str, ...]
) -> None:
    todo = await todos.create(owner, NewTodo(title="t", tags=raw))
    assert todo.tags == stored
    assert (await todos.get(owner, todo.id)).tags == stored


async def test_twenty_tags_are_accepted(todos: TodoService, owner: UUID) -> None:
    raw = [f"tag{i:02}" for i in range(20)]
    todo = await todos.create(owner, NewTodo(title="t", tags=raw))
    assert todo.tags == tuple(raw)


async def test_duplicates_do_not_count_towards_the_limit(todos: TodoService, owner: UUID) -> None:
    raw = [f"tag{i:02}" for i in range(20)] + ["TAG00", "Tag01"]
    todo = await todos.create(owner, NewTodo(title="t", tags=raw))
    assert len(todo.tags) == 20


@pytest.mark.parametrize(
    "raw",
    [
        [f"tag{i:02}" for i in range(21)],
        [""],
        ["ok", "   "],
        ["t" * 51],
    ],
    ids=["21 tags", "empty tag", "blank tag", "51 characters"],
)
async def test_invalid_tags_are_rejected(todos: TodoService, owner: UUID, raw: list[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        await todos.create(owner, NewTodo(title="t", tags=raw))
    assert caught.value.field == "tags"
    await assert_nothing_stored(todos, owner)


async def test_tag_rules_hold_on_update(todos: TodoService, owner: UUID) -> None:
    todo = await todos.create(owner, NewTodo(title="t", tags=["keep"]))
    with pytest.raises(InvalidInput):
        await todos.update(owner, todo.id, TodoChanges(tags=["x" * 51]))
    updated = await todos.update(owner, todo.id, TodoChanges(tags=["B", "a", "b"]))
    assert updated.tags == ("a", "b")


async def test_tag_filter_is_normalised_like_a_stored_tag(todos: TodoService, owner: UUID) -> None:
    tagged = await todos.create(owner, NewTodo(title="t", tags=["work"]))
    await todos.create(owner, NewTodo(title="u", tags=["home"]))
    page = await todos.list(owner, TodoFilter(tag="  WORK "))
    assert [todo.id for todo in page.items] == [tagged.id]


@pytest.mark.parametrize("tag", ["", "  ", "x" * 51])
async def test_an_invalid_tag_filter_is_invalid_input(
    todos: TodoService, owner: UUID, tag: str
) -> None:
    with pytest.raises(InvalidInput):
        await todos.list(owner, TodoFilter(tag=tag))
