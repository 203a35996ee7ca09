"""Entity tags of todos, lists and users: the version, quoted (a strong validator, RFC 9110
section 8.8.3), and the `If-Match` header that names them."""

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol

from fastapi import Header

from todo_api.problems import PreconditionFailed


class Versioned(Protocol):
    """A todo, a list or a user: what carries a version (read-only, as on a frozen entity)."""

    @property
    def version(self) -> int: ...


# One member of an `If-Match` list and the comma after it (RFC 9110 sections 5.6.1, 8.8.3):
# `[W/]"<etagc>*"`, possibly empty (the list syntax allows empty members).
_MEMBER = re.compile(
    r'[ \t]*(?:(?P<weak>W/)?"(?P<opaque>[\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:,|\Z)'
)
# The opaque part of a tag this service hands out: a version, written as `etag_of` writes it
# (strong comparison is character by character: `"01"` is not version 1). Nineteen digits
# are more than any version reaches, and keep `int()` far from its limit on digits.
_VERSION = re.compile(r"0|[1-9][0-9]{0,18}")


def etag_of(entity: Versioned) -> str:
    return f'"{entity.version}"'


class IfMatch:
    """A parsed `If-Match` header: `*`, or the versions it accepts. Weak tags never match
    (If-Match uses the strong comparison); a header that is not `*` or a list of entity tags
    (RFC 9110 section 13.1.1) matches nothing, so it can never let a change through."""

    def __init__(self, header: str) -> None:
        self.any = header.strip(" \t") == "*"
        self.versions: frozenset[int] = frozenset() if self.any else _versions(header)

    def matches(self, entity: Versioned) -> bool:
        return self.any or entity.version in self.versions

    @property
    def single_version(self) -> int | None:
        return next(iter(self.versions)) if len(self.versions) == 1 else None


def _versions(header: str) -> frozenset[int]:
    """The versions named by strong tags of ours in the list; none if the list is malformed."""
    versions: set[int] = set()
    position = 0
    while position < len(header):
        member = _MEMBER.match(header, position)
        if member is None:
            return frozenset()
        position = member.end()
        opaque = member["opaque"]
        if opaque is not None and member["weak"] is None and _VERSION.fullmatch(opaque):
            versions.add(int(opaque))
    return frozenset(versions)


IfMatchHeader = Annotated[
    str | None,
    Header(
        description=(
            "ETag of the version to change: `*`, or a list of entity tags. Anything else "
            "(a weak tag, a tag this service did not issue, a malformed list) matches no "
            "version: 412."
        ),
    ),
]


async def expected_version(
    if_match: str | None, current: Callable[[], Awaitable[Versioned]]
) -> int | None:
    """The version a change must find (None: whatever is current). One tag names it; `*` or
    several are checked against the `current` version, read first (412 when none matches)."""
    if if_match is None:
        return None
    condition = IfMatch(if_match)
    if condition.single_version is not None:
        return condition.single_version
    entity = await current()
    if not condition.matches(entity):
        raise PreconditionFailed()
    return entity.version
