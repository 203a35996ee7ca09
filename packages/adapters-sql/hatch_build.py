"""Build hook: the wheel and the sdist carry the project's Alembic migrations.

The revisions live once, in the repository's `migrations/` (where `alembic` run from the
checkout finds them through `alembic.ini`). A build from the checkout copies them into the
package as `todo_sql/alembic`, where `todo_sql.migrations` finds them once installed. An sdist
carries them in `src/todo_sql/alembic` already, so a wheel built from it takes them from there.
An editable install reads them from the checkout itself and gets no copy.
"""

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGED = Path("src", "todo_sql", "alembic")
CHECKOUT = Path("..", "..", "migrations")


class MigrationsHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        root = Path(self.root)
        if (root / PACKAGED / "env.py").is_file():
            return  # built from an sdist, which has them in the package already
        migrations = (root / CHECKOUT).resolve()
        if not (migrations / "env.py").is_file():
            raise FileNotFoundError(f"no Alembic migrations at {migrations} to package")
        target = PACKAGED if self.target_name == "sdist" else PACKAGED.relative_to("src")
        for source in sorted(migrations.rglob("*")):
            if source.is_file() and "__pycache__" not in source.parts:
                relative = source.relative_to(migrations)
                build_data["force_include"][str(source)] = str(target / relative)
