"""Entity tags of todos: the version, quoted (a strong validator, RFC 9110 section 8.8.3)."""

from todo_domain import Todo


def etag_of(todo: Todo) -> str:
    return f'"{todo.version}"'


class IfMatch:
    """A parsed `If-Match` header: `*`, or the versions it accepts. Weak tags never match
    (If-Match uses the strong comparison), and a malformed header matches nothing."""

    def __init__(self, header: str) -> None:
        self.any = header.strip() == "*"
        self.versions: frozenset[int] = frozenset()
        if not self.any:
            self.versions = frozenset(
                version for tag in header.split(",") if (version := _version(tag)) is not None
            )

    def matches(self, todo: Todo) -> bool:
        return self.any or todo.version in self.versions

    @property
    def single_version(self) -> int | None:
        return next(iter(self.versions)) if len(self.versions) == 1 else None


def _version(tag: str) -> int | None:
    tag = tag.strip()
    if len(tag) < 3 or tag[0] != '"' or tag[-1] != '"' or not tag[1:-1].isdigit():
        return None
    return int(tag[1:-1])
