"""The container: storage chosen by settings, one of everything per container."""

from uuid import uuid4

from dependency_injector import providers

from builders import fetch, register_owners
from sqldb import first_connect_options, migrated_url
from todo_api.container import MemoryProbe, SqlProbe, build_container
from todo_domain import AccountService, NewTodo, SystemClock, TodoService, UserService
from todo_memory import MemoryUnitOfWorkFactory
from todo_sql import SqlUnitOfWorkFactory

from .support import settings_for


def test_memory_storage_selects_the_memory_adapter() -> None:
    container = build_container(settings_for("memory"))

    assert isinstance(container.uow_factory(), MemoryUnitOfWorkFactory)
    assert isinstance(container.storage_probe(), MemoryProbe)


async def test_sql_storage_selects_the_sql_adapter_on_one_engine() -> None:
    # The probe reads the todos table: a migrated database.
    container = build_container(settings_for("sql", await migrated_url("sqlite")))
    try:
        assert isinstance(container.uow_factory(), SqlUnitOfWorkFactory)
        assert isinstance(container.storage_probe(), SqlProbe)
        assert container.engine() is container.engine()
        await container.storage_probe().check()
    finally:
        await container.engine().dispose()


async def test_a_transaction_pooler_setting_reaches_the_engine() -> None:
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    container = build_container(settings_for("sql", url, database_pooler="transaction"))
    try:
        options = await first_connect_options(container.engine())
    finally:
        await container.engine().dispose()

    assert options["statement_cache_size"] == 0
    assert "statement_timeout" not in options["server_settings"]


def test_everything_is_made_once_per_container() -> None:
    """The services are stateless, so one of each serves every request (no DI per request)."""
    container = build_container(settings_for("memory"))

    assert container.uow_factory() is container.uow_factory()
    assert container.clock() is container.clock()
    assert container.tokens() is container.tokens()
    assert isinstance(container.clock(), SystemClock)
    assert isinstance(container.todo_service(), TodoService)
    assert container.todo_service() is container.todo_service()
    assert isinstance(container.user_service(), UserService)
    assert container.user_service() is container.user_service()
    assert isinstance(container.account_service(), AccountService)
    assert container.account_service() is container.account_service()


def test_two_containers_share_nothing() -> None:
    one = build_container(settings_for("memory"))
    two = build_container(settings_for("memory"))

    assert one.uow_factory() is not two.uow_factory()
    assert one.metrics() is not two.metrics()


async def test_an_override_reaches_the_services() -> None:
    container = build_container(settings_for("memory"))
    storage = MemoryUnitOfWorkFactory()
    container.uow_factory.override(providers.Object(storage))
    owner = uuid4()
    await register_owners(storage, owner)  # a todo's owner must be a registered user

    created = await container.todo_service().create(owner, NewTodo(title="through the override"))

    assert await fetch(storage, owner, created.id) == created
