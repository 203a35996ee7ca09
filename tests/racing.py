"""Two units of work that write at once, for the tests of concurrent writers: repository calls,
or whole use cases run in one unit of work (`lent`)."""

import asyncio
from collections.abc import Awaitable, Callable
from types import TracebackType

from todo_domain import (
    Conflict,
    Forbidden,
    LoginFailureRepository,
    MembershipRepository,
    NotFound,
    SessionRepository,
    TodoListRepository,
    TodoRepository,
    UnitOfWork,
    UnitOfWorkFactory,
    UserRepository,
)

RACE_PAUSE = 0.2  # long enough for a blocking backend to park the second writer on its lock

Work = Callable[[UnitOfWork], Awaitable[object]]


async def race(first: Work, second: Work, uow_factory: UnitOfWorkFactory) -> BaseException | None:
    """Both units of work write before either commits; the first commits first.

    A blocking backend parks the second writer on the first one's lock until that commits; an
    optimistic one lets it write and refuses its commit. Returns what the second raised.
    """
    first_wrote, first_may_commit = asyncio.Event(), asyncio.Event()
    second_wrote, second_may_commit = asyncio.Event(), asyncio.Event()

    async def run_first() -> None:
        async with uow_factory() as uow:
            await first(uow)
            first_wrote.set()
            await first_may_commit.wait()

    async def run_second() -> None:
        await first_wrote.wait()
        async with uow_factory() as uow:
            await second(uow)
            second_wrote.set()
            await second_may_commit.wait()

    first_task = asyncio.create_task(run_first())
    second_task = asyncio.create_task(run_second())
    try:
        await asyncio.wait_for(first_wrote.wait(), timeout=10)
        wrote = asyncio.create_task(second_wrote.wait())
        await asyncio.wait(
            {wrote, second_task}, timeout=RACE_PAUSE, return_when=asyncio.FIRST_COMPLETED
        )
        wrote.cancel()
        first_may_commit.set()
        await asyncio.wait_for(first_task, timeout=10)  # the first always commits
        second_may_commit.set()
        await asyncio.wait_for(second_task, timeout=10)
    except (Conflict, NotFound, Forbidden) as error:
        if not second_task.done() or second_task.exception() is not error:
            raise
        return error
    finally:
        for task in (first_task, second_task):
            task.cancel()
        await asyncio.gather(first_task, second_task, return_exceptions=True)
    return None


class Lent:
    """The race's unit of work, lent to a use case: every unit of work the use case opens is
    that one, which the race commits (entering and leaving here does nothing)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @property
    def todos(self) -> TodoRepository:
        return self._uow.todos

    @property
    def users(self) -> UserRepository:
        return self._uow.users

    @property
    def lists(self) -> TodoListRepository:
        return self._uow.lists

    @property
    def memberships(self) -> MembershipRepository:
        return self._uow.memberships

    @property
    def login_failures(self) -> LoginFailureRepository:
        return self._uow.login_failures

    @property
    def sessions(self) -> SessionRepository:
        return self._uow.sessions

    async def __aenter__(self) -> "Lent":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


def lent(uow: UnitOfWork) -> UnitOfWorkFactory:
    return lambda: Lent(uow)
