"""`GET /api/v1/todos`: filters, sort orders, limits and keyset pages with cursors."""

from typing import Any

import httpx
import pytest

from .support import Account, assert_validation_problem, create_todo, new_account


async def _list(client: httpx.AsyncClient, account: Account, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/todos", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    page: dict[str, Any] = response.json()
    return page


def _titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


@pytest.fixture
async def account(client: httpx.AsyncClient) -> Account:
    return await new_account(client)


async def test_an_empty_list(client: httpx.AsyncClient, account: Account) -> None:
    assert await _list(client, account) == {"items": [], "next_cursor": None}


async def test_newest_first_by_default(client: httpx.AsyncClient, account: Account) -> None:
    for title in ("first", "second", "third"):
        await create_todo(client, account, title=title)

    assert _titles(await _list(client, account)) == ["third", "second", "first"]


async def test_each_filter_narrows_the_list(client: httpx.AsyncClient, account: Account) -> None:
    await create_todo(client, account, title="Buy milk", priority="high", tags=["home"])
    await create_todo(client, account, title="File taxes", due_date="2030-04-15", tags=["Admin"])
    await create_todo(client, account, title="Fix bike", priority="low", due_date="2030-06-01")
    done = await create_todo(client, account, title="Call mum")
    await client.patch(
        f"/api/v1/todos/{done['id']}", json={"status": "done"}, headers=account.headers
    )

    assert _titles(await _list(client, account, status="done")) == ["Call mum"]
    assert len((await _list(client, account, status="open"))["items"]) == 3
    assert _titles(await _list(client, account, priority="high")) == ["Buy milk"]
    assert _titles(await _list(client, account, tag="ADMIN")) == ["File taxes"]
    assert _titles(await _list(client, account, due_before="2030-05-01")) == ["File taxes"]
    assert _titles(await _list(client, account, due_after="2030-04-15")) == ["Fix bike"]
    assert _titles(await _list(client, account, q="FI")) == ["Fix bike", "File taxes"]
    assert _titles(await _list(client, account, q="fi", priority="low")) == ["Fix bike"]
    assert _titles(await _list(client, account, tag="nowhere")) == []


async def test_q_takes_percent_and_underscore_literally(
    client: httpx.AsyncClient, account: Account
) -> None:
    await create_todo(client, account, title="100% done")
    await create_todo(client, account, title="1000 done")
    await create_todo(client, account, title="snake_case")
    await create_todo(client, account, title="snakeXcase")

    assert _titles(await _list(client, account, q="0%")) == ["100% done"]
    assert _titles(await _list(client, account, q="e_c")) == ["snake_case"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("created_at", ["a", "b", "c", "d"]),
        ("-created_at", ["d", "c", "b", "a"]),
        ("due_date", ["c", "a", "b", "d"]),
        ("-due_date", ["b", "a", "c", "d"]),
        ("priority", ["b", "c", "a", "d"]),
        ("-priority", ["d", "a", "c", "b"]),  # ties: by id, same direction
    ],
)
async def test_sort_orders(
    client: httpx.AsyncClient, account: Account, sort: str, expected: list[str]
) -> None:
    await create_todo(client, account, title="a", priority="high", due_date="2030-02-01")
    await create_todo(client, account, title="b", priority="low", due_date="2030-03-01")
    await create_todo(client, account, title="c", priority="normal", due_date="2030-01-01")
    await create_todo(client, account, title="d", priority="high")

    assert _titles(await _list(client, account, sort=sort)) == expected


async def test_pages_follow_the_cursor_without_gaps_or_duplicates(
    client: httpx.AsyncClient, account: Account
) -> None:
    titles = [f"todo {i:02}" for i in range(7)]
    for title in titles:
        await create_todo(client, account, title=title)

    seen: list[str] = []
    page = await _list(client, account, limit=3, sort="created_at")
    pages = 1
    while page["next_cursor"] is not None:
        assert len(page["items"]) == 3
        seen += _titles(page)
        page = await _list(client, account, limit=3, sort="created_at", cursor=page["next_cursor"])
        pages += 1
    seen += _titles(page)

    assert seen == titles
    assert pages == 3


async def test_a_page_is_stable_under_inserts_after_the_cursor(
    client: httpx.AsyncClient, account: Account
) -> None:
    for i in range(4):
        await create_todo(client, account, title=f"old {i}")
    first = await _list(client, account, limit=2)

    await create_todo(client, account, title="new")
    second = await _list(client, account, limit=2, cursor=first["next_cursor"])

    assert _titles(first) == ["old 3", "old 2"]
    assert _titles(second) == ["old 1", "old 0"]


async def test_limit_defaults_to_20_and_is_bounded(
    client: httpx.AsyncClient, account: Account
) -> None:
    for i in range(21):
        await create_todo(client, account, title=f"t{i}")

    default = await _list(client, account)
    largest = await _list(client, account, limit=100)

    assert len(default["items"]) == 20
    assert default["next_cursor"] is not None
    assert len(largest["items"]) == 21
    assert largest["next_cursor"] is None
    for limit in ("0", "101", "-1", "ten"):
        response = await client.get(
            "/api/v1/todos", params={"limit": limit}, headers=account.headers
        )
        assert_validation_problem(response, "query", "limit")


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"status": "closed"}, ("query", "status")),
        ({"priority": "urgent"}, ("query", "priority")),
        ({"sort": "title"}, ("query", "sort")),
        ({"due_before": "tomorrow"}, ("query", "due_before")),
        ({"due_after": "2030-13-01"}, ("query", "due_after")),
        ({"tag": "t" * 51}, ("query", "tag")),
        ({"tag": "  "}, ("query", "tag")),
        ({"cursor": "garbage"}, ("query", "cursor")),
        ({"cursor": "eyJzIjoiLWNyZWF0ZWRfYXQiLCJ2IjoiMjAyNCIsImkiOiJ4In0"}, ("query", "cursor")),
        ({"cursor": "x" * 600}, ("query", "cursor")),
    ],
)
async def test_invalid_query_parameters_are_422(
    client: httpx.AsyncClient, account: Account, params: dict[str, str], loc: tuple[str, str]
) -> None:
    response = await client.get("/api/v1/todos", params=params, headers=account.headers)

    assert_validation_problem(response, *loc)


async def test_a_cursor_of_another_sort_order_is_422(
    client: httpx.AsyncClient, account: Account
) -> None:
    for i in range(3):
        await create_todo(client, account, title=f"t{i}", due_date=f"2030-01-0{i + 1}")
    page = await _list(client, account, limit=1, sort="due_date")

    response = await client.get(
        "/api/v1/todos",
        params={"cursor": page["next_cursor"], "sort": "priority"},
        headers=account.headers,
    )

    assert_validation_problem(response, "query", "cursor")
