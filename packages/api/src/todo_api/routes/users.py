"""Users and authentication: register, log in (OAuth2 password flow), log out, and the
caller's own account: read it, rename it, change its password, delete it."""

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from todo_api.dependencies import TOKEN_PATH, Authenticated, Tokens, Users
from todo_api.etags import IfMatchHeader, etag_of, expected_version
from todo_api.openapi import ETAG, RETRY_AFTER, operation_id
from todo_api.problems import (
    CONFLICT_TYPE,
    ApiError,
    Problem,
    Unauthorized,
    problem_responses,
)
from todo_api.schemas import (
    AccountDeletion,
    PasswordChange,
    Text,
    TokenOut,
    UserCreate,
    UserOut,
    UserPatch,
)
from todo_domain import AuthenticationFailed, Conflict, NotFound, User, rules

JSON = "application/json"
ME = "/api/v1/users/me"

THROTTLED: dict[int | str, dict[str, Any]] = {
    HTTPStatus.TOO_MANY_REQUESTS: {
        "model": Problem,
        "description": "Too many failed logins from this address; retry after `Retry-After`"
        " seconds",
        "headers": RETRY_AFTER,
    }
}
# A route that checks the caller's password as well as their token.
PASSWORD_CHECKED: dict[int | str, dict[str, Any]] = {
    HTTPStatus.UNAUTHORIZED: {
        "model": Problem,
        "description": "The token is not current, or the password is wrong (a failed login)",
    }
} | THROTTLED

router = APIRouter(
    tags=["users"], responses=problem_responses(500), generate_unique_id_function=operation_id
)


def _user_response(user: User) -> Response:
    return Response(
        UserOut.of(user).model_dump_json(), media_type=JSON, headers={"ETag": etag_of(user)}
    )


def _client_address(request: Request) -> str:
    """The peer's address: behind a reverse proxy that is the proxy's, unless uvicorn is told
    to trust its forwarded headers (README: client addresses)."""
    return request.client.host if request.client is not None else ""


@contextmanager
def _account_of_the_token() -> Iterator[None]:
    """A user deleted after their token was checked is no caller any more: 401, as the token
    of a deleted user is from then on."""
    try:
        yield
    except NotFound:
        raise Unauthorized("The user of this token no longer exists.") from None


@contextmanager
def _password_checked() -> Iterator[None]:
    try:
        yield
    except AuthenticationFailed:
        raise Unauthorized("The password is wrong.") from None


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
    user = await users.authenticate(username, password, address=_client_address(request))
    return TokenOut(access_token=tokens.issue(user), expires_in=tokens.lifetime_seconds)


@router.post(
    "/api/v1/auth/logout",
    status_code=HTTPStatus.NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401),
    summary="Log out: end this token (the user's other tokens stay valid)",
)
async def log_out(caller: Authenticated) -> Response:
    await caller.accounts.sign_out(caller.session)
    return Response(status_code=HTTPStatus.NO_CONTENT)


@router.get(
    ME,
    response_model=UserOut,
    responses={HTTPStatus.OK: {"headers": ETAG}} | problem_responses(401),
    summary="The user the token belongs to",
)
async def get_me(caller: Authenticated) -> Response:
    with _account_of_the_token():
        return _user_response(await caller.users.get(caller.user_id))


@router.patch(
    ME,
    response_model=UserOut,
    responses={HTTPStatus.OK: {"headers": ETAG}} | problem_responses(401, 412, 413, 422),
    summary="Change the caller's display name",
    description="With `If-Match: <ETag>` the change applies only to that version (else 412).",
)
async def update_me(
    body: UserPatch, caller: Authenticated, if_match: IfMatchHeader = None
) -> Response:
    with _account_of_the_token():
        expected = await expected_version(if_match, lambda: caller.users.get(caller.user_id))
        user = await caller.accounts.rename(caller.user_id, body.display_name, expected)
    return _user_response(user)


@router.post(
    f"{ME}/password",
    status_code=HTTPStatus.NO_CONTENT,
    response_class=Response,
    responses=PASSWORD_CHECKED | problem_responses(413, 422),
    summary="Change the caller's password: every token issued before is refused from now on",
    description="A wrong `current_password` counts as a failed login (429 beyond the limits).",
)
async def change_password(
    body: PasswordChange, request: Request, caller: Authenticated
) -> Response:
    with _password_checked():
        await caller.accounts.change_password(
            caller.user_id,
            body.current_password,
            body.new_password,
            address=_client_address(request),
        )
    return Response(status_code=HTTPStatus.NO_CONTENT)


@router.delete(
    ME,
    status_code=HTTPStatus.NO_CONTENT,
    response_class=Response,
    responses=PASSWORD_CHECKED | problem_responses(413, 422),
    summary="Delete the caller's account, confirmed by its password",
    description=(
        "Deletes the account, its Inbox and every list it alone owns (with their todos); it "
        "leaves every other list, and a list it co-owns stays with the other owners. A wrong "
        "`password` counts as a failed login (429 beyond the limits)."
    ),
)
async def delete_me(body: AccountDeletion, request: Request, caller: Authenticated) -> Response:
    with _password_checked():
        await caller.accounts.delete(
            caller.user_id, body.password, address=_client_address(request)
        )
    return Response(status_code=HTTPStatus.NO_CONTENT)
