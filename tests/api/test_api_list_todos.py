"""Todos in lists over HTTP: `list_id` on create, as a filter and as a move, each role's rights,
and the listing across every list of the caller, on every backend."""

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


async def _listed(client: httpx.AsyncClient, account: Account, **params: Any) -> list[str]:
    """The titles of every todo the listing gives `account`, page after page."""
    titles: list[str] = []
    page: dict[str, Any] = {"next_cursor": None}
    while True:
        cursor = {} if page["next_cursor"] is None else {"cursor": page["next_cursor"]}
        response = await client.get(
            "/api/v1/todos", params=params | cursor, headers=account.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        titles.extend(todo["title"] for todo in page["items"])
        if page["next_cursor"] is None:
            return titles


async def _patch(
    client: httpx.AsyncClient, account: Account, todo_id: str, **body: Any
) -> httpx.Response:
    return await client.patch(f"/api/v1/todos/{todo_id}", json=body, headers=account.headers)


async def test_a_todo_goes_to_the_inbox_unless_a_list_is_named(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)
    todo_list = await create_list(client, account)

    in_inbox = await create_todo(client, account, title="inbox")
    in_list = await create_todo(client, account, title="list", list_id=todo_list["id"])
    named_inbox = await create_todo(client, account, title="named", list_id=account.id)

    assert in_inbox["list_id"] == account.id
    assert in_list["list_id"] == todo_list["id"]
    assert named_inbox["list_id"] == account.id
    read = await client.get(f"/api/v1/todos/{in_list['id']}", headers=account.headers)
    assert read.json() == in_list


async def test_an_editor_creates_changes_and_deletes_todos_of_the_list(
    client: httpx.AsyncClient,
) -> None:
    owner, editor = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)
    await share(client, owner, todo_list["id"], editor, "editor")
    theirs = await create_todo(client, owner, title="the owner's", list_id=todo_list["id"])

    created = await create_todo(client, editor, title="the editor's", list_id=todo_list["id"])
    changed = await _patch(client, editor, theirs["id"], status="done")
    deleted = await client.delete(f"/api/v1/todos/{created['id']}", headers=editor.headers)

    assert created["list_id"] == todo_list["id"]
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "done"
    assert deleted.status_code == 204
    read = await client.get(f"/api/v1/todos/{theirs['id']}", headers=owner.headers)
    assert read.json()["status"] == "done"
    assert await _listed(client, owner, list_id=todo_list["id"]) == ["the owner's"]


async def test_a_viewer_reads_but_cannot_create_change_move_or_delete(
    client: httpx.AsyncClient,
) -> None:
    owner, viewer = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)
    await share(client, owner, todo_list["id"], viewer, "viewer")
    todo = await create_todo(client, owner, title="look only", tags=["x"], list_id=todo_list["id"])
    path = f"/api/v1/todos/{todo['id']}"

    created = await client.post(
        "/api/v1/todos", json={"title": "no", "list_id": todo_list["id"]}, headers=viewer.headers
    )
    assert_forbidden(created)
    assert_forbidden(await _patch(client, viewer, todo["id"], title="changed"))
    assert_forbidden(await _patch(client, viewer, todo["id"], list_id=viewer.id))  # a move out
    assert_forbidden(await client.delete(path, headers=viewer.headers))

    read = await client.get(path, headers=viewer.headers)
    assert read.status_code == 200
    assert read.json() == todo
    assert await _listed(client, viewer) == ["look only"]
    assert await _listed(client, viewer, list_id=todo_list["id"], tag="x") == ["look only"]


async def test_a_viewer_cannot_move_a_todo_into_the_list(client: httpx.AsyncClient) -> None:
    owner, viewer = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)
    await share(client, owner, todo_list["id"], viewer, "viewer")
    own = await create_todo(client, viewer, title="mine")

    response = await _patch(client, viewer, own["id"], list_id=todo_list["id"])

    assert_forbidden(response)
    read = await client.get(f"/api/v1/todos/{own['id']}", headers=viewer.headers)
    assert (read.json()["list_id"], read.json()["version"]) == (viewer.id, 1)


async def test_a_stranger_finds_no_list_and_no_todo_of_it(client: httpx.AsyncClient) -> None:
    owner, stranger = await new_account(client), await new_account(client)
    todo_list = await create_list(client, owner)
    todo = await create_todo(client, owner, list_id=todo_list["id"])
    own = await create_todo(client, stranger, title="the stranger's")
    missing_list, missing_todo = str(uuid4()), str(uuid4())

    pairs = [
        (
            await client.get(f"/api/v1/todos/{todo['id']}", headers=stranger.headers),
            await client.get(f"/api/v1/todos/{missing_todo}", headers=stranger.headers),
        ),
        (
            await _patch(client, stranger, todo["id"], title="mine"),
            await _patch(client, stranger, missing_todo, title="mine"),
        ),
        (
            await client.delete(f"/api/v1/todos/{todo['id']}", headers=stranger.headers),
            await client.delete(f"/api/v1/todos/{missing_todo}", headers=stranger.headers),
        ),
        (
            await client.get(
                "/api/v1/todos", params={"list_id": todo_list["id"]}, headers=stranger.headers
            ),
            await client.get(
                "/api/v1/todos", params={"list_id": missing_list}, headers=stranger.headers
            ),
        ),
        (
            await client.post(
                "/api/v1/todos",
                json={"title": "in", "list_id": todo_list["id"]},
                headers=stranger.headers,
            ),
            await client.post(
                "/api/v1/todos",
                json={"title": "in", "list_id": missing_list},
                headers=stranger.headers,
            ),
        ),
        (  # moving their own todo into the list
            await _patch(client, stranger, own["id"], list_id=todo_list["id"]),
            await _patch(client, stranger, own["id"], list_id=missing_list),
        ),
    ]

    for seen, absent in pairs:
        assert sans_request_id(assert_problem(seen, 404)) == sans_request_id(
            assert_problem(absent, 404)
        )
    read = await client.get(f"/api/v1/todos/{todo['id']}", headers=owner.headers)
    assert read.json() == todo
    mine = await client.get(f"/api/v1/todos/{own['id']}", headers=stranger.headers)
    assert (mine.json()["list_id"], mine.json()["version"]) == (stranger.id, 1)
    assert await _listed(client, owner, list_id=todo_list["id"]) == ["a todo"]


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("POST", {"title": "t", "list_id": "not-a-uuid"}),
        ("POST", {"title": "t", "list_id": 5}),
        ("PATCH", {"list_id": None}),
        ("PATCH", {"list_id": "inbox"}),
    ],
)
async def test_an_invalid_list_id_is_422(
    client: httpx.AsyncClient, method: str, body: dict[str, Any]
) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account)
    path = "/api/v1/todos" if method == "POST" else f"/api/v1/todos/{todo['id']}"

    response = await client.request(method, path, json=body, headers=account.headers)

    assert_validation_problem(response, "body", "list_id")


async def test_a_list_id_filter_that_is_not_a_uuid_is_422(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.get(
        "/api/v1/todos", params={"list_id": "inbox"}, headers=account.headers
    )

    assert_validation_problem(response, "query", "list_id")


# --- moves ------------------------------------------------------------------------------------
async def test_a_move_keeps_the_todo_and_bumps_its_version(client: httpx.AsyncClient) -> None:
    owner, editor = await new_account(client), await new_account(client)
    source = await create_list(client, owner, "source")
    target = await create_list(client, editor, "target")
    await share(client, owner, source["id"], editor, "editor")
    todo = await create_todo(
        client, owner, title="moving", tags=["b", "a"], priority="high", list_id=source["id"]
    )

    response = await _patch(client, editor, todo["id"], list_id=target["id"])

    assert response.status_code == 200, response.text
    moved = response.json()
    assert moved["list_id"] == target["id"]
    assert moved["version"] == todo["version"] + 1
    assert response.headers["etag"] == f'"{moved["version"]}"'
    unchanged = {"id", "title", "tags", "priority", "status", "due_date", "created_at"}
    assert {k: moved[k] for k in unchanged} == {k: todo[k] for k in unchanged}
    assert moved["tags"] == ["a", "b"]
    assert await _listed(client, editor, list_id=target["id"]) == ["moving"]
    assert await _listed(client, editor, list_id=source["id"]) == []
    assert await _listed(client, editor, list_id=target["id"], tag="a") == ["moving"]
    gone = await client.get(f"/api/v1/todos/{todo['id']}", headers=owner.headers)
    assert_problem(gone, 404)  # the owner of the source is no member of the target


async def test_a_move_with_other_changes_and_if_match_is_one_change(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)
    target = await create_list(client, account)
    todo = await create_todo(client, account, title="before")

    stale = await client.patch(
        f"/api/v1/todos/{todo['id']}",
        json={"list_id": target["id"], "title": "after"},
        headers=account.headers | {"If-Match": '"2"'},
    )
    moved = await client.patch(
        f"/api/v1/todos/{todo['id']}",
        json={"list_id": target["id"], "title": "after"},
        headers=account.headers | {"If-Match": '"1"'},
    )

    assert_problem(stale, 412)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["list_id"], moved.json()["title"], moved.json()["version"]) == (
        target["id"], "after", 2,
    )  # fmt: skip


async def test_a_move_to_the_list_it_is_in_changes_nothing(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account)

    response = await _patch(client, account, todo["id"], list_id=account.id)

    assert response.status_code == 200
    assert response.json() == todo


async def test_an_editor_cannot_move_into_a_list_they_only_view(
    client: httpx.AsyncClient,
) -> None:
    owner, member = await new_account(client), await new_account(client)
    editable = await create_list(client, owner, "editable")
    viewable = await create_list(client, owner, "viewable")
    await share(client, owner, editable["id"], member, "editor")
    await share(client, owner, viewable["id"], member, "viewer")
    todo = await create_todo(client, owner, title="stays", list_id=editable["id"])

    into_viewable = await _patch(client, member, todo["id"], list_id=viewable["id"])
    into_inbox = await _patch(client, member, todo["id"], list_id=member.id)

    assert_forbidden(into_viewable)
    assert into_inbox.status_code == 200  # editor of both: allowed
    assert await _listed(client, owner, list_id=editable["id"]) == []
    assert await _listed(client, member) == ["stays"]


# --- the listing across lists -------------------------------------------------------------------
async def test_the_listing_spans_every_list_of_the_caller_and_no_other(
    client: httpx.AsyncClient,
) -> None:
    ada, bob, cy = [await new_account(client) for _ in range(3)]
    family = await create_list(client, ada, "family")
    work = await create_list(client, bob, "work")
    await share(client, ada, family["id"], bob, "editor")
    await share(client, ada, family["id"], cy, "viewer")
    await share(client, bob, work["id"], cy, "editor")
    todos = [
        (ada, None, "ada inbox", "open", ["home"]),
        (ada, family["id"], "family 1", "open", ["home"]),
        (bob, family["id"], "family 2", "done", ["shop"]),
        (ada, family["id"], "family 3", "open", ["shop"]),
        (bob, None, "bob inbox", "open", ["shop"]),
        (bob, work["id"], "work 1", "open", ["home"]),
        (cy, work["id"], "work 2", "done", []),
        (cy, None, "cy inbox", "open", ["home"]),
    ]
    for account, list_id, title, status, tags in todos:
        todo = await create_todo(
            client, account, title=title, tags=tags, **({"list_id": list_id} if list_id else {})
        )
        if status == "done":
            assert (await _patch(client, account, todo["id"], status="done")).status_code == 200

    def visible(*titles: str) -> list[str]:
        """`titles` in the listing's default order: newest first."""
        order = [title for _, _, title, _, _ in reversed(todos)]
        return [title for title in order if title in titles]

    assert await _listed(client, ada, limit=2) == visible(
        "ada inbox", "family 1", "family 2", "family 3"
    )
    assert await _listed(client, bob, limit=2) == visible(
        "family 1", "family 2", "family 3", "bob inbox", "work 1", "work 2"
    )
    assert await _listed(client, cy, limit=2) == visible(
        "family 1", "family 2", "family 3", "work 1", "work 2", "cy inbox"
    )
    assert await _listed(client, cy, limit=1, tag="home") == visible(
        "family 1", "work 1", "cy inbox"
    )
    assert await _listed(client, cy, limit=1, status="done") == visible("family 2", "work 2")
    assert await _listed(client, cy, limit=2, list_id=family["id"], sort="created_at") == [
        "family 1", "family 2", "family 3",
    ]  # fmt: skip
    assert await _listed(client, bob, limit=1, list_id=work["id"], status="open") == ["work 1"]
    assert await _listed(client, cy, list_id=cy.id) == ["cy inbox"]
    assert await _listed(client, bob, limit=1, q="INBOX") == ["bob inbox"]
    for stranger, foreign in [(ada, work), (cy, {"id": ada.id}), (bob, {"id": cy.id})]:
        response = await client.get(
            "/api/v1/todos", params={"list_id": foreign["id"]}, headers=stranger.headers
        )
        assert_problem(response, 404)


async def test_a_cursor_keeps_its_place_across_lists(client: httpx.AsyncClient) -> None:
    owner, member = await new_account(client), await new_account(client)
    shared = await create_list(client, owner)
    await share(client, owner, shared["id"], member, "editor")
    for n in range(6):
        account, list_id = [(owner, shared["id"]), (member, member.id)][n % 2]
        await create_todo(client, account, title=f"t{n}", priority=["low", "high"][n // 3],
                          list_id=list_id)  # fmt: skip

    by_priority = await _listed(client, member, limit=2, sort="-priority")
    ascending = await _listed(client, member, limit=4, sort="priority")

    assert sorted(by_priority[:3]) == ["t3", "t4", "t5"]
    assert sorted(by_priority[3:]) == ["t0", "t1", "t2"]
    assert ascending == list(reversed(by_priority))
