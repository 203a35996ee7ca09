"""Failed logins are throttled by client address (429 with Retry-After, before any hash), the
owner still gets in from elsewhere, a success clears, and the state is the database's, shared
by every worker. Password hashes are bounded in number at once (503 with Retry-After beyond
a short wait). The settings are read from the environment, as in production."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from fakes import START, FakeHasher, FixedClock
from sqldb import SQL_BACKENDS, migrated_url
from todo_api import create_app, load_settings

from .conftest import cheap_hasher
from .support import (
    HERE,
    PAIR_LIMIT,
    THERE,
    assert_problem,
    assert_throttled,
    client_of,
    empty_tables,
    login,
    register,
    sans_request_id,
    settings_for,
    unique_email,
)


async def fail(client: httpx.AsyncClient, email: str, times: int) -> None:
    for _ in range(times):
        assert_problem(await login(client, email, "wrong password"), 401)


async def test_failures_from_one_address_are_throttled_and_the_owner_gets_in_elsewhere(
    app: FastAPI,
) -> None:
    email = unique_email()
    async with client_of(app, HERE) as attacker, client_of(app, THERE) as owner:
        assert (await register(attacker, email)).status_code == 201
        await fail(attacker, email, PAIR_LIMIT)
        assert_throttled(await login(attacker, email))  # even the right password
        assert_throttled(await login(attacker, email, "wrong password"))
        assert (await login(owner, email)).status_code == 200
        assert (await login(attacker, unique_email(), "another account")).status_code == 401


async def test_a_throttled_unknown_account_looks_like_a_known_one(app: FastAPI) -> None:
    app.state.container.clock.override(providers.Object(FixedClock()))  # the same Retry-After
    known, unknown = unique_email(), unique_email()
    async with client_of(app) as client:
        assert (await register(client, known)).status_code == 201
        for email in (known, unknown):
            await fail(client, email, PAIR_LIMIT)
        throttled = [await login(client, email) for email in (known, unknown)]
    for response in throttled:
        assert_throttled(response)
    first, second = (sans_request_id(response.json()) for response in throttled)
    assert first == second


async def test_a_success_clears_the_failures_of_its_address(app: FastAPI) -> None:
    email = unique_email()
    async with client_of(app) as client:
        assert (await register(client, email)).status_code == 201
        for _ in range(3):
            await fail(client, email, PAIR_LIMIT - 1)
            assert (await login(client, email)).status_code == 200


@pytest.fixture(params=SQL_BACKENDS)
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    url = await migrated_url(request.param)
    yield url
    if request.param != "sqlite":
        await empty_tables(url)


async def test_two_workers_on_one_database_share_the_throttle(database_url: str) -> None:
    apps = [create_app(settings_for("sql", database_url)) for _ in range(2)]
    for app in apps:
        app.state.container.argon2.override(providers.Singleton(cheap_hasher))
    first, second = apps
    email = unique_email()
    async with (
        first.router.lifespan_context(first),
        second.router.lifespan_context(second),
        client_of(first) as one,
        client_of(second) as other,
    ):
        assert (await register(one, email)).status_code == 201
        await fail(one, email, PAIR_LIMIT - 1)
        await fail(other, email, 1)
        assert_throttled(await login(one, email))
        assert_throttled(await login(other, email))


# --- settings from the environment, to their effect -------------------------------------------
@pytest.fixture
def environment(environment: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The API tests' bare environment, on memory storage."""
    environment.setenv("TODO_STORAGE", "memory")
    return environment


def app_from_environment(clock: FixedClock | None = None) -> FastAPI:
    app = create_app(load_settings())
    app.state.container.argon2.override(providers.Singleton(FakeHasher))
    if clock is not None:
        app.state.container.clock.override(providers.Object(clock))
    return app


async def test_the_login_limits_and_window_come_from_the_environment(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("TODO_LOGIN_WINDOW_SECONDS", "60")
    environment.setenv("TODO_LOGIN_FAILURES_PER_ADDRESS_ACCOUNT", "2")
    environment.setenv("TODO_LOGIN_FAILURES_PER_ADDRESS", "4")
    environment.setenv("TODO_LOGIN_FAILURES_PER_ACCOUNT", "3")
    clock = FixedClock(START)
    app = app_from_environment(clock)
    ada, bob = unique_email(), unique_email()
    async with (
        client_of(app, HERE) as here,
        client_of(app, THERE) as there,
        client_of(app, "203.0.113.9") as elsewhere,
    ):
        assert (await register(here, ada)).status_code == 201
        await fail(here, ada, 2)
        assert assert_throttled(await login(here, ada)) == 60  # per address and account
        await fail(here, bob, 2)
        assert_throttled(await login(here, unique_email()))  # per address: 4 on any account
        await fail(there, ada, 1)  # a third failure on ada's account
        assert_throttled(await login(there, ada))  # per account, for who failed on it
        assert (await login(elsewhere, ada)).status_code == 200  # not for anyone else
        clock.advance(timedelta(seconds=60))  # the window has passed
        assert (await login(here, ada)).status_code == 200


class GatedHasher(FakeHasher):
    """Hashes and verifies only once `open` is set; counts how many wait inside at once."""

    def __init__(self) -> None:
        super().__init__()
        self.open = asyncio.Event()
        self.inside = 0
        self.most_inside = 0

    async def _gate(self) -> None:
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        try:
            await self.open.wait()
        finally:
            self.inside -= 1

    async def hash(self, password: str) -> str:
        await self._gate()
        return await super().hash(password)

    async def verify(self, password: str, password_hash: str) -> bool:
        await self._gate()
        return await super().verify(password, password_hash)


@asynccontextmanager
async def gated_client() -> AsyncIterator[tuple[httpx.AsyncClient, GatedHasher, str]]:
    """A client of an app from the environment whose hashes wait for the test's gate (shut),
    and the e-mail of a user registered while it was open."""
    app = create_app(load_settings())
    hasher = GatedHasher()
    app.state.container.argon2.override(providers.Object(hasher))
    email = unique_email()
    async with client_of(app) as client:
        hasher.open.set()
        assert (await register(client, email)).status_code == 201
        hasher.open.clear()
        yield client, hasher, email


@pytest.mark.parametrize("operation", ["register", "login"])
async def test_hashes_at_once_are_bounded_and_the_rest_get_503_after_the_wait(
    environment: pytest.MonkeyPatch, operation: str
) -> None:
    environment.setenv("TODO_MAX_CONCURRENT_HASHES", "2")
    environment.setenv("TODO_HASH_QUEUE_TIMEOUT", "0.2")
    async with gated_client() as (client, hasher, email):
        calls = [
            asyncio.create_task(
                register(client) if operation == "register" else login(client, email)
            )
            for _ in range(10)
        ]
        pending: set[asyncio.Task[httpx.Response]] = set(calls)
        async with asyncio.timeout(10):  # the eight beyond the bound give up after 0.2 s
            while len(pending) > 2:
                _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        assert hasher.inside == 2
        hasher.open.set()
        responses = await asyncio.gather(*calls)
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200 if operation == "login" else 201: 2, 503: 8}, statuses
    assert hasher.most_inside == 2
    for response in responses:
        if response.status_code == 503:
            body = assert_problem(response, 503)
            assert body["type"] == "urn:todo:problem:overloaded"
            assert int(response.headers["retry-after"]) > 0


async def test_a_503_of_the_hash_bound_is_not_a_failed_login(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("TODO_LOGIN_FAILURES_PER_ADDRESS_ACCOUNT", "1")
    environment.setenv("TODO_HASH_QUEUE_TIMEOUT", "0.05")
    async with gated_client() as (client, hasher, email):
        # Registrations hold every slot (logins in flight would count on their own pair).
        held = [asyncio.create_task(register(client)) for _ in range(64)]
        await asyncio.sleep(0)
        refused = await login(client, email, "wrong password")
        hasher.open.set()
        await asyncio.gather(*held)
        assert_problem(refused, 503)
        assert (await login(client, email)).status_code == 200
