"""The service as it ships: the four wheels (built from their sdists, as `uv build` does),
installed without network into a virtual environment of their own, run from a directory with
no checkout in or above it and nothing of the checkout on the path.

Installing offline takes the third-party packages at the versions of uv.lock from uv's cache,
which `uv sync` filled. Without uv, or with a cache that lacks them, the tests are skipped
with the reason (under CI=true they fail).
"""

import asyncio
import filecmp
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hardening.servers import free_port
from sqldb import empty_database, unavailable
from todo_sql.migrations import current, heads

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 300.0  # building eight archives and installing them, on a busy machine
COMMAND_TIMEOUT = 60.0
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
PASSWORD = "correct horse battery"
WHERE_FROM = "import todo_api, todo_sql; print(todo_api.__file__, todo_sql.__file__)"
PACKAGES = ("todo_domain", "todo_adapters_memory", "todo_adapters_sql", "todo_api")


@dataclass(frozen=True)
class Installation:
    """A virtual environment with the wheels installed, and a directory to run them in."""

    venv: Path
    wheels: dict[str, Path]
    workdir: Path

    @property
    def todo_api(self) -> Path:
        return self.venv / "bin" / "todo-api"

    def environment(self, **settings: str) -> dict[str, str]:
        """Only what a shell in that environment would have: no PYTHONPATH, no TODO_*
        variables of the test run, no project virtual environment."""
        return {
            "PATH": f"{self.venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(self.workdir),
            "LANG": "C.UTF-8",
        } | settings


def _run(command: list[str], *, cwd: Path, timeout: float = BUILD_TIMEOUT) -> str:
    """Run a build step; a cache without the packages it needs is a reason to skip."""
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        output = f"{' '.join(command)}: {done.stdout}{done.stderr}"
        if "network" in done.stderr.lower() or "offline" in done.stderr.lower():
            unavailable(f"uv's cache cannot install offline what the wheels need: {output}")
        pytest.fail(output, pytrace=False)
    return done.stdout


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Installation:
    uv = shutil.which("uv")
    if uv is None:
        unavailable("uv is not installed: the wheels cannot be built and installed offline")
    base = tmp_path_factory.mktemp("wheels")
    dist, venv, workdir = base / "dist", base / "venv", base / "empty"
    workdir.mkdir()
    lock = base / "pylock.toml"
    started = time.monotonic()
    _run([uv, "build", "--offline", "--all-packages", "-q", "-o", str(dist)], cwd=ROOT)
    export = [uv, "export", "--frozen", "--no-dev", "--no-emit-workspace", "--all-packages"]
    _run([*export, "-q", "--format", "pylock.toml", "-o", str(lock)], cwd=ROOT)
    # The interpreter the project's environment is made from: outside the checkout.
    python = Path(sys.base_prefix, "bin", "python3")
    _run([uv, "venv", "--offline", "-q", "--python", str(python), str(venv)], cwd=base)
    install = [uv, "pip", "install", "--offline", "-q", "--python", str(venv / "bin" / "python")]
    _run([*install, "-r", str(lock)], cwd=base)
    wheels = {name: next(dist.glob(f"{name}-*.whl")) for name in PACKAGES}
    _run([*install, *map(str, wheels.values())], cwd=base)
    print(f"built and installed the wheels in {time.monotonic() - started:.1f} s")
    return Installation(venv, wheels, workdir)


def _todo_api(
    installation: Installation, *arguments: str, **settings: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(installation.todo_api), *arguments],
        cwd=installation.workdir,
        env=installation.environment(**settings),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def test_the_sql_wheel_carries_the_repository_migrations(installation: Installation) -> None:
    with zipfile.ZipFile(installation.wheels["todo_adapters_sql"]) as wheel:
        packaged = {
            name.removeprefix("todo_sql/alembic/")
            for name in wheel.namelist()
            if name.startswith("todo_sql/alembic/")
        }
    migrations = ROOT / "migrations"
    in_checkout = {
        str(path.relative_to(migrations))
        for path in migrations.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert packaged == in_checkout
    assert {"env.py", "versions/0001_initial.py", "versions/0002_login_failures.py"} <= packaged
    installed = next(installation.venv.glob("lib/python*/site-packages/todo_sql/alembic"))
    comparison = filecmp.dircmp(migrations / "versions", installed / "versions")
    assert not comparison.diff_files


def test_the_installed_service_runs_nothing_from_the_checkout(
    installation: Installation,
) -> None:
    python = installation.venv / "bin" / "python"
    done = subprocess.run(
        [
            str(python),
            "-c",
            "import todo_api, todo_sql; print(todo_api.__file__, todo_sql.__file__)",
        ],
        cwd=installation.workdir,
        env=installation.environment(),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=True,
    )
    for module in done.stdout.split():
        assert Path(module).is_relative_to(installation.venv)


def test_serve_migrates_its_sqlite_file_in_the_working_directory_and_serves(
    installation: Installation,
) -> None:
    port = free_port()
    log = installation.workdir / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(installation.todo_api), "serve", "--port", str(port)],
            cwd=installation.workdir,
            env=installation.environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_ready(process, base, log)
            with httpx.Client(base_url=base, timeout=10) as http:
                _register_login_and_create_a_todo(http)
        finally:
            _stop(process)
    database = f"sqlite+aiosqlite:///{installation.workdir / 'todo.db'}"
    assert current(database) == heads(database)


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
async def test_migrate_upgrades_a_server_database(installation: Installation, backend: str) -> None:
    async with empty_database(backend) as url:
        done = await asyncio.to_thread(_todo_api, installation, "migrate", TODO_DATABASE_URL=url)
        assert done.returncode == 0, done.stdout + done.stderr
        assert await asyncio.to_thread(current, url) == heads(url)


async def test_serve_refuses_a_database_with_pending_migrations(
    installation: Installation,
) -> None:
    async with empty_database("postgresql") as url:
        done = await asyncio.to_thread(
            _todo_api, installation, "serve", "--port", str(free_port()), TODO_DATABASE_URL=url
        )
        assert done.returncode != 0
        assert "migrations pending" in done.stderr
        assert "Traceback" not in done.stderr
        assert await asyncio.to_thread(current, url) == set()


def _register_login_and_create_a_todo(http: httpx.Client) -> None:
    email = "packaged@example.com"
    registered = http.post("/api/v1/users", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    login = http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    created = http.post("/api/v1/todos", json={"title": "Shipped"}, headers=auth)
    assert created.status_code == 201, created.text
    listed = http.get("/api/v1/todos", headers=auth).json()
    assert [todo["title"] for todo in listed["items"]] == ["Shipped"]


def _wait_until_ready(process: "subprocess.Popen[bytes]", base: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"todo-api serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"todo-api serve did not answer in {START_TIMEOUT} s: {log.read_text()}")
        time.sleep(0.1)


def _stop(process: "subprocess.Popen[bytes]") -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
