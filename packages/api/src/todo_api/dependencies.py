"""FastAPI dependencies that hand routes their collaborators from the app's container.

Deliberately `async def` and without dependency-injector's `@inject`/`Provide` wiring: a sync
dependency runs in the thread pool on every request, and the wiring costs ~100 us a request.
Tests replace what these return with `container.override`.
"""

from typing import Annotated, cast
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from todo_api.container import Container
from todo_api.problems import INVALID_TOKEN_CHALLENGE, Unauthorized
from todo_api.security import InvalidToken, TokenService
from todo_domain import TodoService, UserService

TOKEN_PATH = "/api/v1/auth/token"


def container_of(request: Request) -> Container:
    return cast(Container, request.app.state.container)


class BearerUser(OAuth2PasswordBearer):
    """The OAuth2 bearer scheme, resolved all the way to the id of the token's user.

    One dependency instead of a chain (header -> token service -> user id): FastAPI solves
    each node of the graph on every request, and the chain cost ~25 us a request. Being the
    scheme itself keeps the OpenAPI security declaration that FastAPI derives from it."""

    async def __call__(self, request: Request) -> UUID:  # type: ignore[override]
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            raise Unauthorized("Authentication required: send 'Authorization: Bearer <token>'.")
        try:
            return container_of(request).tokens().user_id(token.strip())
        except InvalidToken:
            raise Unauthorized(
                "The access token is invalid or has expired.", INVALID_TOKEN_CHALLENGE
            ) from None


async def _todo_service(request: Request) -> TodoService:
    return container_of(request).todo_service()


async def _user_service(request: Request) -> UserService:
    return container_of(request).user_service()


async def _token_service(request: Request) -> TokenService:
    return container_of(request).tokens()


Todos = Annotated[TodoService, Depends(_todo_service)]
Users = Annotated[UserService, Depends(_user_service)]
Tokens = Annotated[TokenService, Depends(_token_service)]
CurrentUserId = Annotated[
    UUID, Depends(BearerUser(tokenUrl=TOKEN_PATH, scheme_name="OAuth2PasswordBearer"))
]
