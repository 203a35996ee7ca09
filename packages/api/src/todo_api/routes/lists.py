"""`/api/v1/lists`: the lists a user is a member of, and their members. A list is 404 to a
non-member, exactly as a missing one; an action the member's role does not allow is 403."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from todo_api.dependencies import Authenticated
from todo_api.etags import IfMatchHeader, etag_of, expected_version
from todo_api.openapi import ETAG, LOCATION, operation_id
from todo_api.problems import problem_responses
from todo_api.schemas import (
    Cursor,
    ListCreate,
    ListOut,
    ListPage,
    ListPatch,
    MemberAdd,
    MemberOut,
    MemberPatch,
    RoleName,
)
from todo_domain import LIMIT_DEFAULT, LIMIT_MAX, ListAccess, PageRequest, Role, TodoList

JSON = "application/json"

router = APIRouter(
    prefix="/api/v1/lists",
    tags=["lists"],
    responses=problem_responses(401, 422, 500),
    generate_unique_id_function=operation_id,
)


def _list_response(access: ListAccess, status: int = HTTPStatus.OK, **headers: str) -> Response:
    return Response(
        ListOut.of(access).model_dump_json(),
        status_code=status,
        media_type=JSON,
        headers={"ETag": etag_of(access.todo_list), **headers},
    )


@router.post(
    "",
    status_code=HTTPStatus.CREATED,
    response_model=ListOut,
    responses={HTTPStatus.CREATED: {"headers": ETAG | LOCATION}} | problem_responses(413),
    summary="Create a list, owned by the caller",
)
async def create_list(body: ListCreate, caller: Authenticated) -> Response:
    access = await caller.lists.create(caller.user_id, body.name)
    # What url_path_for("get_list") gives, without walking every route of the app.
    location = f"{router.prefix}/{access.todo_list.id}"
    return _list_response(access, HTTPStatus.CREATED, Location=location)


@router.get("", response_model=ListPage, summary="List the caller's lists, by name")
async def list_lists(
    caller: Authenticated,
    role: Annotated[RoleName | None, Query(description="Lists the caller has this role in")] = None,
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = LIMIT_DEFAULT,
    cursor: Annotated[
        Cursor | None, Query(description="`next_cursor` of the previous page")
    ] = None,
) -> ListPage:
    page = await caller.lists.mine(
        caller.user_id, PageRequest(limit, cursor), Role(role) if role else None
    )
    return ListPage.model_construct(
        items=[ListOut.of(access) for access in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/{list_id}",
    response_model=ListOut,
    responses={HTTPStatus.OK: {"headers": ETAG}} | problem_responses(404),
    summary="Get a list",
)
async def get_list(list_id: UUID, caller: Authenticated) -> Response:
    return _list_response(await caller.lists.get(caller.user_id, list_id))


@router.patch(
    "/{list_id}",
    response_model=ListOut,
    responses={HTTPStatus.OK: {"headers": ETAG}} | problem_responses(403, 404, 409, 412, 413),
    summary="Rename a list (owner; not the Inbox)",
    description="With `If-Match: <ETag>` the change applies only to that version (else 412).",
)
async def rename_list(
    list_id: UUID, body: ListPatch, caller: Authenticated, if_match: IfMatchHeader = None
) -> Response:
    async def current() -> TodoList:
        return (await caller.lists.get(caller.user_id, list_id)).todo_list

    expected = await expected_version(if_match, current)
    access = await caller.lists.rename(
        caller.user_id, list_id, body.name, expected_version=expected
    )
    return _list_response(access)


@router.delete(
    "/{list_id}",
    status_code=HTTPStatus.NO_CONTENT,
    response_class=Response,
    responses=problem_responses(403, 404, 409),
    summary="Delete a list and its todos (owner; not the Inbox)",
)
async def delete_list(list_id: UUID, caller: Authenticated) -> Response:
    await caller.lists.delete(caller.user_id, list_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)


@router.get(
    "/{list_id}/members",
    response_model=list[MemberOut],
    responses=problem_responses(404),
    summary="The members of a list, by e-mail",
)
async def list_members(list_id: UUID, caller: Authenticated) -> list[MemberOut]:
    members = await caller.lists.members(caller.user_id, list_id)
    return [MemberOut.of(member) for member in members]


@router.post(
    "/{list_id}/members",
    status_code=HTTPStatus.CREATED,
    response_model=MemberOut,
    responses=problem_responses(403, 404, 409, 413),
    summary="Share a list with a registered user (owner; not the Inbox)",
    description="404 when no account has the e-mail; 409 when that user is a member already.",
)
async def add_member(list_id: UUID, body: MemberAdd, caller: Authenticated) -> MemberOut:
    member = await caller.lists.share(caller.user_id, list_id, body.email, Role(body.role))
    return MemberOut.of(member)


@router.patch(
    "/{list_id}/members/{user_id}",
    response_model=MemberOut,
    responses=problem_responses(403, 404, 409, 413),
    summary="Change a member's role (owner)",
    description="409 when it would leave the list without an owner.",
)
async def change_member_role(
    list_id: UUID, user_id: UUID, body: MemberPatch, caller: Authenticated
) -> MemberOut:
    member = await caller.lists.change_role(caller.user_id, list_id, user_id, Role(body.role))
    return MemberOut.of(member)


@router.delete(
    "/{list_id}/members/{user_id}",
    status_code=HTTPStatus.NO_CONTENT,
    response_class=Response,
    responses=problem_responses(403, 404, 409),
    summary="Remove a member (owner), or leave the list (any member, with their own id)",
    description="409 when it would leave the list without an owner.",
)
async def remove_member(list_id: UUID, user_id: UUID, caller: Authenticated) -> Response:
    await caller.lists.remove_member(caller.user_id, list_id, user_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)
