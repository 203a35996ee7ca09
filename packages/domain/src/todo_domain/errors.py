"""The one error hierarchy of the domain; adapters and the API translate to and from it."""

from datetime import timedelta


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class NotFound(DomainError):
    """The thing does not exist, or belongs to someone else (the two are indistinguishable)."""


class Forbidden(DomainError):
    """The caller is a member of the list, but their role does not allow the action. Only a
    member hears this: to anyone else the list is `NotFound`."""


class Conflict(DomainError):
    """The change clashes with the current state (for example an e-mail already taken)."""


class VersionConflict(Conflict):
    """The entity moved on since the version the caller expected."""

    def __init__(self, expected: int, actual: int | None = None) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"expected version {expected}, but it is now {actual}")


class InvalidInput(DomainError):
    """Input breaks a domain rule; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class StorageUnavailable(DomainError):
    """The storage cannot be reached (down, connection lost, no free connection in time).

    The operation did not happen; only when the connection broke during the commit itself its
    outcome is unknown (a later read tells). Worth retrying after a moment."""


class StorageBusy(StorageUnavailable):
    """The storage is reachable but could not carry the operation out in time: a lock held by
    someone else, a statement that ran out of its time, or a transaction the database aborted
    because it lost a race (deadlock, serialization failure). Nothing was changed; retrying
    after a moment is safe. Never the caller's fault, so never a `Conflict`."""


class Overloaded(DomainError):
    """Too much of this work is under way to take on more within a short wait (password
    hashes, which cost much memory and CPU each). Nothing happened; worth retrying shortly."""


class TooManyAttempts(DomainError):
    """Too many failed logins from this address (on this account, or on any): refused
    without checking the password until `retry_after` has passed. Says nothing about
    whether the account exists."""

    def __init__(self, retry_after: timedelta) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed logins; retry after {retry_after}")


class AuthenticationFailed(DomainError):
    """Wrong e-mail or password; deliberately does not say which."""

    def __init__(self) -> None:
        super().__init__("invalid e-mail or password")
