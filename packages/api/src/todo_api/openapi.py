"""The OpenAPI document, with error responses declared as `application/problem+json`."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from todo_api.problems import PROBLEM_JSON


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
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_JSON] = content.pop("application/json")
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    )


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for path in schema.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict)
    ]
