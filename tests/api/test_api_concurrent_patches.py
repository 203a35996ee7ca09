"""PATCHes of one todo at the same time, without `If-Match`: each applies (last writer wins).

A 412 answers only a failed `If-Match`; without one, a compare-and-set lost to a concurrent
writer is the service's business, not the client's."""

import asyncio
from collections import Counter

import httpx

from .support import create_todo, new_account

WRITERS = 30


async def test_concurrent_patches_without_if_match_each_apply(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    todo = await create_todo(client, account, title="start")
    url = f"/api/v1/todos/{todo['id']}"

    responses = await asyncio.gather(
        *(
            client.patch(url, json={"title": f"writer {n}"}, headers=account.headers)
            for n in range(WRITERS)
        )
    )

    assert Counter(response.status_code for response in responses) == {200: WRITERS}
    versions = sorted(response.json()["version"] for response in responses)
    assert versions == list(range(2, WRITERS + 2))  # consecutive: every change counted once
    final = (await client.get(url, headers=account.headers)).json()
    [last] = [
        response.json() for response in responses if response.json()["version"] == final["version"]
    ]
    assert final == last
