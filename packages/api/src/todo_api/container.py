"""The composition root: which adapter, hasher, clock and token service the app runs with.

The only module of the API that knows the storage adapters (import-linter holds it to that),
so the schema migrations go through here too. SQLAlchemy and `todo_sql` are imported on first
use: a service on memory storage never loads them.
"""

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from todo_api.hashing import Argon2PasswordHasher, BoundedHasher
from todo_api.metrics import Metrics
from todo_api.security import TokenService, signing_key
from todo_api.settings import Settings
from todo_domain import (
    AccountService,
    Clock,
    ListService,
    LoginLimits,
    LoginThrottle,
    SystemClock,
    TodoService,
    UnitOfWorkFactory,
    UserService,
)
from todo_memory import MemoryUnitOfWorkFactory

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def _sql_engine(settings: Settings) -> "AsyncEngine":
    import todo_sql

    engine = todo_sql.create_engine(
        settings.database_url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout,
        pool_recycle=settings.pool_recycle,
        connect_timeout=settings.connect_timeout,
        statement_timeout=settings.statement_timeout,
        echo=settings.echo_sql,
        pooler=settings.database_pooler,
    )
    if settings.slow_query_ms > 0:
        from todo_sql.slow_queries import log_slow_queries

        log_slow_queries(engine, settings.slow_query_ms / 1000)
    return engine


def _sql_unit_of_work_factory(engine: "AsyncEngine", settings: Settings) -> UnitOfWorkFactory:
    import todo_sql

    return todo_sql.SqlUnitOfWorkFactory(engine, statement_timeout=settings.statement_timeout)


def upgrade_schema(settings: Settings) -> None:
    """Alembic `upgrade head` on the configured database."""
    import todo_sql.migrations

    todo_sql.migrations.upgrade(settings.database_url)


def schema_pending(settings: Settings) -> bool:
    """True while the configured database lacks migrations."""
    import todo_sql.migrations

    return todo_sql.migrations.pending(settings.database_url)


def storage_unreachable(error: BaseException) -> bool:
    """True when `error` (from the storage) means the database cannot be reached right now."""
    import todo_sql.errors

    return todo_sql.errors.is_unavailable(error)


def _token_service(settings: Settings, clock: Clock) -> TokenService:
    configured = settings.secret_key.get_secret_value() if settings.secret_key else None
    lifetime = timedelta(seconds=settings.token_lifetime_seconds)
    return TokenService(signing_key(configured), lifetime, clock)


def _login_limits(settings: Settings) -> LoginLimits:
    return LoginLimits(
        window=timedelta(seconds=settings.login_window_seconds),
        per_address_account=settings.login_failures_per_address_account,
        per_address=settings.login_failures_per_address,
        per_account=settings.login_failures_per_account,
    )


class MemoryProbe:
    """Memory storage is as alive as the process."""

    async def check(self) -> None:
        return None


def _probe_timeout(settings: Settings) -> float:
    """Connecting, then one read under the statement timeout; the probe's own bound is for a
    database that stops answering without the server's timeout ever firing."""
    return settings.connect_timeout + settings.statement_timeout


class SqlProbe:
    """Asks the database for a read of the todos table (`todo_sql.ping`), bounded in time."""

    def __init__(self, engine: "AsyncEngine", timeout: float) -> None:
        self._engine = engine
        self._timeout = timeout

    async def check(self) -> None:
        import todo_sql

        async with asyncio.timeout(self._timeout):
            await todo_sql.ping(self._engine)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    # `hasher` bounds the hashes of `argon2` at once; tests that replace `argon2` keep the bound.
    argon2 = providers.Singleton(Argon2PasswordHasher)
    hasher = providers.Singleton(
        BoundedHasher,
        argon2,
        settings.provided.max_concurrent_hashes,
        settings.provided.hash_queue_timeout,
    )
    tokens = providers.Singleton(_token_service, settings, clock)
    metrics = providers.Singleton(Metrics)

    engine = providers.Singleton(_sql_engine, settings)
    uow_factory = providers.Selector(
        settings.provided.storage,
        memory=providers.Singleton(MemoryUnitOfWorkFactory),
        sql=providers.Singleton(_sql_unit_of_work_factory, engine, settings),
    )
    storage_probe = providers.Selector(
        settings.provided.storage,
        memory=providers.Singleton(MemoryProbe),
        sql=providers.Singleton(SqlProbe, engine, providers.Callable(_probe_timeout, settings)),
    )

    # The services keep no state of their own (each call opens its own unit of work), so one
    # of each serves every request: a Factory re-evaluated the storage selector, and checked
    # the settings' type, on every request (measured in bench/README.md). Override what they
    # are built from before the first request that uses them.
    todo_service = providers.Singleton(TodoService, uow_factory, clock)
    list_service = providers.Singleton(ListService, uow_factory, clock)
    login_limits = providers.Singleton(_login_limits, settings)
    login_throttle = providers.Singleton(LoginThrottle, uow_factory, clock, login_limits)
    user_service = providers.Singleton(UserService, uow_factory, hasher, clock, login_throttle)
    # The same throttle: a wrong current password counts as a failed login of the account.
    account_service = providers.Singleton(
        AccountService, uow_factory, hasher, clock, login_throttle
    )


def build_container(settings: Settings) -> Container:
    return Container(settings=settings)
