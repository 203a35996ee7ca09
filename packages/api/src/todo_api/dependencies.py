"""FastAPI dependencies that hand routes their collaborators from the app's container.

Deliberately `async def` and without dependency-injector's `@inject`/`Provide` wiring: a sync
dependency runs in the thread pool on every request, and the wiring costs a measurable share
of a request (bench/README.md).
Tests replace what these return with `container.override`.
"""

from dataclasses import dataclass
from typing import Annotated, cast
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from todo_api.container import Container
from todo_api.problems import INVALID_TOKEN_CHALLENGE, Unauthorized
from todo_api.security import InvalidToken, TokenService
from todo_domain import AccountService, ListService, Session, TodoService, UserService

TOKEN_PATH = "/api/v1/auth/token"


def container_of(request: Request) -> Container:
    return cast(Container, request.app.state.container)


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated user of a request (the session their token stands for), and the
    services that act for them."""

    session: Session
    _container: Container

    @property
    def user_id(self) -> UUID:
        return self.session.user_id

    @property
    def todos(self) -> TodoService:
        return self._container.todo_service()

    @property
    def lists(self) -> ListService:
        return self._container.list_service()

    @property
    def users(self) -> UserService:
        return self._container.user_service()

    @property
    def accounts(self) -> AccountService:
        return self._container.account_service()


class BearerCaller(OAuth2PasswordBearer):
    """The OAuth2 bearer scheme, resolved all the way to the `Caller`.

    The one dependency of an authenticated route: FastAPI solves every node of the graph on
    each request (each node a measurable share of a get by id: bench/README.md), so the user and the
    services come as one node instead of a chain (header -> token service -> session, and
    the service). Being the scheme itself keeps the OpenAPI security declaration.

    A genuine token is accepted only while its session is current in the storage (not
    signed out, no password change since, the user not deleted): one lookup a request,
    never remembered in the process, so an ended token is refused at once by every worker
    and host. A storage that cannot answer is a 503 (the domain's error), never a 401."""

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            raise Unauthorized("Authentication required: send 'Authorization: Bearer <token>'.")
        container = container_of(request)
        try:
            session = container.tokens().session(token.strip())
        except InvalidToken:
            raise _invalid_token() from None
        if not await container.account_service().is_current(session):
            raise _invalid_token()
        return Caller(session, container)


def _invalid_token() -> Unauthorized:
    """One answer for a token that is not genuine and one whose session has ended: the
    client's remedy is the same (log in again)."""
    return Unauthorized(
        "The access token is invalid or has expired, or its session has ended; log in again.",
        INVALID_TOKEN_CHALLENGE,
    )


async def _user_service(request: Request) -> UserService:
    return container_of(request).user_service()


async def _token_service(request: Request) -> TokenService:
    return container_of(request).tokens()


Users = Annotated[UserService, Depends(_user_service)]
Tokens = Annotated[TokenService, Depends(_token_service)]
Authenticated = Annotated[
    Caller, Depends(BearerCaller(tokenUrl=TOKEN_PATH, scheme_name="OAuth2PasswordBearer"))
]
