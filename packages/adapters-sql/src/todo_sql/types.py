"""Column types that behave the same on SQLite, PostgreSQL and MariaDB/MySQL."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Uuid
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator, TypeEngine

# PostgreSQL has a native uuid type. Elsewhere the UUID is 32 lower-case hex digits: they sort
# like Python's `UUID` objects (by their integer value), which keyset paging relies on for ties.
# MariaDB's native UUID type is deliberately avoided: it orders some versions byte-swapped.
UUID_TYPE: TypeEngine[Any] = Uuid(as_uuid=True).with_variant(
    Uuid(as_uuid=True, native_uuid=False), "mysql", "mariadb"
)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, always handed back as a timezone-aware UTC datetime with its microseconds.

    PostgreSQL stores `timestamp with time zone`. SQLite (text) and MariaDB/MySQL
    (`DATETIME(6)`, fractional seconds declared) store the naive UTC wall time; the time zone
    is re-attached on the way out. Naive datetimes are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a naive datetime cannot be stored as an instant")
        value = value.astimezone(UTC)
        if dialect.name == "postgresql":
            return value
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
