from datetime import UTC, datetime


class SystemClock:
    """The real clock (implements the `Clock` port)."""

    def now(self) -> datetime:
        return datetime.now(UTC)
