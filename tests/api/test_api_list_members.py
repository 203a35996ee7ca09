"""`/api/v1/lists/{id}/members`: sharing a list, changing roles, removing members and leaving,
on every backend."""

from typing import Any
from uuid import uuid4

import httpx
import pytest

from .conftest import WITH_PGBOUNCER, settings_fixture
from .support import (
    Account,
    assert_forbidden,
    assert_problem,
    assert_validation_problem,
    create_list,
    new_account,
    share,
)

settings = settings_fixture(WITH_PGBOUNCER)


def _members_path(list_id: str, user_id: str | None = None) -> str:
    path = f"/api/v1/lists/{list_id}/members"
    return path if user_id is None else f"{path}/{user_id}"


async def _members(client: httpx.AsyncClient, account: Account, list_id: str) -> dict[str, str]:
    """The members of the list as `account` sees them: role by e-mail, in the listed order."""
    response = await client.get(_members_path(list_id), headers=account.headers)
    assert response.status_code == 200, response.text
    return {member["email"]: member["role"] for member in response.json()}


async def _add(
    client: httpx.AsyncClient, caller: Account, list_id: str, **body: Any
) -> httpx.Response:
    return await client.post(_members_path(list_id), json=body, headers=caller.headers)


async def _set_role(
    client: httpx.AsyncClient, caller: Account, list_id: str, member: Account, role: str
) -> httpx.Response:
    return await client.patch(
        _members_path(list_id, member.id), json={"role": role}, headers=caller.headers
    )


async def _remove(
    client: httpx.AsyncClient, caller: Account, list_id: str, member: Account
) -> httpx.Response:
    return await client.delete(_members_path(list_id, member.id), headers=caller.headers)


async def test_a_new_list_has_its_creator_as_owner(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    todo_list = await create_list(client, owner)

    response = await client.get(_members_path(todo_list["id"]), headers=owner.headers)

    assert response.status_code == 200
    assert response.json() == [
        {"user_id": owner.id, "email": owner.email, "display_name": None, "role": "owner"}
    ]


async def test_sharing_adds_a_member_every_member_sees(client: httpx.AsyncClient) -> None:
    owner, editor, viewer = [await new_account(client) for _ in range(3)]
    todo_list = await create_list(client, owner, "shared")

    added = await _add(client, owner, todo_list["id"], email=f" {editor.email.upper()} ",
                       role="editor")  # fmt: skip
    defaulted = await _add(client, owner, todo_list["id"], email=viewer.email)

    assert added.status_code == 201, added.text
    assert added.json() == {
        "user_id": editor.id, "email": editor.email, "display_name": None, "role": "editor",
    }  # fmt: skip
    assert defaulted.status_code == 201, defaulted.text
    assert defaulted.json()["role"] == "viewer"  # the default role
    expected = {owner.email: "owner", editor.email: "editor", viewer.email: "viewer"}
    for account in (owner, editor, viewer):
        members = await _members(client, account, todo_list["id"])
        assert members == expected
        assert list(members) == sorted(expected)  # by e-mail
    read = await client.get(f"/api/v1/lists/{todo_list['id']}", headers=editor.headers)
    assert (read.json()["name"], read.json()["role"]) == ("shared", "editor")


async def test_sharing_with_an_unknown_e_mail_is_404(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    todo_list = await create_list(client, owner)

    response = await _add(client, owner, todo_list["id"], email="nobody@example.com")

    assert "user" in assert_problem(response, 404)["detail"]
    assert await _members(client, owner, todo_list["id"]) == {owner.email: "owner"}


@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
async def test_sharing_with_a_member_is_409_whatever_the_role(
    client: httpx.AsyncClient, role: str
) -> None:
    owner, member = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)
    await share(client, owner, todo_list["id"], member, "editor")

    again = await _add(client, owner, todo_list["id"], email=member.email, role=role)
    themselves = await _add(client, owner, todo_list["id"], email=owner.email, role=role)

    assert assert_problem(again, 409)["type"] == "urn:todo:problem:conflict"
    assert_problem(themselves, 409)
    assert await _members(client, owner, todo_list["id"]) == {
        owner.email: "owner", member.email: "editor",
    }  # fmt: skip


async def test_the_inbox_is_never_shared(client: httpx.AsyncClient) -> None:
    owner, other = await new_account(client), await new_account(client)

    response = await _add(client, owner, owner.id, email=other.email, role="viewer")

    assert assert_problem(response, 409)["type"] == "urn:todo:problem:conflict"
    assert await _members(client, owner, owner.id) == {owner.email: "owner"}
    assert_problem(await client.get(f"/api/v1/lists/{owner.id}", headers=other.headers), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "x@example.com", "role": "admin"}, "role"),
        ({"email": "x@example.com", "role": "OWNER"}, "role"),
        ({"email": "x@example.com", "role": None}, "role"),
        ({"email": "not-an-address", "role": "viewer"}, "email"),
        ({"email": "a\u0000@example.com", "role": "viewer"}, "email"),
        ({"role": "viewer"}, "email"),
        ({"email": "x@example.com", "role": "viewer", "admin": True}, "admin"),
    ],
)
async def test_an_invalid_share_is_422(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    owner = await new_account(client)
    todo_list = await create_list(client, owner)

    response = await client.post(_members_path(todo_list["id"]), json=body, headers=owner.headers)

    assert_validation_problem(response, "body", field)


@pytest.mark.parametrize(
    "body", [{"role": "admin"}, {"role": None}, {}, {"role": "viewer", "x": 1}]
)
async def test_an_invalid_role_change_is_422(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    owner, member = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)
    await share(client, owner, todo_list["id"], member, "viewer")

    response = await client.patch(
        _members_path(todo_list["id"], member.id), json=body, headers=owner.headers
    )

    assert_problem(response, 422)
    assert (await _members(client, owner, todo_list["id"]))[member.email] == "viewer"


@pytest.mark.parametrize("role", ["editor", "viewer"])
async def test_only_an_owner_shares_changes_roles_or_removes_others(
    client: httpx.AsyncClient, role: str
) -> None:
    owner, member, other, outsider = [await new_account(client) for _ in range(4)]
    todo_list = await create_list(client, owner)
    await share(client, owner, todo_list["id"], member, role)
    await share(client, owner, todo_list["id"], other, "viewer")
    list_id = todo_list["id"]

    assert_forbidden(await _add(client, member, list_id, email=outsider.email, role="viewer"))
    assert_forbidden(await _set_role(client, member, list_id, other, "editor"))
    assert_forbidden(await _set_role(client, member, list_id, member, "owner"))  # nor their own
    assert_forbidden(await _set_role(client, member, list_id, owner, "viewer"))
    assert_forbidden(await _remove(client, member, list_id, other))
    assert_forbidden(await _remove(client, member, list_id, owner))

    assert await _members(client, owner, list_id) == {
        owner.email: "owner", member.email: role, other.email: "viewer",
    }  # fmt: skip


async def test_an_owner_changes_a_role_and_the_member_acts_by_it(
    client: httpx.AsyncClient,
) -> None:
    owner, member = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)
    await share(client, owner, todo_list["id"], member, "viewer")
    todo = {"title": "now allowed", "list_id": todo_list["id"]}
    refused = await client.post("/api/v1/todos", json=todo, headers=member.headers)

    response = await _set_role(client, owner, todo_list["id"], member, "editor")

    assert_forbidden(refused)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "user_id": member.id, "email": member.email, "display_name": None, "role": "editor",
    }  # fmt: skip
    created = await client.post("/api/v1/todos", json=todo, headers=member.headers)
    assert created.status_code == 201, created.text
    read = await client.get(f"/api/v1/lists/{todo_list['id']}", headers=member.headers)
    assert read.json()["role"] == "editor"


async def test_changing_an_unknown_member_is_404(client: httpx.AsyncClient) -> None:
    owner, stranger = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)

    for user_id in (stranger.id, str(uuid4())):
        path = _members_path(todo_list["id"], user_id)
        changed = await client.patch(path, json={"role": "editor"}, headers=owner.headers)
        removed = await client.delete(path, headers=owner.headers)
        assert "member" in assert_problem(changed, 404)["detail"]
        assert "member" in assert_problem(removed, 404)["detail"]


async def test_the_last_owner_cannot_be_demoted_removed_or_leave(
    client: httpx.AsyncClient,
) -> None:
    owner, member = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)
    await share(client, owner, todo_list["id"], member, "editor")
    list_id = todo_list["id"]

    for role in ("editor", "viewer"):
        demoted = await _set_role(client, owner, list_id, owner, role)
        assert assert_problem(demoted, 409)["type"] == "urn:todo:problem:conflict"
    assert_problem(await _remove(client, owner, list_id, owner), 409)  # leaving
    kept = await _set_role(client, owner, list_id, owner, "owner")  # no change: allowed

    assert kept.status_code == 200
    assert await _members(client, owner, list_id) == {owner.email: "owner", member.email: "editor"}


async def test_the_inbox_owner_cannot_leave_or_step_down(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)

    assert_problem(await _remove(client, owner, owner.id, owner), 409)
    assert_problem(await _set_role(client, owner, owner.id, owner, "viewer"), 409)
    assert await _members(client, owner, owner.id) == {owner.email: "owner"}


async def test_one_of_two_owners_steps_down_or_removes_the_other(
    client: httpx.AsyncClient,
) -> None:
    first, second = await new_account(client), await new_account(client)
    todo_list = await create_list(client, first)
    list_id = todo_list["id"]
    await share(client, first, list_id, second, "owner")

    stepped_down = await _set_role(client, first, list_id, first, "editor")
    second_alone = await _set_role(client, second, list_id, second, "viewer")
    promoted = await _set_role(client, second, list_id, first, "owner")
    removed = await _remove(client, first, list_id, second)

    assert stepped_down.status_code == 200
    assert_problem(second_alone, 409)  # the last owner now
    assert promoted.json()["role"] == "owner"
    assert removed.status_code == 204
    assert await _members(client, first, list_id) == {first.email: "owner"}
    assert_problem(await client.get(f"/api/v1/lists/{list_id}", headers=second.headers), 404)


@pytest.mark.parametrize("role", ["editor", "viewer"])
async def test_a_member_leaves_and_the_list_is_gone_for_them(
    client: httpx.AsyncClient, role: str
) -> None:
    owner, member = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)
    await share(client, owner, todo_list["id"], member, role)
    todo = await client.post(
        "/api/v1/todos", json={"title": "stays", "list_id": todo_list["id"]}, headers=owner.headers
    )

    left = await _remove(client, member, todo_list["id"], member)

    assert left.status_code == 204
    assert left.content == b""
    assert_problem(
        await client.get(f"/api/v1/lists/{todo_list['id']}", headers=member.headers), 404
    )
    todo_path = f"/api/v1/todos/{todo.json()['id']}"
    assert_problem(await client.get(todo_path, headers=member.headers), 404)
    listed = await client.get("/api/v1/todos", headers=member.headers)
    assert listed.json()["items"] == []
    assert (await client.get(todo_path, headers=owner.headers)).status_code == 200
    assert await _members(client, owner, todo_list["id"]) == {owner.email: "owner"}
    assert_problem(await _remove(client, member, todo_list["id"], member), 404)


async def test_an_owner_removes_a_member(client: httpx.AsyncClient) -> None:
    owner, member = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)
    await share(client, owner, todo_list["id"], member, "editor")

    removed = await _remove(client, owner, todo_list["id"], member)

    assert removed.status_code == 204
    assert await _members(client, owner, todo_list["id"]) == {owner.email: "owner"}
    members = await client.get(_members_path(todo_list["id"]), headers=member.headers)
    assert_problem(members, 404)
    readded = await _add(client, owner, todo_list["id"], email=member.email, role="viewer")
    assert readded.status_code == 201
