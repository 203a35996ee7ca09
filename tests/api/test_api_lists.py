"""`/api/v1/lists`: create, read, rename, delete and list a user's lists, on every backend."""

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
    create_todo,
    new_account,
    sans_request_id,
    share,
)

settings = settings_fixture(WITH_PGBOUNCER)

LIST_FIELDS = {"id", "name", "inbox", "role", "created_at", "updated_at", "version"}


async def _lists(client: httpx.AsyncClient, account: Account, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/lists", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def _rename(
    client: httpx.AsyncClient, account: Account, list_id: str, name: str, **headers: str
) -> httpx.Response:
    return await client.patch(
        f"/api/v1/lists/{list_id}", json={"name": name}, headers=account.headers | headers
    )


async def test_create_returns_the_list_with_location_and_etag(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.post(
        "/api/v1/lists", json={"name": "  Groceries \t"}, headers=account.headers
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == LIST_FIELDS
    assert created["name"] == "Groceries"
    assert created["inbox"] is False
    assert created["role"] == "owner"
    assert created["version"] == 1
    assert created["created_at"] == created["updated_at"]
    assert created["created_at"].endswith("Z")
    assert response.headers["location"] == f"/api/v1/lists/{created['id']}"
    assert response.headers["etag"] == '"1"'
    read = await client.get(response.headers["location"], headers=account.headers)
    assert read.status_code == 200
    assert read.json() == created
    assert read.headers["etag"] == '"1"'


async def test_every_user_has_an_inbox_with_their_own_id(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    page = await _lists(client, account)

    (inbox,) = page["items"]
    assert page["next_cursor"] is None
    assert inbox["id"] == account.id
    assert (inbox["name"], inbox["inbox"], inbox["role"]) == ("Inbox", True, "owner")


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "\u3000\t"},
        {"name": "x" * 101},
        {"name": "a\u0000b"},
        {"name": None},
        {"name": 7},
        {},
    ],
)
async def test_an_invalid_name_is_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    account = await new_account(client)
    target = await create_list(client, account, "before")

    created = await client.post("/api/v1/lists", json=body, headers=account.headers)
    renamed = await client.patch(
        f"/api/v1/lists/{target['id']}", json=body, headers=account.headers
    )

    assert_validation_problem(created, "body", "name")
    assert_validation_problem(renamed, "body", "name")
    assert [item["name"] for item in (await _lists(client, account))["items"]] == [
        "Inbox",
        "before",
    ]


async def test_a_name_of_the_largest_length_is_kept(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    created = await create_list(client, account, "é" * 100)

    assert created["name"] == "é" * 100


async def test_unknown_fields_are_422(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.post(
        "/api/v1/lists", json={"name": "n", "inbox": True}, headers=account.headers
    )

    assert_validation_problem(response, "body", "inbox")


async def test_lists_need_a_token(client: httpx.AsyncClient) -> None:
    for response in [
        await client.get("/api/v1/lists"),
        await client.post("/api/v1/lists", json={"name": "n"}),
        await client.get(f"/api/v1/lists/{uuid4()}"),
        await client.delete(f"/api/v1/lists/{uuid4()}/members/{uuid4()}"),
    ]:
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_a_stranger_s_list_is_404_exactly_as_a_missing_one(
    client: httpx.AsyncClient,
) -> None:
    owner = await new_account(client)
    stranger = await new_account(client)
    todo_list = await create_list(client, owner)
    paths = [f"/api/v1/lists/{todo_list['id']}", f"/api/v1/lists/{owner.id}"]  # and the Inbox

    for path in paths:
        missing = f"/api/v1/lists/{uuid4()}"
        requests = [
            ("GET", "", None),
            ("PATCH", "", {"name": "mine now"}),
            ("DELETE", "", None),
            ("GET", "/members", None),
            ("POST", "/members", {"email": stranger.email, "role": "owner"}),
            ("PATCH", f"/members/{owner.id}", {"role": "viewer"}),
            ("DELETE", f"/members/{owner.id}", None),
            ("DELETE", f"/members/{stranger.id}", None),
        ]
        for method, tail, body in requests:
            seen = await client.request(method, path + tail, json=body, headers=stranger.headers)
            absent = await client.request(
                method, missing + tail, json=body, headers=stranger.headers
            )
            assert sans_request_id(assert_problem(seen, 404)) == sans_request_id(
                assert_problem(absent, 404)
            ), (method, tail)

    still = await client.get(paths[0], headers=owner.headers)
    assert still.json() == todo_list
    assert [member["user_id"] for member in await _members(client, owner, todo_list["id"])] == [
        owner.id
    ]


async def _members(
    client: httpx.AsyncClient, account: Account, list_id: str
) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/lists/{list_id}/members", headers=account.headers)
    assert response.status_code == 200, response.text
    members: list[dict[str, Any]] = response.json()
    return members


async def test_a_path_that_is_not_a_uuid_is_422(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.get("/api/v1/lists/not-a-uuid", headers=account.headers)

    assert_validation_problem(response, "path", "list_id")


# --- the caller's role ------------------------------------------------------------------------
async def test_the_list_shows_the_caller_s_role(client: httpx.AsyncClient) -> None:
    owner, editor, viewer = [await new_account(client) for _ in range(3)]
    todo_list = await create_list(client, owner, "shared")
    await share(client, owner, todo_list["id"], editor, "editor")
    await share(client, owner, todo_list["id"], viewer, "viewer")

    for account, role in [(owner, "owner"), (editor, "editor"), (viewer, "viewer")]:
        read = await client.get(f"/api/v1/lists/{todo_list['id']}", headers=account.headers)
        listed = (await _lists(client, account))["items"]
        assert read.json()["role"] == role
        assert [(item["name"], item["role"]) for item in listed] == [
            ("Inbox", "owner"),
            ("shared", role),
        ]


# --- rename -----------------------------------------------------------------------------------
async def test_rename_trims_the_name_and_bumps_the_version(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo_list = await create_list(client, account, "before")

    response = await _rename(client, account, todo_list["id"], "  after  ")

    assert response.status_code == 200, response.text
    renamed = response.json()
    assert renamed["name"] == "after"
    assert renamed["version"] == 2
    assert renamed["role"] == "owner"
    assert renamed["created_at"] == todo_list["created_at"]
    assert renamed["updated_at"] >= todo_list["updated_at"]
    assert response.headers["etag"] == '"2"'
    read = await client.get(f"/api/v1/lists/{todo_list['id']}", headers=account.headers)
    assert read.json() == renamed


async def test_rename_to_the_same_name_keeps_the_version(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo_list = await create_list(client, account, "same")

    response = await _rename(client, account, todo_list["id"], " same ")

    assert response.status_code == 200
    assert response.json() == todo_list


@pytest.mark.parametrize("if_match", ['"1"', "*", '"7", "1"', ' "1" '])
async def test_rename_with_a_matching_if_match_applies(
    client: httpx.AsyncClient, if_match: str
) -> None:
    account = await new_account(client)
    todo_list = await create_list(client, account)

    response = await _rename(client, account, todo_list["id"], "new", **{"If-Match": if_match})

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "new"


@pytest.mark.parametrize("if_match", ['"1"', 'W/"2"', '"02"', "2", '"2", "3', '"3", "4"'])
async def test_rename_with_a_stale_or_foreign_if_match_is_412(
    client: httpx.AsyncClient, if_match: str
) -> None:
    account = await new_account(client)
    todo_list = await create_list(client, account, "first")
    await _rename(client, account, todo_list["id"], "second")  # now at version 2

    response = await _rename(client, account, todo_list["id"], "third", **{"If-Match": if_match})

    assert assert_problem(response, 412)["type"] == "urn:todo:problem:version-mismatch"
    read = await client.get(f"/api/v1/lists/{todo_list['id']}", headers=account.headers)
    assert (read.json()["name"], read.json()["version"]) == ("second", 2)


async def test_a_change_of_members_changes_the_etag(client: httpx.AsyncClient) -> None:
    """Sharing is a change of the list: an If-Match read before it is stale."""
    owner, member = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)
    await share(client, owner, todo_list["id"], member, "viewer")

    read = await client.get(f"/api/v1/lists/{todo_list['id']}", headers=owner.headers)
    stale = await _rename(client, owner, todo_list["id"], "late", **{"If-Match": '"1"'})

    assert read.headers["etag"] == '"2"'
    assert_problem(stale, 412)


async def test_the_inbox_cannot_be_renamed(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await _rename(client, account, account.id, "Elsewhere")

    assert assert_problem(response, 409)["type"] == "urn:todo:problem:conflict"
    inbox = await client.get(f"/api/v1/lists/{account.id}", headers=account.headers)
    assert inbox.json()["name"] == "Inbox"


@pytest.mark.parametrize("role", ["editor", "viewer"])
async def test_only_an_owner_renames_or_deletes(client: httpx.AsyncClient, role: str) -> None:
    owner, member = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner, "kept")
    await share(client, owner, todo_list["id"], member, role)

    assert_forbidden(await _rename(client, member, todo_list["id"], "taken"))
    assert_forbidden(
        await client.delete(f"/api/v1/lists/{todo_list['id']}", headers=member.headers)
    )

    read = await client.get(f"/api/v1/lists/{todo_list['id']}", headers=owner.headers)
    assert read.json()["name"] == "kept"


# --- delete -----------------------------------------------------------------------------------
async def test_delete_removes_the_list_and_its_todos(client: httpx.AsyncClient) -> None:
    owner, member = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)
    await share(client, owner, todo_list["id"], member, "editor")
    todos = [
        await create_todo(client, account, title=f"t{n}", list_id=todo_list["id"])
        for n, account in enumerate([owner, member])
    ]
    kept = await create_todo(client, owner, title="in the Inbox")

    response = await client.delete(f"/api/v1/lists/{todo_list['id']}", headers=owner.headers)

    assert response.status_code == 204
    assert response.content == b""
    for account in (owner, member):
        gone = await client.get(f"/api/v1/lists/{todo_list['id']}", headers=account.headers)
        assert_problem(gone, 404)
        for todo in todos:
            assert_problem(
                await client.get(f"/api/v1/todos/{todo['id']}", headers=account.headers), 404
            )
        listed = await client.get("/api/v1/todos", headers=account.headers)
        assert [todo["id"] for todo in listed.json()["items"]] == (
            [kept["id"]] if account is owner else []
        )
        assert [item["name"] for item in (await _lists(client, account))["items"]] == ["Inbox"]
    again = await client.delete(f"/api/v1/lists/{todo_list['id']}", headers=owner.headers)
    assert_problem(again, 404)


async def test_the_inbox_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account)

    response = await client.delete(f"/api/v1/lists/{account.id}", headers=account.headers)

    assert assert_problem(response, 409)["type"] == "urn:todo:problem:conflict"
    read = await client.get(f"/api/v1/todos/{todo['id']}", headers=account.headers)
    assert read.status_code == 200


# --- the listing ------------------------------------------------------------------------------
async def test_lists_come_by_name_then_id_in_keyset_pages(client: httpx.AsyncClient) -> None:
    owner, other = await new_account(client), await new_account(client)
    names = ["b", "a", "B", "é", "a", "c", "Z"]
    created = [await create_list(client, owner, name) for name in names]
    shared = await create_list(client, other, "m")
    await share(client, other, shared["id"], owner, "viewer")
    await create_list(client, other, "not shared")

    seen: list[dict[str, Any]] = []
    page = await _lists(client, owner, limit=3)
    while True:
        assert len(page["items"]) <= 3
        seen.extend(page["items"])
        if page["next_cursor"] is None:
            break
        page = await _lists(client, owner, limit=3, cursor=page["next_cursor"])

    expected = sorted(
        [(item["name"], item["id"]) for item in created]
        + [("Inbox", owner.id), ("m", shared["id"])]
    )
    assert [(item["name"], item["id"]) for item in seen] == expected
    assert len(seen) == 9


async def test_the_role_filter_keeps_the_lists_of_that_role(client: httpx.AsyncClient) -> None:
    caller, other = await new_account(client), await new_account(client)
    own = await create_list(client, caller, "own")
    lists = {role: await create_list(client, other, role) for role in ("owner", "editor", "viewer")}
    for role, todo_list in lists.items():
        await share(client, other, todo_list["id"], caller, role)

    by_role = {
        role: [item["name"] for item in (await _lists(client, caller, role=role))["items"]]
        for role in ("owner", "editor", "viewer")
    }

    assert by_role == {
        "owner": ["Inbox", "own", "owner"],
        "editor": ["editor"],
        "viewer": ["viewer"],
    }
    first = await _lists(client, caller, role="owner", limit=2)
    rest = await _lists(client, caller, role="owner", limit=2, cursor=first["next_cursor"])
    assert [item["name"] for item in first["items"] + rest["items"]] == ["Inbox", "own", "owner"]
    assert rest["next_cursor"] is None
    assert own["id"] in {item["id"] for item in first["items"]}


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "many"},
        {"role": "admin"},
        {"role": "Owner"},
        {"cursor": "not a cursor!"},
        {"cursor": "garbage"},
        {"cursor": "x" * 600},
    ],
)
async def test_invalid_listing_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    account = await new_account(client)

    response = await client.get("/api/v1/lists", params=params, headers=account.headers)

    (name,) = params
    assert_validation_problem(response, "query", name)


async def test_a_cursor_of_the_todo_listing_is_422(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    for n in range(2):
        await create_todo(client, account, title=f"t{n}")
    todo_page = await client.get("/api/v1/todos", params={"limit": 1}, headers=account.headers)
    cursor = todo_page.json()["next_cursor"]

    response = await client.get("/api/v1/lists", params={"cursor": cursor}, headers=account.headers)

    assert_validation_problem(response, "query", "cursor")


async def test_the_largest_limit_is_100(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    for n in range(3):
        await create_list(client, account, f"l{n}")

    page = await _lists(client, account, limit=100)

    assert len(page["items"]) == 4
    assert page["next_cursor"] is None
