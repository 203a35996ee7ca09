"""What ends a token, on every backend: a password change ends every token issued before it
(a login right after it works at once), logging out ends that token only. A wrong current
password is a failed login, throttled as one. While the storage cannot say whether a token is
still current, the answer is 503, never 401."""

import itertools
from types import TracebackType
from typing import Any, Self

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from builders import make_user
from todo_domain import StorageBusy, StorageUnavailable

from .support import (
    NEW_PASSWORD,
    PAIR_LIMIT,
    PASSWORD,
    THERE,
    assert_accepted_everywhere,
    assert_problem,
    assert_refused_everywhere,
    assert_throttled,
    assert_validation_problem,
    bearer,
    change_password,
    client_of,
    log_out,
    login,
    new_account,
    second_token,
)


async def _logged_in(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await login(client, email, password)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def _titles(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.get("/api/v1/todos", headers=headers)
    assert response.status_code == 200, response.text
    return [todo["title"] for todo in response.json()["items"]]


# --- a password change ------------------------------------------------------------------------
async def test_a_password_change_ends_every_token_issued_before_it(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)
    other_session = await second_token(client, account)

    changed = await change_password(client, account.headers)

    assert changed.status_code == 204, changed.text
    assert changed.content == b""
    for headers in (account.headers, other_session):
        await assert_refused_everywhere(client, headers)
    assert_problem(await login(client, account.email, PASSWORD), 401)
    fresh = await _logged_in(client, account.email, NEW_PASSWORD)
    assert await _titles(client, fresh) == []  # the refused writes wrote nothing
    await assert_accepted_everywhere(client, fresh)


async def test_a_login_right_after_a_change_works_at_once(client: httpx.AsyncClient) -> None:
    """Within the same second as the change, and again after the next: a token is current
    by the credentials version it carries, not by when it was issued."""
    account = await new_account(client)
    passwords = [PASSWORD, NEW_PASSWORD, "third horse battery", "fourth horse battery"]
    headers = account.headers
    for current, new in itertools.pairwise(passwords):
        assert (await change_password(client, headers, current, new)).status_code == 204
        fresh = await _logged_in(client, account.email, new)
        response = await client.get("/api/v1/todos", headers=fresh)
        assert response.status_code == 200, response.text
        assert_problem(await client.get("/api/v1/todos", headers=headers), 401)
        headers = fresh


async def test_a_wrong_current_password_is_401_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)

    response = await change_password(client, account.headers, current="not the password")

    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert "password" in body["detail"]
    await assert_accepted_everywhere(client, account.headers)
    assert (await login(client, account.email, PASSWORD)).status_code == 200
    assert_problem(await login(client, account.email, NEW_PASSWORD), 401)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"current_password": PASSWORD, "new_password": "short"}, ("body", "new_password")),
        ({"current_password": PASSWORD, "new_password": "p" * 129}, ("body", "new_password")),
        (
            {"current_password": PASSWORD, "new_password": "nul\x00password"},
            ("body", "new_password"),
        ),
        ({"current_password": PASSWORD}, ("body", "new_password")),
        ({"new_password": NEW_PASSWORD}, ("body", "current_password")),
        ({"current_password": "", "new_password": NEW_PASSWORD}, ("body", "current_password")),
        (
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "email": "x@example.com"},
            ("body", "email"),
        ),
    ],
    ids=["too short", "too long", "NUL", "no new", "no current", "empty current", "unknown"],
)
async def test_the_new_password_follows_the_rules_of_registration(
    client: httpx.AsyncClient, body: dict[str, Any], loc: tuple[str, str]
) -> None:
    account = await new_account(client)

    response = await client.post("/api/v1/users/me/password", json=body, headers=account.headers)

    assert_validation_problem(response, *loc)
    assert not any(value and value in response.text for value in body.values())  # no echo
    await assert_accepted_everywhere(client, account.headers)


async def test_wrong_current_passwords_are_failed_logins_of_the_account(app: FastAPI) -> None:
    async with client_of(app) as here, client_of(app, THERE) as there:
        account = await new_account(here)
        for _ in range(PAIR_LIMIT):
            wrong = await change_password(here, account.headers, current="not the password")
            assert_problem(wrong, 401)

        assert_throttled(await change_password(here, account.headers))  # even the right one
        assert_throttled(await login(here, account.email))  # the login throttle's count
        assert (await login(there, account.email)).status_code == 200  # the owner elsewhere
        await assert_accepted_everywhere(here, account.headers)  # nothing changed


async def test_a_right_current_password_clears_the_failures_of_its_address(app: FastAPI) -> None:
    async with client_of(app) as here:
        account = await new_account(here)
        headers, password = account.headers, PASSWORD
        for new in (NEW_PASSWORD, "third horse battery"):
            for _ in range(PAIR_LIMIT - 1):
                assert_problem(await change_password(here, headers, "wrong", "any password"), 401)
            assert (await change_password(here, headers, password, new)).status_code == 204
            headers, password = await _logged_in(here, account.email, new), new


async def test_throttled_failures_of_logins_count_against_a_password_change(
    app: FastAPI,
) -> None:
    async with client_of(app) as here:
        account = await new_account(here)
        for _ in range(PAIR_LIMIT):
            assert_problem(await login(here, account.email, "not the password"), 401)

        assert_throttled(await change_password(here, account.headers))


# --- logging out ------------------------------------------------------------------------------
async def test_logging_out_ends_that_token_only(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    other_session = await second_token(client, account)

    response = await log_out(client, account.headers)

    assert response.status_code == 204, response.text
    assert response.content == b""
    await assert_refused_everywhere(client, account.headers)
    await assert_accepted_everywhere(client, other_session)
    assert await _titles(client, other_session) == ["written with this token"]  # its own only


async def test_logging_out_twice_is_401_the_second_time(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    assert (await log_out(client, account.headers)).status_code == 204

    again = await log_out(client, account.headers)

    assert_problem(again, 401)
    assert again.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_a_login_after_logging_out_works(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    assert (await log_out(client, account.headers)).status_code == 204

    fresh = await second_token(client, account)

    await assert_accepted_everywhere(client, fresh)


async def test_logging_out_needs_a_current_token(client: httpx.AsyncClient) -> None:
    response = await log_out(client, {})

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_logging_out_of_one_account_leaves_the_others_alone(
    client: httpx.AsyncClient,
) -> None:
    one, other = await new_account(client), await new_account(client)

    assert (await log_out(client, one.headers)).status_code == 204

    await assert_accepted_everywhere(client, other.headers)


# --- the storage cannot tell ------------------------------------------------------------------
class FailingUnitOfWork:
    """A unit of work whose storage fails on entry with `error`."""

    def __init__(self, error: Exception) -> None:
        self._error = error

    async def __aenter__(self) -> Self:
        raise self._error

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


@pytest.mark.parametrize("error", [StorageUnavailable(), StorageBusy()], ids=type)
async def test_a_token_the_storage_cannot_check_is_503_not_401(
    memory_app: FastAPI, error: Exception
) -> None:
    container = memory_app.state.container
    token = container.tokens().issue(make_user())  # genuine: only the storage can tell
    container.uow_factory.override(providers.Object(lambda: FailingUnitOfWork(error)))
    async with client_of(memory_app) as client:
        for method, path in [("GET", "/api/v1/todos"), ("POST", "/api/v1/auth/logout")]:
            response = await client.request(method, path, headers=bearer(token))
            assert_problem(response, 503)
            assert int(response.headers["retry-after"]) > 0
            assert "www-authenticate" not in response.headers


async def test_the_control_of_the_case_above_is_401(memory_app: FastAPI) -> None:
    """Without the failure the same kind of token (of nobody registered) is refused."""
    token = memory_app.state.container.tokens().issue(make_user())
    async with client_of(memory_app) as client:
        response = await client.get("/api/v1/todos", headers=bearer(token))

    assert_problem(response, 401)
