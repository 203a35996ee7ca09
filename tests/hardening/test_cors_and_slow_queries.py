"""CORS is off unless TODO_CORS_ORIGINS names origins; slow statements are logged without
their parameters."""

import logging
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from api.conftest import cheap_hasher
from api.support import PASSWORD, new_account, settings_for, unique_email
from sqldb import migrated_url
from todo_api import create_app

ORIGIN = "https://app.example"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "PATCH"}


async def _client(**settings: Any) -> httpx.AsyncClient:
    app = create_app(settings_for("memory", **settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_cors_is_off_by_default() -> None:
    async with await _client() as http:
        preflight = await http.options("/api/v1/todos", headers=PREFLIGHT)
        simple = await http.get("/health/live", headers={"Origin": ORIGIN})

    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in simple.headers


async def test_configured_origins_and_only_those_are_allowed() -> None:
    async with await _client(cors_origins=[ORIGIN]) as http:
        preflight = await http.options("/api/v1/todos", headers=PREFLIGHT)
        simple = await http.get("/health/live", headers={"Origin": ORIGIN})
        other = await http.get("/health/live", headers={"Origin": "https://evil.example"})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "If-Match" in preflight.headers["access-control-allow-headers"]
    assert simple.headers["access-control-allow-origin"] == ORIGIN
    assert "ETag" in simple.headers["access-control-expose-headers"]
    assert "access-control-allow-origin" not in other.headers


def test_cors_origins_come_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from todo_api.settings import load_settings

    monkeypatch.setenv("TODO_CORS_ORIGINS", f"{ORIGIN}, http://localhost:3000")

    assert load_settings().cors_origins == [ORIGIN, "http://localhost:3000"]


async def test_statements_over_the_threshold_are_logged_without_parameters(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A threshold no statement can stay under (0.000001 ms): every statement is "slow".
    app = create_app(settings_for("sql", await migrated_url("sqlite"), slow_query_ms=1e-6))
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    email = unique_email()
    with caplog.at_level(logging.WARNING, logger="todo_sql.slow_queries"):
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                account = await new_account(http)
                await http.post(
                    "/api/v1/todos", json={"title": "secret plans"}, headers=account.headers
                )
                await http.post("/api/v1/users", json={"email": email, "password": PASSWORD})

    slow = [record for record in caplog.records if record.name == "todo_sql.slow_queries"]
    assert any("INSERT INTO todos" in record.getMessage() for record in slow)
    assert all(record.statement in record.getMessage() for record in slow)  # type: ignore[attr-defined]
    text = "\n".join(record.getMessage() for record in slow)
    for secret in ("secret plans", email, account.email, "$argon2"):
        assert secret not in text


async def test_no_slow_query_log_without_a_threshold(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings_for("sql", await migrated_url("sqlite")))
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    with caplog.at_level(logging.DEBUG, logger="todo_sql.slow_queries"):
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                await new_account(http)

    assert not [record for record in caplog.records if record.name == "todo_sql.slow_queries"]
