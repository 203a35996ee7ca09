"""Helpers of the API tests: settings per backend, users, tokens and problem assertions."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
from fastapi import FastAPI

from pgbouncer import through_pgbouncer
from sqldb import migrated_url
from todo_api import Settings
from todo_sql import create_engine, metadata

# A test-only key, never used outside the tests; long enough even for HS512 (64 bytes).
TEST_KEY = "test-signing-key-" + "x" * 48
PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"
PROBLEM_JSON = "application/problem+json"
HERE = "192.0.2.1"
THERE = "198.51.100.7"
PAIR_LIMIT = 10  # the default of TODO_LOGIN_FAILURES_PER_ADDRESS_ACCOUNT


def settings_for(storage: str, database_url: str | None = None, **extra: Any) -> Settings:
    """Settings of a test app from these values alone (neither the environment nor `.env`
    are read by `model_validate`), with a fixed signing key."""
    values: dict[str, Any] = {"storage": storage, "secret_key": TEST_KEY, "env": "test"}
    if database_url is not None:
        values["database_url"] = database_url
    return Settings.model_validate(values | extra)


@asynccontextmanager
async def settings_on(backend: str) -> AsyncIterator[Settings]:
    """Settings of a test app on `backend` (one of `conftest.WITH_PGBOUNCER`): a fresh copy of
    a migrated SQLite file, or this session's PostgreSQL/MariaDB database, emptied after."""
    if backend == "memory":
        yield settings_for("memory")
        return
    if backend == "postgresql-pgbouncer":
        url = await migrated_url("postgresql")
        yield settings_for("sql", through_pgbouncer(url), database_pooler="transaction")
    else:
        url = await migrated_url(backend)
        yield settings_for("sql", url)
    if backend != "sqlite":  # a SQLite copy belongs to this test alone
        await empty_tables(url)


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


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def second_token(client: httpx.AsyncClient, account: Account) -> dict[str, str]:
    """The headers of another login of `account` (another session of the same user)."""
    response = await login(client, account.email)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def change_password(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    current: str = PASSWORD,
    new: str = NEW_PASSWORD,
) -> httpx.Response:
    body = {"current_password": current, "new_password": new}
    return await client.post("/api/v1/users/me/password", json=body, headers=headers)


async def log_out(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/api/v1/auth/logout", headers=headers)


async def delete_account(
    client: httpx.AsyncClient, headers: dict[str, str], password: str = PASSWORD
) -> httpx.Response:
    return await client.request(
        "DELETE", "/api/v1/users/me", json={"password": password}, headers=headers
    )


# One call of each family of authenticated routes, reads and writes, each of which succeeds
# for a current token.
EVERY_FAMILY: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/todos", None),
    ("POST", "/api/v1/todos", {"title": "written with this token"}),
    ("GET", "/api/v1/lists", None),
    ("POST", "/api/v1/lists", {"name": "made with this token"}),
    ("GET", "/api/v1/users/me", None),
    ("PATCH", "/api/v1/users/me", {"display_name": "renamed with this token"}),
]


async def assert_refused_everywhere(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Every family of routes answers `headers` 401, as for an invalid token."""
    for method, path, body in EVERY_FAMILY:
        response = await client.request(method, path, json=body, headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"', path


async def assert_accepted_everywhere(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for method, path, body in EVERY_FAMILY:
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code in (200, 201), (method, path, response.text)


@asynccontextmanager
async def client_of(app: FastAPI, address: str = HERE) -> AsyncIterator[httpx.AsyncClient]:
    """A client that the app sees coming from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def assert_throttled(response: httpx.Response, most: int = 900) -> int:
    """A 429 problem of the login throttle; its `Retry-After`, in seconds."""
    body = assert_problem(response, 429)
    assert body["type"] == "urn:todo:problem:too-many-attempts"
    seconds = int(response.headers["retry-after"])
    assert 0 < seconds <= most
    assert str(seconds) in body["detail"]
    return seconds
