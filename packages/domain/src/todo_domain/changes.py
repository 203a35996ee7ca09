"""Inputs of the todo use cases: a new todo, and a partial change where "not given" differs from
"set to nothing" (a due date can be cleared)."""

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from todo_domain.entities import Priority, Status


class Unset(enum.Enum):
    UNSET = enum.auto()

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset.UNSET


@dataclass(frozen=True, slots=True)
class NewTodo:
    title: str
    description: str = ""
    priority: Priority = Priority.NORMAL
    due_date: date | None = None
    tags: Sequence[str] = ()
    list_id: UUID | None = None  # None: the creator's Inbox


@dataclass(frozen=True, slots=True)
class TodoChanges:
    title: str | Unset = UNSET
    description: str | Unset = UNSET
    status: Status | Unset = UNSET
    priority: Priority | Unset = UNSET
    due_date: date | Unset | None = UNSET
    tags: Sequence[str] | Unset = UNSET
    list_id: UUID | Unset = UNSET  # another list: the todo moves there
