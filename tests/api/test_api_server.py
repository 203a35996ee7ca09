"""The real thing: `todo-api serve` in a process of its own on a free port, with a temporary
SQLite file, walked through the whole contract over TCP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .support import PASSWORD

START_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path, repo_root: Path) -> Iterator[str]:
    """The base URL of a running `todo-api serve`; the process is always stopped."""
    port = _free_port()
    script = Path(sys.executable).with_name("todo-api")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "todo_api"]
    env = {name: value for name, value in os.environ.items() if not name.startswith("TODO_")}
    env |= {"TODO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'todo.db'}"}
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        cwd=repo_root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {(tmp_path / 'server.log').read_text()}")
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no answer in {START_TIMEOUT}s: {(tmp_path / 'server.log').read_text()}"
                )
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_a_user_walks_through_the_contract(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        assert (
            http.post(
                "/api/v1/users", json={"email": "walker@example.com", "password": PASSWORD}
            ).status_code
            == 201
        )
        token = http.post(
            "/api/v1/auth/token", data={"username": "walker@example.com", "password": PASSWORD}
        )
        assert token.status_code == 200
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}

        created = [
            http.post("/api/v1/todos", json=body, headers=auth)
            for body in (
                {"title": "work 1", "tags": ["work"]},
                {"title": "home", "tags": ["home"]},
                {"title": "work 2", "tags": ["Work"], "priority": "high"},
            )
        ]
        assert [response.status_code for response in created] == [201, 201, 201]
        assert all(response.headers["location"] for response in created)

        first = http.get("/api/v1/todos", params={"tag": "work", "limit": 1}, headers=auth)
        assert first.status_code == 200
        assert [item["title"] for item in first.json()["items"]] == ["work 2"]
        cursor = first.json()["next_cursor"]
        second = http.get(
            "/api/v1/todos", params={"tag": "work", "limit": 1, "cursor": cursor}, headers=auth
        )
        assert [item["title"] for item in second.json()["items"]] == ["work 1"]
        assert second.json()["next_cursor"] is None

        url = created[0].headers["location"]
        etag = http.get(url, headers=auth).headers["etag"]
        patched = http.patch(url, json={"status": "done"}, headers={**auth, "If-Match": etag})
        assert patched.status_code == 200
        assert patched.json()["completed_at"] is not None
        stale = http.patch(url, json={"title": "lost"}, headers={**auth, "If-Match": etag})
        assert stale.status_code == 412
        assert stale.headers["content-type"] == "application/problem+json"

        assert http.delete(url, headers=auth).status_code == 204
        gone = http.get(url, headers=auth)
        assert gone.status_code == 404
        assert gone.json()["status"] == 404

        metrics = http.get("/metrics").text
        assert 'route="/api/v1/todos/{todo_id}",status="412"' in metrics
