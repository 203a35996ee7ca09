"""The `todo-api` command line: start-up decisions, migrations and users, each failure one
line on stderr. `uvicorn.run` is replaced here; test_api_server.py runs the real server."""

import os
import pickle
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from sqldb import empty_database
from todo_api import Settings
from todo_api import cli as cli_module
from todo_api.cli import cli
from todo_api.container import schema_pending
from todo_api.edge import HttpLimits

from .support import settings_for

runner = CliRunner()


@pytest.fixture(autouse=True)
def logging_setups(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """No TODO_* variable of the developer leaks in, and the process-wide logging set-up is
    recorded instead of pointing the root logger at the runner's short-lived stderr."""
    for name in list(os.environ):
        if name.startswith("TODO_"):
            monkeypatch.delenv(name)
    configured: list[Settings] = []
    monkeypatch.setattr(cli_module, "configure_logging", configured.append)
    return configured


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    """What `uvicorn.run` was asked to serve, instead of serving it."""
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    return calls


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'todo.db'}"


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("todo-api: error: ")
    assert "Traceback" not in stderr
    return lines[0]


def test_a_bad_setting_stops_start_up_with_one_line(
    served: list[tuple[Any, dict[str, Any]]],
) -> None:
    for args in ([], ["serve"], ["migrate"]):
        result = runner.invoke(cli, args, env={"TODO_POOL_SIZE": "zero"})

        assert result.exit_code == 2
        assert "TODO_POOL_SIZE" in _one_error_line(result.stderr)
    assert served == []


def test_production_without_a_key_refuses_to_start(
    served: list[tuple[Any, dict[str, Any]]],
) -> None:
    result = runner.invoke(cli, ["serve"], env={"TODO_ENV": "production"})

    assert result.exit_code == 2
    assert "TODO_SECRET_KEY" in _one_error_line(result.stderr)
    assert served == []


def test_memory_storage_refuses_several_workers(
    served: list[tuple[Any, dict[str, Any]]],
) -> None:
    result = runner.invoke(cli, ["serve", "--workers", "2"], env={"TODO_STORAGE": "memory"})

    assert result.exit_code == 2
    assert "TODO_STORAGE=memory" in _one_error_line(result.stderr)
    assert served == []


def test_without_arguments_it_migrates_the_embedded_sqlite_and_serves_on_localhost(
    served: list[tuple[Any, dict[str, Any]]], logging_setups: list[Settings], tmp_path: Path
) -> None:
    url = _sqlite(tmp_path)
    assert schema_pending(settings_for("sql", url))

    result = runner.invoke(cli, [], env={"TODO_DATABASE_URL": url})

    assert result.exit_code == 0, result.output
    assert not schema_pending(settings_for("sql", url))
    [(app, options)] = served
    assert isinstance(app, FastAPI)
    assert (options["host"], options["port"]) == ("127.0.0.1", 8000)
    assert [settings.database_url for settings in logging_setups] == [url]


def test_serve_takes_host_and_port(
    served: list[tuple[Any, dict[str, Any]]], tmp_path: Path
) -> None:
    result = runner.invoke(
        cli,
        ["serve", "--host", "0.0.0.0", "--port", "9123"],
        env={"TODO_DATABASE_URL": _sqlite(tmp_path)},
    )

    assert result.exit_code == 0, result.output
    [(_, options)] = served
    assert (options["host"], options["port"]) == ("0.0.0.0", 9123)


def test_several_workers_share_one_generated_key(
    served: list[tuple[Any, dict[str, Any]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TODO_DATABASE_URL", _sqlite(tmp_path))

    result = runner.invoke(cli, ["serve", "--workers", "3"])

    assert result.exit_code == 0, result.output
    [(app, options)] = served
    assert app == "todo_api.app:create_app_from_environment"
    assert options["factory"] is True
    assert options["workers"] == 3
    assert len(os.environ["TODO_SECRET_KEY"]) >= 32
    # Each worker process gets the protocol with its limits through a pickle.
    assert pickle.loads(pickle.dumps(options["http"])) == HttpLimits.of(Settings())


async def test_another_database_with_pending_migrations_is_refused_unless_migrate(
    served: list[tuple[Any, dict[str, Any]]],
) -> None:
    async with empty_database("postgresql") as url:
        refused = runner.invoke(cli, ["serve"], env={"TODO_DATABASE_URL": url})
        migrated = runner.invoke(cli, ["serve", "--migrate"], env={"TODO_DATABASE_URL": url})
        again = runner.invoke(cli, ["serve"], env={"TODO_DATABASE_URL": url})

        assert refused.exit_code == 1
        line = _one_error_line(refused.stderr)
        assert "migrations pending" in line
        assert "todo-api migrate" in line
        assert migrated.exit_code == 0, migrated.output
        assert again.exit_code == 0, again.output
        assert len(served) == 2


async def test_migrate_upgrades_the_configured_database() -> None:
    async with empty_database("postgresql") as url:
        settings = settings_for("sql", url)
        assert schema_pending(settings)

        result = runner.invoke(cli, ["migrate"], env={"TODO_DATABASE_URL": url})

        assert result.exit_code == 0, result.output
        assert "up to date" in result.stdout
        assert not schema_pending(settings)


def test_an_unreachable_database_to_migrate_is_one_line_without_the_password(
    served: list[tuple[Any, dict[str, Any]]],
) -> None:
    url = "postgresql+asyncpg://todo:s3cret@127.0.0.1:1/todo"

    result = runner.invoke(cli, ["serve", "--migrate"], env={"TODO_DATABASE_URL": url})

    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert "cannot prepare the database at postgresql+asyncpg://todo:***@127.0.0.1:1/todo" in line
    assert "s3cret" not in result.output
    assert served == []


def test_serve_starts_while_the_database_is_unreachable_with_a_warning(
    served: list[tuple[Any, dict[str, Any]]],
) -> None:
    """The service starts while the database is down and uses it once it answers."""
    url = "postgresql+asyncpg://todo:s3cret@127.0.0.1:1/todo"

    result = runner.invoke(cli, ["serve"], env={"TODO_DATABASE_URL": url})

    assert result.exit_code == 0, result.output
    assert "warning: the database at postgresql+asyncpg://todo:***@127.0.0.1:1/todo" in (
        result.stderr
    )
    assert "s3cret" not in result.output
    assert len(served) == 1


def test_migrate_and_create_user_refuse_memory_storage() -> None:
    for args in (["migrate"], ["create-user", "--email", "a@b.io", "--password", "p" * 10]):
        result = runner.invoke(cli, args, env={"TODO_STORAGE": "memory"})

        assert result.exit_code == 2
        assert "TODO_STORAGE=memory" in _one_error_line(result.stderr)


def test_create_user_registers_a_user_once(tmp_path: Path) -> None:
    env = {"TODO_DATABASE_URL": _sqlite(tmp_path)}
    args = ["create-user", "--email", "Ada@Example.com", "--display-name", "Ada"]

    created = runner.invoke(cli, args, input="long password\nlong password\n", env=env)
    duplicate = runner.invoke(cli, [*args, "--password", "long password"], env=env)
    invalid = runner.invoke(cli, ["create-user", "--email", "nope", "--password", "x" * 9], env=env)

    assert created.exit_code == 0, created.output
    assert "created user ada@example.com" in created.stdout
    assert "long password" not in created.stdout
    assert duplicate.exit_code == 1
    assert "ada@example.com is already registered" in _one_error_line(duplicate.stderr)
    assert invalid.exit_code == 2
    assert "email must be a valid e-mail address" in _one_error_line(invalid.stderr)


COMMANDS: tuple[list[str], ...] = ([], ["serve"], ["migrate"], ["create-user"])


def _help(args: list[str]) -> str:
    result = runner.invoke(cli, [*args, "--help"], prog_name="todo-api")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_each_help_is_clean() -> None:
    for args in COMMANDS:
        text = _help(args)

        assert "Usage: todo-api" in text
        assert "<bool>" not in text, args  # a flag takes no value
        assert "[required]" not in text, args  # every option has a default or is asked for
        assert "--no-" not in text, args


def test_the_help_names_every_option_of_serving_at_the_top_and_in_serve() -> None:
    for args in ([], ["serve"]):
        text = _help(args)

        for option in ("--host", "--port", "--workers", "--reload", "--migrate"):
            assert option in text, (args, option)
    assert "--version" in _help([])


def test_create_user_asks_for_its_email_and_password_when_not_given(tmp_path: Path) -> None:
    result = runner.invoke(
        cli,
        ["create-user"],
        input="grace@example.com\nlong password\nlong password\n",
        env={"TODO_DATABASE_URL": _sqlite(tmp_path)},
    )

    assert result.exit_code == 0, result.output
    assert "created user grace@example.com" in result.stdout


def test_version_prints_the_installed_version(
    served: list[tuple[Any, dict[str, Any]]],
) -> None:
    result = runner.invoke(cli, ["--version"])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"todo-api {version('todo-api')}\n"
    assert served == []


def test_the_options_of_serving_work_without_a_command(
    served: list[tuple[Any, dict[str, Any]]], tmp_path: Path
) -> None:
    result = runner.invoke(
        cli,
        ["--port", "8001", "--host", "0.0.0.0", "--workers", "2"],
        env={"TODO_DATABASE_URL": _sqlite(tmp_path)},
    )

    assert result.exit_code == 0, result.output
    [(_, options)] = served
    assert (options["host"], options["port"], options["workers"]) == ("0.0.0.0", 8001, 2)


def test_an_option_of_serving_before_a_command_is_one_line_naming_serve(
    served: list[tuple[Any, dict[str, Any]]],
) -> None:
    for args in (["--port", "8001", "migrate"], ["--migrate", "serve"]):
        result = runner.invoke(cli, args)

        assert result.exit_code == 2
        assert "after `serve`" in _one_error_line(result.stderr)
    assert served == []
