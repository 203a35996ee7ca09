"""The `todo-api` command: serve (the default), migrate, create-user.

Anything wrong at start-up ends in one line on stderr naming the problem, never a traceback.
"""

import asyncio
import os
import secrets
from importlib.metadata import version
from typing import Annotated, Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import typer
import uvicorn
from typer.core import TyperCommand, TyperGroup

from todo_api.app import create_app
from todo_api.container import (
    build_container,
    schema_pending,
    storage_unreachable,
    upgrade_schema,
)
from todo_api.edge import HttpLimits
from todo_api.logs import configure_logging
from todo_api.runtime import tune_gc
from todo_api.settings import Settings, SettingsError, load_settings
from todo_domain import Conflict, InvalidInput, User


def _without_flag_types(params: list[Any]) -> list[Any]:
    """Typer's help writes `<bool>` after a flag, as if it took a value: it takes none. An empty
    metavar is what the help shows instead of the type."""
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    return params


class _Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _without_flag_types(super().get_params(ctx))


class _Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _without_flag_types(super().get_params(ctx))


cli = typer.Typer(cls=_Group, add_completion=False, pretty_exceptions_enable=False)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# A new worker process answers the supervisor's health check once it has imported the service;
# on a busy machine that took longer than uvicorn's 5 s, and the supervisor killed and
# restarted its workers over and over.
WORKER_HEALTHCHECK_SECONDS = 30


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"todo-api: error: {message}", err=True)
    raise typer.Exit(code)


def settings_or_fail() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        fail(str(error), 2)


def redacted(url: str) -> str:
    """The database URL without its password, fit for a message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def prepare_storage(settings: Settings, *, migrate: bool) -> None:
    """Migrate the embedded SQLite database (or any, with `migrate`); refuse to run any other
    database whose schema is behind."""
    if settings.storage != "sql":
        return
    where = redacted(settings.database_url)
    try:
        if settings.is_sqlite or migrate:
            upgrade_schema(settings)
            return
        pending = schema_pending(settings)
    except Exception as error:
        if not migrate and storage_unreachable(error):
            # Serve anyway: /health/ready says 503, requests get 503 problems, and the pool
            # connects once the database answers (no restart needed).
            typer.echo(
                f"todo-api: warning: the database at {where} cannot be reached "
                f"({_first_line(error)}); serving, it is used once it answers",
                err=True,
            )
            return
        fail(f"cannot prepare the database at {where}: {_first_line(error)}")
    if pending:
        fail(
            f"the database at {where} has migrations pending; run `todo-api migrate` first, "
            "or serve with --migrate"
        )


def serve_app(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    workers: int = 1,
    reload: bool = False,
    migrate: bool = False,
) -> None:
    settings = settings_or_fail()
    if workers < 1:
        fail("--workers must be at least 1", 2)
    if settings.storage == "memory" and (workers > 1 or reload):
        fail(
            "TODO_STORAGE=memory keeps its data inside one process: "
            "serve it with one worker and without --reload",
            2,
        )
    prepare_storage(settings, migrate=migrate)
    configure_logging(settings)
    if workers == 1 and not reload:
        app = create_app(settings)
        tune_gc()
        uvicorn.run(app, host=host, port=port, **server_options(settings))
        return
    if settings.secret_key is None:
        # Every worker must verify the tokens of every other: share one random key.
        typer.echo("todo-api: warning: TODO_SECRET_KEY is not set; using a random key", err=True)
        os.environ["TODO_SECRET_KEY"] = secrets.token_urlsafe(32)
    uvicorn.run(
        "todo_api.app:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        **server_options(settings),
    )


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options, the same with one worker or several."""
    return {
        "log_config": None,
        "server_header": False,
        "access_log": False,  # the app logs one line per request itself (`RequestObserver`)
        "http": HttpLimits.of(settings),  # httptools with limits on headers and slow clients
        "timeout_keep_alive": settings.keep_alive_timeout,
        "timeout_graceful_shutdown": settings.drain_seconds,
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips or None,
    }


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"todo-api {version('todo-api')}")
        raise typer.Exit()


# The options of serving, the same after `serve` and without a command (`todo-api --port 8001`).
# A flag is one option (`--reload`), not a pair with `--no-reload`: its default is off.
Host = Annotated[str, typer.Option(help="Interface to listen on")]
Port = Annotated[int, typer.Option(min=1, max=65535, help="TCP port")]
Workers = Annotated[int, typer.Option(min=1, help="Worker processes")]
Reload = Annotated[bool, typer.Option("--reload", help="Restart on code changes (development)")]
Migrate = Annotated[bool, typer.Option("--migrate", help="Apply pending migrations first")]


@cli.callback(invoke_without_command=True)
def default(
    context: typer.Context,
    host: Host = DEFAULT_HOST,
    port: Port = DEFAULT_PORT,
    workers: Workers = 1,
    reload: Reload = False,
    migrate: Migrate = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """The Todo service. Without a command, serve with the options below (as `serve`)."""
    if context.invoked_subcommand is None:
        serve_app(host=host, port=port, workers=workers, reload=reload, migrate=migrate)
        return
    serving = (
        ("--host", host != DEFAULT_HOST),
        ("--port", port != DEFAULT_PORT),
        ("--workers", workers != 1),
        ("--reload", reload),
        ("--migrate", migrate),
    )
    misplaced = [option for option, given in serving if given]
    if misplaced:
        fail(
            f"{misplaced[0]} is an option of serving: give it without a command, "
            f"or after `serve` (todo-api serve {misplaced[0]} ...)",
            2,
        )


@cli.command(cls=_Command)
def serve(
    host: Host = DEFAULT_HOST,
    port: Port = DEFAULT_PORT,
    workers: Workers = 1,
    reload: Reload = False,
    migrate: Migrate = False,
) -> None:
    """Serve the HTTP API.

    The embedded SQLite database is migrated first; any other needs `migrate` (or --migrate).
    """
    serve_app(host=host, port=port, workers=workers, reload=reload, migrate=migrate)


@cli.command(cls=_Command)
def migrate() -> None:
    """Upgrade the configured database to the newest schema (alembic upgrade head)."""
    settings = settings_or_fail()
    if settings.storage != "sql":
        fail("TODO_STORAGE=memory has no schema to migrate", 2)
    prepare_storage(settings, migrate=True)
    typer.echo(f"database at {redacted(settings.database_url)} is up to date")


@cli.command("create-user", cls=_Command)
def create_user(
    # Not `required`: asked for when not given (a default of None), and so not marked required.
    email: Annotated[
        str | None,
        typer.Option(prompt=True, help="E-mail address, the login name; asked for when not given"),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="TODO_NEW_USER_PASSWORD",
            help="Asked for when not given",
        ),
    ] = None,
    display_name: Annotated[str | None, typer.Option(help="Name to show")] = None,
) -> None:
    """Register a user in the configured database."""
    # The prompts have answered them.
    assert email is not None
    assert password is not None
    settings = settings_or_fail()
    if settings.storage != "sql":
        fail("TODO_STORAGE=memory forgets a user as soon as this command ends", 2)
    prepare_storage(settings, migrate=False)
    try:
        user = asyncio.run(_register(settings, email, password, display_name))
    except InvalidInput as error:
        fail(f"{error.field} {error.message}", 2)
    except Conflict:
        fail(f"{email.strip().lower()} is already registered")
    typer.echo(f"created user {user.email} ({user.id})")


async def _register(settings: Settings, email: str, password: str, name: str | None) -> User:
    container = build_container(settings)
    try:
        return await container.user_service().register(email, password, name)
    finally:
        await container.engine().dispose()


def main() -> None:
    cli()
