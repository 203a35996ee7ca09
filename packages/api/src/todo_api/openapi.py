"""The OpenAPI document: error responses declared as `application/problem+json`, the headers
the service sends and reads, and names that read well in a generated client."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from todo_api.problems import PROBLEM_JSON
from todo_api.request_id import REQUEST_ID_HEADER

OPENAPI_URL = "/openapi.json"
ETAG = {
    "ETag": {
        "description": "The version of the todo, list or user, for `If-Match`",
        "required": True,
        "schema": {"type": "string"},
    }
}
LOCATION = {
    "Location": {
        "description": "The path of the created resource",
        "required": True,
        "schema": {"type": "string"},
    }
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}
_REQUEST_ID = {
    REQUEST_ID_HEADER: {
        "description": "The caller's `X-Request-ID` when short and plain, else one made for it",
        "schema": {"type": "string"},
    }
}


def operation_id(route: APIRoute) -> str:
    """The route's name (its function's, unless given): `create_todo`, not FastAPI's
    `create_todo_api_v1_todos_post`. Also names the models FastAPI makes for form bodies."""
    return route.name


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for operation in _operations(schema):
                if "requestBody" in operation:
                    _document_unreadable_body(operation)
                if operation.get("tags") != ["operations"]:
                    _document_storage_unavailable(operation)
                for parameter in operation.get("parameters", []):
                    _drop_null(parameter)
                for status, response in operation.get("responses", {}).items():
                    _document_response_headers(int(status), response)
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_JSON] = content.pop("application/json")
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    # The app is built with `openapi_url=None`: FastAPI's own route to the document is not
    # recorded as the request's route (the access log and the metrics would call it
    # `<unmatched>`); this one is an ordinary route of the app.
    app.openapi_url = OPENAPI_URL

    @app.get(OPENAPI_URL, include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(openapi())


def _document_unreadable_body(operation: dict[str, Any]) -> None:
    """A body that cannot even be decoded (JSON that is not UTF-8, a broken form) is a 400
    before validation starts (found by fuzzing: it was undocumented)."""
    operation.setdefault("responses", {}).setdefault(
        "400",
        {
            "description": "The body cannot be decoded",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    )


def _document_storage_unavailable(operation: dict[str, Any]) -> None:
    """Every API operation reads or writes the storage: 503 (with `Retry-After`) while the
    storage cannot be reached (or, for a password check, while too many are under way)."""
    operation.setdefault("responses", {}).setdefault(
        "503",
        {
            "description": "The storage cannot be reached; retry after `Retry-After` seconds",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    )


def _document_response_headers(status: int, response: dict[str, Any]) -> None:
    """Every 503 the service sends (storage unreachable or busy, overloaded, shutting down)
    says when to retry; every response carries the request's id."""
    headers = response.setdefault("headers", {})
    if status == 503:
        headers.update(RETRY_AFTER)
    headers.update(_REQUEST_ID)


def _drop_null(parameter: dict[str, Any]) -> None:
    """An optional parameter is absent or a string: a query or a header cannot carry JSON's
    null, which FastAPI's schema of `X | None = None` offers."""
    schema = parameter.get("schema", {})
    branches = schema.get("anyOf")
    if parameter.get("required") or branches is None or {"type": "null"} not in branches:
        return
    rest = [branch for branch in branches if branch != {"type": "null"}]
    if len(rest) == 1:
        del schema["anyOf"]
        schema.update(rest[0])


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for path in schema.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict)
    ]
