"""Shared lists under concurrency, on PostgreSQL, against `todo-api serve --workers 2`: a list
keeps an owner whatever its owners do to each other at once, a removed member (or a deleted
user) writes nothing after the removal (or deletion) was acknowledged, a deleted list leaves
no todo behind, and concurrent moves leave a todo in exactly one list."""

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.support import Account, delete_account, new_account

from .servers import all_todos, concurrent_client, served_on_postgresql
from .sharing_model import ACCOUNT_KINDS, KINDS, USERS, Step, run

ROUNDS = 10
# A step that ends tokens a quarter as often as any other: each costs the server's real
# argon2 hashes (of 64 MiB) a few times, which tripled this module's time at equal weights.
WEIGHTS = [0.25 if kind in ACCOUNT_KINDS else 1.0 for kind in KINDS]

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Service:
    base: str
    database_url: str


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    tmp_path = tmp_path_factory.mktemp("sharing")
    async with served_on_postgresql(tmp_path / "server.log") as (base, url):
        yield Service(base, url)


def _client(service: Service) -> httpx.AsyncClient:
    return concurrent_client(service.base, 100)


async def shared_list(http: httpx.AsyncClient, by: Account, **members: Account) -> str:
    """A new list of `by`, shared with each of `members` in the role named by its key
    (`owner`, `editor`, `viewer`, with a digit appended to tell several apart)."""
    created = await http.post("/api/v1/lists", json={"name": "shared"}, headers=by.headers)
    assert created.status_code == 201, created.text
    list_id: str = created.json()["id"]
    for role, member in members.items():
        added = await http.post(
            f"/api/v1/lists/{list_id}/members",
            json={"email": member.email, "role": role.rstrip("0123456789")},
            headers=by.headers,
        )
        assert added.status_code == 201, added.text
    return list_id


async def members(http: httpx.AsyncClient, list_id: str, viewer: Account) -> dict[str, str]:
    response = await http.get(f"/api/v1/lists/{list_id}/members", headers=viewer.headers)
    assert response.status_code == 200, response.text
    return {member["user_id"]: member["role"] for member in response.json()}


def problems_only(responses: list[httpx.Response], allowed: set[int]) -> None:
    """Every response has an allowed status, and every error is a problem document."""
    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= allowed, statuses
    for response in responses:
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"


async def test_two_owners_demoting_each_other_at_once_leave_an_owner(service: Service) -> None:
    async with _client(service) as http:
        for _ in range(ROUNDS):
            a, b = await new_account(http), await new_account(http)
            list_id = await shared_list(http, a, owner=b)
            responses = list(
                await asyncio.gather(
                    http.patch(
                        f"/api/v1/lists/{list_id}/members/{b.id}",
                        json={"role": "editor"},
                        headers=a.headers,
                    ),
                    http.patch(
                        f"/api/v1/lists/{list_id}/members/{a.id}",
                        json={"role": "editor"},
                        headers=b.headers,
                    ),
                )
            )
            problems_only(responses, {200, 403, 409})
            assert sorted(r.status_code for r in responses)[0] == 200  # one of them got through
            roles = await members(http, list_id, a)
            assert Counter(roles.values())["owner"] == 1, roles


async def test_two_owners_removing_each_other_at_once_leave_an_owner(service: Service) -> None:
    async with _client(service) as http:
        for _ in range(ROUNDS):
            a, b = await new_account(http), await new_account(http)
            list_id = await shared_list(http, a, owner=b)
            responses = list(
                await asyncio.gather(
                    http.delete(f"/api/v1/lists/{list_id}/members/{b.id}", headers=a.headers),
                    http.delete(f"/api/v1/lists/{list_id}/members/{a.id}", headers=b.headers),
                )
            )
            problems_only(responses, {204, 404, 409})
            assert Counter(r.status_code for r in responses)[204] == 1
            remaining = [
                roles
                for who in (a, b)
                if (roles := await _members_or_none(http, list_id, who)) is not None
            ]
            assert len(remaining) == 1
            assert list(remaining[0].values()) == ["owner"]


async def _members_or_none(
    http: httpx.AsyncClient, list_id: str, who: Account
) -> dict[str, str] | None:
    response = await http.get(f"/api/v1/lists/{list_id}/members", headers=who.headers)
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    return {member["user_id"]: member["role"] for member in response.json()}


EndAccess = Callable[[httpx.AsyncClient, Account, Account, str], Awaitable[httpx.Response]]
"""How an editor's access to an owner's list ends (client, owner, editor, list id)."""


async def remove_member(
    http: httpx.AsyncClient, owner: Account, editor: Account, list_id: str
) -> httpx.Response:
    return await http.delete(f"/api/v1/lists/{list_id}/members/{editor.id}", headers=owner.headers)


async def delete_own_account(
    http: httpx.AsyncClient, owner: Account, editor: Account, list_id: str
) -> httpx.Response:
    return await delete_account(http, editor.headers)


@pytest.mark.parametrize(
    ("end", "refused"),
    [(remove_member, 404), (delete_own_account, 401)],
    ids=["the owner removes the editor", "the editor deletes their account"],
)
async def test_an_editor_writes_nothing_after_the_end_of_their_access_is_acknowledged(
    service: Service, end: EndAccess, refused: int
) -> None:
    """An editor writes into another's list while their access ends (removed from the list,
    or their own account deleted): every write sent after the end's 204 is refused, and what
    the list holds is exactly the writes that were acknowledged (each write holds the
    writer's membership; a deletion holds the user)."""
    async with _client(service) as http:
        owner, editor = await new_account(http), await new_account(http)
        list_id = await shared_list(http, owner, editor=editor)
        seed = await http.post(
            "/api/v1/todos", json={"title": "seed", "list_id": list_id}, headers=owner.headers
        )
        todo_url = seed.headers["location"]
        ended_at: list[float] = []
        outcomes: list[tuple[float, str, httpx.Response]] = []  # (sent at, kind, response)

        async def write(n: int) -> None:
            while not ended_at or time.monotonic() < ended_at[0] + 0.5:
                sent = time.monotonic()
                if n % 2:
                    body = {"title": f"by the editor {n}", "list_id": list_id}
                    response = await http.post("/api/v1/todos", json=body, headers=editor.headers)
                    outcomes.append((sent, "create", response))
                else:
                    body = {"title": f"patched {n} at {sent}"}
                    response = await http.patch(todo_url, json=body, headers=editor.headers)
                    outcomes.append((sent, "patch", response))

        async def end_access() -> None:
            await asyncio.sleep(0.5)
            response = await end(http, owner, editor, list_id)
            assert response.status_code == 204, response.text
            ended_at.append(time.monotonic())

        await asyncio.gather(end_access(), *(write(n) for n in range(8)))

        # a write under way while the access ends may find the membership gone: 404
        problems_only([response for _, _, response in outcomes], {200, 201, 404, refused})
        after = [response for sent, _, response in outcomes if sent > ended_at[0]]
        assert after
        assert all(response.status_code == refused for response in after)
        acknowledged = {
            response.json()["id"]
            for _, kind, response in outcomes
            if kind == "create" and response.status_code == 201
        }
        assert acknowledged, "the editor wrote nothing before their access ended"
        # every page: the owner sees this list's todos (and an empty Inbox)
        stored = {item["id"] for item in await all_todos(http, owner.headers)}
        assert stored - {seed.json()["id"]} == acknowledged  # nothing lost, nothing unacknowledged
        last_patch = max(
            (
                response.json()
                for _, kind, response in outcomes
                if kind == "patch" and response.status_code == 200
            ),
            key=lambda todo: todo["version"],
        )
        assert (await http.get(todo_url, headers=owner.headers)).json() == last_patch
        assert await members(http, list_id, owner) == {owner.id: "owner"}


async def test_a_list_deleted_while_its_todos_are_edited_leaves_no_todo(service: Service) -> None:
    async with _client(service) as http:
        owner, editor = await new_account(http), await new_account(http)
        list_id = await shared_list(http, owner, editor=editor)
        urls = []
        for n in range(10):
            created = await http.post(
                "/api/v1/todos", json={"title": f"t{n}", "list_id": list_id}, headers=owner.headers
            )
            urls.append(created.headers["location"])
        deleted = asyncio.Event()
        responses: list[httpx.Response] = []

        async def edit(n: int) -> None:
            while not deleted.is_set():
                responses.append(
                    await http.patch(
                        urls[n % len(urls)], json={"tags": [f"x{n}"]}, headers=editor.headers
                    )
                )
                responses.append(
                    await http.post(
                        "/api/v1/todos",
                        json={"title": f"late {n}", "list_id": list_id, "tags": ["late"]},
                        headers=editor.headers,
                    )
                )

        async def delete() -> None:
            await asyncio.sleep(0.4)
            response = await http.delete(f"/api/v1/lists/{list_id}", headers=owner.headers)
            assert response.status_code == 204, response.text
            deleted.set()

        await asyncio.gather(delete(), *(edit(n) for n in range(6)))
        problems_only(responses, {200, 201, 404})
        for url in urls:
            assert (await http.get(url, headers=owner.headers)).status_code == 404
    assert await _rows(service, "SELECT count(*) FROM todos WHERE list_id = :l", l=list_id) == 0
    orphans = (
        "SELECT count(*) FROM todos t WHERE NOT EXISTS (SELECT 1 FROM lists l WHERE l.id ="
        " t.list_id)"
    )
    assert await _rows(service, orphans) == 0
    assert await _rows(service, "SELECT count(*) FROM tags WHERE list_id = :l", l=list_id) == 0


async def _rows(service: Service, sql: str, **params: Any) -> int:
    engine = create_async_engine(service.database_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(sql), params)).scalar_one())
    finally:
        await engine.dispose()


async def test_concurrent_moves_of_one_todo_leave_it_in_exactly_one_list(
    service: Service,
) -> None:
    moves = 30
    async with _client(service) as http:
        owner, editor = await new_account(http), await new_account(http)
        lists = [await shared_list(http, owner, editor=editor) for _ in range(3)]
        created = await http.post(
            "/api/v1/todos",
            json={"title": "mover", "list_id": lists[0], "tags": ["t"]},
            headers=owner.headers,
        )
        url = created.headers["location"]
        movers = (owner, editor)
        responses = list(
            await asyncio.gather(
                *(
                    http.patch(url, json={"list_id": lists[n % 3]}, headers=movers[n % 2].headers)
                    for n in range(1, moves + 1)
                )
            )
        )
        problems_only(responses, {200})
        applied = [response.json() for response in responses]
        final = (await http.get(url, headers=owner.headers)).json()
        assert final == max(applied, key=lambda todo: todo["version"])
        assert final["tags"] == ["t"]
        holding = []
        for list_id in lists:
            page = await http.get(
                "/api/v1/todos", params={"list_id": list_id}, headers=owner.headers
            )
            holding += [list_id for item in page.json()["items"] if item["id"] == final["id"]]
        assert holding == [final["list_id"]]
        tagged = await http.get("/api/v1/todos", params={"tag": "t"}, headers=editor.headers)
        assert [item["id"] for item in tagged.json()["items"]] == [final["id"]]


async def test_seeded_sharing_sequences_hold_the_membership_model_across_workers(
    service: Service,
) -> None:
    """The isolation property's steps (see sharing_model), 10 seeded sequences of 60, with
    requests spread over both workers by the server's connection handling: a token one
    worker saw ended is refused by the other at once."""
    generator = random.Random(20261201)
    async with _client(service) as http:
        for _ in range(10):
            sequence: list[Step] = [
                (
                    generator.randrange(USERS),
                    generator.choices(KINDS, WEIGHTS)[0],
                    generator.randrange(51),
                    generator.randrange(51),
                    generator.randrange(3),
                )
                for _ in range(60)
            ]
            await run(http, sequence)
