"""Creating, reading, changing and deleting todos: `/api/v1/todos` and `/api/v1/todos/{id}`."""

from datetime import datetime
from uuid import uuid4

import httpx

from .conftest import WITH_PGBOUNCER, settings_fixture
from .support import assert_problem, assert_validation_problem, create_todo, new_account

settings = settings_fixture(WITH_PGBOUNCER)


async def test_create_returns_the_todo_with_location_and_etag(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.post(
        "/api/v1/todos",
        json={
            "title": "  Buy milk  ",
            "description": "two litres",
            "priority": "high",
            "due_date": "2030-01-31",
            "tags": ["Home", "errand", "home"],
        },
        headers=account.headers,
    )

    assert response.status_code == 201
    todo = response.json()
    assert response.headers["location"] == f"/api/v1/todos/{todo['id']}"
    assert response.headers["etag"] == '"1"'
    assert todo["title"] == "Buy milk"
    assert todo["description"] == "two litres"
    assert todo["status"] == "open"
    assert todo["priority"] == "high"
    assert todo["due_date"] == "2030-01-31"
    assert todo["tags"] == ["errand", "home"]
    assert todo["completed_at"] is None
    assert todo["version"] == 1
    assert todo["created_at"] == todo["updated_at"]
    assert todo["created_at"].endswith("Z")
    assert todo["list_id"] == account.id  # the Inbox's id is its user's
    assert set(todo) == {
        "id", "list_id", "title", "description", "status", "priority", "due_date", "tags",
        "created_at", "updated_at", "completed_at", "version",
    }  # fmt: skip


async def test_create_with_only_a_title_takes_the_defaults(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    todo = await create_todo(client, account, title="Call mum")

    assert (todo["description"], todo["priority"], todo["due_date"], todo["tags"]) == (
        "",
        "normal",
        None,
        [],
    )


async def test_the_location_of_a_new_todo_serves_it(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    created = await client.post("/api/v1/todos", json={"title": "x"}, headers=account.headers)

    response = await client.get(created.headers["location"], headers=account.headers)

    assert response.status_code == 200
    assert response.json() == created.json()
    assert response.headers["etag"] == '"1"'


async def test_create_rejects_input_that_breaks_the_contract(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    cases = [
        ({"title": "x", "owner_id": str(uuid4())}, ("body", "owner_id")),
        ({"title": "x", "version": 7}, ("body", "version")),
        ({}, ("body", "title")),
        ({"title": ""}, ("body", "title")),
        ({"title": "   "}, ("body", "title")),
        ({"title": "x" * 201}, ("body", "title")),
        ({"title": "x", "description": "d" * 10_001}, ("body", "description")),
        ({"title": "x", "priority": "urgent"}, ("body", "priority")),
        ({"title": "x", "due_date": "31/01/2030"}, ("body", "due_date")),
        ({"title": "x", "tags": "home"}, ("body", "tags")),
        ({"title": "x", "tags": ["t" * 51]}, ("body", "tags", 0)),
        ({"title": "x", "tags": [f"tag{i}" for i in range(21)]}, ("body", "tags")),
        ({"title": "x", "tags": ["  "]}, ("body", "tags", 0)),
        ({"title": 42}, ("body", "title")),
    ]
    for body, loc in cases:
        response = await client.post("/api/v1/todos", json=body, headers=account.headers)
        assert_validation_problem(response, *loc)


async def test_create_rejects_a_body_that_is_not_json(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.post(
        "/api/v1/todos",
        content=b"{not json",
        headers={**account.headers, "Content-Type": "application/json"},
    )

    assert_problem(response, 422)


async def test_get_of_a_missing_todo_is_404(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.get(f"/api/v1/todos/{uuid4()}", headers=account.headers)

    assert_problem(response, 404)


async def test_an_id_that_is_not_a_uuid_is_422(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.get("/api/v1/todos/not-a-uuid", headers=account.headers)

    assert_validation_problem(response, "path", "todo_id")


async def test_patch_changes_only_the_fields_sent(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account, title="old", description="keep", tags=["a"])

    response = await client.patch(
        f"/api/v1/todos/{todo['id']}",
        json={"title": "new", "priority": "low", "tags": ["B"], "due_date": "2031-02-03"},
        headers=account.headers,
    )

    assert response.status_code == 200
    changed = response.json()
    assert response.headers["etag"] == '"2"'
    assert changed["title"] == "new"
    assert changed["description"] == "keep"
    assert changed["priority"] == "low"
    assert changed["tags"] == ["b"]
    assert changed["due_date"] == "2031-02-03"
    assert changed["version"] == 2
    assert changed["created_at"] == todo["created_at"]
    assert datetime.fromisoformat(changed["updated_at"]) >= datetime.fromisoformat(
        todo["updated_at"]
    )
    fetched = await client.get(f"/api/v1/todos/{todo['id']}", headers=account.headers)
    assert fetched.json() == changed


async def test_done_stamps_completed_at_and_reopening_clears_it(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account)
    url = f"/api/v1/todos/{todo['id']}"

    done = await client.patch(url, json={"status": "done"}, headers=account.headers)
    reopened = await client.patch(url, json={"status": "open"}, headers=account.headers)

    assert done.json()["status"] == "done"
    assert done.json()["completed_at"] is not None
    assert reopened.json()["status"] == "open"
    assert reopened.json()["completed_at"] is None
    assert reopened.json()["version"] == 3


async def test_patch_with_null_due_date_clears_it(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account, due_date="2030-05-05")

    response = await client.patch(
        f"/api/v1/todos/{todo['id']}", json={"due_date": None}, headers=account.headers
    )

    assert response.json()["due_date"] is None


async def test_patch_rejects_null_for_fields_that_cannot_be_empty(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account)
    url = f"/api/v1/todos/{todo['id']}"

    for field in ("title", "description", "status", "priority", "tags"):
        response = await client.patch(url, json={field: None}, headers=account.headers)
        assert_validation_problem(response, "body", field)


async def test_patch_rejects_unknown_fields_and_bad_values(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account)
    url = f"/api/v1/todos/{todo['id']}"
    cases = [
        ({"version": 5}, ("body", "version")),
        ({"completed_at": "2030-01-01T00:00:00Z"}, ("body", "completed_at")),
        ({"status": "finished"}, ("body", "status")),
        ({"title": " "}, ("body", "title")),
    ]
    for body, loc in cases:
        assert_validation_problem(await client.patch(url, json=body, headers=account.headers), *loc)
    unchanged = await client.get(url, headers=account.headers)
    assert unchanged.json()["version"] == 1


async def test_patch_that_changes_nothing_keeps_the_version(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account, title="same")

    response = await client.patch(
        f"/api/v1/todos/{todo['id']}", json={"title": "same"}, headers=account.headers
    )

    assert response.status_code == 200
    assert response.json()["version"] == 1


async def test_patch_with_the_current_etag_applies(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account)

    response = await client.patch(
        f"/api/v1/todos/{todo['id']}",
        json={"title": "checked"},
        headers={**account.headers, "If-Match": '"1"'},
    )

    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'


async def test_patch_with_a_stale_etag_is_412_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account)
    url = f"/api/v1/todos/{todo['id']}"
    await client.patch(url, json={"title": "moved on"}, headers=account.headers)

    for stale in ('"1"', 'W/"2"', "2", '"abc"', '"1", "3"'):
        response = await client.patch(
            url, json={"title": "lost update"}, headers={**account.headers, "If-Match": stale}
        )
        body = assert_problem(response, 412)
        assert body["type"] == "urn:todo:problem:version-mismatch"

    current = await client.get(url, headers=account.headers)
    assert current.json()["title"] == "moved on"
    assert current.json()["version"] == 2


async def test_if_match_accepts_a_star_and_a_list_containing_the_current_tag(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account)
    url = f"/api/v1/todos/{todo['id']}"

    star = await client.patch(
        url, json={"title": "a"}, headers={**account.headers, "If-Match": "*"}
    )
    listed = await client.patch(
        url, json={"title": "b"}, headers={**account.headers, "If-Match": '"7", "2"'}
    )

    assert star.status_code == 200
    assert listed.status_code == 200
    assert listed.json()["version"] == 3


async def test_patch_of_a_missing_todo_is_404(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    plain = await client.patch(
        f"/api/v1/todos/{uuid4()}", json={"title": "x"}, headers=account.headers
    )
    conditional = await client.patch(
        f"/api/v1/todos/{uuid4()}",
        json={"title": "x"},
        headers={**account.headers, "If-Match": "*"},
    )

    assert_problem(plain, 404)
    assert_problem(conditional, 404)


async def test_delete_removes_the_todo(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account)
    url = f"/api/v1/todos/{todo['id']}"

    deleted = await client.delete(url, headers=account.headers)

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_problem(await client.get(url, headers=account.headers), 404)
    assert_problem(await client.delete(url, headers=account.headers), 404)
