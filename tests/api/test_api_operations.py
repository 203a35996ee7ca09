"""Operations: liveness, readiness against the storage, Prometheus metrics."""

import httpx
from dependency_injector import providers
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from todo_api import create_app

from .support import assert_problem, new_account, settings_for


def _samples(text: str, name: str) -> dict[tuple[str, str, str], float]:
    return {
        (sample.labels["method"], sample.labels["route"], sample.labels["status"]): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


async def test_live_and_ready(client: httpx.AsyncClient) -> None:
    live = await client.get("/health/live")
    ready = await client.get("/health/ready")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})


class _Silent:
    async def check(self) -> None:
        raise ConnectionRefusedError("storage down")


async def test_ready_is_503_when_the_storage_does_not_answer(
    memory_app: FastAPI, memory_client: httpx.AsyncClient
) -> None:
    memory_app.state.container.storage_probe.override(providers.Object(_Silent()))

    ready = await memory_client.get("/health/ready")
    live = await memory_client.get("/health/live")

    assert_problem(ready, 503)
    assert "storage down" not in ready.text
    assert live.status_code == 200


async def test_ready_is_503_when_the_database_is_unreachable() -> None:
    settings = settings_for(
        "sql", "postgresql+asyncpg://postgres@127.0.0.1:1/nothing", connect_timeout=1
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        assert_problem(await client.get("/health/ready"), 503)


async def test_metrics_count_requests_by_route_template_and_status(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)
    for _ in range(2):
        await client.get(
            "/api/v1/todos/00000000-0000-7000-8000-000000000000", headers=account.headers
        )
    await client.get("/api/v1/todos/not-an-id", headers=account.headers)
    await client.get("/no/such/path")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    counts = _samples(response.text, "http_requests_total")
    assert counts[("GET", "/api/v1/todos/{todo_id}", "404")] == 2
    assert counts[("GET", "/api/v1/todos/{todo_id}", "422")] == 1
    assert counts[("POST", "/api/v1/users", "201")] == 1
    assert counts[("POST", "/api/v1/auth/token", "200")] == 1
    assert counts[("GET", "<unmatched>", "404")] == 1
    latency = _samples(response.text, "http_request_duration_seconds_count")
    assert latency[("GET", "/api/v1/todos/{todo_id}", "404")] == 2


async def test_a_failure_is_counted_as_500(
    memory_app: FastAPI, memory_client: httpx.AsyncClient
) -> None:
    memory_app.state.container.todo_service.override(providers.Object(None))
    account = await new_account(memory_client)

    await memory_client.get("/api/v1/todos", headers=account.headers)
    counts = _samples((await memory_client.get("/metrics")).text, "http_requests_total")

    assert counts[("GET", "/api/v1/todos", "500")] == 1


async def test_each_app_counts_only_its_own_requests() -> None:
    first, second = create_app(settings_for("memory")), create_app(settings_for("memory"))
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://t") as one,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://t") as two,
    ):
        await one.get("/health/live")
        await one.get("/health/live")
        await two.get("/health/live")

        assert (
            _samples((await one.get("/metrics")).text, "http_requests_total")[
                ("GET", "/health/live", "200")
            ]
            == 2
        )
        assert (
            _samples((await two.get("/metrics")).text, "http_requests_total")[
                ("GET", "/health/live", "200")
            ]
            == 1
        )
