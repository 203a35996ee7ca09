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
LIST_NAME_MAX = 100
PASSWORD_MIN = 8
PASSWORD_MAX = 128

CodePoints = tuple[tuple[int, int], ...]  # inclusive ranges

# Text no backend can store or compare: U+0000 (PostgreSQL's text refuses it) and the
# surrogates (UTF-8 cannot encode one on its own, yet JSON's "\ud800" carries one).
NUL: CodePoints = ((0x0000, 0x0000),)
SURROGATES: CodePoints = ((0xD800, 0xDFFF),)
UNSTORABLE: CodePoints = NUL + SURROGATES
UNSTORABLE_MESSAGE = "must not contain U+0000 or a surrogate (U+D800 to U+DFFF)"
# What `str.strip()` removes (`str.isspace()`), written out because the `\s` of a JSON Schema
# pattern (ECMA-262) is not Python's: the OpenAPI document states these rules with them.
WHITESPACE: CodePoints = (
    (0x0009, 0x000D),
    (0x001C, 0x0020),
    (0x0085, 0x0085),
    (0x00A0, 0x00A0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
)


def char_class(*ranges: CodePoints, negated: bool = False, also: str = "") -> str:
    """A character class of regular expressions: the code points of `ranges` (and the
    characters `also`), or every other one if `negated`. Written with `\\uXXXX` escapes, which
    Python's `re` and ECMA-262 (JSON Schema patterns) read alike."""
    members = also + "".join(
        f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}"
        for group in ranges
        for low, high in group
    )
    return f"[{'^' if negated else ''}{members}]"


# Deliberately loose: one "@", no spaces, a dot in the domain. Deliverability is not our job.
# Surrogates are left to `storable`: a JSON Schema pattern cannot name them.
_EMAIL_CHARACTER = char_class(WHITESPACE, NUL, negated=True, also="@")
EMAIL_PATTERN = f"{_EMAIL_CHARACTER}+@{_EMAIL_CHARACTER}+\\.{_EMAIL_CHARACTER}+"
_EMAIL = re.compile(EMAIL_PATTERN)
_UNSTORABLE = re.compile(char_class(UNSTORABLE))


def storable(field: str, value: str) -> str:
    """`value` unless it holds a character no backend can store (`UNSTORABLE`). Every text
    that reaches a repository, a filter or the password hasher passes here first."""
    if _UNSTORABLE.search(value) is not None:
        raise InvalidInput(field, UNSTORABLE_MESSAGE)
    return value


def title(value: str) -> str:
    trimmed = storable("title", value).strip()
    if not trimmed:
        raise InvalidInput("title", "must not be blank")
    if len(trimmed) > TITLE_MAX:
        raise InvalidInput("title", f"must be at most {TITLE_MAX} characters")
    return trimmed


def list_name(value: str) -> str:
    trimmed = storable("name", value).strip()
    if not trimmed:
        raise InvalidInput("name", "must not be blank")
    if len(trimmed) > LIST_NAME_MAX:
        raise InvalidInput("name", f"must be at most {LIST_NAME_MAX} characters")
    return trimmed


def description(value: str) -> str:
    storable("description", value)
    if len(value) > DESCRIPTION_MAX:
        raise InvalidInput("description", f"must be at most {DESCRIPTION_MAX} characters")
    return value


def tags(values: Iterable[str]) -> tuple[str, ...]:
    """Lower-cased, trimmed, de-duplicated and sorted."""
    normalised: set[str] = set()
    for raw in values:
        tag = storable("tags", raw).strip().lower()
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
    normalised = storable("email", value).strip().lower()
    if len(normalised) > EMAIL_MAX or not _EMAIL.fullmatch(normalised):
        raise InvalidInput("email", "must be a valid e-mail address")
    return normalised


def display_name(value: str | None) -> str | None:
    if value is None or not storable("display_name", value).strip():
        return None
    trimmed = value.strip()
    if len(trimmed) > DISPLAY_NAME_MAX:
        raise InvalidInput("display_name", f"must be at most {DISPLAY_NAME_MAX} characters")
    return trimmed


def password(value: str) -> str:
    storable("password", value)
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise InvalidInput("password", f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long")
    return value
