"""pytest-alembic's built-in migration tests, on every SQL backend: one head, upgrade from
empty to head, the records match the DDL the migrations make, every revision goes down and
up again, and (where DDL is transactional, so each step can be rolled back) a downgrade leaves
no trace of its upgrade.

Each runs on a database Alembic has never touched, through the package's Alembic
configuration (todo_sql.migrations) and env.py's given-engine path.
"""

from collections.abc import AsyncIterator, Iterator

import pytest
from alembic.config import Config
from pytest_alembic import MigrationContext, runner
from pytest_alembic.config import Config as RunnerConfig
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from pytest_alembic.tests.experimental import (
    test_downgrade_leaves_no_trace as downgrade_leaves_no_trace,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from sqldb import SQL_BACKENDS, empty_database
from todo_sql.migrations import alembic_config as package_alembic_config

__all__ = [
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]

# MariaDB commits every DDL statement at once, so a migration step cannot be rolled back.
TRANSACTIONAL_DDL = ("sqlite", "postgresql")


@pytest.fixture(params=SQL_BACKENDS)
async def alembic_engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    """An async engine on an empty database. No pool: pytest-alembic runs each step in an
    event loop of its own, and a pooled connection belongs to the loop that opened it."""
    async with empty_database(request.param) as url:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            yield engine
        finally:
            await engine.dispose()


@pytest.fixture
def alembic_config(alembic_engine: AsyncEngine) -> Config:
    return package_alembic_config(alembic_engine.url.render_as_string(hide_password=False))


@pytest.fixture
def alembic_runner(
    alembic_config: Config, alembic_engine: AsyncEngine
) -> Iterator[MigrationContext]:
    config = RunnerConfig.from_raw_config(alembic_config)
    # pytest-alembic runs an AsyncEngine under asyncio.run; its annotation names sync ones only.
    with runner(config=config, engine=alembic_engine) as context:  # type: ignore[arg-type]
        yield context


@pytest.mark.parametrize("alembic_engine", TRANSACTIONAL_DDL, indirect=True)
def test_a_downgrade_leaves_no_trace(alembic_runner: MigrationContext) -> None:
    downgrade_leaves_no_trace(alembic_runner)
