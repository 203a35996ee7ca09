"""Accounts: a user's version and credentials version, and the tokens signed out early.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-15

`users.version` counts the stored changes of a user (profile, password), and
`users.credentials_version` the password changes: a token carries the credentials version it
was issued under and is refused once that moved on. Existing users start at 1 for both (the
server default). `ended_sessions` remembers signed-out tokens until they expire.

Columns are added in place on every backend, SQLite included: a batch rebuild of `users`
would drop the table, which with foreign keys enforced deletes every list and membership by
their ON DELETE CASCADE. SQLite cannot add a table CHECK to an existing table, so there the
CHECKs come with their columns (and go with them on the way down).

Self-contained on purpose (no imports from todo_sql), like 0001.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid().with_variant(sa.Uuid(native_uuid=False), "mysql", "mariadb")
INSTANT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL_TABLE: dict[str, Any] = {
    f"{dialect}_{option}": value
    for dialect in ("mysql", "mariadb")
    for option, value in (("engine", "InnoDB"), ("collate", "utf8mb4_bin"))
}
VERSIONS = ("version", "credentials_version")


def _on_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    for name in VERSIONS:
        check, check_name = f"{name} >= 1", op.f(f"ck_users_{name}")
        column_checks = [sa.CheckConstraint(check, name=check_name)] if _on_sqlite() else []
        op.add_column(
            "users",
            sa.Column(
                name, sa.Integer(), *column_checks, nullable=False, server_default=sa.text("1")
            ),
        )
        if not column_checks:
            op.create_check_constraint(check_name, "users", check)

    op.create_table(
        "ended_sessions",
        sa.Column("token_id", sa.String(64), nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ended_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_ended_sessions")),
        **MYSQL_TABLE,
    )
    # A user's tokens go with the account (the foreign key's index); pruning goes by expiry.
    op.create_index("ix_ended_sessions_user_id", "ended_sessions", ["user_id"])
    op.create_index("ix_ended_sessions_expires_at", "ended_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("ended_sessions")
    for name in reversed(VERSIONS):
        if not _on_sqlite():  # SQLite drops a column's own CHECK with it
            op.drop_constraint(op.f(f"ck_users_{name}"), "users", type_="check")
        op.drop_column("users", name)
