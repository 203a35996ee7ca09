"""Text no backend can store (U+0000, surrogates) is refused by every rule and use case, and
the character classes the OpenAPI document states the rules with mean what Python does."""

import re
import sys
from collections.abc import Awaitable, Callable
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from todo_domain import (
    InvalidInput,
    NewTodo,
    TodoChanges,
    TodoFilter,
    TodoService,
    UserService,
    rules,
)

UNSTORABLE = ["\x00", "a\x00b", "\ud800", "x\udfff", "\udbff\udc00"]  # the last: a split pair


@pytest.mark.parametrize("text", UNSTORABLE)
@pytest.mark.parametrize(
    "rule",
    [
        rules.title,
        rules.description,
        rules.tag,
        rules.email,
        rules.display_name,
        rules.password,
        lambda text: rules.tags(["ok", text]),
    ],
)
def test_every_text_rule_refuses_what_no_backend_can_store(
    rule: Callable[[str], object], text: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        rule(f"{text}@example.com" if rule is rules.email else text + "padding!")
    assert raised.value.message == rules.UNSTORABLE_MESSAGE


@pytest.mark.parametrize("text", UNSTORABLE)
async def test_no_todo_use_case_takes_unstorable_text(
    todos: TodoService, owner: UUID, text: str
) -> None:
    existing = await todos.create(owner, NewTodo(title="kept"))
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: todos.create(owner, NewTodo(title=text)),
        lambda: todos.create(owner, NewTodo(title="t", description=text)),
        lambda: todos.create(owner, NewTodo(title="t", tags=[text])),
        lambda: todos.update(owner, existing.id, TodoChanges(title=text)),
        lambda: todos.update(owner, existing.id, TodoChanges(description=text)),
        lambda: todos.update(owner, existing.id, TodoChanges(tags=[text])),
        lambda: todos.list(owner, TodoFilter(text=text)),
        lambda: todos.list(owner, TodoFilter(tag=text)),
    ]

    for attempt in attempts:
        with pytest.raises(InvalidInput):
            await attempt()

    assert (await todos.list(owner)).items == (existing,)


@pytest.mark.parametrize("text", UNSTORABLE)
async def test_no_user_use_case_takes_unstorable_text(users: UserService, text: str) -> None:
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: users.register(f"a{text}@example.com", "password"),
        lambda: users.register("a@example.com", f"password{text}"),
        lambda: users.register("a@example.com", "password", text),
        lambda: users.authenticate(f"a{text}@example.com", "password", address="192.0.2.1"),
        lambda: users.authenticate("a@example.com", f"password{text}", address="192.0.2.1"),
    ]

    for attempt in attempts:
        with pytest.raises(InvalidInput):
            await attempt()

    assert (await users.register("a@example.com", "password")).email == "a@example.com"


def test_whitespace_is_what_str_strip_removes() -> None:
    blank = re.compile(rules.char_class(rules.WHITESPACE))
    every = (chr(code) for code in range(sys.maxunicode + 1))

    assert [c for c in every if blank.fullmatch(c)] == [
        chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()
    ]


def test_a_negated_class_is_every_other_character() -> None:
    storable = re.compile(rules.char_class(rules.UNSTORABLE, negated=True, also="@"))

    refused = [code for code in range(sys.maxunicode + 1) if not storable.fullmatch(chr(code))]

    assert refused == [0, ord("@"), *range(0xD800, 0xE000)]


@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30))
def test_the_email_pattern_is_the_loose_shape_it_always_was(text: str) -> None:
    """One "@", no whitespace, a dot in the domain: what `[^@\\s]+@[^@\\s]+\\.[^@\\s]+` says."""
    loose = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

    for candidate in (text, f"{text}@{text}.{text}", f"a{text}@b.c", f"a@b.c{text}"):
        assert bool(re.fullmatch(rules.EMAIL_PATTERN, candidate)) == bool(
            loose.fullmatch(candidate)
        )
