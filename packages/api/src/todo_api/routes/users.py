"""Users and authentication: register, log in (OAuth2 password flow), who am I."""

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from todo_api.dependencies import TOKEN_PATH, Authenticated, Tokens, Users
from todo_api.openapi import RETRY_AFTER, operation_id
from todo_api.problems import (
    CONFLICT_TYPE,
    ApiError,
    Problem,
    Unauthorized,
    problem_responses,
)
from todo_api.schemas import Text, TokenOut, UserCreate, UserOut
from todo_domain import Conflict, NotFound, rules

JSON = "application/json"

THROTTLED: dict[int | str, dict[str, Any]] = {
    HTTPStatus.TOO_MANY_REQUESTS: {
        "model": Problem,
        "description": "Too many failed logins from this address; retry after `Retry-After`"
        " seconds",
        "headers": RETRY_AFTER,
    }
}

router = APIRouter(
    tags=["users"], responses=problem_responses(500), generate_unique_id_function=operation_id
)


@router.post(
    "/api/v1/users",
    status_code=HTTPStatus.CREATED,
    response_model=UserOut,
    responses=problem_responses(409, 413, 422),
    summary="Register a user",
)
async def register_user(body: UserCreate, users: Users) -> Response:
    try:
        user = await users.register(body.email, body.password, body.display_name)
    except Conflict:
        raise ApiError(
            HTTPStatus.CONFLICT, "This e-mail address is already registered.", type=CONFLICT_TYPE
        ) from None
    return Response(
        UserOut.of(user).model_dump_json(),
        status_code=HTTPStatus.CREATED,
        media_type=JSON,
    )


@router.post(
    TOKEN_PATH,
    response_model=TokenOut,
    responses=problem_responses(401, 413, 422) | THROTTLED,
    summary="Log in: exchange e-mail (as `username`) and password for a bearer token",
)
async def issue_token(
    request: Request,
    username: Annotated[
        Text, Form(min_length=1, max_length=rules.EMAIL_MAX, description="The e-mail address")
    ],
    password: Annotated[Text, Form(min_length=1, max_length=1024)],
    users: Users,
    tokens: Tokens,
    # An empty form field is an absent one (FastAPI's reading of forms), so may be sent too.
    grant_type: Annotated[
        str | None, Form(pattern="^(password)?$", description="`password`, empty or absent")
    ] = None,
) -> TokenOut:
    # Form fields rather than `OAuth2PasswordRequestForm`: a class dependency would run in the
    # thread pool on every call.
    # The peer's address: behind a reverse proxy that is the proxy's, unless uvicorn is told
    # to trust its forwarded headers (README: client addresses).
    address = request.client.host if request.client is not None else ""
    user = await users.authenticate(username, password, address=address)
    return TokenOut(access_token=tokens.issue(user.id), expires_in=tokens.lifetime_seconds)


@router.get(
    "/api/v1/users/me",
    response_model=UserOut,
    responses=problem_responses(401),
    summary="The user the token belongs to",
)
async def get_me(caller: Authenticated) -> UserOut:
    try:
        return UserOut.of(await caller.users.get(caller.user_id))
    except NotFound:  # a valid token of a user who no longer exists
        raise Unauthorized("The user of this token no longer exists.") from None
