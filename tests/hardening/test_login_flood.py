"""A login flood against `todo-api serve` with real argon2: every login costs tens of MB and
of milliseconds, so the number of hashes at once is bounded. The worker's memory stays
bounded, /health/live keeps answering, and a login that finds no free slot in time is a 503
(or, once the attempts under way reach the throttle's limit, a 429) problem with Retry-After."""

import asyncio
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from api.support import PASSWORD, PROBLEM_JSON, TEST_KEY, unique_email

from .servers import peak_rss_bytes, running_service, serving_pid

FLOOD = 100
PEAK_RSS_BOUND = 1200 * 1024 * 1024
LIVE_BOUND = 3.0  # seconds for /health/live while the flood runs
LIVE_EVERY = 0.2


async def _live_latencies(base: str, flood: "asyncio.Future[list[httpx.Response]]") -> list[float]:
    """How long /health/live takes, asked again and again until the flood is over."""
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while not flood.done():
            started = time.monotonic()
            response = await http.get("/health/live")
            latencies.append(time.monotonic() - started)
            assert response.status_code == 200, response.text
            await asyncio.sleep(LIVE_EVERY)
    return latencies


async def test_a_login_flood_keeps_the_worker_bounded_and_live(tmp_path: Path) -> None:
    env = {"TODO_STORAGE": "memory", "TODO_SECRET_KEY": TEST_KEY, "TODO_LOG_LEVEL": "WARNING"}
    async with running_service(env, tmp_path / "server.log") as base:
        pid = serving_pid(base)
        before = peak_rss_bytes(pid)
        limits = httpx.Limits(max_connections=FLOOD, max_keepalive_connections=FLOOD)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
            email = unique_email()
            registered = await http.post(
                "/api/v1/users", json={"email": email, "password": PASSWORD}
            )
            assert registered.status_code == 201, registered.text
            form = {"username": email, "password": PASSWORD}
            flood = asyncio.gather(
                *(http.post("/api/v1/auth/token", data=form) for _ in range(FLOOD))
            )
            latencies = await _live_latencies(base, flood)
            responses = await flood
        peak = peak_rss_bytes(pid)

    statuses = Counter(response.status_code for response in responses)
    print(
        f"peak RSS {before / 2**20:.0f} -> {peak / 2**20:.0f} MiB; /health/live at most "
        f"{max(latencies):.2f} s over {len(latencies)} probes; {dict(statuses)}"
    )
    # Beyond the hashes at once: 503 (no slot in time), or 429 once the attempts under way
    # from this address on this account reach the throttle's limit (they count until proven).
    assert set(statuses) <= {200, 429, 503}, statuses
    assert statuses[200] > 0, statuses
    for response in responses:
        if response.status_code != 200:
            assert response.headers["content-type"] == PROBLEM_JSON
            assert int(response.headers["retry-after"]) > 0
    assert max(latencies) < LIVE_BOUND, latencies
    assert peak < PEAK_RSS_BOUND, f"peak RSS {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize(
    ("trusted_proxies", "last"),
    [
        pytest.param(None, 429, id="no proxy configured: the header is ignored"),
        pytest.param("127.0.0.1", 401, id="the peer is a configured proxy: the header counts"),
    ],
)
async def test_a_forwarded_for_header_counts_only_from_a_configured_proxy(
    tmp_path: Path, trusted_proxies: str | None, last: int
) -> None:
    """Without a configured proxy, `X-Forwarded-For` is the client's own word: failures sent
    with a new one each time still count against the client's real address."""
    limit = 3
    env = {
        "TODO_STORAGE": "memory",
        "TODO_SECRET_KEY": TEST_KEY,
        "TODO_LOG_LEVEL": "WARNING",
        "TODO_LOGIN_FAILURES_PER_ADDRESS": str(limit),
    }
    if trusted_proxies is not None:
        env["TODO_FORWARDED_ALLOW_IPS"] = trusted_proxies
    async with (
        running_service(env, tmp_path / "server.log") as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        statuses = []
        for n in range(limit + 1):
            response = await http.post(
                "/api/v1/auth/token",
                data={"username": unique_email(), "password": "wrong password"},
                headers={"X-Forwarded-For": f"198.51.100.{n + 1}"},
            )
            statuses.append(response.status_code)

        assert statuses == [401] * limit + [last], statuses
