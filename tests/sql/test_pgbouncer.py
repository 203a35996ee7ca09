"""The SQL adapter behind PgBouncer in transaction mode (`pgbouncer.py`), with the engine
configured for it (`create_engine(pooler="transaction")`).

Many units of work at once on fewer server connections than the engine has client
connections: consecutive transactions of one client connection run on different server
connections, each prepared on by other clients. With asyncpg's and SQLAlchemy's statement
caches on, a statement prepared on one server connection is then missing on the next one
(an error) or, under the same per-connection name, another client's statement is found, with
other result types (a wrong-type decoding, or a wrong value).
"""

import asyncio
from dataclasses import replace
from uuid import UUID

from builders import make_todo, make_user, register_owners, store
from pgbouncer import SERVER_POOL_SIZE, through_pgbouncer
from sqldb import sql_factory
from todo_domain import Role, Todo, UnitOfWorkFactory, inbox_id, new_id

USERS = 12
ROUNDS = 10


async def reads_back(uow_factory: UnitOfWorkFactory, owner_id: UUID, todo: Todo) -> None:
    """Reads of several shapes (a todo with its role, a user by id and by email, a role)
    outside and inside transactions, each checked against what was stored."""
    for _ in range(ROUNDS):
        async with uow_factory() as uow:
            access = await uow.todos.get(owner_id, todo.id)
            user = await uow.users.get(owner_id)
            assert access is not None
            assert access.todo == todo
            assert access.role is Role.OWNER
            assert user is not None
            assert user.id == owner_id
        async with uow_factory() as uow:
            # holding the membership begins a transaction: the reads after it run inside
            assert await uow.memberships.hold(inbox_id(owner_id), owner_id) is Role.OWNER
            by_email = await uow.users.get_by_email(user.email)
            assert by_email == user
            assert await uow.memberships.role_of(inbox_id(owner_id), owner_id) is Role.OWNER


async def test_concurrent_units_of_work_read_what_was_stored_through_pgbouncer() -> None:
    async with sql_factory("postgresql", through_pooler=through_pgbouncer) as sql:
        owners = [new_id() for _ in range(USERS)]
        await register_owners(sql, *owners)
        todos = [make_todo(owner, title=f"todo of {owner}", tags=("x",)) for owner in owners]
        await store(sql, todos)
        pool_size = sql.engine.pool.size()  # type: ignore[attr-defined]
        assert pool_size > SERVER_POOL_SIZE  # clients do share server connections

        await asyncio.gather(
            *(reads_back(sql, owner, todo) for owner, todo in zip(owners, todos, strict=True))
        )


async def test_writes_and_their_compare_and_set_through_pgbouncer() -> None:
    async with sql_factory("postgresql", through_pooler=through_pgbouncer) as sql:
        users = [make_user() for _ in range(USERS)]

        async def register_and_rename(index: int) -> None:
            user = users[index]
            async with sql() as uow:
                await uow.users.add(user)
            async with sql() as uow:
                renamed = replace(user, display_name=f"n{index}", version=2)
                await uow.users.update(renamed, expected_version=1)
            async with sql() as uow:
                stored = await uow.users.get(user.id)
            assert stored is not None
            assert stored.display_name == f"n{index}"
            assert stored.version == 2

        await asyncio.gather(*(register_and_rename(i) for i in range(USERS)))
