"""Two service hosts on one PostgreSQL database: two `todo-api serve --workers 2`, as an operator
starts them on two machines (here on two ports of this one), with the requests spread over
both. The contention checks of `test_contention.py` hold across hosts, and what one host does
the other sees at once: a write, an ended token, a failed login. Nothing one host needs is kept
in the other's processes."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from api.support import (
    NEW_PASSWORD,
    PAIR_LIMIT,
    PASSWORD,
    PROBLEM_JSON,
    Account,
    assert_throttled,
    bearer,
    change_password,
    delete_account,
    log_out,
    login,
    new_account,
    second_token,
    unique_email,
)

from .servers import (
    concurrent_client,
    on_a_fresh_connection,
    served_on_postgresql_hosts,
    signed_up,
    worker_pids,
)

HOSTS = 2
WORKERS = 2
CONCURRENT = 100
# 2 hosts x 2 workers x (10 + 10) = 80 connections at most: within PostgreSQL's default 100.
POOL = {"TODO_POOL_SIZE": "10", "TODO_MAX_OVERFLOW": "10"}

# Two servers (and one database) for the module: starting them takes seconds.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass(frozen=True)
class Host:
    base: str
    workers: set[int]

    @property
    def port(self) -> int:
        return int(self.base.rpartition(":")[2])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hosts(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[list[Host]]:
    logs = tmp_path_factory.mktemp("hosts")
    async with served_on_postgresql_hosts(logs, POOL, hosts=HOSTS, workers=WORKERS) as (
        bases,
        _,
    ):
        yield [Host(base, worker_pids(base)) for base in bases]


@asynccontextmanager
async def _clients(hosts: list[Host], connections: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    """A client of each host, for `connections` requests at once to it."""
    async with AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(concurrent_client(host.base, connections))
            for host in hosts
        ]


def _answered_by_host(responses: list[httpx.Response], statuses: set[int]) -> Counter[int | None]:
    """How many of `responses` each host (by its port) answered with one of `statuses`."""
    return Counter(response.url.port for response in responses if response.status_code in statuses)


def _assert_each_host_answered_its_share(
    hosts: list[Host], responses: list[httpx.Response], statuses: set[int]
) -> None:
    """The requests alternated between the hosts: each answered its half, none failed."""
    share = len(responses) // len(hosts)
    answered = _answered_by_host(responses, statuses)
    assert set(answered) == {host.port for host in hosts}, answered
    assert all(count >= share for count in answered.values()), answered


async def test_patches_with_one_if_match_over_both_hosts_let_exactly_one_through(
    hosts: list[Host],
) -> None:
    async with _clients(hosts, CONCURRENT // HOSTS) as clients:
        auth = await signed_up(clients[0])
        created = await clients[0].post("/api/v1/todos", json={"title": "start"}, headers=auth)
        path, etag = httpx.URL(created.headers["location"]).path, created.headers["etag"]

        responses = await asyncio.gather(
            *(
                clients[n % HOSTS].patch(
                    path, json={"title": f"writer {n}"}, headers={**auth, "If-Match": etag}
                )
                for n in range(CONCURRENT)
            )
        )

        statuses = Counter(response.status_code for response in responses)
        assert statuses == {200: 1, 412: CONCURRENT - 1}, statuses
        _assert_each_host_answered_its_share(hosts, responses, {200, 412})
        assert all(
            response.headers["content-type"] == PROBLEM_JSON
            for response in responses
            if response.status_code == 412
        )
        [winner] = [response.json() for response in responses if response.status_code == 200]
        assert winner["version"] == 2
        for http in clients:
            assert (await http.get(path, headers=auth)).json() == winner


async def test_one_email_registered_over_both_hosts_is_admitted_exactly_once(
    hosts: list[Host],
) -> None:
    email = unique_email()
    attempts = CONCURRENT // 4
    async with _clients(hosts, attempts) as clients:
        responses = await asyncio.gather(
            *(
                clients[n % HOSTS].post(
                    "/api/v1/users",
                    # The e-mail in different cases: the same address (case-insensitive).
                    json={"email": email.upper() if n % 3 else email, "password": PASSWORD},
                )
                for n in range(attempts)
            )
        )

        statuses = Counter(response.status_code for response in responses)
        assert statuses == {201: 1, 409: attempts - 1}, statuses
        _assert_each_host_answered_its_share(hosts, responses, {201, 409})
        for http in clients:
            assert (await login(http, email)).status_code == 200


async def test_a_write_by_one_host_is_read_back_by_the_other(hosts: list[Host]) -> None:
    async with _clients(hosts, 1) as (here, there):
        auth = await signed_up(here)
        created = await here.post("/api/v1/todos", json={"title": "written here"}, headers=auth)
        path = httpx.URL(created.headers["location"]).path

        read = await there.get(path, headers=auth)
        assert read.status_code == 200
        assert read.json() == created.json()
        assert read.headers["etag"] == created.headers["etag"]

        changed = await there.patch(
            path,
            json={"title": "changed there"},
            headers={**auth, "If-Match": read.headers["etag"]},
        )
        assert changed.status_code == 200, changed.text
        back = await here.get(path, headers=auth)
        assert back.json() == changed.json()
        assert back.headers["etag"] == changed.headers["etag"]
        stale = await here.patch(
            path, json={"title": "stale"}, headers={**auth, "If-Match": created.headers["etag"]}
        )
        assert stale.status_code == 412


async def _every_worker_answers(host: Host, headers: dict[str, str], status: int) -> Counter[int]:
    """Fresh connections to `host` with `headers` until each of its workers has answered
    some: every answer `status`. How many each worker answered."""
    answered: Counter[int] = Counter()
    for _ in range(200):
        answer = await on_a_fresh_connection(
            host.base, host.workers, "GET", "/api/v1/users/me", headers
        )
        assert answer.status == status, answer
        answered[answer.worker] += 1
        if len(answered) == WORKERS and min(answered.values()) >= 2:
            return answered
    pytest.fail(f"the connections to {host.base} did not reach all its workers: {answered}")


Ending = Callable[[httpx.AsyncClient, Account], Awaitable[dict[str, str] | None]]


async def _log_out(http: httpx.AsyncClient, account: Account) -> dict[str, str]:
    """Signs out `account`'s token: the headers of another login, which stays valid."""
    other = await second_token(http, account)
    response = await log_out(http, account.headers)
    assert response.status_code == 204, response.text
    return other


async def _change_password(http: httpx.AsyncClient, account: Account) -> dict[str, str]:
    """Changes the password: the headers of a login right after it (within the same second)."""
    response = await change_password(http, account.headers)
    assert response.status_code == 204, response.text
    fresh = await login(http, account.email, NEW_PASSWORD)
    assert fresh.status_code == 200, fresh.text
    return bearer(fresh.json()["access_token"])


async def _delete_account(http: httpx.AsyncClient, account: Account) -> None:
    response = await delete_account(http, account.headers)
    assert response.status_code == 204, response.text


@pytest.mark.parametrize(
    "end",
    [
        pytest.param(_log_out, id="sign-out"),
        pytest.param(_change_password, id="password change"),
        pytest.param(_delete_account, id="account deletion"),
    ],
)
async def test_a_token_ended_on_one_host_is_refused_at_once_by_the_other(
    hosts: list[Host], end: Ending
) -> None:
    here, there = hosts
    async with concurrent_client(here.base, 1) as http:
        account = await new_account(http)
        # The other host's workers have each verified the token's signature (and remember it).
        await _every_worker_answers(there, account.headers, 200)

        still_valid = await end(http, account)

        await _every_worker_answers(there, account.headers, 401)
        if still_valid is not None:
            await _every_worker_answers(there, still_valid, 200)


async def test_failed_logins_over_both_hosts_count_against_one_limit(hosts: list[Host]) -> None:
    async with _clients(hosts, 1) as clients:
        email = unique_email()
        registered = await clients[0].post(
            "/api/v1/users", json={"email": email, "password": PASSWORD}
        )
        assert registered.status_code == 201, registered.text

        failures = [
            (await login(clients[n % HOSTS], email, "not the password")).status_code
            for n in range(PAIR_LIMIT)
        ]

        assert failures == [401] * PAIR_LIMIT
        for http in clients:
            assert_throttled(await login(http, email))  # even the right password
