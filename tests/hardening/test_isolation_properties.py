"""Property: whatever two users do (creates, reads, lists, changes, deletes, aimed at their own
todos or at the other's), no response shows the other's data and nothing of the other's
changes. Checked against a model of what each user owns."""

import asyncio
from dataclasses import dataclass, field

import httpx
from dependency_injector import providers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.conftest import cheap_hasher
from api.support import Account, new_account, settings_for
from todo_api import create_app

KINDS = ("create", "get", "list", "patch", "delete")
operations = st.lists(
    st.tuples(st.integers(0, 1), st.sampled_from(KINDS), st.integers(0, 50)),
    min_size=1,
    max_size=30,
)


@dataclass
class Model:
    owned: list[dict[str, str]] = field(default_factory=lambda: [{}, {}])  # id -> title
    every_id: list[str] = field(default_factory=list)


def _marker(user: int) -> str:
    return f"owned-by-user-{user}-"


async def _run(steps: list[tuple[int, str, int]]) -> None:
    app = create_app(settings_for("memory"))
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        users: list[Account] = [await new_account(http), await new_account(http)]
        model = Model()
        for number, (user, kind, pick) in enumerate(steps):
            mine, theirs = model.owned[user], model.owned[1 - user]
            headers = users[user].headers
            target = model.every_id[pick % len(model.every_id)] if model.every_id else None
            if kind == "create" or target is None:
                title = f"{_marker(user)}{number}"
                response = await http.post("/api/v1/todos", json={"title": title}, headers=headers)
                assert response.status_code == 201
                mine[response.json()["id"]] = title
                model.every_id.append(response.json()["id"])
            elif kind == "list":
                response = await http.get("/api/v1/todos?limit=100", headers=headers)
                assert {item["id"]: item["title"] for item in response.json()["items"]} == mine
            elif kind == "get":
                response = await http.get(f"/api/v1/todos/{target}", headers=headers)
                assert response.status_code == (200 if target in mine else 404)
            elif kind == "patch":
                title = f"{_marker(user)}{number}"
                response = await http.patch(
                    f"/api/v1/todos/{target}", json={"title": title}, headers=headers
                )
                assert response.status_code == (200 if target in mine else 404)
                if target in mine:
                    mine[target] = title
            else:
                response = await http.delete(f"/api/v1/todos/{target}", headers=headers)
                assert response.status_code == (204 if target in mine else 404)
                mine.pop(target, None)
            assert _marker(1 - user) not in response.text
            assert all(todo_id not in response.text for todo_id in theirs)

        for user, account in enumerate(users):
            listed = await http.get("/api/v1/todos?limit=100", headers=account.headers)
            titles = {item["id"]: item["title"] for item in listed.json()["items"]}
            assert titles == model.owned[user]


@given(steps=operations)
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_two_users_never_see_or_change_each_others_todos(
    steps: list[tuple[int, str, int]],
) -> None:
    asyncio.run(_run(steps))
