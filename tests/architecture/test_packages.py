"""Each package declares only what it may depend on (docs/architecture.md, "Layout")."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def declared(package: str) -> set[str]:
    project = tomllib.loads((ROOT / "packages" / package / "pyproject.toml").read_text())["project"]
    names = set()
    for requirement in project["dependencies"]:
        name = requirement.split(";")[0]
        for separator in "[<>=!~ ":
            name = name.split(separator)[0]
        names.add(name.strip().lower())
    return names


def test_the_domain_has_no_dependencies() -> None:
    assert declared("domain") == set()


def test_the_memory_adapter_depends_on_the_domain_alone() -> None:
    assert declared("adapters-memory") == {"todo-domain"}


def test_the_sql_adapter_depends_on_neither_the_web_layer_nor_the_other_adapter() -> None:
    web = {"fastapi", "starlette", "pydantic", "pydantic-settings", "dependency-injector"}
    dependencies = declared("adapters-sql")

    assert "todo-domain" in dependencies
    assert not dependencies & (web | {"todo-adapters-memory"})
