"""Running a use case again when it lost a compare-and-set to a concurrent writer."""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from todo_domain.errors import DomainError, StorageBusy, VersionConflict

T = TypeVar("T")

# A change without an expected version that loses its compare-and-set to a concurrent writer
# is applied again to the newer version, at most this many times in all (each round of
# contenders has a winner, so this covers that many writers at once), with a short random
# pause so that the losers of a round do not collide again in lockstep.
UPDATE_ATTEMPTS = 50
RETRY_PAUSE_MAX = 0.005


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    *,
    retry: bool = True,
    lost: tuple[type[DomainError], ...] = (VersionConflict,),
) -> T:
    """`attempt` again while it raises `VersionConflict` (or another of the `lost` errors:
    what a concurrent writer may leave it to find), unless the caller asked for a version
    (`retry=False`: the conflict is theirs to hear); `StorageBusy` after `UPDATE_ATTEMPTS`."""
    attempts = 0
    while True:
        try:
            return await attempt()
        except lost as error:
            attempts += 1
            if not retry:
                raise
            if attempts == UPDATE_ATTEMPTS:
                raise StorageBusy("too many writers at once") from error
        await asyncio.sleep(random.uniform(0, RETRY_PAUSE_MAX))
