"""Operations: liveness, readiness and Prometheus metrics."""

import logging

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from todo_api.dependencies import container_of
from todo_api.openapi import operation_id
from todo_api.problems import problem_responses, storage_unavailable_response

log = logging.getLogger(__name__)

router = APIRouter(
    tags=["operations"],
    responses=problem_responses(500),
    generate_unique_id_function=operation_id,
)


class Health(BaseModel):
    status: str


_OK = Health(status="ok").model_dump_json()


@router.get("/health/live", response_model=Health, summary="The process is up")
async def check_live() -> Response:
    return Response(_OK, media_type="application/json")


@router.get(
    "/health/ready",
    response_model=Health,
    responses=problem_responses(503),
    summary="The service can reach its storage",
)
async def check_ready(request: Request) -> Response:
    try:
        await container_of(request).storage_probe().check()
    except Exception as error:
        log.warning("storage is not ready: %s: %s", type(error).__name__, error)
        return storage_unavailable_response()
    return Response(_OK, media_type="application/json")


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
    summary="Prometheus metrics",
)
async def get_metrics(request: Request) -> Response:
    registry = container_of(request).metrics()
    return Response(registry.exposition(), media_type=registry.content_type)
