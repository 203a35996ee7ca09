"""The README's "A walk through the API" runs as written: its shell block, with only the
address changed, against the real server on memory storage, creates, changes and deletes a
todo, then logs out."""

import asyncio
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx

from hardening.servers import running_service

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## A walk through the API"
DOCUMENTED_ADDRESS = "localhost:8000"
WALK_TIMEOUT = 120
CREATED = re.compile(r"^created (?P<url>\S+/api/v1/todos/(?P<id>[0-9a-f-]{36})), ETag \"1\"$")


def readme_walk() -> str:
    """The first ```sh block after the walk's heading, exactly as written."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION) :]
    match = re.search(r"^```sh\n(?P<code>.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    assert match is not None, f"no ```sh block under {SECTION!r}"
    return match["code"]


def run_walk(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code],
        capture_output=True,
        text=True,
        timeout=WALK_TIMEOUT,
        check=False,
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_the_walk_names_the_documented_address_and_no_placeholder() -> None:
    code = readme_walk()

    assert DOCUMENTED_ADDRESS in code
    assert not re.search(r"<[a-z_]+>", code), "bash reads <placeholder> as a redirection"


async def test_the_walk_runs_verbatim_and_creates_changes_and_deletes_a_todo(
    tmp_path: Path,
) -> None:
    env = {"TODO_STORAGE": "memory", "TODO_LOG_FORMAT": "json"}
    log = tmp_path / "server.log"
    async with running_service(env, log) as base:
        address = base.removeprefix("http://")
        walk = await asyncio.to_thread(run_walk, readme_walk().replace(DOCUMENTED_ADDRESS, address))
        assert walk.returncode == 0, walk.stdout + walk.stderr

        created = [m for line in walk.stdout.splitlines() if (m := CREATED.match(line))]
        assert len(created) == 1, walk.stdout
        todo_id = created[0]["id"]
        assert created[0]["url"] == f"{address}/api/v1/todos/{todo_id}"
        bodies = json_lines(walk.stdout)
        todos = [todo for body in bodies for todo in body.get("items", [body])]
        changed = [todo for todo in todos if todo.get("id") == todo_id]
        assert [(body["status"], body["version"]) for body in changed] == [
            ("open", 1),  # the listing's item
            ("done", 2),  # the PATCH's answer
        ]
        statuses = ("412", "204", "404", "401")
        assert [line for line in walk.stdout.splitlines() if line in statuses] == [
            "412",
            "204",  # the todo deleted
            "404",
            "204",  # logged out
            "401",  # that token, refused
        ]

        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            login = await http.post(
                "/api/v1/auth/token",
                data={"username": "ada@example.com", "password": "correct horse"},
            )
            auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
            gone = await http.get(f"/api/v1/todos/{todo_id}", headers=auth)
            remaining = await http.get("/api/v1/todos", headers=auth)
        assert gone.status_code == 404
        assert remaining.json()["items"] == []

    access = [
        (record["method"], record["route"], record["status"])
        for record in json_lines(log.read_text())
        if record.get("logger") == "todo_api.access" and record["route"].startswith("/api/v1/todos")
    ]
    assert access[:5] == [
        ("POST", "/api/v1/todos", 201),
        ("GET", "/api/v1/todos", 200),
        ("PATCH", "/api/v1/todos/{todo_id}", 200),
        ("PATCH", "/api/v1/todos/{todo_id}", 412),
        ("DELETE", "/api/v1/todos/{todo_id}", 204),
    ]
