"""Settings from `TODO_*` variables and `.env`; a wrong one is one line naming it."""

from pathlib import Path

import pytest

from todo_api import Settings, SettingsError, load_settings
from todo_sql import create_engine


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TODO_* variable and no `.env` of the developer leak in."""
    import os

    for name in list(os.environ):
        if name.startswith("TODO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_the_defaults_serve_sqlite_in_the_working_directory() -> None:
    settings = load_settings()

    assert settings.storage == "sql"
    assert settings.database_url == "sqlite+aiosqlite:///./todo.db"
    assert settings.is_sqlite
    assert settings.secret_key is None
    assert settings.env == "development"
    assert (settings.pool_size, settings.max_overflow) == (20, 0)
    assert settings.token_lifetime_seconds == 3600
    assert settings.max_body_bytes == 1024 * 1024
    assert (settings.log_level, settings.log_format) == ("INFO", "text")
    assert 1 <= settings.max_concurrent_hashes <= 4
    assert settings.hash_queue_timeout == 30.0
    assert settings.login_window_seconds == 900
    assert settings.login_failures_per_address_account == 10
    assert settings.login_failures_per_address == 100
    assert settings.login_failures_per_account == 100
    assert settings.statement_timeout == 5.0
    assert settings.shutdown_timeout == 15
    assert (settings.max_header_bytes, settings.max_headers) == (32 * 1024, 100)
    assert (settings.header_timeout, settings.body_timeout) == (10.0, 30.0)
    assert settings.keep_alive_timeout == 5
    assert (settings.drain_seconds, settings.pool_close_seconds, settings.exit_seconds) == (
        9,
        3,
        3,
    )


def test_variables_with_the_todo_prefix_configure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODO_STORAGE", "memory")
    monkeypatch.setenv("TODO_POOL_SIZE", "32")
    monkeypatch.setenv("TODO_LOG_LEVEL", "debug")
    monkeypatch.setenv("TODO_SECRET_KEY", "s" * 40)

    settings = load_settings()

    assert settings.storage == "memory"
    assert settings.pool_size == 32
    assert settings.log_level == "DEBUG"
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == "s" * 40
    assert "s" * 40 not in repr(settings)


def test_a_dotenv_file_is_read_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("TODO_STORAGE=memory\nTODO_POOL_SIZE=7\nOTHER=ignored\n")
    monkeypatch.setenv("TODO_POOL_SIZE", "8")

    settings = load_settings()

    assert settings.storage == "memory"
    assert settings.pool_size == 8


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/todo", "postgresql+asyncpg://u:p@db:5432/todo"),
        ("postgres://u@db/todo", "postgresql+asyncpg://u@db/todo"),
        ("sqlite:///./x.db", "sqlite+aiosqlite:///./x.db"),
        ("mariadb://root@db/todo", "mariadb+aiomysql://root@db/todo"),
        ("postgresql+asyncpg://u@db/todo", "postgresql+asyncpg://u@db/todo"),
        # One host with target_session_attrs: as given (asyncpg takes it).
        (
            "postgresql://u@db/todo?target_session_attrs=any",
            "postgresql+asyncpg://u@db/todo?target_session_attrs=any",
        ),
    ],
)
def test_database_urls_get_the_async_driver(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("TODO_DATABASE_URL", given)

    assert load_settings().database_url == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TODO_STORAGE", "redis", "TODO_STORAGE"),
        ("TODO_POOL_SIZE", "0", "TODO_POOL_SIZE"),
        ("TODO_POOL_SIZE", "many", "TODO_POOL_SIZE"),
        ("TODO_DATABASE_URL", "not a url", "TODO_DATABASE_URL"),
        ("TODO_DATABASE_URL", "postgresql+psycopg2://u@h/d", "TODO_DATABASE_URL"),
        ("TODO_SECRET_KEY", "short", "TODO_SECRET_KEY"),
        ("TODO_LOG_FORMAT", "xml", "TODO_LOG_FORMAT"),
        ("TODO_MAX_BODY_BYTES", "10", "TODO_MAX_BODY_BYTES"),
        ("TODO_ENV", "staging", "TODO_ENV"),
        ("TODO_MAX_CONCURRENT_HASHES", "0", "TODO_MAX_CONCURRENT_HASHES"),
        ("TODO_HASH_QUEUE_TIMEOUT", "0", "TODO_HASH_QUEUE_TIMEOUT"),
        ("TODO_LOGIN_WINDOW_SECONDS", "0", "TODO_LOGIN_WINDOW_SECONDS"),
        ("TODO_LOGIN_FAILURES_PER_ADDRESS_ACCOUNT", "0", "TODO_LOGIN_FAILURES_PER_ADDRESS_ACCOUNT"),
        ("TODO_LOGIN_FAILURES_PER_ADDRESS", "-1", "TODO_LOGIN_FAILURES_PER_ADDRESS"),
        ("TODO_LOGIN_FAILURES_PER_ACCOUNT", "none", "TODO_LOGIN_FAILURES_PER_ACCOUNT"),
        ("TODO_STATEMENT_TIMEOUT", "0", "TODO_STATEMENT_TIMEOUT"),
        ("TODO_STATEMENT_TIMEOUT", "soon", "TODO_STATEMENT_TIMEOUT"),
        ("TODO_SHUTDOWN_TIMEOUT", "1", "TODO_SHUTDOWN_TIMEOUT"),
        ("TODO_SHUTDOWN_TIMEOUT", "soon", "TODO_SHUTDOWN_TIMEOUT"),
        ("TODO_MAX_HEADER_BYTES", "100", "TODO_MAX_HEADER_BYTES"),
        ("TODO_MAX_HEADERS", "5", "TODO_MAX_HEADERS"),
        ("TODO_HEADER_TIMEOUT", "0", "TODO_HEADER_TIMEOUT"),
        ("TODO_BODY_TIMEOUT", "-1", "TODO_BODY_TIMEOUT"),
        ("TODO_KEEP_ALIVE_TIMEOUT", "0", "TODO_KEEP_ALIVE_TIMEOUT"),
    ],
)
def test_a_wrong_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    text = str(raised.value)
    assert text.startswith(f"invalid setting {message}")
    assert "\n" not in text
    assert raised.value.__cause__ is None


_CLUSTER = (
    "postgresql+asyncpg://u:p@/todo?host=db1:5432&host=db2:5433&host=db3:5432"
    "&target_session_attrs=read-write"
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # libpq's spelling, which SQLAlchemy's URL parser refuses; a missing port is 5432.
        ("postgresql://u:p@db1,db2:5433,db3/todo?target_session_attrs=read-write", _CLUSTER),
        ("postgres://u:p@db1:5432,db2:5433,db3:5432/todo", _CLUSTER),
        # asyncpg's, with the driver named or not, and with the hosts in one parameter.
        ("postgresql://u:p@/todo?host=db1:5432&host=db2:5433&host=db3", _CLUSTER),
        ("postgresql+asyncpg://u:p@/todo?host=db1,db2:5433,db3:5432", _CLUSTER),
        # primary is kept, other parameters too; without a database name, the user's.
        (
            "postgresql://u@pg-a.example:6432,pg-b.example:6432/todo?sslmode=require&target_session_attrs=primary",
            "postgresql+asyncpg://u@/todo?host=pg-a.example:6432&host=pg-b.example:6432&sslmode=require&target_session_attrs=primary",
        ),
        (
            "postgresql://h1:1,h2:2",
            "postgresql+asyncpg:///?host=h1:1&host=h2:2&target_session_attrs=read-write",
        ),
    ],
)
def test_several_postgresql_hosts_become_asyncpg_hosts_that_take_writes(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    """Whatever the spelling, the service reaches only the host that takes writes."""
    monkeypatch.setenv("TODO_DATABASE_URL", given)

    assert load_settings().database_url == expected


def test_the_driver_gets_every_host_and_port_of_a_cluster_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TODO_DATABASE_URL", "postgresql://u:p@db1,db2:5433,db3/todo")
    engine = create_engine(load_settings().database_url)
    try:
        _, arguments = engine.dialect.create_connect_args(engine.url)
    finally:
        engine.sync_engine.dispose()

    assert arguments["host"] == ["db1", "db2", "db3"]
    assert arguments["port"] == [5432, 5433, 5432]
    assert arguments["target_session_attrs"] == "read-write"
    assert (arguments["user"], arguments["password"], arguments["database"]) == ("u", "p", "todo")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("mysql://u@db1,db2/todo", "several hosts are for PostgreSQL only"),
        ("sqlite+aiosqlite:///x.db?host=a:1&host=b:2", "several hosts are for PostgreSQL only"),
        ("postgresql://u@db1,db2/todo?target_session_attrs=any", "target_session_attrs=any"),
        ("postgresql://u@/todo?host=a:1&host=b:2&target_session_attrs=prefer-standby", "standby"),
        ("postgresql://u@db1:5432,db2:65536/todo", "host 'db2:65536' is not name:port"),
        ("postgresql://u@db1:5432,db2:x/todo", "host 'db2:x' is not name:port"),
        ("postgresql://u@db1,,db2/todo", "host '' is not name:port"),
        ("postgresql://u@[::1]:5432,db2/todo", "host '[::1]:5432' is not name:port"),
        ("postgresql://u@db1,db2/todo?host=db3:5432", "names its hosts twice"),
    ],
)
def test_a_wrong_cluster_url_is_one_line_saying_why(
    monkeypatch: pytest.MonkeyPatch, value: str, why: str
) -> None:
    monkeypatch.setenv("TODO_DATABASE_URL", value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    text = str(raised.value)
    assert text.startswith("invalid setting TODO_DATABASE_URL: ")
    assert why in text
    assert "\n" not in text


def test_production_refuses_to_start_without_a_secret_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TODO_ENV", "production")

    with pytest.raises(SettingsError, match="TODO_SECRET_KEY is required when TODO_ENV"):
        load_settings()

    monkeypatch.setenv("TODO_SECRET_KEY", "k" * 32)
    assert load_settings().env == "production"


def test_settings_are_immutable() -> None:
    settings = Settings.model_validate({"storage": "memory"})

    with pytest.raises(ValueError, match="frozen"):
        settings.storage = "sql"


async def test_the_statement_timeout_reaches_every_connection(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """From TODO_STATEMENT_TIMEOUT to the session of a pooled connection (SQLite's busy
    timeout here; the server backends' in tests/hardening/test_locked_database.py)."""
    from sqlalchemy import text

    from todo_api.container import build_container

    monkeypatch.setenv("TODO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/todo.db")
    monkeypatch.setenv("TODO_STATEMENT_TIMEOUT", "2.5")
    engine = build_container(load_settings()).engine()
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA busy_timeout")) == 2500
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("url", "pooler", "why"),
    [
        ("postgresql://u@db/todo", "statement", "Input should be 'none' or 'transaction'"),
        ("sqlite+aiosqlite:///./todo.db", "transaction", "is for a PostgreSQL database URL only"),
        ("mariadb://u@db/todo", "transaction", "is for a PostgreSQL database URL only"),
    ],
)
def test_a_wrong_pooler_is_one_line_saying_why(
    monkeypatch: pytest.MonkeyPatch, url: str, pooler: str, why: str
) -> None:
    monkeypatch.setenv("TODO_DATABASE_URL", url)
    monkeypatch.setenv("TODO_DATABASE_POOLER", pooler)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    text = str(raised.value)
    assert text.startswith("invalid setting TODO_DATABASE_POOLER")
    assert why in text
    assert "\n" not in text
