"""Shared lists: every todo and tag lives in a list; users belong to lists in a role.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Every user gets an Inbox whose id is the user's own, and an owner membership of it; every
todo and tag moves to the Inbox of its former owner (list_id = owner_id), so every stored tag
id (uuid5 of list and name) stays valid. Set-based SQL throughout.

The downgrade is possible only while no list is shared and every todo is in its owner's
Inbox: anything else has no owner_id to go back to, and the downgrade refuses.

Self-contained on purpose (no imports from todo_sql), like 0001.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid().with_variant(sa.Uuid(native_uuid=False), "mysql", "mariadb")
INSTANT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL_TABLE: dict[str, Any] = {
    f"{dialect}_{option}": value
    for dialect in ("mysql", "mariadb")
    for option, value in (("engine", "InnoDB"), ("collate", "utf8mb4_bin"))
}
SORT_COLUMNS = ("created_at", "due_date", "priority")

users = sa.table("users", sa.column("id", UUID), sa.column("created_at", INSTANT))
lists = sa.table(
    "lists",
    sa.column("id", UUID),
    sa.column("name", sa.String(100)),
    sa.column("inbox_of", UUID),
    sa.column("created_at", INSTANT),
    sa.column("updated_at", INSTANT),
    sa.column("version", sa.Integer()),
)
memberships = sa.table(
    "memberships",
    sa.column("list_id", UUID),
    sa.column("user_id", UUID),
    sa.column("role", sa.String(6)),
)
todos = sa.table("todos", sa.column("owner_id", UUID), sa.column("list_id", UUID))
tags = sa.table("tags", sa.column("owner_id", UUID), sa.column("list_id", UUID))


class SharedListsPresent(RuntimeError):
    """The database holds what the schema before 0003 cannot say."""


@contextmanager
def todo_tags_kept() -> Iterator[None]:
    """SQLite rebuilds a table it alters (batch mode): it copies the rows, drops the table and
    renames the copy. With foreign keys on (todo_sql's engine turns them on, and a migration
    runs in a transaction, where the pragma cannot be turned off), dropping `todos` or `tags`
    deletes their `todo_tags` rows by the ON DELETE CASCADE. So on SQLite the associations
    wait in a scratch table while the tables are rebuilt, and come back afterwards (in place
    of whatever survived: with foreign keys off, the rows are all still there)."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    op.execute("CREATE TEMPORARY TABLE todo_tags_kept AS SELECT * FROM todo_tags")
    yield
    op.execute("DELETE FROM todo_tags")
    op.execute(
        "INSERT INTO todo_tags (todo_id, tag_id, position)"
        " SELECT todo_id, tag_id, position FROM todo_tags_kept"
    )
    op.execute("DROP TABLE todo_tags_kept")


def upgrade() -> None:
    op.create_table(
        "lists",
        sa.Column("id", UUID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("inbox_of", UUID, nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            sa.func.char_length(sa.column("name")).between(1, 100),
            name=op.f("ck_lists_name_length"),
        ),
        # An Inbox's id is its user's id.
        sa.CheckConstraint("inbox_of IS NULL OR inbox_of = id", name=op.f("ck_lists_inbox_id")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_lists_version")),
        sa.ForeignKeyConstraint(
            ["inbox_of"], ["users.id"], name=op.f("fk_lists_inbox_of_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lists")),
        sa.UniqueConstraint("inbox_of", name=op.f("uq_lists_inbox_of")),
        **MYSQL_TABLE,
    )
    op.create_table(
        "memberships",
        sa.Column("list_id", UUID, nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("role", sa.String(6), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner', 'editor', 'viewer')", name=op.f("ck_memberships_role")
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["lists.id"],
            name=op.f("fk_memberships_list_id_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_memberships_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "user_id", name=op.f("pk_memberships")),
        **MYSQL_TABLE,
    )
    # The lists of a user; the primary key serves the members of a list.
    op.create_index("ix_memberships_user_id_list_id", "memberships", ["user_id", "list_id"])

    op.execute(
        lists.insert().from_select(
            ["id", "name", "inbox_of", "created_at", "updated_at", "version"],
            sa.select(
                users.c.id,
                sa.literal("Inbox", sa.String(100)),
                users.c.id,
                users.c.created_at,
                users.c.created_at,
                sa.literal(1, sa.Integer()),
            ),
        )
    )
    op.execute(
        memberships.insert().from_select(
            ["list_id", "user_id", "role"],
            sa.select(users.c.id, users.c.id, sa.literal("owner", sa.String(6))),
        )
    )

    with todo_tags_kept():
        for table in ("todos", "tags"):
            with op.batch_alter_table(table) as batch:
                batch.add_column(sa.Column("list_id", UUID, nullable=True))
        op.execute(todos.update().values(list_id=todos.c.owner_id))
        op.execute(tags.update().values(list_id=tags.c.owner_id))

        with op.batch_alter_table("todos") as batch:
            batch.alter_column("list_id", existing_type=UUID, nullable=False)
            # The foreign key first: MariaDB serves it with the first of these indexes.
            batch.drop_constraint("fk_todos_owner_id_users", type_="foreignkey")
            for column in SORT_COLUMNS:
                batch.drop_index(f"ix_todos_owner_id_{column}_id")
            batch.drop_column("owner_id")
            # One per sort order, each ending in id; the leading list_id serves the foreign key
            # (made first, or MariaDB would add an index of its own for the key).
            for column in SORT_COLUMNS:
                batch.create_index(f"ix_todos_list_id_{column}_id", ["list_id", column, "id"])
            batch.create_foreign_key(
                "fk_todos_list_id_lists", "lists", ["list_id"], ["id"], ondelete="CASCADE"
            )

        with op.batch_alter_table("tags") as batch:
            batch.alter_column("list_id", existing_type=UUID, nullable=False)
            batch.drop_constraint("fk_tags_owner_id_users", type_="foreignkey")
            batch.drop_constraint("uq_tags_owner_id_name", type_="unique")
            batch.drop_column("owner_id")
            batch.create_unique_constraint("uq_tags_list_id_name", ["list_id", "name"])
            batch.create_foreign_key(
                "fk_tags_list_id_lists", "lists", ["list_id"], ["id"], ondelete="CASCADE"
            )


def refusal() -> str | None:
    """Why the downgrade cannot go ahead, or None when it can."""
    connection = op.get_bind()
    shared = connection.execute(
        sa.select(sa.func.count()).select_from(
            sa.select(memberships.c.list_id)
            .group_by(memberships.c.list_id)
            .having(sa.func.count() > 1)
            .subquery()
        )
    ).scalar_one()
    outside = connection.execute(
        sa.select(sa.func.count())
        .select_from(todos)
        .where(~sa.exists().where(lists.c.id == todos.c.list_id, lists.c.inbox_of.is_not(None)))
    ).scalar_one()
    if not shared and not outside:
        return None
    return (
        "cannot downgrade below revision 0003 (shared lists): "
        f"{shared} list(s) have more than one member and {outside} todo(s) are outside "
        "their owner's Inbox; the schema before 0003 has no place for them. Move those "
        "todos into their owners' Inboxes and remove the other members first."
    )


def downgrade() -> None:
    reason = refusal()
    if reason is not None:
        raise SharedListsPresent(reason)
    # Tags of lists other than Inboxes tag no todo (every todo is in an Inbox): they go.
    op.execute(
        tags.delete().where(
            ~sa.exists().where(lists.c.id == tags.c.list_id, lists.c.inbox_of.is_not(None))
        )
    )
    with todo_tags_kept():
        for table in ("todos", "tags"):
            with op.batch_alter_table(table) as batch:
                batch.add_column(sa.Column("owner_id", UUID, nullable=True))
        # An Inbox's id is its user's id.
        op.execute(todos.update().values(owner_id=todos.c.list_id))
        op.execute(tags.update().values(owner_id=tags.c.list_id))

        with op.batch_alter_table("todos") as batch:
            batch.alter_column("owner_id", existing_type=UUID, nullable=False)
            batch.drop_constraint("fk_todos_list_id_lists", type_="foreignkey")
            for column in SORT_COLUMNS:
                batch.drop_index(f"ix_todos_list_id_{column}_id")
            batch.drop_column("list_id")
            for column in SORT_COLUMNS:
                batch.create_index(f"ix_todos_owner_id_{column}_id", ["owner_id", column, "id"])
            batch.create_foreign_key(
                "fk_todos_owner_id_users", "users", ["owner_id"], ["id"], ondelete="CASCADE"
            )

        with op.batch_alter_table("tags") as batch:
            batch.alter_column("owner_id", existing_type=UUID, nullable=False)
            batch.drop_constraint("fk_tags_list_id_lists", type_="foreignkey")
            batch.drop_constraint("uq_tags_list_id_name", type_="unique")
            batch.drop_column("list_id")
            batch.create_unique_constraint("uq_tags_owner_id_name", ["owner_id", "name"])
            batch.create_foreign_key(
                "fk_tags_owner_id_users", "users", ["owner_id"], ["id"], ondelete="CASCADE"
            )

    op.drop_table("memberships")
    op.drop_table("lists")
