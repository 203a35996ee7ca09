"""Schemathesis against the service's own OpenAPI document, authenticated, on every storage
backend (memory, SQLite, PostgreSQL, MariaDB) through ASGI: no 5xx, every response as
documented, no internals in any error body, and every request the document calls valid is
accepted (`positive_data_acceptance`). The operations that end the caller's token (log out,
a password change, the deletion of the account) get a fresh account per case, so that one
that succeeds leaves the rest of the run its token."""

import asyncio
import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, get_args

import httpx
import pytest
import schemathesis
from dependency_injector import providers
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.config import SchemathesisConfig

from api.conftest import cheap_hasher
from api.support import (
    PASSWORD,
    Account,
    create_list,
    create_todo,
    empty_tables,
    new_account,
    settings_for,
    share,
)
from sqldb import migrated_url
from todo_api import Settings, create_app
from todo_api.schemas import SortName

EXAMPLES_PER_OPERATION = 100
BACKENDS = ("memory", "sqlite", "postgresql", "mariadb")

INTERNALS = re.compile(
    r"Traceback|File \"|\bline \d+|sqlalchemy|asyncpg|aiosqlite|aiomysql|psycopg|pydantic|"
    r"starlette|fastapi|todo_(?:api|domain|sql|memory)|\bSELECT\b|\bINSERT\b|\bUPDATE\b|"
    r"\bDELETE FROM\b|Error\b|Exception\b|<[a-z_.]+ object at 0x",
)


def _app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    return app


# A valid request may still meet a state it does not fit: besides schemathesis' own (404, 409),
# 412 is an If-Match naming a version the todo is not at.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "429"]
            }
        }
    }
)
# The document is the same on every storage; each case is sent to the app of its backend.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", _app(settings_for("memory")), config=CONFIG
)


# Operations that end the caller's token (or account): each case gets an account of its own,
# so that one that succeeds does not leave the rest of the run a 401.
ENDING = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/users/me/password"),
    ("DELETE", "/api/v1/users/me"),
}
# Addresses for the cases of `ENDING` (198.18.0.0/15 is for benchmarking): each its own, so
# their wrong passwords never reach the per-address limit that the fuzzed logins' failures
# count towards.
ADDRESSES = (f"198.18.{n // 256}.{n % 256}" for n in itertools.count())


class ClientAddress:
    """The app, seeing every request come from `address`, which a test may change (the login
    throttle counts failures by client address)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.address = "testclient"  # what schemathesis' ASGI client says

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": (self.address, 50000)}
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class Fuzzer:
    app: ClientAddress
    headers: dict[str, str]
    todo_ids: list[str]
    cursors: dict[str, str]  # a `next_cursor` the service issued, by sort order
    list_ids: list[str]  # the user's Inbox, a list they own and one shared with them
    member_ids: list[str]  # the user, and a member of both their lists
    list_cursor: str  # a `next_cursor` of the listing of lists
    invitee: str  # the e-mail of a user who is a member of no list of the user's yet
    fresh_account: Callable[[], Account] = field(repr=False)  # registered, logged in


@pytest.fixture(scope="module", params=BACKENDS)
def fuzzer(request: pytest.FixtureRequest) -> Iterator[Fuzzer]:
    """The app on one storage backend (schemathesis runs its lifespan, on its own event loop),
    and a registered user of it (so that the fuzzed requests get past authentication) with
    some todos (so that reads and changes of one reach an existing todo, not only 404), a list
    of their own shared with another user, that user's list shared with them, and a third
    user to share with (so that the list and member operations reach existing lists and
    members too). Fresh accounts come from the same storage on demand."""
    backend: str = request.param
    url = None if backend == "memory" else asyncio.run(migrated_url(backend))
    settings = settings_for("memory") if url is None else settings_for("sql", url)
    app = _app(settings)
    # Memory storage lives in the app; a SQL database is set up through an app of its own,
    # on an event loop of this fixture, so that the fuzzed app's pool stays on schemathesis'
    # loop.
    setup = app if url is None else _app(settings)
    with asyncio.Runner() as runner:
        stack = AsyncExitStack()
        client = runner.run(_client_of(setup, stack))
        fuzzer = runner.run(_seeded(ClientAddress(app), client, runner))
        yield fuzzer
        runner.run(stack.aclose())
    if url is not None and backend != "sqlite":  # a SQLite copy belongs to this module alone
        asyncio.run(empty_tables(url))


async def _client_of(app: FastAPI, stack: AsyncExitStack) -> httpx.AsyncClient:
    """A client of `app` with its lifespan running, until `stack` is closed."""
    await stack.enter_async_context(app.router.lifespan_context(app))
    transport = httpx.ASGITransport(app=app)
    return await stack.enter_async_context(
        httpx.AsyncClient(transport=transport, base_url="http://test")
    )


async def _seeded(app: ClientAddress, client: httpx.AsyncClient, runner: asyncio.Runner) -> Fuzzer:
    account, other = await new_account(client), await new_account(client)
    invitee = await new_account(client)
    own = await create_list(client, account, "own")
    theirs = await create_list(client, other, "theirs")
    await share(client, account, own["id"], other, "viewer")
    await share(client, other, theirs["id"], account, "editor")
    list_ids = [account.id, own["id"], theirs["id"]]
    todos = [
        await create_todo(client, account, title=f"t{n}", list_id=list_ids[n % 3]) for n in range(5)
    ]
    lists = await client.get("/api/v1/lists", params={"limit": 1}, headers=account.headers)
    cursors = {}
    for sort in get_args(SortName):
        page = await client.get(
            "/api/v1/todos", params={"sort": sort, "limit": 1}, headers=account.headers
        )
        cursors[sort] = page.json()["next_cursor"]
    return Fuzzer(
        app,
        account.headers,
        [todo["id"] for todo in todos],
        cursors,
        list_ids,
        [account.id, other.id],
        lists.json()["next_cursor"],
        invitee.email,
        lambda: runner.run(new_account(client)),
    )


def _half_of(generated: object, existing: list[str]) -> str | None:
    """For half of the generated values (deterministically, from the value), one of
    `existing`."""
    if not isinstance(generated, str):
        return None
    digest = sum(generated.encode())
    return existing[digest % len(existing)] if digest % 2 == 0 else None


def _aim_at_existing_things(case: Case[Any], fuzzer: Fuzzer) -> None:
    """Half of the ids of todos, lists and members a request names go to existing ones of
    the user; deletes keep their random ids (of the path), so the todos, lists and members
    stay."""
    existing = {
        "todo_id": fuzzer.todo_ids,
        "list_id": fuzzer.list_ids,
        "user_id": fuzzer.member_ids,
    }
    if case.method != "DELETE":
        path = case.path_parameters or {}
        for name, ids in existing.items():
            if (aimed := _half_of(path.get(name), ids)) is not None:
                path[name] = aimed
    # A todo's `list_id` (in the listing's filter, in a new todo, or as a move) of a valid
    # request: an invalid one stays invalid.
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    for values in (case.query, case.body):
        if not isinstance(values, dict):
            continue
        if (aimed := _half_of(values.get("list_id"), fuzzer.list_ids)) is not None:
            values["list_id"] = aimed
    # Sharing with a registered user: the first such share of a list succeeds.
    body = case.body
    if isinstance(body, dict) and _half_of(body.get("email"), [fuzzer.invitee]) is not None:
        body["email"] = fuzzer.invitee
    # The caller's own password, where one is asked for: so a change or a deletion succeeds.
    for name in ("current_password", "password"):
        if isinstance(body, dict) and _half_of(body.get(name), [PASSWORD]) is not None:
            body[name] = PASSWORD


def _aim_at_issued_cursors(case: Case[Any], fuzzer: Fuzzer) -> None:
    """A cursor is valid only if the service issued it for that sort order, which no schema
    can say: a valid listing carries one that it did."""
    query = case.query or {}
    if case.meta is not None and case.meta.generation.mode.is_positive and "cursor" in query:
        if case.path == "/api/v1/lists":
            query["cursor"] = fuzzer.list_cursor
        else:
            query["cursor"] = fuzzer.cursors[query.get("sort", "-created_at")]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_fuzz(case: Case[Any], fuzzer: Fuzzer) -> None:
    _aim_at_existing_things(case, fuzzer)
    _aim_at_issued_cursors(case, fuzzer)
    headers = fuzzer.headers
    fuzzer.app.address = "testclient"
    if (case.method, case.path) in ENDING:
        headers = fuzzer.fresh_account().headers
        fuzzer.app.address = next(ADDRESSES)
    response = case.call(headers=headers, app=fuzzer.app)
    case.validate_response(response, headers=headers)
    if response.status_code >= 400:
        assert not INTERNALS.search(response.text), response.text
