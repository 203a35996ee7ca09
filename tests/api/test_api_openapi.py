"""The OpenAPI document lists every route, each with its error responses as problems."""

import re
from typing import Any

import httpx
import jsonschema_rs
from fastapi.routing import APIRoute

from todo_api.routes import ROUTERS
from todo_domain import rules

PROBLEM = {"$ref": "#/components/schemas/Problem"}
VALIDATION_PROBLEM = {"$ref": "#/components/schemas/ValidationProblem"}

EXPECTED_ERRORS = {
    ("POST", "/api/v1/users"): {400, 409, 413, 422, 500, 503},
    ("POST", "/api/v1/auth/token"): {400, 401, 413, 422, 429, 500, 503},
    ("GET", "/api/v1/users/me"): {401, 500, 503},
    ("POST", "/api/v1/todos"): {400, 401, 413, 422, 500, 503},
    ("GET", "/api/v1/todos"): {401, 422, 500, 503},
    ("GET", "/api/v1/todos/{todo_id}"): {401, 404, 422, 500, 503},
    ("PATCH", "/api/v1/todos/{todo_id}"): {400, 401, 404, 412, 413, 422, 500, 503},
    ("DELETE", "/api/v1/todos/{todo_id}"): {401, 404, 422, 500, 503},
    ("GET", "/health/live"): {500},
    ("GET", "/health/ready"): {500, 503},
    ("GET", "/metrics"): {500},
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
    for name in ("title", "description", "status", "priority", "tags"):
        assert "anyOf" not in update[name], name  # null is refused
        assert "default" not in update[name], name
    assert {"type": "null"} in update["due_date"]["anyOf"]  # null clears the due date
