"""A model of three users sharing lists, and the steps that drive the API against it.

Each step is one request; the model predicts its status from who is a member of which list in
which role at that moment, and then no response may name a list or a todo its caller cannot
see (a list they are no member of, or a todo in one). Users also log out, change their
password and delete their account (then register again with the same e-mail); every token
that ended so is kept, and a `revoked` step sends any request with one: 401, and nothing
changes (the later steps would see it). Used by the property test on the memory adapter and
by the seeded runs against a two-worker PostgreSQL server.
"""

from dataclasses import dataclass, field
from uuid import uuid4

import httpx

from api.support import (
    PASSWORD,
    Account,
    bearer,
    change_password,
    delete_account,
    log_out,
    login,
    new_account,
    register,
)

USERS = 3
ROLES = ("owner", "editor", "viewer")
# Steps that end tokens; each costs the server password hashes (a login after it, too).
ACCOUNT_KINDS = ("log_out", "change_password", "delete_account")
KINDS = (
    "create",
    "get",
    "list",
    "patch",
    "delete",
    "move",
    "new_list",
    "share",
    "change_role",
    "remove_member",
    "delete_list",
    "get_list",
    "lists",
    "revoked",
    *ACCOUNT_KINDS,
)
Step = tuple[int, str, int, int, int]  # (user, kind, pick, other pick, role pick)
_EDITING = {"owner", "editor"}


@dataclass
class SharedList:
    members: dict[int, str]  # user -> role
    inbox: bool = False


@dataclass
class Model:
    accounts: list[Account]
    lists: dict[str, SharedList] = field(default_factory=dict)
    todos: dict[str, str] = field(default_factory=dict)  # todo id -> list id
    every_list: list[str] = field(default_factory=list)  # deleted ones too
    every_todo: list[str] = field(default_factory=list)  # deleted ones too
    passwords: list[str] = field(default_factory=list)  # user -> their password now
    revoked: list[dict[str, str]] = field(default_factory=list)  # headers of ended tokens

    @classmethod
    def of(cls, accounts: list[Account]) -> "Model":
        model = cls(accounts, passwords=[PASSWORD] * len(accounts))
        for user, account in enumerate(accounts):
            model.add_inbox(user, account)
        return model

    def add_inbox(self, user: int, account: Account) -> None:
        self.lists[account.id] = SharedList({user: "owner"}, inbox=True)  # id = user id
        self.every_list.append(account.id)

    def delete_list(self, list_id: str) -> None:
        del self.lists[list_id]
        self.todos = {t: i for t, i in self.todos.items() if i != list_id}

    def delete_account(self, user: int) -> None:
        """The lists the user alone owns go (their todos with them); they leave the rest."""
        for list_id, shared in list(self.lists.items()):
            role = shared.members.get(user)
            owners = [member for member, r in shared.members.items() if r == "owner"]
            if role == "owner" and owners == [user]:
                self.delete_list(list_id)
            elif role is not None:
                del shared.members[user]

    def role(self, user: int, list_id: str) -> str | None:
        shared = self.lists.get(list_id)
        return None if shared is None else shared.members.get(user)

    def visible_todos(self, user: int) -> set[str]:
        return {t for t, list_id in self.todos.items() if self.role(user, list_id) is not None}

    def visible_lists(self, user: int) -> set[str]:
        return {list_id for list_id in self.lists if self.role(user, list_id) is not None}

    def hidden_ids(self, user: int) -> set[str]:
        hidden_lists = set(self.every_list) - self.visible_lists(user)
        hidden_lists -= {account.id for account in self.accounts}  # user ids are public
        return hidden_lists | (set(self.every_todo) - self.visible_todos(user))


def _pick(items: list[str], pick: int) -> str | None:
    return items[pick % len(items)] if items else None


def _gate(role: str | None, allowed: set[str]) -> int | None:
    """The status when `role` may not act (404 for a non-member, 403 for too weak a role)."""
    if role is None:
        return 404
    return None if role in allowed else 403


async def run_step(
    http: httpx.AsyncClient, model: Model, number: int, step: Step
) -> httpx.Response:
    user, kind, pick, other, role_pick = step
    account = model.accounts[user]
    headers = account.headers
    todo = _pick(model.every_todo, pick)
    target_list = _pick(model.every_list, other if kind == "move" else pick)
    role_name = ROLES[role_pick % len(ROLES)]
    member = other % USERS
    if kind == "create" or (todo is None and kind in {"get", "patch", "delete", "move"}):
        body: dict[str, object] = {"title": f"todo {number}"}
        list_id = account.id if pick % 3 == 0 or target_list is None else target_list
        body["list_id"] = list_id
        response = await http.post("/api/v1/todos", json=body, headers=headers)
        expected = _gate(model.role(user, list_id), _EDITING) or 201
        _expect(response, expected)
        if expected == 201:
            model.todos[response.json()["id"]] = list_id
            model.every_todo.append(response.json()["id"])
        return response
    if kind in {"get", "patch", "delete", "move"}:
        assert todo is not None
        return await _todo_step(http, model, user, kind, todo, target_list, number)
    if kind == "list":
        response = await http.get("/api/v1/todos", params={"limit": 100}, headers=headers)
        _expect(response, 200)
        assert {item["id"] for item in response.json()["items"]} == model.visible_todos(user)
        return response
    if kind == "lists":
        response = await http.get("/api/v1/lists", params={"limit": 100}, headers=headers)
        _expect(response, 200)
        listed = {item["id"]: item["role"] for item in response.json()["items"]}
        assert listed == {i: model.role(user, i) for i in model.visible_lists(user)}
        return response
    if kind == "new_list":
        response = await http.post("/api/v1/lists", json={"name": f"l{number}"}, headers=headers)
        _expect(response, 201)
        model.lists[response.json()["id"]] = SharedList({user: "owner"})
        model.every_list.append(response.json()["id"])
        return response
    if kind in {"log_out", "change_password", "delete_account"}:
        return await _session_step(http, model, user, kind, number)
    if kind == "revoked":
        return await _revoked_step(http, model, user, pick, other)
    assert target_list is not None
    return await _list_step(http, model, user, kind, target_list, member, role_name)


async def _todo_step(
    http: httpx.AsyncClient,
    model: Model,
    user: int,
    kind: str,
    todo: str,
    target_list: str | None,
    number: int,
) -> httpx.Response:
    headers = model.accounts[user].headers
    url = f"/api/v1/todos/{todo}"
    role = model.role(user, model.todos[todo]) if todo in model.todos else None
    if kind == "get":
        response = await http.get(url, headers=headers)
        _expect(response, 404 if role is None else 200)
        return response
    if kind == "patch":
        response = await http.patch(url, json={"title": f"patched {number}"}, headers=headers)
        _expect(response, _gate(role, _EDITING) or 200)
        return response
    if kind == "delete":
        response = await http.delete(url, headers=headers)
        expected = _gate(role, _EDITING) or 204
        _expect(response, expected)
        if expected == 204:
            del model.todos[todo]
        return response
    assert target_list is not None
    response = await http.patch(url, json={"list_id": target_list}, headers=headers)
    refused = _gate(role, _EDITING)
    if refused is None and target_list != model.todos[todo]:
        refused = _gate(model.role(user, target_list), _EDITING)
    _expect(response, refused or 200)
    if refused is None:
        model.todos[todo] = target_list
    return response


async def _list_step(
    http: httpx.AsyncClient,
    model: Model,
    user: int,
    kind: str,
    list_id: str,
    member: int,
    role_name: str,
) -> httpx.Response:
    headers = model.accounts[user].headers
    url = f"/api/v1/lists/{list_id}"
    role = model.role(user, list_id)
    shared = model.lists.get(list_id)
    if kind == "get_list":
        response = await http.get(url, headers=headers)
        _expect(response, 404 if role is None else 200)
        return response
    if kind == "delete_list":
        response = await http.delete(url, headers=headers)
        expected = _gate(role, {"owner"}) or (409 if shared and shared.inbox else 204)
        _expect(response, expected)
        if expected == 204:
            del model.lists[list_id]
            model.todos = {t: i for t, i in model.todos.items() if i != list_id}
        return response
    assert kind in {"share", "change_role", "remove_member"}
    member_id = model.accounts[member].id
    if kind == "share":
        body = {"email": model.accounts[member].email, "role": role_name}
        response = await http.post(f"{url}/members", json=body, headers=headers)
        refused = _gate(role, {"owner"})
        if refused is None:
            assert shared is not None
            refused = 409 if shared.inbox or member in shared.members else None
        _expect(response, refused or 201)
        if refused is None:
            assert shared is not None
            shared.members[member] = role_name
        return response
    leaving = kind == "remove_member" and member == user
    refused = _gate(role, {"owner", "editor", "viewer"} if leaving else {"owner"})
    if refused is None:
        assert shared is not None
        current = shared.members.get(member)
        owners = sum(1 for r in shared.members.values() if r == "owner")
        if current is None:
            refused = 404
        elif kind == "change_role" and current == role_name:
            refused = None  # nothing changes
        elif current == "owner" and owners <= 1:
            refused = 409
    if kind == "change_role":
        response = await http.patch(
            f"{url}/members/{member_id}", json={"role": role_name}, headers=headers
        )
        _expect(response, refused or 200)
        if refused is None:
            assert shared is not None
            shared.members[member] = role_name
        return response
    response = await http.delete(f"{url}/members/{member_id}", headers=headers)
    _expect(response, refused or 204)
    if refused is None:
        assert shared is not None
        del shared.members[member]
    return response


async def _session_step(
    http: httpx.AsyncClient, model: Model, user: int, kind: str, number: int
) -> httpx.Response:
    """Ends the user's token (for a password change or a deletion every token of theirs: the
    others ended before), then logs them in again; after a deletion as a new account with
    the same e-mail."""
    account = model.accounts[user]
    password = model.passwords[user]
    if kind == "log_out":
        response = await log_out(http, account.headers)
    elif kind == "change_password":
        password = f"password {number}"
        response = await change_password(http, account.headers, model.passwords[user], password)
    else:
        response = await delete_account(http, account.headers, password)
    _expect(response, 204)
    model.revoked.append(account.headers)
    if kind == "delete_account":
        model.delete_account(user)
        _expect(await register(http, account.email, password), 201)
    logged_in = await login(http, account.email, password)
    _expect(logged_in, 200)
    fresh = bearer(logged_in.json()["access_token"])
    me = await http.get("/api/v1/users/me", headers=fresh)
    _expect(me, 200)
    model.passwords[user] = password
    model.accounts[user] = Account(account.email, me.json()["id"], fresh)
    if kind == "delete_account":
        model.add_inbox(user, model.accounts[user])
    return response


def _revoked_requests(todo: str, list_id: str, email: str) -> list[tuple[str, str, object]]:
    """Every kind of request, reads and writes, aimed at things that exist (or did)."""
    return [
        ("GET", "/api/v1/todos", None),
        ("GET", f"/api/v1/todos/{todo}", None),
        ("PATCH", f"/api/v1/todos/{todo}", {"title": "by a revoked token"}),
        ("DELETE", f"/api/v1/todos/{todo}", None),
        ("POST", "/api/v1/todos", {"title": "by a revoked token", "list_id": list_id}),
        ("GET", "/api/v1/lists", None),
        ("GET", f"/api/v1/lists/{list_id}", None),
        ("POST", "/api/v1/lists", {"name": "by a revoked token"}),
        ("PATCH", f"/api/v1/lists/{list_id}", {"name": "by a revoked token"}),
        ("DELETE", f"/api/v1/lists/{list_id}", None),
        ("GET", f"/api/v1/lists/{list_id}/members", None),
        ("POST", f"/api/v1/lists/{list_id}/members", {"email": email, "role": "owner"}),
        ("GET", "/api/v1/users/me", None),
        ("PATCH", "/api/v1/users/me", {"display_name": "by a revoked token"}),
        ("POST", "/api/v1/auth/logout", None),
        ("POST", "/api/v1/users/me/password", {"current_password": "x", "new_password": "y" * 8}),
        ("DELETE", "/api/v1/users/me", {"password": PASSWORD}),
    ]


async def _revoked_step(
    http: httpx.AsyncClient, model: Model, user: int, pick: int, other: int
) -> httpx.Response:
    """A request with a token that ended: 401 (as an invalid token), and the model stays as
    it is: a read tells nothing, a write changes nothing."""
    if not model.revoked:
        return await run_step(http, model, 0, (user, "lists", 0, 0, 0))
    headers = model.revoked[pick % len(model.revoked)]
    todo = _pick(model.every_todo, pick) or str(uuid4())
    list_id = _pick(model.every_list, other) or str(uuid4())
    requests = _revoked_requests(todo, list_id, model.accounts[user].email)
    method, url, body = requests[(pick + other) % len(requests)]
    response = await http.request(method, url, json=body, headers=headers)
    _expect(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    return response


def _expect(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (
        response.request.method,
        response.request.url,
        response.status_code,
        response.text,
    )


def assert_hides(model: Model, user: int, response: httpx.Response) -> None:
    """No id of a list or todo the user cannot see now appears in the response."""
    for hidden in model.hidden_ids(user):
        assert hidden not in response.text, (hidden, response.request.url, response.text)


async def run(http: httpx.AsyncClient, sequence: list[Step]) -> None:
    """Three new accounts run `sequence`, each response checked against the model."""
    model = Model.of([await new_account(http) for _ in range(USERS)])
    for number, step in enumerate(sequence):
        response = await run_step(http, model, number, step)
        assert_hides(model, step[0], response)
    for user in range(USERS):  # and at the end, everyone's view once more
        assert_hides(
            model, user, await run_step(http, model, len(sequence), (user, "list", 0, 0, 0))
        )
        assert_hides(
            model, user, await run_step(http, model, len(sequence), (user, "lists", 0, 0, 0))
        )
