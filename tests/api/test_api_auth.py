"""Bearer tokens: only genuine, current HS256 tokens of this service open the todo routes."""

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest

from .support import TEST_KEY, Account, assert_problem, new_account

ROUTES = [
    ("GET", "/api/v1/todos"),
    ("POST", "/api/v1/todos"),
    ("GET", "/api/v1/todos/{id}"),
    ("PATCH", "/api/v1/todos/{id}"),
    ("DELETE", "/api/v1/todos/{id}"),
    ("GET", "/api/v1/users/me"),
    ("PATCH", "/api/v1/users/me"),
    ("DELETE", "/api/v1/users/me"),
    ("POST", "/api/v1/users/me/password"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/lists"),
]
# A body that every route above takes or ignores: the token is refused before it is read.
BODY = {"title": "x"}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(account: Account, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims = {
        "sub": account.id,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid4().hex,
        "cv": 1,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _tampered(account: Account) -> str:
    header, _, signature = account.headers["Authorization"].removeprefix("Bearer ").split(".")
    payload = _b64({"sub": str(uuid4()), "iat": 1, "exp": 4102444800, "jti": "j", "cv": 1})
    return f"{header}.{payload}.{signature}"


BAD_TOKENS: dict[str, Callable[[Account], str]] = {
    "malformed": lambda account: "not-a-jwt",
    "empty": lambda account: "",
    "tampered payload": _tampered,
    "alg none": lambda account: (
        f"{_b64({'alg': 'none', 'typ': 'JWT'})}."
        f"{_b64({'sub': account.id, 'iat': 1, 'exp': 4102444800})}."
    ),
    "other key": lambda account: jwt.encode(_claims(account), "k" * 40, algorithm="HS256"),
    "other algorithm": lambda account: jwt.encode(_claims(account), TEST_KEY, algorithm="HS512"),
    "expired": lambda account: jwt.encode(
        _claims(account, exp=datetime.now(UTC) - timedelta(seconds=5)), TEST_KEY
    ),
    "without exp": lambda account: jwt.encode(_claims(account, exp=None), TEST_KEY),
    "without sub": lambda account: jwt.encode(_claims(account, sub=None), TEST_KEY),
    "sub not an id": lambda account: jwt.encode(_claims(account, sub="admin"), TEST_KEY),
    # Issued before tokens had an id and a credentials version: refused, log in again.
    "of the previous version": lambda account: jwt.encode(
        _claims(account, jti=None, cv=None), TEST_KEY
    ),
    "without jti": lambda account: jwt.encode(_claims(account, jti=None), TEST_KEY),
    "without cv": lambda account: jwt.encode(_claims(account, cv=None), TEST_KEY),
    "of an older password": lambda account: jwt.encode(_claims(account, cv=0), TEST_KEY),
    "of a newer password": lambda account: jwt.encode(_claims(account, cv=2), TEST_KEY),
    "of another user": lambda account: jwt.encode(_claims(account, sub=str(uuid4())), TEST_KEY),
}


def _url(template: str) -> str:
    return template.replace("{id}", str(uuid4()))


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_protected_route_needs_a_token(
    memory_client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await memory_client.request(method, _url(path), json=BODY)

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_another_scheme_than_bearer_is_401(memory_client: httpx.AsyncClient) -> None:
    response = await memory_client.get(
        "/api/v1/todos", headers={"Authorization": "Basic dXNlcjpwYXNz"}
    )

    assert_problem(response, 401)


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
async def test_an_unacceptable_token_is_401(memory_client: httpx.AsyncClient, kind: str) -> None:
    account = await new_account(memory_client)
    token = BAD_TOKENS[kind](account)

    for method, path in ROUTES:
        response = await memory_client.request(
            method, _url(path), json=BODY, headers={"Authorization": f"Bearer {token}"}
        )
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_a_genuine_token_made_the_same_way_is_accepted(
    memory_client: httpx.AsyncClient,
) -> None:
    """The control of the cases above: the claims they start from are acceptable."""
    account = await new_account(memory_client)
    token = jwt.encode(_claims(account), TEST_KEY, algorithm="HS256")

    response = await memory_client.get(
        "/api/v1/todos", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200


async def test_a_token_of_a_user_that_does_not_exist_cannot_read_me(
    memory_client: httpx.AsyncClient,
) -> None:
    now = datetime.now(UTC)
    claims = {"sub": str(uuid4()), "iat": now, "exp": now + timedelta(1), "jti": "j", "cv": 1}
    token = jwt.encode(claims, TEST_KEY)

    response = await memory_client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
