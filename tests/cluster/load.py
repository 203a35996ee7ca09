"""Writers and readers against the real service while the cluster under it fails over: every
answer is kept, with when it was asked and answered, to be checked afterwards."""

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import httpx

from api.support import PROBLEM_JSON
from hardening.servers import all_todos

# Between two requests of one client: a steady load that leaves the two cores to the
# service and the three PostgreSQL nodes.
PAUSE = 0.02


@dataclass(frozen=True)
class Answer:
    kind: Literal["write", "read"]
    writer: int
    title: str
    started: float  # time.monotonic()
    finished: float
    response: httpx.Response | None  # None: no answer at all (the error says why)
    error: str = ""

    @property
    def took(self) -> float:
        return self.finished - self.started

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None


class Load:
    """One writer per user (`auths`), creating todos titled `w{writer}-{n}`, and as many
    readers listing the todos of those users, until `stop`."""

    def __init__(self, http: httpx.AsyncClient, auths: list[dict[str, str]]) -> None:
        self.http = http
        self.auths = auths
        self.answers: list[Answer] = []
        self._running = True
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for number in range(len(self.auths)):
            self._tasks.append(asyncio.create_task(self._write(number)))
            self._tasks.append(asyncio.create_task(self._read(number)))

    async def stop(self) -> None:
        """Lets every request in flight finish (the client's timeout bounds them)."""
        self._running = False
        await asyncio.gather(*self._tasks)

    async def first_write_after(self, moment: float, within: float) -> Answer | None:
        """The first acknowledged write asked after `moment`, once there is one; None if
        there is none `within` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if acknowledged := [a for a in self.writes(201) if a.started > moment]:
                return min(acknowledged, key=lambda answer: answer.finished)
            await asyncio.sleep(0.05)
        return None

    def longest_write_gap(self) -> float:
        """The longest time without a write acknowledged (between two answers of 201)."""
        finished = sorted(answer.finished for answer in self.writes(201))
        return max((b - a for a, b in itertools.pairwise(finished)), default=0.0)

    def writes(self, status: int | None = None) -> list[Answer]:
        return self._of("write", status)

    def reads(self, status: int | None = None) -> list[Answer]:
        return self._of("read", status)

    def _of(self, kind: str, status: int | None) -> list[Answer]:
        return [
            answer
            for answer in self.answers
            if answer.kind == kind and (status is None or answer.status == status)
        ]

    async def _write(self, writer: int) -> None:
        n = 0
        while self._running:
            title = f"w{writer}-{n}"
            body = {"title": title, "tags": [f"w{writer}", "load"]}
            request = self.http.build_request(
                "POST", "/api/v1/todos", json=body, headers=self.auths[writer]
            )
            await self._ask("write", writer, title, request)
            n += 1
            await asyncio.sleep(PAUSE)

    async def _read(self, reader: int) -> None:
        while self._running:
            params: dict[str, str | int] = {"limit": 20, "tag": "load"}
            request = self.http.build_request(
                "GET", "/api/v1/todos", params=params, headers=self.auths[reader]
            )
            await self._ask("read", reader, "", request)
            await asyncio.sleep(PAUSE)

    async def _ask(
        self, kind: Literal["write", "read"], number: int, title: str, request: httpx.Request
    ) -> None:
        started = time.monotonic()
        try:
            response = await self.http.send(request)
        except httpx.HTTPError as error:
            answer = Answer(kind, number, title, started, time.monotonic(), None, repr(error))
        else:
            answer = Answer(kind, number, title, started, time.monotonic(), response)
        self.answers.append(answer)


@contextlib.asynccontextmanager
async def running_load(http: httpx.AsyncClient, auths: list[dict[str, str]]) -> AsyncIterator[Load]:
    load = Load(http, auths)
    load.start()
    try:
        yield load
    finally:
        await load.stop()


def unanswered(load: Load) -> list[str]:
    return [f"{a.kind} {a.title} after {a.took:.1f} s: {a.error}" for a in load.answers if a.error]


def statuses(answers: list[Answer]) -> Counter[int | None]:
    return Counter(answer.status for answer in answers)


def assert_unavailable_problems(load: Load) -> None:
    """Every answer a success or a 503 problem with Retry-After: no other error, no 5xx."""
    for answer in load.answers:
        assert answer.response is not None, answer.error
        if answer.status == 503:
            assert answer.response.headers["content-type"] == PROBLEM_JSON
            assert answer.response.json()["status"] == 503
            assert int(answer.response.headers["retry-after"]) > 0
        else:
            expected = 201 if answer.kind == "write" else 200
            assert answer.status == expected, (answer.kind, answer.status, answer.response.text)


async def assert_no_acknowledged_write_lost(load: Load) -> int:
    """Every 201 is stored exactly as it was answered, and no todo is stored twice; the number
    of todos stored (some 503s may have committed: the client could not know)."""
    stored = 0
    for writer, auth in enumerate(load.auths):
        todos = await all_todos(load.http, auth)
        by_title = {todo["title"]: todo for todo in todos}
        assert len(by_title) == len(todos), Counter(todo["title"] for todo in todos)
        for answer in load.writes(201):
            if answer.writer == writer:
                assert answer.response is not None
                assert by_title.get(answer.title) == answer.response.json(), answer.title
                todo = by_title[answer.title]
                fetched = await load.http.get(f"/api/v1/todos/{todo['id']}", headers=auth)
                assert fetched.json() == todo
        stored += len(todos)
    return stored
