"""What the fuzzer found, kept as regression tests."""

from typing import Any

import httpx
import pytest

from api.support import assert_problem, assert_validation_problem, create_todo, new_account


@pytest.mark.parametrize("due_date", [0, "0", 1_700_000_000, "1700000000", True])
async def test_a_due_date_must_be_written_as_yyyy_mm_dd(
    memory_client: httpx.AsyncClient, due_date: Any
) -> None:
    """Pydantic alone reads `0` as 1970-01-01 (a Unix time)."""
    account = await new_account(memory_client)
    todo = await create_todo(memory_client, account)

    created = await memory_client.post(
        "/api/v1/todos", json={"title": "x", "due_date": due_date}, headers=account.headers
    )
    patched = await memory_client.patch(
        f"/api/v1/todos/{todo['id']}", json={"due_date": due_date}, headers=account.headers
    )
    listed = await memory_client.get(
        "/api/v1/todos", params={"due_before": str(due_date)}, headers=account.headers
    )

    assert_validation_problem(created, "body", "due_date")
    assert_validation_problem(patched, "body", "due_date")
    assert_validation_problem(listed, "query", "due_before")


async def test_iso_dates_are_still_accepted(memory_client: httpx.AsyncClient) -> None:
    account = await new_account(memory_client)
    todo = await create_todo(memory_client, account, due_date="2030-01-31")

    listed = await memory_client.get(
        "/api/v1/todos", params={"due_after": "2030-01-30"}, headers=account.headers
    )

    assert todo["due_date"] == "2030-01-31"
    assert [item["id"] for item in listed.json()["items"]] == [todo["id"]]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v1/users"), ("POST", "/api/v1/todos"), ("PATCH", "/api/v1/todos/{id}")],
)
async def test_a_json_body_that_is_not_utf8_is_a_documented_400(
    memory_client: httpx.AsyncClient, method: str, path: str
) -> None:
    account = await new_account(memory_client)
    todo = await create_todo(memory_client, account)
    url = path.replace("{id}", todo["id"])

    response = await memory_client.request(
        method,
        url,
        content=b'{"title": "\xe9t\xe9"}',
        headers={**account.headers, "Content-Type": "application/json"},
    )

    assert_problem(response, 400)
    document = (await memory_client.get("/openapi.json")).json()
    operation = document["paths"][path.replace("{id}", "{todo_id}")][method.lower()]
    assert "application/problem+json" in operation["responses"]["400"]["content"]
