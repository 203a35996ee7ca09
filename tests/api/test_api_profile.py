"""`/api/v1/users/me`: the caller's profile with its ETag, and renaming it (If-Match optional,
412 when stale), on every backend."""

from typing import Any

import httpx
import pytest

from .support import (
    NEW_PASSWORD,
    Account,
    assert_problem,
    assert_validation_problem,
    bearer,
    change_password,
    login,
    new_account,
)

ME = "/api/v1/users/me"


async def _me(client: httpx.AsyncClient, account: Account) -> httpx.Response:
    response = await client.get(ME, headers=account.headers)
    assert response.status_code == 200, response.text
    return response


async def _rename(
    client: httpx.AsyncClient, account: Account, name: str | None, **headers: str
) -> httpx.Response:
    return await client.patch(ME, json={"display_name": name}, headers=account.headers | headers)


async def test_me_carries_its_version_in_the_body_and_the_etag(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)

    response = await _me(client, account)

    assert response.headers["etag"] == '"1"'
    assert response.json()["version"] == 1
    assert response.json()["id"] == account.id


async def test_a_rename_is_trimmed_stored_and_a_new_version(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    renamed = await _rename(client, account, "  Ada Lovelace ")

    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["display_name"] == "Ada Lovelace"
    assert renamed.json()["version"] == 2
    assert renamed.headers["etag"] == '"2"'
    me = await _me(client, account)
    assert me.json() == renamed.json()
    assert me.headers["etag"] == '"2"'


@pytest.mark.parametrize("cleared", [None, "", " \t "])
async def test_null_or_a_blank_name_clears_it(
    client: httpx.AsyncClient, cleared: str | None
) -> None:
    account = await new_account(client)
    assert (await _rename(client, account, "Ada")).status_code == 200

    response = await _rename(client, account, cleared)

    assert response.status_code == 200, response.text
    assert response.json()["display_name"] is None
    assert (await _me(client, account)).json()["display_name"] is None


async def test_a_rename_with_the_current_etag_applies(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    etag = (await _me(client, account)).headers["etag"]

    response = await _rename(client, account, "Ada", **{"If-Match": etag})

    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2


@pytest.mark.parametrize("if_match", ['"1"', '"1", "3"', 'W/"2"', '"02"', "*x", '"v2"'])
async def test_a_rename_with_a_stale_or_foreign_etag_is_412_and_changes_nothing(
    client: httpx.AsyncClient, if_match: str
) -> None:
    account = await new_account(client)
    before = (await _rename(client, account, "Ada")).json()  # now at version 2

    response = await _rename(client, account, "Grace", **{"If-Match": if_match})

    assert assert_problem(response, 412)["type"] == "urn:todo:problem:version-mismatch"
    assert (await _me(client, account)).json() == before


@pytest.mark.parametrize("if_match", ["*", '"2"', '"1", "2"'])
async def test_if_match_star_or_a_list_naming_the_version_applies(
    client: httpx.AsyncClient, if_match: str
) -> None:
    account = await new_account(client)
    assert (await _rename(client, account, "Ada")).status_code == 200

    response = await _rename(client, account, "Grace", **{"If-Match": if_match})

    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "Grace"


async def test_a_password_change_is_a_new_version_of_the_user(client: httpx.AsyncClient) -> None:
    """So an If-Match read before the change no longer matches after it."""
    account = await new_account(client)
    etag = (await _me(client, account)).headers["etag"]
    assert (await change_password(client, account.headers)).status_code == 204
    token = (await login(client, account.email, NEW_PASSWORD)).json()["access_token"]
    fresh = Account(account.email, account.id, bearer(token))

    me = await _me(client, fresh)
    stale = await _rename(client, fresh, "Ada", **{"If-Match": etag})

    assert me.json()["version"] == 2
    assert_problem(stale, 412)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"display_name": "d" * 101}, ("body", "display_name")),
        ({"display_name": "a\x00b"}, ("body", "display_name")),
        ({"display_name": 7}, ("body", "display_name")),
        ({}, ("body", "display_name")),
        ({"display_name": "Ada", "email": "other@example.com"}, ("body", "email")),
    ],
    ids=["too long", "NUL", "not a string", "missing", "unknown field"],
)
async def test_a_rename_refuses_bad_input(
    client: httpx.AsyncClient, body: dict[str, Any], loc: tuple[str, str]
) -> None:
    account = await new_account(client)
    before = (await _me(client, account)).json()

    response = await client.patch(ME, json=body, headers=account.headers)

    assert_validation_problem(response, *loc)
    assert (await _me(client, account)).json() == before


async def test_a_rename_needs_a_json_body(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.patch(ME, headers=account.headers)

    assert_problem(response, 422)
