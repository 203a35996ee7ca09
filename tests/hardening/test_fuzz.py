"""Schemathesis against the service's own OpenAPI document, authenticated, on memory storage
through ASGI: no 5xx, every response as documented, no internals in any error body, and every
request the document calls valid is accepted (`positive_data_acceptance`)."""

import asyncio
import re
from dataclasses import dataclass
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
from api.support import create_todo, new_account, settings_for
from todo_api import create_app
from todo_api.schemas import SortName

EXAMPLES_PER_OPERATION = 100

INTERNALS = re.compile(
    r"Traceback|File \"|\bline \d+|sqlalchemy|asyncpg|aiosqlite|aiomysql|psycopg|pydantic|"
    r"starlette|fastapi|todo_(?:api|domain|sql|memory)|\bSELECT\b|\bINSERT\b|\bUPDATE\b|"
    r"\bDELETE FROM\b|Error\b|Exception\b|<[a-z_.]+ object at 0x",
)


def _app() -> FastAPI:
    app = create_app(settings_for("memory"))
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    return app


APP = _app()
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
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


@dataclass(frozen=True)
class Fuzzer:
    headers: dict[str, str]
    todo_ids: list[str]
    cursors: dict[str, str]  # a `next_cursor` the service issued, by sort order


@pytest.fixture(scope="module")
def fuzzer() -> Fuzzer:
    """A registered user (so that the fuzzed requests get past authentication) with some
    todos (so that reads and changes of one reach an existing todo, not only 404)."""

    async def set_up() -> Fuzzer:
        transport = httpx.ASGITransport(app=APP)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            account = await new_account(client)
            todos = [await create_todo(client, account, title=f"t{n}") for n in range(5)]
            cursors = {}
            for sort in get_args(SortName):
                page = await client.get(
                    "/api/v1/todos", params={"sort": sort, "limit": 1}, headers=account.headers
                )
                cursors[sort] = page.json()["next_cursor"]
            return Fuzzer(account.headers, [todo["id"] for todo in todos], cursors)

    return asyncio.run(set_up())


def _aim_at_existing_todos(case: Case[Any], fuzzer: Fuzzer) -> None:
    """Half of the reads and changes of one todo go to a todo of the user (deterministically,
    from the generated id); deletes keep their random ids, so the todos stay."""
    generated = (case.path_parameters or {}).get("todo_id")
    if case.method in ("GET", "PATCH") and isinstance(generated, str):
        digest = sum(generated.encode())
        if digest % 2 == 0:
            case.path_parameters["todo_id"] = fuzzer.todo_ids[digest % len(fuzzer.todo_ids)]


def _aim_at_issued_cursors(case: Case[Any], fuzzer: Fuzzer) -> None:
    """A cursor is valid only if the service issued it for that sort order, which no schema
    can say: a valid listing carries one that it did."""
    query = case.query or {}
    if case.meta is not None and case.meta.generation.mode.is_positive and "cursor" in query:
        query["cursor"] = fuzzer.cursors[query.get("sort", "-created_at")]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_fuzz(case: Case[Any], fuzzer: Fuzzer) -> None:
    _aim_at_existing_todos(case, fuzzer)
    _aim_at_issued_cursors(case, fuzzer)
    response = case.call(headers=fuzzer.headers)
    case.validate_response(response, headers=fuzzer.headers)
    if response.status_code >= 400:
        assert not INTERNALS.search(response.text), response.text
