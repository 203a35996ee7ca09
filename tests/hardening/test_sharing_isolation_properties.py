"""Property: whatever three users do with todos and shared lists (sharing, role changes,
removals, moves, deletions, aimed at anything any of them ever saw) and with their accounts
(logging out, changing the password, deleting the account and registering again), every
status is the one the membership model predicts, no response names a list or todo the caller
is not a member of at that moment, and a token that ended never reads or writes (401, and
the model, which later steps check, stays as it was). On the memory adapter, with shrinking;
the same steps run against a two-worker PostgreSQL server in test_sharing_concurrency."""

import asyncio

import httpx
from dependency_injector import providers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.conftest import cheap_hasher
from api.support import settings_for
from todo_api import create_app

from .sharing_model import KINDS, USERS, Step, run

steps = st.lists(
    st.tuples(
        st.integers(0, USERS - 1),
        st.sampled_from(KINDS),
        st.integers(0, 50),
        st.integers(0, 50),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=40,
)


async def _on_memory(sequence: list[Step]) -> None:
    app = create_app(settings_for("memory"))
    app.state.container.hasher.override(providers.Singleton(cheap_hasher))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        await run(http, sequence)


@given(sequence=steps)
@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_three_users_sharing_lists_see_exactly_what_their_memberships_allow(
    sequence: list[Step],
) -> None:
    asyncio.run(_on_memory(sequence))
