"""Failed logins, by client address and account, for the login throttle.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Self-contained on purpose (no imports from todo_sql), like 0001.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid().with_variant(sa.Uuid(native_uuid=False), "mysql", "mariadb")
INSTANT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL_TABLE: dict[str, Any] = {
    f"{dialect}_{option}": value
    for dialect in ("mysql", "mariadb")
    for option, value in (("engine", "InnoDB"), ("collate", "utf8mb4_bin"))
}


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", UUID, nullable=False),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("account", sa.String(254), nullable=False),
        sa.Column("failed_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
        **MYSQL_TABLE,
    )
    # The throttle counts by address (and account) and by account; pruning goes by time.
    op.create_index(
        "ix_login_failures_address_failed_at", "login_failures", ["address", "failed_at"]
    )
    op.create_index(
        "ix_login_failures_account_failed_at", "login_failures", ["account", "failed_at"]
    )
    op.create_index("ix_login_failures_failed_at", "login_failures", ["failed_at"])


def downgrade() -> None:
    op.drop_table("login_failures")
