"""The layer rules of `.importlinter` hold, and they bite: a forbidden import breaks the build."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "adapters-memory", "adapters-sql", "api")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the tree at `root`, with its packages first on the path."""
    source_dirs = [str(root / "packages" / package / "src") for package in PACKAGES]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(source_dirs)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / ".importlinter")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / "packages" / package / "src",
            tmp_path / "packages" / package / "src",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    return tmp_path


@pytest.mark.parametrize(
    ("module", "forbidden_import", "contract"),
    [
        ("domain/src/todo_domain/entities.py", "import sqlalchemy", "standard library only"),
        ("domain/src/todo_domain/todos.py", "import pydantic", "standard library only"),
        ("domain/src/todo_domain/query.py", "import todo_memory", "point inwards"),
        (
            "adapters-memory/src/todo_memory/store.py",
            "import todo_sql",
            "Dependencies point inwards",
        ),
        ("adapters-memory/src/todo_memory/store.py", "import fastapi", "know nothing of the web"),
        ("api/src/todo_api/bite.py", "import todo_sql", "only the composition root"),
        ("api/src/todo_api/bite.py", "import sqlalchemy", "only the composition root"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tree_copy: Path, module: str, forbidden_import: str, contract: str
) -> None:
    path = tree_copy / "packages" / module
    existing = path.read_text() if path.exists() else ""
    path.write_text(f"{existing}\n{forbidden_import}  # noqa\n")

    result = lint_imports(tree_copy)

    assert result.returncode != 0
    assert re.search(_verdict(contract, "BROKEN"), " ".join(result.stdout.split())), result.stdout


def _verdict(contract: str, verdict: str) -> str:
    """A contract's verdict line; lint-imports wraps long names, so match on folded spaces."""
    return re.escape(contract) + r"(?:(?!KEPT|BROKEN).)*" + verdict
