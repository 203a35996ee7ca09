"""An ended token is refused by every worker from the moment its end is acknowledged, against
`todo-api serve --workers 2` on PostgreSQL: after a password change, a sign-out or the
deletion of the account. Each worker has verified the token's signature before (and
remembers it); whether the session is current is the database's to say, so there is no
delay to wait out. Requests go over fresh connections, each one's worker identified by who
holds its socket, and the test fails unless both workers answered after the end."""

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from api.support import (
    NEW_PASSWORD,
    Account,
    bearer,
    change_password,
    delete_account,
    log_out,
    login,
    new_account,
    second_token,
)

from .servers import Answer, on_a_fresh_connection, served_on_postgresql, worker_pids

PROBES = 4  # requests in flight at once, each on a connection of its own
AFTER = 0.5  # seconds of probing after the end was acknowledged
WORKERS = 2
PROBED = [("GET", "/api/v1/users/me"), ("GET", "/api/v1/todos"), ("GET", "/api/v1/lists")]

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Service:
    base: str
    workers: set[int]

    async def ask(self, method: str, path: str, headers: dict[str, str]) -> Answer:
        return await on_a_fresh_connection(self.base, self.workers, method, path, headers)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    tmp_path = tmp_path_factory.mktemp("revocation")
    async with served_on_postgresql(tmp_path / "server.log", workers=WORKERS) as (base, _):
        yield Service(base, worker_pids(base))


async def _on_every_worker(service: Service, headers: dict[str, str]) -> Counter[int]:
    """Fresh connections with `headers` until each worker has answered some (all 200): so
    each has verified the token's signature and remembers it."""
    answered: Counter[int] = Counter()
    for number in range(200):
        method, path = PROBED[number % len(PROBED)]
        answer = await service.ask(method, path, headers)
        assert answer.status == 200, answer
        answered[answer.worker] += 1
        if len(answered) == WORKERS and min(answered.values()) >= 3:
            return answered
    pytest.fail(f"the connections did not reach both workers: {answered}")


@dataclass(frozen=True)
class Probe:
    sent: float  # time.monotonic() when the request was sent
    answered: float  # and when its answer had arrived
    answer: Answer


async def _ended_while_probed(
    service: Service, headers: dict[str, str], end: Callable[[], Awaitable[httpx.Response]]
) -> tuple[list[Probe], float, float]:
    """Probes with `headers` from before `end` is sent until `AFTER` seconds after its 204
    and both workers answered since; the probes, when `end` was sent and when it was
    acknowledged."""
    probes: list[Probe] = []
    times: list[float] = []

    def settled() -> bool:
        if len(times) < 2:
            return False
        after = {probe.answer.worker for probe in probes if probe.sent > times[1]}
        return time.monotonic() > times[1] + AFTER and len(after) == WORKERS

    async def probe(number: int) -> None:
        while not settled():
            method, path = PROBED[number % len(PROBED)]
            sent = time.monotonic()
            answer = await service.ask(method, path, headers)
            probes.append(Probe(sent, time.monotonic(), answer))
            number += 1

    async def ending() -> None:
        await asyncio.sleep(0.2)  # probes first, both before and after
        times.append(time.monotonic())
        response = await end()
        times.append(time.monotonic())
        assert response.status_code == 204, response.text

    async with asyncio.timeout(60):
        await asyncio.gather(ending(), *(probe(n) for n in range(PROBES)))
    return probes, times[0], times[1]


def _assert_refused_from_the_acknowledgement(
    what: str, probes: list[Probe], sent: float, acknowledged: float
) -> None:
    # Answered before the end was asked for: accepted. (One sent before but answered after
    # may have met the end already.)
    before = [probe for probe in probes if probe.answered < sent]
    after = [probe for probe in probes if probe.sent > acknowledged]
    assert before
    assert Counter(probe.answer.status for probe in before) == {200: len(before)}
    statuses = Counter(probe.answer.status for probe in after)
    workers = Counter(probe.answer.worker for probe in after)
    assert statuses == {401: len(after)}, statuses
    assert len(workers) == WORKERS, workers
    last_accepted = max(probe.sent for probe in probes if probe.answer.status == 200)
    # The delay: from the 204 to the last request that was still let through (0 when that
    # one was sent before the 204 arrived, as it must be).
    delay = max(0.0, last_accepted - acknowledged)
    print(
        f"\n{what}: refused {delay * 1000:.0f} ms after the 204; {len(after)} requests after"
        f" it over workers {dict(workers)} all 401; the end took"
        f" {(acknowledged - sent) * 1000:.0f} ms; the last 200 was sent"
        f" {(acknowledged - last_accepted) * 1000:.0f} ms before the 204 arrived"
    )
    assert delay == 0.0


async def _works_at_once_everywhere(service: Service, headers: dict[str, str]) -> None:
    """A token of a login right after the end: accepted at once by both workers."""
    answered = await _on_every_worker(service, headers)
    assert len(answered) == WORKERS


async def test_a_password_change_is_refused_by_every_worker_from_its_204(
    service: Service,
) -> None:
    async with httpx.AsyncClient(base_url=service.base, timeout=30) as http:
        account = await new_account(http)
        await _on_every_worker(service, account.headers)

        probes, sent, acknowledged = await _ended_while_probed(
            service, account.headers, lambda: change_password(http, account.headers)
        )

        _assert_refused_from_the_acknowledgement("password change", probes, sent, acknowledged)
        fresh = await login(http, account.email, NEW_PASSWORD)
        await _works_at_once_everywhere(service, bearer(fresh.json()["access_token"]))


async def test_a_sign_out_is_refused_by_every_worker_from_its_204(service: Service) -> None:
    async with httpx.AsyncClient(base_url=service.base, timeout=30) as http:
        account = await new_account(http)
        other_session = await second_token(http, account)
        await _on_every_worker(service, account.headers)

        probes, sent, acknowledged = await _ended_while_probed(
            service, account.headers, lambda: log_out(http, account.headers)
        )

        _assert_refused_from_the_acknowledgement("sign-out", probes, sent, acknowledged)
        await _works_at_once_everywhere(service, other_session)  # the other token stays


async def test_a_deleted_account_s_token_is_refused_by_every_worker_from_its_204(
    service: Service,
) -> None:
    async with httpx.AsyncClient(base_url=service.base, timeout=30) as http:
        account: Account = await new_account(http)
        await _on_every_worker(service, account.headers)

        probes, sent, acknowledged = await _ended_while_probed(
            service, account.headers, lambda: delete_account(http, account.headers)
        )

        _assert_refused_from_the_acknowledgement("account deletion", probes, sent, acknowledged)
