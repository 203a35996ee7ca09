"""Helpers of the API tests: settings per backend, users, tokens and problem assertions."""

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx

from todo_api import Settings
from todo_sql import create_engine, metadata

# A test-only key, never used outside the tests; long enough even for HS512 (64 bytes).
TEST_KEY = "test-signing-key-" + "x" * 48
PASSWORD = "correct horse battery"
PROBLEM_JSON = "application/problem+json"


def settings_for(storage: str, database_url: str | None = None, **extra: Any) -> Settings:
    """Settings of a test app from these values alone (neither the environment nor `.env`
    are read by `model_validate`), with a fixed signing key."""
    values: dict[str, Any] = {"storage": storage, "secret_key": TEST_KEY, "env": "test"}
    if database_url is not None:
        values["database_url"] = database_url
    return Settings.model_validate(values | extra)


async def empty_tables(url: str) -> None:
    """Delete every row of the database at `url` (children first)."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                await connection.execute(table.delete())
    finally:
        await engine.dispose()


def unique_email() -> str:
    return f"user-{uuid4().hex[:12]}@example.com"


@dataclass(frozen=True)
class Account:
    email: str
    id: str
    headers: dict[str, str]


async def register(
    client: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD
) -> httpx.Response:
    body = {"email": email or unique_email(), "password": password}
    return await client.post("/api/v1/users", json=body)


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data={"username": email, "password": password})


async def new_account(client: httpx.AsyncClient) -> Account:
    email = unique_email()
    registered = await register(client, email)
    assert registered.status_code == 201, registered.text
    token = await login(client, email)
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    return Account(email, registered.json()["id"], headers)


async def create_todo(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    body.setdefault("title", "a todo")
    response = await client.post("/api/v1/todos", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem of `status`; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


def assert_validation_problem(response: httpx.Response, *loc: str | int) -> dict[str, Any]:
    """A 422 problem whose `errors` name the location `loc` (e.g. "body", "title")."""
    body = assert_problem(response, 422)
    locations = [tuple(error["loc"]) for error in body["errors"]]
    assert all(isinstance(error["msg"], str) and error["msg"] for error in body["errors"])
    assert tuple(loc) in locations, locations
    return body


def sans_request_id(body: dict[str, Any]) -> dict[str, Any]:
    """A problem body without its `request_id` (which differs from request to request)."""
    return {name: value for name, value in body.items() if name != "request_id"}


async def create_list(
    client: httpx.AsyncClient, account: Account, name: str = "a list"
) -> dict[str, Any]:
    response = await client.post("/api/v1/lists", json={"name": name}, headers=account.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def share(
    client: httpx.AsyncClient, owner: Account, list_id: str, member: Account, role: str
) -> None:
    """Makes `member` a member of the list in `role`, as its `owner`."""
    response = await client.post(
        f"/api/v1/lists/{list_id}/members",
        json={"email": member.email, "role": role},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text


def assert_forbidden(response: httpx.Response) -> None:
    """A 403 problem: the caller is a member whose role does not allow the action."""
    assert assert_problem(response, 403)["type"] == "urn:todo:problem:forbidden"
