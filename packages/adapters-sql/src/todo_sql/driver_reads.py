"""Reads on the asyncpg connection itself, with the SQL that SQLAlchemy compiled for it.

SQLAlchemy's execution layer (execution context, cursor adapter, result object, greenlet
hops) cost about as much as the driver's own work on a get by id: ~16% of the instructions of
the whole request. For a read outside a transaction none of it is needed: each statement is
compiled once by SQLAlchemy for the engine's dialect (same SQL, same casts, same parameter
order) and run with asyncpg's `fetch`; the column types' bind and result processors are
applied as SQLAlchemy would. Rows come back as lists in the statement's column order.

Only while nobody listens to statement execution (the slow-query log, tests counting
statements) and `echo` is off: then every statement goes through SQLAlchemy, to be seen.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, Select
from sqlalchemy.ext.asyncio import AsyncEngine

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in their positional order
    fixed: Mapping[str, Any]  # values the statement itself carries
    binds: tuple[tuple[int, Processor], ...]  # (position, processor) where there is one
    results: tuple[tuple[int, Processor], ...]  # (column, processor) where there is one

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = {**self.fixed, **params} if self.fixed else params
        arguments = [values[name] for name in self.names]
        for position, process in self.binds:
            arguments[position] = process(arguments[position])
        return arguments

    def rows(self, records: Sequence[Any]) -> list[list[Any]]:
        rows = [list(record) for record in records]
        if self.results:
            for row in rows:
                for column, process in self.results:
                    row[column] = process(row[column])
        return rows


class DriverReads:
    """The compiled reads of one engine (PostgreSQL with asyncpg)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self._dialect = engine.dialect
        self._compiled: dict[Executable, _Compiled | None] = {}

    @property
    def usable(self) -> bool:
        dispatch = self._engine.dispatch
        return not (
            self._engine.echo or dispatch.before_cursor_execute or dispatch.after_cursor_execute
        )

    async def fetch(
        self, driver_connection: Any, statement: Executable, params: Mapping[str, Any]
    ) -> list[list[Any]] | None:
        """The rows of `statement`, or None when it cannot run this way (not a SELECT, or
        parameters that SQLAlchemy works out per execution: expanded lists, callables)."""
        if statement in self._compiled:
            compiled = self._compiled[statement]
        else:
            compiled = self._compiled[statement] = self._compile(statement)
        if compiled is None:
            return None
        records = await driver_connection.fetch(compiled.sql, *compiled.arguments(params))
        return compiled.rows(records)

    def _compile(self, statement: Executable) -> _Compiled | None:
        if not isinstance(statement, Select):
            return None  # the result types are known for a SELECT
        dialect = self._dialect
        compiled = statement.compile(dialect=dialect)
        binds = compiled.binds
        names = tuple(compiled.positiontup or ())
        if any(b.expanding or b.literal_execute or b.callable for b in binds.values()):
            return None  # values SQLAlchemy works out per execution
        bind_processors = [
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        ]
        columns = statement.selected_columns
        result_processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        return _Compiled(
            sql=compiled.string,
            names=names,
            fixed={name: binds[name].effective_value for name in names if not binds[name].required},
            binds=tuple((i, p) for i, p in enumerate(bind_processors) if p is not None),
            results=tuple((i, p) for i, p in enumerate(result_processors) if p is not None),
        )
