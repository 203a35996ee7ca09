"""The OpenAPI document lists every route, each with its error responses as problems."""

import re
from typing import Any, get_args

import httpx
import jsonschema_rs
import pytest
from fastapi.routing import APIRoute
from openapi_spec_validator import validate

from api.support import PASSWORD, new_account
from todo_api.routes import ROUTERS
from todo_api.schemas import SortName
from todo_domain import rules

PROBLEM = {"$ref": "#/components/schemas/Problem"}
VALIDATION_PROBLEM = {"$ref": "#/components/schemas/ValidationProblem"}

MEMBER = "/api/v1/lists/{list_id}/members/{user_id}"
EXPECTED_ERRORS = {
    ("POST", "/api/v1/users"): {400, 409, 413, 422, 500, 503},
    ("POST", "/api/v1/auth/token"): {400, 401, 413, 422, 429, 500, 503},
    ("POST", "/api/v1/auth/logout"): {401, 500, 503},
    ("GET", "/api/v1/users/me"): {401, 500, 503},
    ("PATCH", "/api/v1/users/me"): {400, 401, 412, 413, 422, 500, 503},
    ("DELETE", "/api/v1/users/me"): {400, 401, 413, 422, 429, 500, 503},
    ("POST", "/api/v1/users/me/password"): {400, 401, 413, 422, 429, 500, 503},
    ("POST", "/api/v1/todos"): {400, 401, 403, 404, 413, 422, 500, 503},
    ("GET", "/api/v1/todos"): {401, 404, 422, 500, 503},
    ("GET", "/api/v1/todos/{todo_id}"): {401, 404, 422, 500, 503},
    ("PATCH", "/api/v1/todos/{todo_id}"): {400, 401, 403, 404, 412, 413, 422, 500, 503},
    ("DELETE", "/api/v1/todos/{todo_id}"): {401, 403, 404, 422, 500, 503},
    ("POST", "/api/v1/lists"): {400, 401, 413, 422, 500, 503},
    ("GET", "/api/v1/lists"): {401, 422, 500, 503},
    ("GET", "/api/v1/lists/{list_id}"): {401, 404, 422, 500, 503},
    ("PATCH", "/api/v1/lists/{list_id}"): {400, 401, 403, 404, 409, 412, 413, 422, 500, 503},
    ("DELETE", "/api/v1/lists/{list_id}"): {401, 403, 404, 409, 422, 500, 503},
    ("GET", "/api/v1/lists/{list_id}/members"): {401, 404, 422, 500, 503},
    ("POST", "/api/v1/lists/{list_id}/members"): {400, 401, 403, 404, 409, 413, 422, 500, 503},
    ("PATCH", MEMBER): {400, 401, 403, 404, 409, 413, 422, 500, 503},
    ("DELETE", MEMBER): {401, 403, 404, 409, 422, 500, 503},
    ("GET", "/health/live"): {500},
    ("GET", "/health/ready"): {500, 503},
    ("GET", "/metrics"): {500},
}


OPERATION_IDS = {
    ("POST", "/api/v1/users"): "register_user",
    ("POST", "/api/v1/auth/token"): "issue_token",
    ("POST", "/api/v1/auth/logout"): "log_out",
    ("GET", "/api/v1/users/me"): "get_me",
    ("PATCH", "/api/v1/users/me"): "update_me",
    ("DELETE", "/api/v1/users/me"): "delete_me",
    ("POST", "/api/v1/users/me/password"): "change_password",
    ("POST", "/api/v1/todos"): "create_todo",
    ("GET", "/api/v1/todos"): "list_todos",
    ("GET", "/api/v1/todos/{todo_id}"): "get_todo",
    ("PATCH", "/api/v1/todos/{todo_id}"): "update_todo",
    ("DELETE", "/api/v1/todos/{todo_id}"): "delete_todo",
    ("POST", "/api/v1/lists"): "create_list",
    ("GET", "/api/v1/lists"): "list_lists",
    ("GET", "/api/v1/lists/{list_id}"): "get_list",
    ("PATCH", "/api/v1/lists/{list_id}"): "rename_list",
    ("DELETE", "/api/v1/lists/{list_id}"): "delete_list",
    ("GET", "/api/v1/lists/{list_id}/members"): "list_members",
    ("POST", "/api/v1/lists/{list_id}/members"): "add_member",
    ("PATCH", MEMBER): "change_member_role",
    ("DELETE", MEMBER): "remove_member",
    ("GET", "/health/live"): "check_live",
    ("GET", "/health/ready"): "check_ready",
    ("GET", "/metrics"): "get_metrics",
}


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_every_route_of_the_app_is_documented(memory_client: httpx.AsyncClient) -> None:
    document = await _document(memory_client)
    routes = {
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }

    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }

    assert routes == documented == set(EXPECTED_ERRORS)


async def test_every_route_documents_its_errors_as_problems(
    memory_client: httpx.AsyncClient,
) -> None:
    paths = (await _document(memory_client))["paths"]

    for (method, path), statuses in EXPECTED_ERRORS.items():
        responses = paths[path][method.lower()]["responses"]
        errors = {int(status) for status in responses if int(status) >= 400}
        assert errors == statuses, (method, path)
        for status in statuses:
            content = responses[str(status)]["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)
            expected = VALIDATION_PROBLEM if status == 422 else PROBLEM
            assert content["application/problem+json"]["schema"] == expected


async def test_the_problem_schemas_have_the_rfc_9457_members(
    memory_client: httpx.AsyncClient,
) -> None:
    schemas = (await _document(memory_client))["components"]["schemas"]

    assert set(schemas["Problem"]["properties"]) == {
        "type", "title", "status", "detail", "request_id",
    }  # fmt: skip
    assert set(schemas["ValidationProblem"]["properties"]) == {
        "type", "title", "status", "detail", "request_id", "errors",
    }  # fmt: skip


async def test_the_todo_routes_declare_bearer_security(memory_client: httpx.AsyncClient) -> None:
    document = await _document(memory_client)

    assert document["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"] == {
        "password": {"scopes": {}, "tokenUrl": "/api/v1/auth/token"}
    }
    assert document["paths"]["/api/v1/todos"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]


async def test_the_docs_page_is_served(memory_client: httpx.AsyncClient) -> None:
    response = await memory_client.get("/docs")

    assert response.status_code == 200
    assert "swagger" in response.text.lower()


def _patterns(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [pattern for value in node.values() for pattern in _patterns(value)]
    if isinstance(node, list):
        return [pattern for value in node for pattern in _patterns(value)]
    return []


async def test_every_pattern_is_one_a_json_schema_validator_enforces(
    memory_client: httpx.AsyncClient,
) -> None:
    """A validator drops a pattern its regular expressions cannot read (one naming a surrogate,
    say), and the document would then promise that anything goes."""
    patterns = _patterns(await _document(memory_client))

    assert len(patterns) >= 5
    for pattern in patterns:
        validator = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
        assert not validator.is_valid("\x00"), pattern
        re.compile(pattern)


async def test_the_documented_rules_are_the_domain_s(memory_client: httpx.AsyncClient) -> None:
    schemas = (await _document(memory_client))["components"]["schemas"]
    create = schemas["TodoCreate"]["properties"]
    update = schemas["TodoUpdate"]["properties"]
    user = schemas["UserCreate"]["properties"]

    assert create["tags"]["maxItems"] == rules.TAGS_MAX
    assert create["tags"]["items"]["maxLength"] == rules.TAG_MAX
    assert create["title"]["maxLength"] == rules.TITLE_MAX
    assert not re.search(create["title"]["pattern"], " \t\u3000")
    assert re.search(create["title"]["pattern"], " a ")
    assert re.search(user["email"]["pattern"], " Ada@Example.com ")
    assert not re.search(user["email"]["pattern"], "ada@example")
    for name in ("title", "description", "status", "priority", "tags", "list_id"):
        assert "anyOf" not in update[name], name  # null is refused
        assert "default" not in update[name], name
    assert {"type": "null"} in update["due_date"]["anyOf"]  # null clears the due date
    for model in ("ListCreate", "ListPatch"):
        name = schemas[model]["properties"]["name"]
        assert name["maxLength"] == rules.LIST_NAME_MAX
        assert not re.search(name["pattern"], " \t\u3000")
        assert re.search(name["pattern"], " Groceries ")
    roles = ["owner", "editor", "viewer"]
    assert schemas["MemberAdd"]["properties"]["role"]["enum"] == roles
    assert schemas["MemberPatch"]["properties"]["role"]["enum"] == roles
    assert schemas["ListOut"]["properties"]["role"]["enum"] == roles


async def test_the_account_bodies_state_the_rules_of_registration(
    memory_client: httpx.AsyncClient,
) -> None:
    schemas = (await _document(memory_client))["components"]["schemas"]
    patch, change = schemas["UserPatch"], schemas["PasswordChange"]
    deletion = schemas["AccountDeletion"]

    assert patch["required"] == ["display_name"]  # null clears it, absent is refused
    name = patch["properties"]["display_name"]["anyOf"]
    assert {"type": "null"} in name
    assert [branch["maxLength"] for branch in name if "maxLength" in branch] == [
        rules.DISPLAY_NAME_MAX
    ]
    new = change["properties"]["new_password"]
    assert (new["minLength"], new["maxLength"]) == (rules.PASSWORD_MIN, rules.PASSWORD_MAX)
    assert sorted(change["required"]) == ["current_password", "new_password"]
    assert deletion["required"] == ["password"]
    for model in (patch, change, deletion):
        assert model["additionalProperties"] is False


async def test_the_document_is_valid_openapi(memory_client: httpx.AsyncClient) -> None:
    validate(await _document(memory_client))


async def test_operations_are_named_for_a_generated_client(
    memory_client: httpx.AsyncClient,
) -> None:
    paths = (await _document(memory_client))["paths"]

    named = {
        (method.upper(), path): operation["operationId"]
        for path, operations in paths.items()
        for method, operation in operations.items()
    }
    assert named == OPERATION_IDS


def _headers(document: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    response = document["paths"][path][method.lower()]["responses"][str(status)]
    headers: dict[str, Any] = response.get("headers", {})
    return headers


async def test_the_headers_the_service_sends_are_declared(
    memory_client: httpx.AsyncClient,
) -> None:
    document = await _document(memory_client)
    for collection, item in [("/api/v1/todos", "/api/v1/todos/{todo_id}"),
                             ("/api/v1/lists", "/api/v1/lists/{list_id}")]:  # fmt: skip
        for method, path, status in [("POST", collection, 201), ("GET", item, 200),
                                     ("PATCH", item, 200)]:  # fmt: skip
            assert _headers(document, method, path, status)["ETag"]["required"], (method, path)
        assert _headers(document, "POST", collection, 201)["Location"]["required"]
        assert "ETag" not in _headers(document, "GET", collection, 200)
    for method in ("GET", "PATCH"):
        assert _headers(document, method, "/api/v1/users/me", 200)["ETag"]["required"], method
    assert "Location" not in _headers(document, "POST", "/api/v1/lists/{list_id}/members", 201)
    assert "Location" not in _headers(document, "POST", "/api/v1/users", 201)
    for method, path in [("POST", "/api/v1/auth/token"), ("POST", "/api/v1/users/me/password"),
                         ("DELETE", "/api/v1/users/me")]:  # fmt: skip
        assert _headers(document, method, path, 429)["Retry-After"]["required"], path
    for (method, path), statuses in EXPECTED_ERRORS.items():
        for status in statuses | {200}:
            headers = _headers(document, method, path, status) if status in statuses else {}
            if status == 503:
                assert headers["Retry-After"]["schema"]["type"] == "integer", (method, path)
            if status == 413:
                assert "Retry-After" not in headers  # the body is too large, not the load
        for status in document["paths"][path][method.lower()]["responses"]:
            assert "X-Request-ID" in _headers(document, method, path, int(status))


async def test_the_declared_headers_are_sent(memory_client: httpx.AsyncClient) -> None:
    document = await _document(memory_client)
    account = await new_account(memory_client)

    created = await memory_client.post(
        "/api/v1/todos", json={"title": "t"}, headers=account.headers
    )

    declared = _headers(document, "POST", "/api/v1/todos", 201)
    assert {"ETag", "Location", "X-Request-ID"} <= set(declared)
    for name in declared:
        assert name in created.headers, name


@pytest.mark.parametrize(
    "path", ["/api/v1/todos/{todo_id}", "/api/v1/lists/{list_id}", "/api/v1/users/me"]
)
async def test_if_match_is_an_optional_string_header(
    memory_client: httpx.AsyncClient, path: str
) -> None:
    patch = (await _document(memory_client))["paths"][path]["patch"]

    (if_match,) = [p for p in patch["parameters"] if p["in"] == "header"]
    assert if_match["name"].lower() == "if-match"
    assert not if_match["required"]
    assert if_match["schema"]["type"] == "string"
    assert "anyOf" not in if_match["schema"]
    assert "ETag" in if_match["description"]


async def test_no_parameter_offers_null(memory_client: httpx.AsyncClient) -> None:
    """A query or a header has no JSON null; a generated client would offer `None`."""
    paths = (await _document(memory_client))["paths"]

    for operations in paths.values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                assert "anyOf" not in parameter["schema"], parameter["name"]


async def test_the_sort_orders_have_names(memory_client: httpx.AsyncClient) -> None:
    listing = (await _document(memory_client))["paths"]["/api/v1/todos"]["get"]

    (sort,) = [p["schema"] for p in listing["parameters"] if p["name"] == "sort"]
    names = dict(zip(sort["enum"], sort["x-enum-varnames"], strict=True))
    assert list(names) == list(get_args(SortName))
    assert names["-created_at"] == "CREATED_AT_DESC"
    assert all(re.fullmatch("[A-Z][A-Z_]*", name) for name in names.values())


async def test_an_empty_grant_type_is_documented_as_it_is_accepted(
    memory_client: httpx.AsyncClient,
) -> None:
    """An empty form field is an absent one: the document must not call it invalid."""
    schemas = (await _document(memory_client))["components"]["schemas"]
    (pattern,) = _patterns(schemas["Body_issue_token"]["properties"]["grant_type"])
    account = await new_account(memory_client)
    form = {"username": account.email, "password": PASSWORD}

    for value, status in [("", 200), ("password", 200), ("client_credentials", 422)]:
        response = await memory_client.post("/api/v1/auth/token", data=form | {"grant_type": value})
        assert response.status_code == status, value
        assert (re.search(pattern, value) is not None) == (status == 200), value
