"""Statements per HTTP request on PostgreSQL, with shared lists: a read is one statement
whatever the number of lists (the caller's membership is part of the query), a write a fixed
few (the held membership, then the write itself), never one per todo, tag or list. Each
authenticated request adds one before them: whether its token's session is current."""

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine

from api.conftest import cheap_hasher
from api.support import Account, create_list, new_account, settings_for, share
from sqldb import executed_statements, migrated_url
from todo_api import create_app

Request = Callable[[], Awaitable[httpx.Response]]
SESSION = 1  # the check of the token's session, before the route runs


@pytest.fixture
async def engine_and_client() -> AsyncIterator[tuple[AsyncEngine, httpx.AsyncClient]]:
    app = create_app(settings_for("sql", await migrated_url("postgresql")))
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app.state.container.engine(), client


@pytest.fixture
def engine(engine_and_client: tuple[AsyncEngine, httpx.AsyncClient]) -> AsyncEngine:
    return engine_and_client[0]


@pytest.fixture
def http(engine_and_client: tuple[AsyncEngine, httpx.AsyncClient]) -> httpx.AsyncClient:
    return engine_and_client[1]


async def count(engine: AsyncEngine, request: Request, status: int) -> int:
    with executed_statements(engine) as statements:
        response = await request()
    assert response.status_code == status, response.text
    return len(statements)


async def member_of_lists(http: httpx.AsyncClient, lists: int) -> tuple[Account, list[str]]:
    """A user with todos (two tags each) in their Inbox and in `lists` lists shared with them."""
    me, friend = await new_account(http), await new_account(http)
    shared = []
    for n in range(lists):
        list_id = (await create_list(http, friend, f"list {n}"))["id"]
        await share(http, friend, list_id, me, "editor")
        shared.append(list_id)
    for list_id in [me.id, *shared]:
        for n in range(3):
            body = {"title": f"t{n}", "tags": ["a", f"b{n}"], "list_id": list_id}
            created = await http.post("/api/v1/todos", json=body, headers=me.headers)
            assert created.status_code == 201
    return me, shared


@pytest.mark.parametrize("lists", [0, 1, 5])
async def test_reads_are_one_statement_whatever_the_number_of_lists(
    engine: AsyncEngine, http: httpx.AsyncClient, lists: int
) -> None:
    me, shared = await member_of_lists(http, lists)
    h = me.headers
    todos = (await http.get("/api/v1/todos", headers=h)).json()["items"]
    target = f"/api/v1/todos/{todos[-1]['id']}"
    assert await count(engine, lambda: http.get(target, headers=h), 200) == SESSION + 1
    listing = lambda: http.get("/api/v1/todos", headers=h)  # noqa: E731
    assert await count(engine, listing, 200) == SESSION + 1
    tagged = lambda: http.get("/api/v1/todos?tag=a", headers=h)  # noqa: E731
    assert await count(engine, tagged, 200) == SESSION + 1
    # a listing of one list checks the membership first: one more
    one = {"list_id": shared[0] if shared else me.id}
    get_one = lambda: http.get("/api/v1/todos", params=one, headers=h)  # noqa: E731
    assert await count(engine, get_one, 200) == SESSION + 2


async def test_writes_are_a_fixed_few_statements(
    engine: AsyncEngine, http: httpx.AsyncClient
) -> None:
    me, shared = await member_of_lists(http, 2)
    h = me.headers
    body = {"title": "x", "tags": ["a", "c"], "list_id": shared[0]}
    # the held role, the todo, its tags with their links (one statement, whatever their count)
    create = lambda: http.post("/api/v1/todos", json=body, headers=h)  # noqa: E731
    assert await count(engine, create, 201) == SESSION + 3
    many = {**body, "tags": ["a", "b", "c", "d", "e"]}  # two stored already, three new
    create_many = lambda: http.post("/api/v1/todos", json=many, headers=h)  # noqa: E731
    assert await count(engine, create_many, 201) == SESSION + 3
    created = (await http.post("/api/v1/todos", json=body, headers=h)).json()
    url = f"/api/v1/todos/{created['id']}"
    # the todo with the role, the held role, the update, the tag links out, tags and links in
    patch = lambda: http.patch(url, json={"title": "y"}, headers=h)  # noqa: E731
    assert await count(engine, patch, 200) == SESSION + 5
    # a move holds the role in the target list too
    move = lambda: http.patch(url, json={"list_id": shared[1]}, headers=h)  # noqa: E731
    assert await count(engine, move, 200) == SESSION + 6
    # the todo with the role, the held role, the delete
    assert await count(engine, lambda: http.delete(url, headers=h), 204) == SESSION + 3
