"""SQLAlchemy Core statements, each built once (with `bindparam`) and reused.

Building a statement per request, and loading rows into ORM objects, were most of SQLAlchemy's
cost in the measurements of bench/README.md; the hot paths therefore execute these prebuilt selects
and map rows straight into entities. The list statement depends on which filters are set, the
sort order and the kind of cursor: each variant is built on first use and then kept.
"""

import enum
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Delete,
    Insert,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType

from todo_domain import SortKey
from todo_sql.records import LoginFailureRecord, TagRecord, TodoRecord, UserRecord, todo_tags

todos = cast(Table, TodoRecord.__table__)
tags = cast(Table, TagRecord.__table__)
users = cast(Table, UserRecord.__table__)
login_failures = cast(Table, LoginFailureRecord.__table__)

TODO_COLUMNS = (
    todos.c.id,
    todos.c.list_id,
    todos.c.title,
    todos.c.description,
    todos.c.status,
    todos.c.priority,
    todos.c.due_date,
    todos.c.created_at,
    todos.c.updated_at,
    todos.c.completed_at,
    todos.c.version,
)
"""The order `mapping.todo_from_row` reads."""

USER_COLUMNS = (
    users.c.id,
    users.c.email,
    users.c.password_hash,
    users.c.display_name,
    users.c.created_at,
)
"""The order `mapping.user_from_row` reads."""

LIKE_ESCAPE = "/"


def like_pattern(text: str) -> str:
    """A LIKE pattern for "contains `text.lower()`", with `%`, `_` (and the escape) literal.

    `/` is the escape character because `\\` itself has a meaning in MySQL string literals."""
    escaped = (
        text.lower()
        .replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


# --- todos: reads ----------------------------------------------------------------------------
GET_TODO = (
    select(*TODO_COLUMNS, tags.c.name)
    .select_from(
        todos.outerjoin(todo_tags, todo_tags.c.todo_id == todos.c.id).outerjoin(
            tags, tags.c.id == todo_tags.c.tag_id
        )
    )
    .where(todos.c.id == bindparam("todo_id"), todos.c.list_id == bindparam("list_id"))
    .order_by(todo_tags.c.position)
)
"""One todo and its tags (in their order) in one round trip: a row per tag (a single row with
a NULL tag when it has none)."""

TAGS_OF_TODOS = (
    select(todo_tags.c.todo_id, tags.c.name)
    .join(tags, tags.c.id == todo_tags.c.tag_id)
    .where(todo_tags.c.todo_id.in_(bindparam("todo_ids", expanding=True)))
    .order_by(todo_tags.c.position)
)

VERSION_OF_TODO = select(todos.c.version).where(
    todos.c.id == bindparam("todo_id"), todos.c.list_id == bindparam("list_id")
)


class CursorKind(enum.Enum):
    NONE = "none"  # the first page
    VALUE = "value"  # after a todo with a sort value
    NULL = "null"  # after a todo without a due date (those come last)


class Filter(enum.StrEnum):
    STATUS = "status"
    PRIORITY = "priority"
    TAG = "tag"
    DUE_BEFORE = "due_before"
    DUE_AFTER = "due_after"
    TEXT = "text"


class NullsLast(ColumnElement[Any]):
    """`column ASC|DESC NULLS LAST`; MariaDB/MySQL lack the clause and get `column IS NULL, ...`
    (false sorts before true there)."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any], descending: bool) -> None:
        self.column = column
        self.descending = descending

    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012 - SQLAlchemy's protocol
        ("column", InternalTraversal.dp_clauseelement),
        ("descending", InternalTraversal.dp_boolean),
    ]


@compiles(NullsLast)
def _nulls_last(element: NullsLast, compiler: SQLCompiler, **kw: Any) -> str:
    ordered: UnaryExpression[Any] = (
        element.column.desc() if element.descending else element.column.asc()
    )
    return compiler.process(ordered.nulls_last(), **kw)


@compiles(NullsLast, "mysql")
@compiles(NullsLast, "mariadb")
def _nulls_last_mysql(element: NullsLast, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IS NULL, {column} {'DESC' if element.descending else 'ASC'}"


_SORT_COLUMNS = {
    SortKey.CREATED_AT: todos.c.created_at,
    SortKey.DUE_DATE: todos.c.due_date,
    SortKey.PRIORITY: todos.c.priority,
}


def _after(key: SortKey, descending: bool, kind: CursorKind) -> ColumnElement[bool]:
    """Rows strictly after the cursor (`cursor_value`, `cursor_id`) in the sort order.

    Written as `value >= :v AND (value > :v OR id > :id)` rather than a row-value comparison:
    portable, and the leading range is what the (list_id, value, id) indexes serve."""
    column = _SORT_COLUMNS[key]
    value = bindparam("cursor_value", type_=column.type)
    cursor_id = bindparam("cursor_id", type_=todos.c.id.type)
    if kind is CursorKind.NULL:  # only the undated rest, by id
        return and_(
            column.is_(None), todos.c.id < cursor_id if descending else todos.c.id > cursor_id
        )
    if descending:
        dated = and_(column <= value, or_(column < value, todos.c.id < cursor_id))
    else:
        dated = and_(column >= value, or_(column > value, todos.c.id > cursor_id))
    if key is SortKey.DUE_DATE:
        return or_(dated, column.is_(None))  # the undated ones all come after
    return dated


TAG_NAMES_ARRAY = (
    select(func.array_agg(postgresql.aggregate_order_by(tags.c.name, todo_tags.c.position)))
    .select_from(todo_tags.join(tags, tags.c.id == todo_tags.c.tag_id))
    .where(todo_tags.c.todo_id == todos.c.id)
    .scalar_subquery()
)
"""PostgreSQL: a todo's tag names in their order, as an array (NULL without tags)."""


@cache
def list_todos(
    key: SortKey,
    descending: bool,
    cursor: CursorKind,
    filters: frozenset[Filter],
    tags_inline: bool = False,
) -> Select[Any]:
    """The page statement: parameters `list_id`, `limit`, one per filter in `filters`
    (`status`, `priority` (rank), `tag`, `due_before`, `due_after`, `pattern`) and, after a
    cursor, `cursor_value` and `cursor_id`.

    With `tags_inline` (PostgreSQL only) each row ends with the array of its tag names
    (`TAG_NAMES_ARRAY`): the page in one round trip instead of two."""
    column = _SORT_COLUMNS[key]
    columns = (*TODO_COLUMNS, TAG_NAMES_ARRAY) if tags_inline else TODO_COLUMNS
    statement = select(*columns).where(todos.c.list_id == bindparam("list_id"))
    if Filter.STATUS in filters:
        statement = statement.where(todos.c.status == bindparam("status"))
    if Filter.PRIORITY in filters:
        statement = statement.where(todos.c.priority == bindparam("priority"))
    if Filter.TAG in filters:
        # The tag's id is looked up once (an uncorrelated subquery on the unique owner + name
        # index), then a probe of the todo_tags (tag_id, todo_id) index per todo, so PostgreSQL
        # walks the sort index and stops after a page, whatever the number of todos with that
        # tag (an IN over the tag's todos reads them all and sorts: linear in the data). The id
        # is read, not derived, so rows written by other means are found all the same.
        tag_id = (
            select(tags.c.id)
            .where(tags.c.list_id == bindparam("list_id"), tags.c.name == bindparam("tag"))
            .scalar_subquery()
        )
        tagged = exists().where(todo_tags.c.todo_id == todos.c.id, todo_tags.c.tag_id == tag_id)
        statement = statement.where(tagged)
    if Filter.DUE_BEFORE in filters:
        statement = statement.where(todos.c.due_date < bindparam("due_before"))
    if Filter.DUE_AFTER in filters:
        statement = statement.where(todos.c.due_date > bindparam("due_after"))
    if Filter.TEXT in filters:
        statement = statement.where(
            todos.c.title_lower.like(bindparam("pattern"), escape=LIKE_ESCAPE)
        )
    if cursor is not CursorKind.NONE:
        statement = statement.where(_after(key, descending, cursor))
    if key is SortKey.DUE_DATE:
        order: list[Any] = [NullsLast(column, descending)]
    else:
        order = [column.desc() if descending else column.asc()]
    order.append(todos.c.id.desc() if descending else todos.c.id.asc())
    return statement.order_by(*order).limit(bindparam("limit"))


# The default listing, built at import like the other hot statements.
for _descending in (True, False):
    for _kind in (CursorKind.NONE, CursorKind.VALUE):
        for _inline in (True, False):
            list_todos(SortKey.CREATED_AT, _descending, _kind, frozenset(), _inline)


# --- todos: writes ---------------------------------------------------------------------------
def _insert_ignoring_duplicates(dialect: str, table: Any, *, index: list[str] | None) -> Insert:
    """INSERT that silently skips a row whose key exists (rowcount tells). PostgreSQL would
    otherwise abort the whole transaction on the unique violation."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=index)
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=index)
    statement = mysql.insert(table)
    return statement.on_duplicate_key_update({"id": table.c.id})


DIALECTS = ("postgresql", "sqlite", "mysql", "mariadb")

INSERT_TODO: dict[str, Insert] = {
    "postgresql": _insert_ignoring_duplicates("postgresql", todos, index=["id"]),
    "sqlite": _insert_ignoring_duplicates("sqlite", todos, index=["id"]),
    # MariaDB/MySQL keep the transaction usable after a duplicate key: a plain INSERT, whose
    # IntegrityError becomes Conflict (ON DUPLICATE KEY cannot report "nothing inserted").
    "mysql": insert(todos),
    "mariadb": insert(todos),
}
"""By dialect: rowcount 0 (or an IntegrityError) means the id exists."""

INSERT_USER: dict[str, Insert] = {
    "postgresql": _insert_ignoring_duplicates("postgresql", users, index=None),
    "sqlite": _insert_ignoring_duplicates("sqlite", users, index=None),
    "mysql": insert(users),
    "mariadb": insert(users),
}
"""By dialect: rowcount 0 (or an IntegrityError) means the id or the e-mail is taken."""

INSERT_TAGS: dict[str, Insert] = {
    name: _insert_ignoring_duplicates(name, tags, index=["id"]) for name in DIALECTS
}
"""By dialect: adds the tags an owner does not have yet."""

INSERT_TODO_TAGS = insert(todo_tags)

UPDATE_TODO: Update = update(todos).where(
    todos.c.id == bindparam("b_id"),
    todos.c.list_id == bindparam("b_list_id"),
    todos.c.version == bindparam("b_expected_version"),
)
"""The compare-and-set; the SET clause comes from the column-named parameters."""

DELETE_TODO: Delete = delete(todos).where(
    todos.c.id == bindparam("todo_id"), todos.c.list_id == bindparam("list_id")
)

DELETE_TAGS_OF_TODO: Delete = delete(todo_tags).where(todo_tags.c.todo_id == bindparam("todo_id"))

# --- users -----------------------------------------------------------------------------------
GET_USER = select(*USER_COLUMNS).where(users.c.id == bindparam("user_id"))
GET_USER_BY_EMAIL = select(*USER_COLUMNS).where(users.c.email == bindparam("email"))


# --- login failures --------------------------------------------------------------------------
INSERT_LOGIN_FAILURE = insert(login_failures)


@cache
def latest_login_failures(by_address: bool, by_account: bool) -> Select[Any]:
    """The times of the newest failures: parameters `since`, `limit` and, by the flags,
    `address` and `account`."""
    statement = select(login_failures.c.failed_at).where(
        login_failures.c.failed_at > bindparam("since")
    )
    if by_address:
        statement = statement.where(login_failures.c.address == bindparam("address"))
    if by_account:
        statement = statement.where(login_failures.c.account == bindparam("account"))
    return statement.order_by(login_failures.c.failed_at.desc()).limit(bindparam("limit"))


CLEAR_LOGIN_FAILURES: Delete = delete(login_failures).where(
    login_failures.c.address == bindparam("address"),
    login_failures.c.account == bindparam("account"),
)

WITHDRAW_LOGIN_FAILURE: Delete = delete(login_failures).where(
    login_failures.c.address == bindparam("address"),
    login_failures.c.account == bindparam("account"),
    login_failures.c.failed_at == bindparam("at"),
)

PRUNE_LOGIN_FAILURES: Delete = delete(login_failures).where(
    login_failures.c.failed_at < bindparam("before")
)
