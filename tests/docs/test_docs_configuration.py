"""Every `Settings` field is documented, with its default, in docs/configuration.md, and in the
README's settings table; neither names a `TODO_` variable the service does not read."""

import re
from pathlib import Path

import pytest
from pydantic_core import PydanticUndefined

from todo_api.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
NOT_SETTINGS = {"TODO_NEW_USER_PASSWORD"}  # the CLI's create-user reads it, Settings does not
CODE_NAMES = {"TODO_COLUMNS"}  # todo_sql.statements, named by the how-to guides
_ROW = re.compile(
    r"^\| `(?P<variables>TODO_[A-Z_]+(?:` / `TODO_[A-Z_]+)*)` \| (?P<default>[^|]*) \|"
)


def variable(field: str) -> str:
    return ENV_PREFIX + field.upper()


def documented_defaults(path: Path) -> dict[str, str]:
    """Each table row's variables and its Default cell (a `A` / `B` row documents two)."""
    defaults: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if row := _ROW.match(line):
            names = row["variables"].split("` / `")
            cells = [cell.strip() for cell in row["default"].split(" / ")]
            for index, name in enumerate(names):
                defaults[name] = cells[index] if len(cells) == len(names) else cells[0]
    return defaults


def written(default: object) -> str | None:
    """A default as the docs write it, or None where they describe it in words."""
    if default is PydanticUndefined or default is None or default == []:
        return None
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f"`{default}`"


DOCUMENTS = [ROOT / "docs" / "configuration.md", ROOT / "README.md"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_setting_has_a_row_and_no_row_is_not_a_setting(document: Path) -> None:
    fields = {variable(name) for name in Settings.model_fields}

    rows = set(documented_defaults(document))

    assert fields - rows == set(), f"settings missing from {document.name}"
    assert rows - fields == set(), f"{document.name} documents variables Settings does not read"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_documented_default_is_the_fields_default(document: Path) -> None:
    documented = documented_defaults(document)

    wrong = {
        variable(name): (documented.get(variable(name)), written(field.default))
        for name, field in Settings.model_fields.items()
        if written(field.default) is not None
        and not documented.get(variable(name), "").startswith(str(written(field.default)))
    }

    assert wrong == {}, "(documented, actual)"


def test_no_document_names_a_todo_variable_the_service_does_not_read() -> None:
    known = {variable(name) for name in Settings.model_fields} | NOT_SETTINGS | CODE_NAMES
    for document in [*DOCUMENTS, *sorted((ROOT / "docs").glob("*.md"))]:
        named = set(re.findall(r"\bTODO_[A-Z][A-Z_]*[A-Z]\b", document.read_text()))
        assert named - known == set(), document.name
