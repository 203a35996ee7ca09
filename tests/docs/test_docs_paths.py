"""The account of how shared lists were added names the files it touched: each one exists, so
the guide cannot silently point at something renamed or removed. (The other guides name files
a reader is about to create.)"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "adding-an-aggregate.md"
# `a/b.py`, `b.py` or `dir/`: a name in backticks that ends like a file or folder of the repo
NAMED = re.compile(r"`([\w./-]+\.(?:py|md|toml)|[\w.-]+/(?:[\w.-]+/)*)`")
SEARCHED = [
    "",
    "packages/domain/src/todo_domain",
    "packages/adapters-memory/src/todo_memory",
    "packages/adapters-sql/src/todo_sql",
    "packages/api/src/todo_api",
    "tests",
    "tests/api",
    "tests/contracts",
    "tests/domain",
    "tests/sql",
    "tests/hardening",
    "tests/migrations",
    "docs",
]


def exists(name: str) -> bool:
    return any((ROOT / base / name).exists() for base in SEARCHED)


def test_every_file_the_guide_names_exists() -> None:
    names = set(NAMED.findall(GUIDE.read_text()))
    assert len(names) > 20, names
    missing = sorted(name for name in names if not exists(name))
    assert not missing, f"{GUIDE.name} names files that do not exist: {missing}"
