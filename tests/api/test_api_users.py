"""Registration, log-in (OAuth2 password flow) and `/api/v1/users/me`."""

from datetime import datetime

import httpx

from .support import (
    PASSWORD,
    assert_problem,
    assert_validation_problem,
    login,
    register,
    sans_request_id,
    unique_email,
)


async def test_register_returns_the_user_without_secrets(client: httpx.AsyncClient) -> None:
    email = unique_email()

    response = await client.post(
        "/api/v1/users",
        json={"email": f"  {email.upper()} ", "password": PASSWORD, "display_name": " Ada "},
    )

    assert response.status_code == 201
    user = response.json()
    assert set(user) == {"id", "email", "display_name", "created_at", "version"}
    assert user["version"] == 1
    assert user["email"] == email
    assert user["display_name"] == "Ada"
    assert datetime.fromisoformat(user["created_at"]).utcoffset() is not None


async def test_an_email_is_taken_whatever_its_case(client: httpx.AsyncClient) -> None:
    email = unique_email()
    assert (await register(client, email)).status_code == 201

    response = await register(client, email.upper())

    body = assert_problem(response, 409)
    assert body["type"] == "urn:todo:problem:conflict"


async def test_register_rejects_invalid_input(client: httpx.AsyncClient) -> None:
    cases = [
        ({"email": "not-an-address", "password": PASSWORD}, ("body", "email")),
        ({"email": unique_email(), "password": "short"}, ("body", "password")),
        ({"email": unique_email(), "password": "p" * 129}, ("body", "password")),
        ({"password": PASSWORD}, ("body", "email")),
        ({"email": unique_email()}, ("body", "password")),
        ({"email": unique_email(), "password": PASSWORD, "admin": True}, ("body", "admin")),
        (
            {"email": unique_email(), "password": PASSWORD, "display_name": "d" * 101},
            ("body", "display_name"),
        ),
    ]
    for body, loc in cases:
        assert_validation_problem(await client.post("/api/v1/users", json=body), *loc)


async def test_validation_errors_never_echo_the_input(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/users", json={"email": unique_email(), "password": "sh0rt!"}
    )

    assert_problem(response, 422)
    assert "sh0rt!" not in response.text


async def test_login_issues_a_bearer_token(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email)

    response = await login(client, email.upper())

    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 3600
    assert token["access_token"].count(".") == 2


async def test_a_wrong_password_and_an_unknown_email_look_the_same(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    await register(client, email)

    wrong_password = await login(client, email, "not the password")
    unknown_email = await login(client, unique_email())

    for response in (wrong_password, unknown_email):
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
    assert sans_request_id(wrong_password.json()) == sans_request_id(unknown_email.json())


async def test_login_needs_a_form_with_username_and_password(client: httpx.AsyncClient) -> None:
    missing = await client.post("/api/v1/auth/token", data={"username": unique_email()})
    as_json = await client.post(
        "/api/v1/auth/token", json={"username": unique_email(), "password": PASSWORD}
    )
    wrong_grant = await client.post(
        "/api/v1/auth/token",
        data={"username": unique_email(), "password": PASSWORD, "grant_type": "implicit"},
    )

    assert_validation_problem(missing, "body", "password")
    assert_problem(as_json, 422)
    assert_validation_problem(wrong_grant, "body", "grant_type")


async def test_me_is_the_user_of_the_token(client: httpx.AsyncClient) -> None:
    email = unique_email()
    registered = (await register(client, email)).json()
    token = (await login(client, email)).json()["access_token"]

    response = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.json() == registered
    assert response.headers["etag"] == '"1"'


async def test_me_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/users/me")

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
