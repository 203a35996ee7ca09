"""`/api/v1/todos`: a user's own todos."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response

from todo_api.dependencies import Authenticated
from todo_api.etags import IfMatch, etag_of
from todo_api.openapi import ETAG, LOCATION, operation_id
from todo_api.problems import PreconditionFailed, problem_responses
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
    responses={HTTPStatus.CREATED: {"headers": ETAG | LOCATION}} | problem_responses(413),
    summary="Create a todo",
)
async def create_todo(body: TodoCreate, caller: Authenticated) -> Response:
    todo = await caller.todos.create(caller.user_id, body.to_domain())
    # What url_path_for("get_todo") gives, without walking every route of the app.
    location = f"{router.prefix}/{todo.id}"
    return _todo_response(todo, HTTPStatus.CREATED, Location=location)


@router.get("", response_model=TodoPage, summary="List todos, newest first by default")
async def list_todos(
    caller: Authenticated,
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
    responses={HTTPStatus.OK: {"headers": ETAG}} | problem_responses(404, 412, 413),
    summary="Change some fields of a todo",
    description="With `If-Match: <ETag>` the change applies only to that version (else 412).",
)
async def update_todo(
    todo_id: UUID,
    body: TodoUpdate,
    caller: Authenticated,
    if_match: Annotated[
        str | None,
        Header(
            description=(
                "ETag of the version to change: `*`, or a list of entity tags. Anything else "
                "(a weak tag, a tag this service did not issue, a malformed list) matches no "
                "version: 412."
            )
        ),
    ] = None,
) -> Response:
    expected: int | None = None
    if if_match is not None:
        condition = IfMatch(if_match)
        expected = condition.single_version
        if expected is None:  # `*` or several tags: check against the current version
            current = await caller.todos.get(caller.user_id, todo_id)
            if not condition.matches(current):
                raise PreconditionFailed()
            expected = current.version
    todo = await caller.todos.update(
        caller.user_id, todo_id, body.to_domain(), expected_version=expected
    )
    return _todo_response(todo)


@router.delete(
    "/{todo_id}",
    status_code=HTTPStatus.NO_CONTENT,
    response_class=Response,
    responses=problem_responses(404),
    summary="Delete a todo",
)
async def delete_todo(todo_id: UUID, caller: Authenticated) -> Response:
    await caller.todos.delete(caller.user_id, todo_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)
