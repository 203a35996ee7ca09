"""The domain's input rules. Each returns the normalised value or raises `InvalidInput`."""

import re
from collections.abc import Iterable

from todo_domain.errors import InvalidInput

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
TAG_MAX = 50
TAGS_MAX = 20
EMAIL_MAX = 254
ADDRESS_MAX = 255  # a client address as stored for the login throttle
DISPLAY_NAME_MAX = 100
PASSWORD_MIN = 8
PASSWORD_MAX = 128

# Deliberately loose: one "@", no spaces, a dot in the domain. Deliverability is not our job.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def title(value: str) -> str:
    trimmed = value.strip()
    if not trimmed:
        raise InvalidInput("title", "must not be blank")
    if len(trimmed) > TITLE_MAX:
        raise InvalidInput("title", f"must be at most {TITLE_MAX} characters")
    return trimmed


def description(value: str) -> str:
    if len(value) > DESCRIPTION_MAX:
        raise InvalidInput("description", f"must be at most {DESCRIPTION_MAX} characters")
    return value


def tags(values: Iterable[str]) -> tuple[str, ...]:
    """Lower-cased, trimmed, de-duplicated and sorted."""
    normalised: set[str] = set()
    for raw in values:
        tag = raw.strip().lower()
        if not tag:
            raise InvalidInput("tags", "a tag must not be blank")
        if len(tag) > TAG_MAX:
            raise InvalidInput("tags", f"a tag must be at most {TAG_MAX} characters")
        normalised.add(tag)
    if len(normalised) > TAGS_MAX:
        raise InvalidInput("tags", f"at most {TAGS_MAX} tags")
    return tuple(sorted(normalised))


def tag(value: str) -> str:
    """One tag as a filter: normalised exactly like a stored tag."""
    return tags([value])[0]


def email(value: str) -> str:
    normalised = value.strip().lower()
    if len(normalised) > EMAIL_MAX or not _EMAIL.fullmatch(normalised):
        raise InvalidInput("email", "must be a valid e-mail address")
    return normalised


def display_name(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    trimmed = value.strip()
    if len(trimmed) > DISPLAY_NAME_MAX:
        raise InvalidInput("display_name", f"must be at most {DISPLAY_NAME_MAX} characters")
    return trimmed


def password(value: str) -> str:
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise InvalidInput("password", f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long")
    return value
