"""The text filter: a case-insensitive substring of the title with Python's `str.lower()`
semantics on every backend, and `%`, `_`, `\\` and `/` (the LIKE escape) taken literally."""

from uuid import UUID

import pytest

from builders import make_todo, store, walk
from todo_domain import TodoFilter
from todo_sql import SqlUnitOfWorkFactory

TITLES = [
    "100% sure",
    "100 percent",
    "file_name",
    "fileXname",
    "C:\\temp",
    "C:temp",
    "a/b",
    "a//b",
    "ab",
    "Straße",
    "STRASSE",
    "İstanbul",  # lower() is "i̇stanbul": two code points for the first letter
    "istanbul",
    "ΣΊΣΥΦΟΣ",
    "σίσυφος",
    "Ünïcode",
    "ÜNÏCODE",
    "unicode",
    "trailing space ",
    "end",
    "x" * 200,
]

QUERIES = [
    "%",
    "100%",
    "_",
    "e_n",
    "\\",
    "C:\\",
    "/",
    "a/b",
    "//",
    "ß",
    "STRASSE",
    "strasse",
    "ss",
    "İ",
    "i̇",
    "ist",
    "σ",  # noqa: RUF001 - Greek on purpose
    "Σ",
    "ΐ",
    "üNÏ",
    "ÜNÏ",
    "uni",
    "e ",
    "",
    " ",
    "x" * 200,
    "x" * 201,
    "%_\\/",
]


async def test_every_query_matches_what_the_reference_semantics_match(
    sql: SqlUnitOfWorkFactory, owner: UUID
) -> None:
    todos = [make_todo(owner, title=title) for title in TITLES]
    await store(sql, todos)
    for query in QUERIES:
        filter = TodoFilter(text=query)
        expected = {todo.title for todo in todos if filter.matches(todo)}
        found = {todo.title for todo in await walk(sql, owner, filter)}
        assert found == expected, query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("%", {"100% sure"}),
        ("_", {"file_name"}),
        ("\\", {"C:\\temp"}),
        ("/", {"a/b", "a//b"}),
        ("//", {"a//b"}),
        ("STRASSE", {"STRASSE"}),  # no folding of ß to ss
        ("ünï", {"Ünïcode", "ÜNÏCODE"}),  # no accent folding either
    ],
)
async def test_special_characters_are_literal(
    sql: SqlUnitOfWorkFactory, owner: UUID, query: str, expected: set[str]
) -> None:
    await store(sql, [make_todo(owner, title=title) for title in TITLES])
    found = {todo.title for todo in await walk(sql, owner, TodoFilter(text=query))}
    assert found == expected
