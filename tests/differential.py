"""The harness of the differential property tests (tests/sql): hypothesis draws histories,
each replayed on the memory adapter and on one SQL backend (one database and one event loop
for all of them, which keeps a history in milliseconds)."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqldb import sql_factory
from todo_sql import SqlUnitOfWorkFactory

Agree = Callable[[SqlUnitOfWorkFactory, list[Any]], Coroutine[Any, Any, None]]


def run_histories(
    backend: str, examples: int, histories: st.SearchStrategy[list[Any]], agree: Agree
) -> None:
    """`agree(sql, history)` for up to `examples` drawn histories on `backend`; fails when
    hypothesis ran fewer than half (a strategy that filters too much tests too little)."""
    with asyncio.Runner() as runner:
        context = sql_factory(backend)
        sql = runner.run(context.__aenter__())
        try:
            ran: list[int] = []

            @settings(
                max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
            )
            @given(history=histories)
            def replay(history: list[Any]) -> None:
                runner.run(agree(sql, history))
                ran.append(len(history))

            replay()
            assert len(ran) >= examples // 2, "hypothesis ran too few histories"
            print(f"{backend}: {len(ran)} histories, {sum(ran)} operations")
        finally:
            runner.run(context.__aexit__(None, None, None))
