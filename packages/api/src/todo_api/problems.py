"""RFC 9457 problem details: the one shape of every error response, and the handlers that
translate domain errors, HTTP errors and validation errors into it."""

import math
from collections.abc import Mapping, Sequence
from datetime import timedelta
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from todo_api.request_id import REQUEST_ID_HEADER, current_request_id
from todo_domain import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Overloaded,
    StorageBusy,
    StorageUnavailable,
    TooManyAttempts,
    VersionConflict,
)

PROBLEM_JSON = "application/problem+json"
VALIDATION_TYPE = "urn:todo:problem:validation"
CONFLICT_TYPE = "urn:todo:problem:conflict"
FORBIDDEN_TYPE = "urn:todo:problem:forbidden"
FORBIDDEN = "Your role in this list does not allow this action."
VERSION_MISMATCH_TYPE = "urn:todo:problem:version-mismatch"
VERSION_MISMATCH = "The resource has changed since the version in If-Match; fetch it again."
UNAVAILABLE_TYPE = "urn:todo:problem:storage-unavailable"
UNAVAILABLE = "The storage cannot be reached right now; try again shortly."
BUSY = "The storage is too busy to answer right now; try again shortly."
SHUTTING_DOWN_TYPE = "urn:todo:problem:shutting-down"
SHUTTING_DOWN = "The service is shutting down and did not finish this request; try again."
RETRY_AFTER_SECONDS = 2
OVERLOADED_TYPE = "urn:todo:problem:overloaded"
OVERLOADED = "Too many passwords are being checked right now; try again shortly."
TOO_MANY_ATTEMPTS_TYPE = "urn:todo:problem:too-many-attempts"
ERRORS_LISTED = 20
BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
INVALID_TOKEN_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description="Where: `body`, `query`, `path` or `header`, then names"
    )
    msg: str


class Problem(BaseModel):
    """An error (RFC 9457)."""

    type: str = Field(default="about:blank", description="Identifies the kind of problem")
    title: str = Field(description="Short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong this time")
    request_id: str | None = Field(
        default=None,
        description="The request's `X-Request-ID` (as echoed): quote it when reporting a problem",
    )


class ValidationProblem(Problem):
    """Input that does not fit the contract (RFC 9457 with the offending fields)."""

    errors: list[FieldError] = Field(
        description=f"The offending fields, at most {ERRORS_LISTED}; `detail` counts them all"
    )


class ApiError(Exception):
    """An error response decided by the HTTP layer itself (not by the domain)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type: str = "about:blank",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type
        self.headers = dict(headers or {})


class PreconditionFailed(ApiError):
    def __init__(self) -> None:
        super().__init__(
            HTTPStatus.PRECONDITION_FAILED, VERSION_MISMATCH, type=VERSION_MISMATCH_TYPE
        )


class Unauthorized(ApiError):
    def __init__(self, detail: str, headers: Mapping[str, str] = BEARER_CHALLENGE) -> None:
        super().__init__(HTTPStatus.UNAUTHORIZED, detail, headers=headers)


def problem_response(
    status: int,
    detail: str,
    *,
    type: str = "about:blank",
    headers: Mapping[str, str] | None = None,
    errors: Sequence[FieldError] | None = None,
) -> Response:
    title = HTTPStatus(status).phrase
    request_id = current_request_id.get()
    body: Problem = (
        Problem(type=type, title=title, status=status, detail=detail, request_id=request_id)
        if errors is None
        else ValidationProblem(
            type=type,
            title=title,
            status=status,
            detail=detail,
            request_id=request_id,
            errors=list(errors),
        )
    )
    if request_id is not None:
        headers = {**(headers or {}), REQUEST_ID_HEADER: request_id}
    return Response(
        body.model_dump_json(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def _location(request: Request) -> str:
    return "query" if request.method in ("GET", "HEAD", "DELETE") else "body"


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return problem_response(error.status, error.detail, type=error.type, headers=error.headers)


async def _domain_error(request: Request, error: Exception) -> Response:
    match error:
        case NotFound():
            what = str(error) or "resource"
            return problem_response(HTTPStatus.NOT_FOUND, f"The {what} does not exist.")
        case Forbidden():
            return problem_response(HTTPStatus.FORBIDDEN, FORBIDDEN, type=FORBIDDEN_TYPE)
        case VersionConflict():
            return problem_response(
                HTTPStatus.PRECONDITION_FAILED,
                VERSION_MISMATCH,
                type=VERSION_MISMATCH_TYPE,
            )
        case Conflict():
            return problem_response(
                HTTPStatus.CONFLICT,
                "The request conflicts with the current state of the resource.",
                type=CONFLICT_TYPE,
            )
        case InvalidInput():
            errors = [FieldError(loc=[_location(request), error.field], msg=error.message)]
            return problem_response(
                HTTPStatus.UNPROCESSABLE_ENTITY,
                f"{error.field} {error.message}",
                type=VALIDATION_TYPE,
                errors=errors,
            )
        case StorageBusy():
            return storage_unavailable_response(BUSY)
        case StorageUnavailable():
            return storage_unavailable_response()
        case Overloaded():
            return problem_response(
                HTTPStatus.SERVICE_UNAVAILABLE,
                OVERLOADED,
                type=OVERLOADED_TYPE,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        case TooManyAttempts():
            seconds = retry_after_seconds(error.retry_after)
            return problem_response(
                HTTPStatus.TOO_MANY_REQUESTS,
                f"Too many failed logins; try again in {seconds} seconds.",
                type=TOO_MANY_ATTEMPTS_TYPE,
                headers={"Retry-After": str(seconds)},
            )
        case AuthenticationFailed():
            return problem_response(
                HTTPStatus.UNAUTHORIZED, "Invalid e-mail or password.", headers=BEARER_CHALLENGE
            )
    return problem_response(HTTPStatus.BAD_REQUEST, "The request cannot be carried out.")


def retry_after_seconds(wait: timedelta) -> int:
    """Whole seconds for `Retry-After`, rounded up (never 0: the wait is not over yet)."""
    return max(1, math.ceil(wait.total_seconds()))


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    found = error.errors()
    # A body of 80,000 unknown keys has as many errors: listing them all would answer megabytes.
    errors = [
        FieldError(
            loc=[part for part in item["loc"] if isinstance(part, str | int)], msg=item["msg"]
        )
        for item in found[:ERRORS_LISTED]
    ]
    detail = (
        "The request does not match the contract; see errors."
        if len(found) <= ERRORS_LISTED
        else f"The request does not match the contract in {len(found)} places; "
        f"errors lists the first {ERRORS_LISTED}."
    )
    return problem_response(
        HTTPStatus.UNPROCESSABLE_ENTITY, detail, type=VALIDATION_TYPE, errors=errors
    )


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    status = HTTPStatus(error.status_code)
    detail = error.detail if error.detail != status.phrase else _DETAILS.get(status, status.phrase)
    headers = dict(error.headers or {})
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(status, detail, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method of every route at this path. (Starlette's own `Allow` names only those of
    the first route that matches the path: GET /todos hides POST /todos.)"""
    from todo_api.routes import ROUTERS  # the routers import this module

    methods = {
        method
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.matches(request.scope)[0] is not Match.NONE
        for method in route.methods or ()
    }
    return sorted(methods)


def storage_unavailable_response(detail: str = UNAVAILABLE) -> Response:
    return problem_response(
        HTTPStatus.SERVICE_UNAVAILABLE,
        detail,
        type=UNAVAILABLE_TYPE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def shutting_down_response() -> Response:
    return problem_response(
        HTTPStatus.SERVICE_UNAVAILABLE,
        SHUTTING_DOWN,
        type=SHUTTING_DOWN_TYPE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Connection": "close"},
    )


def unexpected_error_response() -> Response:
    """The client learns nothing about the internals; the server logs them."""
    return problem_response(
        HTTPStatus.INTERNAL_SERVER_ERROR, "An unexpected error occurred; it has been logged."
    )


async def _unexpected_error(request: Request, error: Exception) -> Response:
    # Reached only without `RequestObserver` (which logs and answers first); Starlette re-raises
    # the exception after this response, so the server logs it.
    return unexpected_error_response()


_DETAILS = {
    HTTPStatus.NOT_FOUND: "No resource at this path.",
    HTTPStatus.METHOD_NOT_ALLOWED: "This path does not support the request method.",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The request body is too large.",
}


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route for OpenAPI: each status documented as a problem."""
    return {
        status: {
            "model": ValidationProblem if status == HTTPStatus.UNPROCESSABLE_ENTITY else Problem,
            "description": HTTPStatus(status).phrase,
        }
        for status in statuses
    }
