"""A user only ever sees their own todos: another user's todo is a 404, as a missing one."""

from uuid import uuid4

import httpx

from .support import assert_problem, create_todo, new_account, sans_request_id


async def test_a_second_user_can_neither_see_nor_change_the_first_users_todos(
    client: httpx.AsyncClient,
) -> None:
    owner = await new_account(client)
    intruder = await new_account(client)
    todo = await create_todo(client, owner, title="mine", tags=["secret"])
    url = f"/api/v1/todos/{todo['id']}"

    listed = await client.get("/api/v1/todos", headers=intruder.headers)
    filtered = await client.get("/api/v1/todos?tag=secret&q=mine", headers=intruder.headers)
    fetched = await client.get(url, headers=intruder.headers)
    patched = await client.patch(url, json={"title": "yours"}, headers=intruder.headers)
    conditional = await client.patch(
        url, json={"title": "yours"}, headers={**intruder.headers, "If-Match": '"1"'}
    )
    deleted = await client.delete(url, headers=intruder.headers)

    assert listed.json() == {"items": [], "next_cursor": None}
    assert filtered.json() == {"items": [], "next_cursor": None}
    missing = await client.get(f"/api/v1/todos/{uuid4()}", headers=intruder.headers)
    for response in (fetched, patched, conditional, deleted):
        assert sans_request_id(assert_problem(response, 404)) == sans_request_id(missing.json())
    still = await client.get(url, headers=owner.headers)
    assert still.json() == todo
    assert (await client.get("/api/v1/todos", headers=owner.headers)).json()["items"] == [todo]
