"""`DELETE /api/v1/users/me`, confirmed by the password, on every backend: the account goes
with its Inbox and the lists it alone owns; the lists of others keep their todos, a list it
co-owned stays with the other owners; its tokens are refused, its e-mail is free again."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from .support import (
    PAIR_LIMIT,
    THERE,
    Account,
    assert_problem,
    assert_refused_everywhere,
    assert_throttled,
    assert_validation_problem,
    client_of,
    create_list,
    create_todo,
    delete_account,
    login,
    new_account,
    register,
    second_token,
    share,
)


async def _get(client: httpx.AsyncClient, account: Account, path: str) -> Any:
    response = await client.get(path, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _todo_ids(client: httpx.AsyncClient, account: Account, list_id: str) -> set[str]:
    page = await _get(client, account, f"/api/v1/todos?list_id={list_id}&limit=100")
    return {todo["id"] for todo in page["items"]}


async def _members(client: httpx.AsyncClient, account: Account, list_id: str) -> dict[str, str]:
    members = await _get(client, account, f"/api/v1/lists/{list_id}/members")
    return {member["user_id"]: member["role"] for member in members}


async def test_a_deleted_account_s_tokens_are_refused_and_its_e_mail_is_free(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)
    other_session = await second_token(client, account)
    await create_todo(client, account, title="in the Inbox")

    response = await delete_account(client, account.headers)

    assert response.status_code == 204, response.text
    assert response.content == b""
    for headers in (account.headers, other_session):
        await assert_refused_everywhere(client, headers)
    assert_problem(await login(client, account.email), 401)
    again = await register(client, account.email)
    assert again.status_code == 201, again.text
    assert again.json()["id"] != account.id
    fresh = await second_token(client, account)
    assert (await client.get("/api/v1/todos", headers=fresh)).json()["items"] == []


async def test_a_wrong_password_is_401_and_deletes_nothing(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account)

    response = await delete_account(client, account.headers, "not the password")

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert (await _get(client, account, "/api/v1/users/me"))["id"] == account.id
    assert (await _get(client, account, f"/api/v1/todos/{todo['id']}"))["id"] == todo["id"]
    assert (await login(client, account.email)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [None, {}, {"password": ""}, {"password": 42}, {"password": "a\x00b"}],
    ids=["no body", "no password", "empty", "not a string", "NUL"],
)
async def test_a_deletion_needs_the_password_in_a_json_body(
    client: httpx.AsyncClient, body: dict[str, Any] | None
) -> None:
    account = await new_account(client)

    response = await client.request(
        "DELETE", "/api/v1/users/me", json=body, headers=account.headers
    )

    assert_problem(response, 422)
    assert (await _get(client, account, "/api/v1/users/me"))["id"] == account.id


async def test_a_deletion_refuses_unknown_fields(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    body = {"password": "correct horse battery", "force": True}

    response = await client.request(
        "DELETE", "/api/v1/users/me", json=body, headers=account.headers
    )

    assert_validation_problem(response, "body", "force")
    assert (await _get(client, account, "/api/v1/users/me"))["id"] == account.id


async def test_wrong_passwords_of_a_deletion_are_failed_logins(app: FastAPI) -> None:
    async with client_of(app) as here, client_of(app, THERE) as there:
        account = await new_account(here)
        for _ in range(PAIR_LIMIT):
            assert_problem(await delete_account(here, account.headers, "not the password"), 401)

        assert_throttled(await delete_account(here, account.headers))  # even the right one
        assert_throttled(await login(here, account.email))
        assert (await login(there, account.email)).status_code == 200
        assert (await _get(here, account, "/api/v1/users/me"))["id"] == account.id


async def test_the_lists_of_others_stay_with_their_todos_and_lists_it_alone_owned_go(
    client: httpx.AsyncClient,
) -> None:
    leaver, owner, co_owner = [await new_account(client) for _ in range(3)]
    # the leaver's own list, shared: it goes, with its todos, for everyone
    own = (await create_list(client, leaver, "own"))["id"]
    await share(client, leaver, own, owner, "editor")
    gone = [await create_todo(client, owner, list_id=own) for _ in range(2)]
    # another's list the leaver edits: it stays, with the todos the leaver wrote in it
    theirs = (await create_list(client, owner, "theirs"))["id"]
    await share(client, owner, theirs, leaver, "editor")
    kept = {(await create_todo(client, who, list_id=theirs))["id"] for who in (leaver, owner)}
    # a list owned by the leaver and another owner: it stays with the other owner
    joint = (await create_list(client, leaver, "joint"))["id"]
    await share(client, leaver, joint, co_owner, "owner")
    await share(client, leaver, joint, owner, "viewer")
    joint_todo = (await create_todo(client, co_owner, list_id=joint))["id"]
    joint_version = (await _get(client, co_owner, f"/api/v1/lists/{joint}"))["version"]

    assert (await delete_account(client, leaver.headers)).status_code == 204

    for todo in gone:
        assert_problem(await client.get(f"/api/v1/todos/{todo['id']}", headers=owner.headers), 404)
    assert_problem(await client.get(f"/api/v1/lists/{own}", headers=owner.headers), 404)
    assert await _todo_ids(client, owner, theirs) == kept
    assert await _members(client, owner, theirs) == {owner.id: "owner"}
    assert await _members(client, co_owner, joint) == {co_owner.id: "owner", owner.id: "viewer"}
    assert await _todo_ids(client, co_owner, joint) == {joint_todo}
    joint_now = await _get(client, co_owner, f"/api/v1/lists/{joint}")
    assert joint_now["version"] > joint_version  # a change of its members, as any other
    listed = await _get(client, owner, "/api/v1/lists?limit=100")
    assert {item["id"] for item in listed["items"]} == {owner.id, theirs, joint}


async def test_a_deleted_co_owner_leaves_the_list_with_the_other_owner(
    client: httpx.AsyncClient,
) -> None:
    leaver, other = await new_account(client), await new_account(client)
    joint = (await create_list(client, leaver, "joint"))["id"]
    await share(client, leaver, joint, other, "owner")

    assert (await delete_account(client, leaver.headers)).status_code == 204

    assert await _members(client, other, joint) == {other.id: "owner"}
    renamed = await client.patch(
        f"/api/v1/lists/{joint}", json={"name": "mine now"}, headers=other.headers
    )
    assert renamed.status_code == 200, renamed.text  # an owner's right: the list has one
    sharing = await client.post(
        f"/api/v1/lists/{joint}/members",
        json={"email": leaver.email, "role": "viewer"},
        headers=other.headers,
    )
    assert_problem(sharing, 404)  # no account has that e-mail any more


async def test_deleting_one_account_leaves_another_alone(client: httpx.AsyncClient) -> None:
    leaver, stayer = await new_account(client), await new_account(client)
    todo = await create_todo(client, stayer)

    assert (await delete_account(client, leaver.headers)).status_code == 204

    assert (await _get(client, stayer, f"/api/v1/todos/{todo['id']}"))["id"] == todo["id"]
    assert (await _get(client, stayer, "/api/v1/users/me"))["id"] == stayer.id
