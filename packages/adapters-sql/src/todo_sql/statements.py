"""SQLAlchemy Core statements, each built once (with `bindparam`) and reused.

Building a statement per request, and loading rows into ORM objects, were most of SQLAlchemy's
cost in the measurements of bench/README.md; the hot paths therefore execute these prebuilt selects
and map rows straight into entities. The list statements depend on which filters are set, the
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
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType

from todo_domain import Role, SortKey
from todo_sql.records import (
    LoginFailureRecord,
    TagRecord,
    TodoRecord,
    UserRecord,
    ended_sessions,
    lists,
    memberships,
    todo_tags,
)

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
    users.c.version,
    users.c.credentials_version,
)
"""The order `mapping.user_from_row` reads."""

LIST_COLUMNS = (
    lists.c.id,
    lists.c.name,
    lists.c.created_at,
    lists.c.updated_at,
    lists.c.inbox_of,
    lists.c.version,
)
"""The order `mapping.list_from_row` reads."""

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
def _member_of_the_todos_list() -> ColumnElement[bool]:
    return and_(
        memberships.c.list_id == todos.c.list_id, memberships.c.user_id == bindparam("user_id")
    )


GET_TODO = (
    select(*TODO_COLUMNS, memberships.c.role, tags.c.name)
    .select_from(
        todos.join(memberships, _member_of_the_todos_list())
        .outerjoin(todo_tags, todo_tags.c.todo_id == todos.c.id)
        .outerjoin(tags, tags.c.id == todo_tags.c.tag_id)
    )
    .where(todos.c.id == bindparam("todo_id"))
    .order_by(todo_tags.c.position)
)
"""One todo, the reader's role in its list and its tags (in their order) in one round trip:
a row per tag (a single row with a NULL tag when it has none); no row for a non-member."""

TAGS_OF_TODOS = (
    select(todo_tags.c.todo_id, tags.c.name)
    .join(tags, tags.c.id == todo_tags.c.tag_id)
    .where(todo_tags.c.todo_id.in_(bindparam("todo_ids", expanding=True)))
    .order_by(todo_tags.c.position)
)

VERSION_OF_TODO = select(todos.c.version).where(todos.c.id == bindparam("todo_id"))


class CursorKind(enum.Enum):
    NONE = "none"  # the first page
    VALUE = "value"  # after a todo with a sort value
    NULL = "null"  # after a todo without a due date (those come last)


class Filter(enum.StrEnum):
    LIST_ID = "list_id"
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


def _tag_names_array(todo_id: ColumnElement[Any]) -> ColumnElement[Any]:
    """PostgreSQL: the tag names of the todo `todo_id` in their order, as an array (NULL
    without tags)."""
    return (
        select(func.array_agg(postgresql.aggregate_order_by(tags.c.name, todo_tags.c.position)))
        .select_from(todo_tags.join(tags, tags.c.id == todo_tags.c.tag_id))
        .where(todo_tags.c.todo_id == todo_id)
        .scalar_subquery()
    )


def _order(key: SortKey, descending: bool, columns: Any) -> list[Any]:
    """The sort order over `columns` (a table's or a subquery's), ties by id."""
    column = columns[_SORT_COLUMNS[key].name]
    if key is SortKey.DUE_DATE:
        order: list[Any] = [NullsLast(column, descending)]
    else:
        order = [column.desc() if descending else column.asc()]
    order.append(columns.id.desc() if descending else columns.id.asc())
    return order


def _todo_predicates(
    key: SortKey,
    descending: bool,
    cursor: CursorKind,
    filters: frozenset[Filter],
    tag_id: Any,
    on_postgresql: bool,
) -> list[ColumnElement[bool]]:
    """What a todo of the page satisfies within its list: the filters (the tag by its id in
    that list, `tag_id`) and the position after the cursor."""
    where: list[ColumnElement[bool]] = []
    if Filter.STATUS in filters:
        where.append(todos.c.status == bindparam("status"))
    if Filter.PRIORITY in filters:
        where.append(todos.c.priority == bindparam("priority"))
    if Filter.TAG in filters:
        # A probe of the todo_tags (tag_id, todo_id) index per todo, so the walk of the sort
        # index stops after a page, whatever the number of todos with that tag (a join with
        # the tag's todos reads them all and sorts: linear in the data).
        probe: Select[Any] = select(literal_column("1")).where(
            todo_tags.c.todo_id == todos.c.id, todo_tags.c.tag_id == tag_id
        )
        if on_postgresql:
            # OFFSET 0 keeps PostgreSQL from turning the EXISTS into a join: inside a
            # LATERAL its estimate of a list's tagged todos is an average over all lists, far
            # too low for a large list, and it then read and joined every todo of the list.
            probe = probe.offset(literal_column("0"))
        where.append(exists(probe.correlate_except(todo_tags)))  # `tag_id`: an outer query's
    if Filter.DUE_BEFORE in filters:
        where.append(todos.c.due_date < bindparam("due_before"))
    if Filter.DUE_AFTER in filters:
        where.append(todos.c.due_date > bindparam("due_after"))
    if Filter.TEXT in filters:
        where.append(todos.c.title_lower.like(bindparam("pattern"), escape=LIKE_ESCAPE))
    if cursor is not CursorKind.NONE:
        where.append(_after(key, descending, cursor))
    return where


# The tag a tag filter names, in each list: its id is read, not derived, so rows written by
# other means are found all the same.
_wanted_tag = tags.alias("wanted_tag")


@cache
def list_todos(
    key: SortKey,
    descending: bool,
    cursor: CursorKind,
    filters: frozenset[Filter],
    on_postgresql: bool = False,
) -> Select[Any]:
    """The page statement: the todos of every list of the user (`list_id` only, with
    `Filter.LIST_ID`). Parameters `user_id`, `limit`, one per filter in `filters` (`list_id`,
    `status`, `priority` (rank), `tag`, `due_before`, `due_after`, `pattern`) and, after a
    cursor, `cursor_value` and `cursor_id`.

    With `on_postgresql`: a LATERAL subquery per membership takes each list's first `limit` in
    order (a walk of its (list_id, sort, id) index that stops there), and only those are
    merged and cut to `limit`, so a page costs what it shows times the number of lists,
    whatever the number of todos; each row ends with the array of its tag names
    (`_tag_names_array`): the page in one round trip instead of two. Elsewhere: one join of
    the todos with the user's memberships, in order (MariaDB has no LATERAL)."""
    member = memberships.c.user_id == bindparam("user_id")
    one_list = memberships.c.list_id == bindparam("list_id")
    with_tag = Filter.TAG in filters
    tag_of_list = and_(
        _wanted_tag.c.list_id == memberships.c.list_id, _wanted_tag.c.name == bindparam("tag")
    )
    where = _todo_predicates(key, descending, cursor, filters, _wanted_tag.c.id, on_postgresql)
    if not on_postgresql:
        joined = todos.join(memberships, and_(memberships.c.list_id == todos.c.list_id, member))
        if with_tag:
            joined = joined.join(_wanted_tag, tag_of_list)
        statement = select(*TODO_COLUMNS).select_from(joined).where(*where)
        if Filter.LIST_ID in filters:
            statement = statement.where(todos.c.list_id == bindparam("list_id"))
        return statement.order_by(*_order(key, descending, todos.c)).limit(bindparam("limit"))

    per_list = (
        select(*TODO_COLUMNS)
        .where(todos.c.list_id == memberships.c.list_id, *where)
        .order_by(*_order(key, descending, todos.c))
        .limit(bindparam("limit"))
        .lateral("per_list")
    )
    lists_of_user = memberships.join(_wanted_tag, tag_of_list) if with_tag else memberships
    merged = (
        select(*per_list.c)
        .select_from(lists_of_user.join(per_list, true()))
        .where(member, *([one_list] if Filter.LIST_ID in filters else []))
        .order_by(*_order(key, descending, per_list.c))
        .limit(bindparam("limit"))
        .subquery("page")
    )
    # The tag names of the page's rows only: computed over the merged page, not per list.
    return select(*merged.c, _tag_names_array(merged.c.id)).order_by(
        *_order(key, descending, merged.c)
    )


# The default listing, built at import like the other hot statements.
for _descending in (True, False):
    for _kind in (CursorKind.NONE, CursorKind.VALUE):
        for _on_postgresql in (True, False):
            list_todos(SortKey.CREATED_AT, _descending, _kind, frozenset(), _on_postgresql)


# --- todos: writes ---------------------------------------------------------------------------
def _insert_ignoring_duplicates(dialect: str, table: Any, *, index: list[str] | None) -> Insert:
    """INSERT that silently skips a row whose key exists (rowcount tells). PostgreSQL would
    otherwise abort the whole transaction on the unique violation."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=index)
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=index)
    key = next(iter(table.primary_key.columns))
    return mysql.insert(table).on_duplicate_key_update({key.name: key})


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
"""By dialect: adds the tags a list does not have yet."""

INSERT_TODO_TAGS = insert(todo_tags)


def _tag_todo_from_arrays() -> Insert:
    """PostgreSQL: a todo's new tags and its links to all of them in one statement, from
    arrays (`unnest`), where the statements above take a row of parameters per tag (asyncpg's
    `executemany`: a bind and an execution per row, on both sides). The tags are inserted in a
    data-modifying WITH; the links' foreign keys are checked at the end of the statement,
    when those rows exist."""
    given = (
        func.unnest(
            bindparam("tag_ids", type_=postgresql.ARRAY(tags.c.id.type)),
            bindparam("names", type_=postgresql.ARRAY(tags.c.name.type)),
            bindparam("positions", type_=postgresql.ARRAY(todo_tags.c.position.type)),
        )
        .table_valued("tag_id", "name", "position")
        .render_derived(with_types=False)
        .alias("given")
    )
    new_tags = (
        postgresql.insert(tags)
        .from_select(
            ["id", "list_id", "name"],
            select(given.c.tag_id, bindparam("list_id", type_=tags.c.list_id.type), given.c.name),
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .cte("new_tags")
    )
    links = select(
        bindparam("todo_id", type_=todo_tags.c.todo_id.type), given.c.tag_id, given.c.position
    )
    return insert(todo_tags).from_select(["todo_id", "tag_id", "position"], links).add_cte(new_tags)


TAG_TODO_FROM_ARRAYS = _tag_todo_from_arrays()
"""PostgreSQL only; the parameters come from `mapping.tagging_arrays`."""

UPDATE_TODO: Update = update(todos).where(
    todos.c.id == bindparam("b_id"), todos.c.version == bindparam("b_expected_version")
)
"""The compare-and-set (a move too: `list_id` is one of the columns set); the SET clause comes
from the column-named parameters."""

DELETE_TODO: Delete = delete(todos).where(
    todos.c.id == bindparam("todo_id"), todos.c.list_id == bindparam("list_id")
)

DELETE_TAGS_OF_TODO: Delete = delete(todo_tags).where(todo_tags.c.todo_id == bindparam("todo_id"))

# --- lists -----------------------------------------------------------------------------------
INSERT_LIST: dict[str, Insert] = {
    "postgresql": _insert_ignoring_duplicates("postgresql", lists, index=["id"]),
    "sqlite": _insert_ignoring_duplicates("sqlite", lists, index=["id"]),
    "mysql": insert(lists),
    "mariadb": insert(lists),
}
"""By dialect: rowcount 0 (or an IntegrityError) means the id is taken; a second Inbox of a
user is an IntegrityError everywhere."""

GET_LIST = select(*LIST_COLUMNS).where(lists.c.id == bindparam("list_id"))

VERSION_OF_LIST = select(lists.c.version).where(lists.c.id == bindparam("list_id"))

UPDATE_LIST: Update = update(lists).where(
    lists.c.id == bindparam("b_id"), lists.c.version == bindparam("b_expected_version")
)
"""The compare-and-set; the SET clause comes from the column-named parameters."""

DELETE_LIST: Delete = delete(lists).where(lists.c.id == bindparam("list_id"))

DELETE_MEMBERSHIPS_OF_LIST: Delete = delete(memberships).where(
    memberships.c.list_id == bindparam("list_id")
)
"""Run before `DELETE_LIST`: see `SqlTodoListRepository.delete`."""
"""Its memberships, todos (with their tag links) and tags go by ON DELETE CASCADE."""


class CodePoints(ColumnElement[Any]):
    """Text compared code point by code point, as Python compares `str`: `COLLATE "C"` on
    PostgreSQL (whose database collation may be a language's); SQLite's BINARY already is.
    MariaDB/MySQL: a binary collation without padding (the tables' utf8mb4_bin pads with
    spaces, so there "a" sorted after "a\x01")."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type

    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012 - SQLAlchemy's protocol
        ("column", InternalTraversal.dp_clauseelement),
    ]


@compiles(CodePoints)
def _code_points(element: CodePoints, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(CodePoints, "postgresql")
def _code_points_postgresql(element: CodePoints, compiler: SQLCompiler, **kw: Any) -> str:
    return f'{compiler.process(element.column, **kw)} COLLATE "C"'


@compiles(CodePoints, "mysql")
@compiles(CodePoints, "mariadb")
def _code_points_mysql(element: CodePoints, compiler: SQLCompiler, **kw: Any) -> str:
    collation = (
        "utf8mb4_nopad_bin"
        if getattr(compiler.dialect, "is_mariadb", False)
        else "utf8mb4_0900_bin"
    )
    return f"{compiler.process(element.column, **kw)} COLLATE {collation}"


@cache
def lists_of_user(by_role: bool, after_cursor: bool) -> Select[Any]:
    """A page of a user's lists with their role, by name then id: parameters `user_id`,
    `limit` and, by the flags, `role`, `cursor_name` and `cursor_id`."""
    name = CodePoints(lists.c.name)
    statement = (
        select(*LIST_COLUMNS, memberships.c.role)
        .select_from(memberships.join(lists, lists.c.id == memberships.c.list_id))
        .where(memberships.c.user_id == bindparam("user_id"))
    )
    if by_role:
        statement = statement.where(memberships.c.role == bindparam("role"))
    if after_cursor:
        cursor_name = bindparam("cursor_name", type_=lists.c.name.type)
        statement = statement.where(
            name >= cursor_name,
            or_(name > cursor_name, lists.c.id > bindparam("cursor_id", type_=lists.c.id.type)),
        )
    return statement.order_by(name, lists.c.id).limit(bindparam("limit"))


# --- memberships -----------------------------------------------------------------------------
INSERT_MEMBERSHIP: dict[str, Insert] = {
    "postgresql": _insert_ignoring_duplicates("postgresql", memberships, index=None),
    "sqlite": _insert_ignoring_duplicates("sqlite", memberships, index=None),
    "mysql": insert(memberships),
    "mariadb": insert(memberships),
}
"""By dialect: rowcount 0 (or an IntegrityError) means the user is a member already."""

_MEMBERSHIP = and_(
    memberships.c.list_id == bindparam("list_id"), memberships.c.user_id == bindparam("user_id")
)

ROLE_OF = select(memberships.c.role).where(_MEMBERSHIP)

HOLD_ROLE = ROLE_OF.with_for_update(read=True)
"""The role, share-locked until the transaction ends (PostgreSQL `FOR SHARE`, MariaDB/MySQL
`LOCK IN SHARE MODE`): a change or removal of the membership waits for this transaction.
SQLite has no row locks: its unit of work takes the database's write lock first instead."""

MEMBERS = (
    select(users.c.id, users.c.email, users.c.display_name, memberships.c.role)
    .select_from(memberships.join(users, users.c.id == memberships.c.user_id))
    .where(memberships.c.list_id == bindparam("list_id"))
    .order_by(users.c.email)
)

CHANGE_ROLE: Update = (
    update(memberships)
    .where(
        memberships.c.list_id == bindparam("b_list_id"),
        memberships.c.user_id == bindparam("b_user_id"),
    )
    .values(role=bindparam("role"))
)

REMOVE_MEMBERSHIP: Delete = delete(memberships).where(_MEMBERSHIP)

COUNT_OWNERS = select(func.count()).where(
    memberships.c.list_id == bindparam("list_id"), memberships.c.role == Role.OWNER.value
)

MEMBERSHIPS_OF_USER = (
    select(memberships.c.list_id, memberships.c.user_id, memberships.c.role)
    .where(memberships.c.user_id == bindparam("user_id"))
    .order_by(memberships.c.list_id)
)
"""A walk of the (user_id, list_id) index."""

DELETE_MEMBERSHIPS_OF_USER: Delete = delete(memberships).where(
    memberships.c.user_id == bindparam("user_id")
)
"""Run before `DELETE_USER`: see `SqlUserRepository.delete`."""

# --- users -----------------------------------------------------------------------------------
GET_USER = select(*USER_COLUMNS).where(users.c.id == bindparam("user_id"))
GET_USER_BY_EMAIL = select(*USER_COLUMNS).where(users.c.email == bindparam("email"))

HOLD_USER = GET_USER.with_for_update()
"""The user, locked until the transaction ends (`FOR UPDATE`): a change or deletion of the
row waits, and so does a membership (or ended session) inserted for the user, whose foreign
key check takes a share lock on it (PostgreSQL's `FOR KEY SHARE` conflicts with `FOR UPDATE`
alone; InnoDB's shared lock with any exclusive one). SQLite has no row locks: its unit of work
takes the database's write lock first instead."""

VERSION_OF_USER = select(users.c.version).where(users.c.id == bindparam("user_id"))

UPDATE_USER: Update = update(users).where(
    users.c.id == bindparam("b_id"), users.c.version == bindparam("b_expected_version")
)
"""The compare-and-set; the SET clause comes from the column-named parameters
(`mapping.user_changes`)."""

DELETE_USER: Delete = delete(users).where(users.c.id == bindparam("user_id"))
"""The Inbox (with its todos), the memberships and the ended sessions go by ON DELETE
CASCADE."""

# --- ended sessions --------------------------------------------------------------------------
INSERT_ENDED_SESSION: dict[str, Insert] = {
    name: _insert_ignoring_duplicates(name, ended_sessions, index=["token_id"]) for name in DIALECTS
}
"""By dialect: a token ended already stays as it was."""

IS_CURRENT: Select[Any] = (
    select(literal_column("1"))
    .select_from(users)
    .where(
        users.c.id == bindparam("user_id"),
        users.c.credentials_version == bindparam("credentials_version"),
        ~exists().where(ended_sessions.c.token_id == bindparam("token_id")),
    )
)
"""A row iff the token is current: two primary-key lookups in one statement, the user's row
and the absence of the token among the ended ones."""

PRUNE_ENDED_SESSIONS: Delete = delete(ended_sessions).where(
    ended_sessions.c.expires_at < bindparam("before")
)


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
