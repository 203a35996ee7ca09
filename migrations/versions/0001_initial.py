"""Initial schema: users, todos, tags (per owner) and the todo-tag association.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Written by hand from an autogenerate draft. Self-contained on purpose (no imports from
todo_sql): a revision describes the schema as it was, whatever the code looks like later.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Native uuid on PostgreSQL; 32 hex digits elsewhere (MariaDB's native UUID sorts some
# versions byte-swapped, and keyset paging breaks ties by id).
UUID = sa.Uuid().with_variant(sa.Uuid(native_uuid=False), "mysql", "mariadb")
# An instant: timestamptz on PostgreSQL, text on SQLite, DATETIME(6) (microseconds) on MariaDB.
INSTANT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# Binary collation: text compares by code point, as in Python (no case or accent folding).
# Both prefixes: the mariadb dialect reads only mariadb_* options. The collation implies
# utf8mb4 (naming the charset too would let it reset the collation to the default).
MYSQL_TABLE: dict[str, Any] = {
    f"{dialect}_{option}": value
    for dialect in ("mysql", "mariadb")
    for option, value in (("engine", "InnoDB"), ("collate", "utf8mb4_bin"))
}


def length_between(column: str, low: int, high: int) -> sa.ColumnElement[bool]:
    """In characters everywhere: char_length (rendered `length` on SQLite)."""
    return sa.func.char_length(sa.column(column)).between(low, high)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", UUID, nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.CheckConstraint(length_between("email", 3, 254), name=op.f("ck_users_email_length")),
        sa.CheckConstraint(
            length_between("display_name", 1, 100), name=op.f("ck_users_display_name_length")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        **MYSQL_TABLE,
    )
    op.create_table(
        "tags",
        sa.Column("id", UUID, nullable=False),
        sa.Column("owner_id", UUID, nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.CheckConstraint(length_between("name", 1, 50), name=op.f("ck_tags_name_length")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_tags_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_tags_owner_id_name")),
        **MYSQL_TABLE,
    )
    op.create_table(
        "todos",
        sa.Column("id", UUID, nullable=False),
        sa.Column("owner_id", UUID, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("title_lower", sa.String(400), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(4), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.Column("completed_at", INSTANT, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'done')", name=op.f("ck_todos_status")),
        sa.CheckConstraint("priority IN (1, 2, 3)", name=op.f("ck_todos_priority")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_todos_version")),
        sa.CheckConstraint(length_between("title", 1, 200), name=op.f("ck_todos_title_length")),
        sa.CheckConstraint(
            length_between("title_lower", 1, 400), name=op.f("ck_todos_title_lower_length")
        ),
        sa.CheckConstraint(
            sa.func.char_length(sa.column("description")) <= 10_000,
            name=op.f("ck_todos_description_length"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_todos_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_todos")),
        **MYSQL_TABLE,
    )
    # One index per sort order, each ending in id (tie-break and keyset predicate); the
    # leading owner_id also serves the foreign key.
    op.create_index("ix_todos_owner_id_created_at_id", "todos", ["owner_id", "created_at", "id"])
    op.create_index("ix_todos_owner_id_due_date_id", "todos", ["owner_id", "due_date", "id"])
    op.create_index("ix_todos_owner_id_priority_id", "todos", ["owner_id", "priority", "id"])
    op.create_table(
        "todo_tags",
        sa.Column("todo_id", UUID, nullable=False),
        sa.Column("tag_id", UUID, nullable=False),
        # The tags of a todo read back in the order they were stored.
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("position >= 0", name=op.f("ck_todo_tags_position")),
        sa.ForeignKeyConstraint(
            ["todo_id"], ["todos.id"], name=op.f("fk_todo_tags_todo_id_todos"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_todo_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("todo_id", "tag_id", name=op.f("pk_todo_tags")),
        **MYSQL_TABLE,
    )
    op.create_index("ix_todo_tags_tag_id_todo_id", "todo_tags", ["tag_id", "todo_id"])


def downgrade() -> None:
    op.drop_table("todo_tags")
    op.drop_table("todos")
    op.drop_table("tags")
    op.drop_table("users")
