"""Text no backend can store (U+0000, a lone surrogate) is a 422 naming the field, on every
backend alike, through every string input of every route; and nothing is stored."""

import json
from typing import Any

import httpx

from .support import (
    PASSWORD,
    assert_validation_problem,
    create_todo,
    new_account,
    register,
    unique_email,
)

NUL = "\x00"
SURROGATE = "\ud800"  # JSON carries it as "\ud800"; UTF-8 cannot encode it
JSON = {"Content-Type": "application/json"}


def _json(body: dict[str, Any]) -> bytes:
    # `json.dumps` escapes a surrogate as `\ud800`, as a client's JSON would carry it.
    return json.dumps(body).encode()


async def test_todo_routes_refuse_unstorable_text(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account, title="kept", tags=["kept"])
    url = f"/api/v1/todos/{todo['id']}"
    headers = account.headers | JSON

    for text in (NUL, SURROGATE):
        cases: list[tuple[tuple[str | int, ...], dict[str, Any]]] = [
            (("title",), {"title": f"a{text}"}),
            (("description",), {"title": "a", "description": text}),
            (("tags", 0), {"title": "a", "tags": [f"{text}b"]}),
        ]
        for field, body in cases:
            created = await client.post("/api/v1/todos", content=_json(body), headers=headers)
            assert_validation_problem(created, "body", *field)
            patched = await client.patch(url, content=_json(body), headers=headers)
            assert_validation_problem(patched, "body", *field)

    for name in ("q", "tag", "cursor"):
        listed = await client.get("/api/v1/todos", params={name: f"a{NUL}"}, headers=headers)
        assert_validation_problem(listed, "query", name)

    listed = await client.get("/api/v1/todos", headers=account.headers)
    assert listed.json()["items"] == [todo]


async def test_user_routes_refuse_unstorable_text(client: httpx.AsyncClient) -> None:
    email = unique_email()
    for text in (NUL, SURROGATE):
        for field, body in [
            ("email", {"email": f"{text}{email}", "password": PASSWORD}),
            ("password", {"email": email, "password": f"{PASSWORD}{text}"}),
            ("display_name", {"email": email, "password": PASSWORD, "display_name": text}),
        ]:
            response = await client.post("/api/v1/users", content=_json(body), headers=JSON)
            assert_validation_problem(response, "body", field)

    assert (await register(client, email)).status_code == 201  # nothing was stored

    for field, form in [
        ("username", {"username": f"{email}{NUL}", "password": PASSWORD}),
        ("password", {"username": email, "password": f"{PASSWORD}{NUL}"}),
    ]:
        token = await client.post("/api/v1/auth/token", data=form)
        assert_validation_problem(token, "body", field)


async def test_percent_encoded_surrogates_arrive_as_replacement_characters(
    client: httpx.AsyncClient,
) -> None:
    """A query string or form is UTF-8 decoded with replacement: a lone surrogate cannot even
    reach the app that way, and what arrives instead is ordinary text."""
    account = await new_account(client)

    listed = await client.get("/api/v1/todos?q=%ED%A0%80&tag=%ED%A0%80", headers=account.headers)
    token = await client.post(
        "/api/v1/auth/token",
        content=b"username=%ED%A0%80&password=%ED%A0%80",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert listed.status_code == 200
    assert listed.json()["items"] == []
    assert token.status_code == 401
