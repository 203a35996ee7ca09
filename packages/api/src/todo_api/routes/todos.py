"""`/api/v1/todos`: the todos of every list the user is a member of."""

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
    IsoDate,
    PriorityName,
    Sorting,
    StatusName,
    Tag,
    Text,
    TodoCreate,
    TodoOut,
    TodoPage,
    TodoUpdate,
    page_json,
    todo_json,
)
from todo_domain import (
    LIMIT_DEFAULT,
    LIMIT_MAX,
    PageRequest,
    Priority,
    Sort,
    Status,
    Todo,
    TodoFilter,
    rules,
)

JSON = "application/json"

router = APIRouter(
    prefix="/api/v1/todos",
    tags=["todos"],
    responses=problem_responses(401, 422, 500),
    generate_unique_id_function=operation_id,
)


def _todo_response(todo: Todo, status: int = HTTPStatus.OK, **headers: str) -> Response:
    return Response(
        todo_json(todo),
        status_code=status,
        media_type=JSON,
        headers={"ETag": etag_of(todo), **headers},
    )


@router.post(
    "",
    status_code=HTTPStatus.CREATED,
    response_model=TodoOut,
    responses={HTTPStatus.CREATED: {"headers": ETAG | LOCATION}} | problem_responses(403, 404, 413),
    summary="Create a todo",
    description="In `list_id` (404 to a non-member, 403 to a viewer), or the caller's Inbox.",
)
async def create_todo(body: TodoCreate, caller: Authenticated) -> Response:
    todo = await caller.todos.create(caller.user_id, body.to_domain())
    # What url_path_for("get_todo") gives, without walking every route of the app.
    location = f"{router.prefix}/{todo.id}"
    return _todo_response(todo, HTTPStatus.CREATED, Location=location)


@router.get(
    "",
    response_model=TodoPage,
    responses=problem_responses(404),
    summary="List todos, newest first by default",
    description="The todos of every list of the caller, or of `list_id` only.",
)
async def list_todos(
    caller: Authenticated,
    list_id: Annotated[
        UUID | None, Query(description="Todos of this list only (404 to a non-member)")
    ] = None,
    status: StatusName | None = None,
    priority: PriorityName | None = None,
    tag: Annotated[Tag | None, Query(description="Todos with this tag")] = None,
    due_before: Annotated[IsoDate | None, Query(description="Due strictly before")] = None,
    due_after: Annotated[IsoDate | None, Query(description="Due strictly after")] = None,
    q: Annotated[
        Text | None,
        Query(max_length=rules.TITLE_MAX, description="Case-insensitive part of the title"),
    ] = None,
    sort: Sorting = "-created_at",
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = LIMIT_DEFAULT,
    cursor: Annotated[
        Cursor | None, Query(description="`next_cursor` of the previous page")
    ] = None,
) -> Response:
    filter = TodoFilter(
        list_id=list_id,
        status=Status(status) if status else None,
        priority=Priority(priority) if priority else None,
        tag=tag,
        due_before=due_before,
        due_after=due_after,
        text=q or None,
    )
    page = await caller.todos.list(
        caller.user_id, filter, Sort.parse(sort), PageRequest(limit, cursor)
    )
    return Response(page_json(page.items, page.next_cursor), media_type=JSON)


@router.get(
    "/{todo_id}",
    response_model=TodoOut,
    responses={HTTPStatus.OK: {"headers": ETAG}} | problem_responses(404),
    summary="Get a todo",
)
async def get_todo(todo_id: UUID, caller: Authenticated) -> Response:
    return _todo_response(await caller.todos.get(caller.user_id, todo_id))


@router.patch(
    "/{todo_id}",
    response_model=TodoOut,
    responses={HTTPStatus.OK: {"headers": ETAG}} | problem_responses(403, 404, 412, 413),
    summary="Change some fields of a todo",
    description=(
        "With `If-Match: <ETag>` the change applies only to that version (else 412). A "
        "`list_id` moves the todo: the caller must be editor or owner of both lists."
    ),
)
async def update_todo(
    todo_id: UUID, body: TodoUpdate, caller: Authenticated, if_match: IfMatchHeader = None
) -> Response:
    expected = await expected_version(if_match, lambda: caller.todos.get(caller.user_id, todo_id))
    todo = await caller.todos.update(
        caller.user_id, todo_id, body.to_domain(), expected_version=expected
    )
    return _todo_response(todo)


@router.delete(
    "/{todo_id}",
    status_code=HTTPStatus.NO_CONTENT,
    response_class=Response,
    responses=problem_responses(403, 404),
    summary="Delete a todo",
)
async def delete_todo(todo_id: UUID, caller: Authenticated) -> Response:
    await caller.todos.delete(caller.user_id, todo_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)
