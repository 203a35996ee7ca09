"""The schema: SQLAlchemy declarative records. They never leave `todo_sql` (import-linter).

Every todo lives in a list; users belong to lists through memberships, in a role. Normalised:
tags are rows of their own (one per list and name) joined to todos through the `todo_tags`
association. Every constraint is named by `NAMING_CONVENTION`, so migrations can
address them.
"""

import uuid
from datetime import date, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    column,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from todo_domain import rules
from todo_sql.types import UUID_TYPE, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# A lower-cased title is at most twice as long: only U+0130 lower-cases to two characters.
TITLE_LOWER_MAX = 2 * rules.TITLE_MAX
PASSWORD_HASH_MAX = 255
TOKEN_ID_MAX = 64  # a token's `jti`: 22 characters as the API makes them

# MariaDB/MySQL: compare text by code point (utf8mb4_bin), as Python and PostgreSQL do. The
# default collation folds case and accents, which would make "a@x.io" equal "A@x.io" in
# lookups, unique keys and LIKE.
MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    f"{dialect}_{option}": value
    for dialect in ("mysql", "mariadb")  # the mariadb dialect reads only mariadb_* options
    for option, value in (("engine", "InnoDB"), ("collate", "utf8mb4_bin"))
}
"""utf8mb4_bin implies the utf8mb4 character set (naming both lets a later CHARSET reset the
collation to the default one)."""

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _length_between(name: str, low: int, high: int) -> Any:
    """`char_length` counts characters everywhere (SQLAlchemy renders `length` on SQLite, where
    VARCHAR lengths are not enforced)."""
    return func.char_length(column(name)).between(low, high)


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = {uuid.UUID: UUID_TYPE, datetime: UTCDateTime()}


class UserRecord(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_length_between("email", 3, rules.EMAIL_MAX), name="email_length"),
        CheckConstraint(
            _length_between("display_name", 1, rules.DISPLAY_NAME_MAX), name="display_name_length"
        ),
        CheckConstraint("version >= 1", name="version"),
        CheckConstraint("credentials_version >= 1", name="credentials_version"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(rules.EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(PASSWORD_HASH_MAX))
    display_name: Mapped[str | None] = mapped_column(String(rules.DISPLAY_NAME_MAX))
    created_at: Mapped[datetime]
    # Every stored change of the user is a new version; a password change is also a new
    # credentials version, which every token issued before no longer carries.
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    credentials_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class ListRecord(Base):
    """A list of todos. `inbox_of` names the user whose Inbox it is (at most one each), and
    an Inbox's id is that user's id."""

    __tablename__ = "lists"
    __table_args__ = (
        CheckConstraint(_length_between("name", 1, rules.LIST_NAME_MAX), name="name_length"),
        CheckConstraint("inbox_of IS NULL OR inbox_of = id", name="inbox_id"),
        CheckConstraint("version >= 1", name="version"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(rules.LIST_NAME_MAX))
    inbox_of: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)


class MembershipRecord(Base):
    """A user's role in a list."""

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'editor', 'viewer')", name="role"),
        # The primary key serves "members of this list"; this index serves "lists of this user".
        Index("ix_memberships_user_id_list_id", "user_id", "list_id"),
        MYSQL_TABLE_OPTIONS,
    )

    list_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(6))


class TagRecord(Base):
    """A tag of one list. Its id is derived from (list, name): see `mapping.tag_id`."""

    __tablename__ = "tags"
    __table_args__ = (
        CheckConstraint(_length_between("name", 1, rules.TAG_MAX), name="name_length"),
        # Unique per list, and the lookup of a tag filter.
        UniqueConstraint("list_id", "name"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(rules.TAG_MAX))


class TodoRecord(Base):
    __tablename__ = "todos"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'done')", name="status"),
        CheckConstraint("priority IN (1, 2, 3)", name="priority"),
        CheckConstraint("version >= 1", name="version"),
        CheckConstraint(_length_between("title", 1, rules.TITLE_MAX), name="title_length"),
        CheckConstraint(
            _length_between("title_lower", 1, TITLE_LOWER_MAX), name="title_lower_length"
        ),
        CheckConstraint(
            func.char_length(column("description")) <= rules.DESCRIPTION_MAX,
            name="description_length",
        ),
        # One per sort order, each ending in id for the tie-break and the keyset predicate: a
        # page of one list is a walk of one of them.
        Index("ix_todos_list_id_created_at_id", "list_id", "created_at", "id"),
        Index("ix_todos_list_id_due_date_id", "list_id", "due_date", "id"),
        Index("ix_todos_list_id_priority_id", "list_id", "priority", "id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(rules.TITLE_MAX))
    # `title.lower()` computed in Python: the text search matches Python's `str.lower()` on
    # every backend, whatever their own lower() or collation would do.
    title_lower: Mapped[str] = mapped_column(String(TITLE_LOWER_MAX))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(4))
    priority: Mapped[int] = mapped_column(SmallInteger)  # rank: 1 low, 2 normal, 3 high
    due_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer)

    tag_links: Mapped[list["TodoTagRecord"]] = relationship(
        order_by="TodoTagRecord.position", cascade="all, delete-orphan", passive_deletes=True
    )


class TodoTagRecord(Base):
    """The todo-tag association. `position` keeps a todo's tags in the order it was given
    them, so a todo reads back exactly as it was stored."""

    __tablename__ = "todo_tags"
    __table_args__ = (
        CheckConstraint("position >= 0", name="position"),
        # The primary key serves "tags of these todos"; this index serves "todos with this tag".
        Index("ix_todo_tags_tag_id_todo_id", "tag_id", "todo_id"),
        MYSQL_TABLE_OPTIONS,
    )

    todo_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("todos.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(SmallInteger)

    tag: Mapped[TagRecord] = relationship()


class LoginFailureRecord(Base):
    """A failed password check, kept while the login throttle's window counts it (older ones
    are pruned). No foreign key: unknown accounts are throttled as known ones are."""

    __tablename__ = "login_failures"
    __table_args__ = (
        # The throttle's three counts: by address (and account), by account; and pruning.
        Index("ix_login_failures_address_failed_at", "address", "failed_at"),
        Index("ix_login_failures_account_failed_at", "account", "failed_at"),
        Index("ix_login_failures_failed_at", "failed_at"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(rules.ADDRESS_MAX))
    account: Mapped[str] = mapped_column(String(rules.EMAIL_MAX))
    failed_at: Mapped[datetime]


class EndedSessionRecord(Base):
    """A token signed out before it expires, remembered until then (older ones are pruned).
    The token's id (`jti`) is random, so it is the key."""

    __tablename__ = "ended_sessions"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    token_id: Mapped[str] = mapped_column(String(TOKEN_ID_MAX), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(index=True)  # pruning goes by it


todo_tags = cast(Table, TodoTagRecord.__table__)
lists = cast(Table, ListRecord.__table__)
memberships = cast(Table, MembershipRecord.__table__)
ended_sessions = cast(Table, EndedSessionRecord.__table__)
