"""Configuration from `TODO_*` environment variables and a `.env` file (pydantic-settings)."""

import logging
import os
import re
from typing import Annotated, Literal
from urllib.parse import parse_qsl, urlencode

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "TODO_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./todo.db"
SECRET_KEY_MIN = 32

# The async drivers the SQL adapter runs on (todo_sql.engine.SUPPORTED); a bare dialect gets
# its driver, so `postgresql://...` works as operators usually write it.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
    "mariadb": "mariadb+aiomysql",
}
_SUPPORTED = frozenset(_ASYNC_DRIVERS.values())
# A replicated PostgreSQL cluster named host by host: the service writes, so a connection
# must reach the leader, never a standby.
_CLUSTER_DRIVER = "postgresql+asyncpg"
_WRITABLE_SESSIONS = ("read-write", "primary")
_HOST_PORT = re.compile(r"(?P<host>[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?")
DEFAULT_PORT = 5432

Storage = Literal["sql", "memory"]
Environment = Literal["development", "test", "production"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["text", "json"]
# `todo_sql.engine.Pooler`: what sits between the service and PostgreSQL.
DatabasePooler = Literal["none", "transaction"]


def default_max_concurrent_hashes() -> int:
    """One password hash per available CPU, at most 4: each holds 64 MiB while it runs, and
    more at once than there are cores only queues inside the operating system."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


class Settings(BaseSettings):
    """Every knob of the service. Field `x` is read from `TODO_X`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", frozen=True
    )

    env: Environment = "development"
    storage: Storage = "sql"
    database_url: str = DEFAULT_DATABASE_URL
    database_pooler: DatabasePooler = "none"
    secret_key: SecretStr | None = Field(default=None, validate_default=True)
    token_lifetime_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    # Connections per worker: enough for the requests one worker has in flight, and no
    # overflow, which SQLAlchemy closes on return (under a steady load above the pool it
    # opened and closed a connection for most requests). README: "Sizing the pool".
    pool_size: int = Field(default=20, ge=1, le=1000)
    max_overflow: int = Field(default=0, ge=0, le=1000)
    pool_timeout: float = Field(default=10.0, gt=0)
    pool_recycle: int = Field(default=1800, ge=-1)
    connect_timeout: float = Field(default=5.0, gt=0)
    statement_timeout: float = Field(default=5.0, ge=0.1, le=600)
    echo_sql: bool = False
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "text"
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    slow_query_ms: float = Field(default=0, ge=0)
    max_concurrent_hashes: int = Field(default_factory=default_max_concurrent_hashes, ge=1, le=64)
    hash_queue_timeout: float = Field(default=30.0, gt=0, le=60)
    login_window_seconds: int = Field(default=900, ge=1, le=7 * 24 * 3600)
    login_failures_per_address_account: int = Field(default=10, ge=1, le=100_000)
    login_failures_per_address: int = Field(default=100, ge=1, le=100_000)
    login_failures_per_account: int = Field(default=100, ge=1, le=100_000)
    cors_origins: Annotated[list[str], NoDecode] = []  # comma-separated in TODO_CORS_ORIGINS
    # The HTTP edge (todo_api.edge): a client is refused or cut off past these.
    max_header_bytes: int = Field(default=32 * 1024, ge=1024, le=1024 * 1024)
    max_headers: int = Field(default=100, ge=10, le=1000)
    header_timeout: float = Field(default=10.0, gt=0, le=300)
    body_timeout: float = Field(default=30.0, gt=0, le=3600)
    keep_alive_timeout: int = Field(default=5, ge=1, le=3600)
    # The proxies whose X-Forwarded-For is believed (comma-separated addresses or networks).
    # None by default: any client can send the header, and the login throttle counts by
    # address, so a header nobody vouches for must not decide the client's address.
    forwarded_allow_ips: Annotated[list[str], NoDecode] = []
    # From SIGTERM to exit: requests in flight are drained, then the pool is closed.
    shutdown_timeout: int = Field(default=15, ge=2, le=3600)

    @field_validator("cors_origins", "forwarded_allow_ips", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().startswith("["):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_urls(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"must be http(s)://host[:port] origins or *, not {origin!r}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _async_database_url(cls, value: str) -> str:
        scheme, separator, rest = value.partition("://")
        if not separator or not rest:
            raise ValueError("must be a URL such as sqlite+aiosqlite:///./todo.db")
        scheme = _ASYNC_DRIVERS.get(scheme, scheme)
        if scheme not in _SUPPORTED:
            raise ValueError(f"must use one of {', '.join(sorted(_SUPPORTED))} (not {scheme})")
        return f"{scheme}://{_several_hosts(scheme, rest)}"

    @field_validator("database_pooler")
    @classmethod
    def _pooler_for_postgresql(cls, value: DatabasePooler, info: ValidationInfo) -> str:
        url = info.data.get("database_url")  # absent when it was invalid itself
        if value != "none" and url is not None and not url.startswith("postgresql"):
            raise ValueError(f"{value!r} is for a PostgreSQL database URL only")
        return value

    @field_validator("secret_key")
    @classmethod
    def _strong_key_in_production(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < SECRET_KEY_MIN:
            raise ValueError(f"must be at least {SECRET_KEY_MIN} characters long")
        if value is None and info.data.get("env") == "production":
            raise ValueError("is required when TODO_ENV=production")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.storage == "sql" and self.database_url.startswith("sqlite")

    @property
    def pool_close_seconds(self) -> int:
        """The end of the shut-down timeout kept for closing the pool."""
        return max(1, self.shutdown_timeout // 5)

    @property
    def exit_seconds(self) -> int:
        """The end of the shut-down timeout kept for the processes to end (with several
        workers the supervisor ends after them; an interpreter's teardown takes a moment)."""
        return max(1, self.shutdown_timeout // 5)

    @property
    def drain_seconds(self) -> int:
        """How long requests in flight may still run after SIGTERM; the rest are answered 503."""
        return max(1, self.shutdown_timeout - self.pool_close_seconds - self.exit_seconds)

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def _several_hosts(scheme: str, rest: str) -> str:
    """`rest` of a database URL (after `scheme://`) with several hosts in asyncpg's form,
    `user@/db?host=h1:p1&host=h2:p2&target_session_attrs=read-write`, whether they came so or
    as libpq spells them (`user@h1:p1,h2:p2/db`, which SQLAlchemy's URL parser refuses);
    every host with its port (5432 if none) and `target_session_attrs` read-write unless it
    says primary. One host: `rest` as it came."""
    authority, path = _split_authority(rest)
    userinfo, at, hostlist = authority.rpartition("@")
    location, _, query_string = path.partition("?")
    query = parse_qsl(query_string, keep_blank_values=True)
    in_query = [host for name, value in query if name == "host" for host in value.split(",")]
    named = hostlist.split(",") if hostlist else []
    if len(named) < 2 and len(in_query) < 2:
        return rest
    if named and in_query:
        raise ValueError("names its hosts twice: as h1:p1,h2:p2 and as ?host=")
    if scheme != _CLUSTER_DRIVER:
        raise ValueError(f"several hosts are for PostgreSQL only (not {scheme})")
    hosts = [("host", _host_and_port(host)) for host in named or in_query]
    attributes = dict(query).get("target_session_attrs", _WRITABLE_SESSIONS[0])
    if attributes not in _WRITABLE_SESSIONS:
        raise ValueError(
            f"target_session_attrs={attributes} would let the service reach a standby:"
            f" with several hosts use {' or '.join(_WRITABLE_SESSIONS)}"
        )
    others = [item for item in query if item[0] not in ("host", "target_session_attrs")]
    parameters = [*hosts, *others, ("target_session_attrs", attributes)]
    return f"{userinfo}{at}/{location.lstrip('/')}?{urlencode(parameters, safe=':/')}"


def _split_authority(rest: str) -> tuple[str, str]:
    """`user@hosts`, and the path with the query after it."""
    end = min((rest.find(mark) for mark in "/?" if mark in rest), default=len(rest))
    return rest[:end], rest[end:]


def _host_and_port(given: str) -> str:
    match = _HOST_PORT.fullmatch(given)
    port = int(match["port"] or DEFAULT_PORT) if match else 0
    if match is None or not 0 < port < 65536:
        raise ValueError(f"host {given!r} is not name:port (port 1 to 65535)")
    return f"{match['host']}:{port}"


class SettingsError(Exception):
    """A setting is wrong; the message names it and says why, on one line."""


def load_settings() -> Settings:
    """Settings from the environment (and `.env`), with a one-line `SettingsError` if wrong."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(describe(error)) from None


def describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        name = ENV_PREFIX + "_".join(str(part) for part in item["loc"]).upper()
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{name} {message}" if message.startswith("is ") else f"{name}: {message}")
    return "invalid setting " + "; ".join(problems)
