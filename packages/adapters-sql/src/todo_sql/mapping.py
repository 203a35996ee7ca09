"""Explicit translations between records/rows and domain entities, both ways.

The hot paths read Core rows (tuples in the column order of `statements`) straight into
entities; the record functions serve code that works with the ORM records.
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid5

from todo_domain import Member, Membership, Priority, Role, Session, Status, Todo, TodoList, User
from todo_sql.records import TagRecord, TodoRecord, TodoTagRecord, UserRecord

_STATUS = {status.value: status for status in Status}
_PRIORITY = {priority.rank: priority for priority in Priority}
_ROLE = {role.value: role for role in Role}


def tag_id(list_id: UUID, name: str) -> UUID:
    """A tag's id follows from its list and name, so writers never read ids back and two
    transactions adding the same new tag converge on one row (and, an Inbox's id being its
    user's, the tags stored before there were lists kept their ids)."""
    return uuid5(list_id, name)


def role_from_value(value: str) -> Role:
    return _ROLE[value]


# --- rows (Core) -----------------------------------------------------------------------------
def todo_from_row(row: Sequence[Any], tags: tuple[str, ...]) -> Todo:
    """`row` holds the columns of `statements.TODO_COLUMNS`, in that order."""
    (
        todo_id,
        list_id,
        title,
        description,
        status,
        priority,
        due_date,
        created_at,
        updated_at,
        completed_at,
        version,
    ) = row
    return Todo(
        id=todo_id,
        list_id=list_id,
        title=title,
        description=description,
        status=_STATUS[status],
        priority=_PRIORITY[priority],
        due_date=due_date,
        tags=tags,
        created_at=created_at,
        updated_at=updated_at,
        completed_at=completed_at,
        version=version,
    )


def todo_values(todo: Todo) -> dict[str, Any]:
    """The columns of the `todos` row of `todo` (tags live in their own tables)."""
    return {
        "id": todo.id,
        "list_id": todo.list_id,
        "title": todo.title,
        "title_lower": todo.title.lower(),
        "description": todo.description,
        "status": todo.status.value,
        "priority": todo.priority.rank,
        "due_date": todo.due_date,
        "created_at": todo.created_at,
        "updated_at": todo.updated_at,
        "completed_at": todo.completed_at,
        "version": todo.version,
    }


def tag_values(todo: Todo) -> list[dict[str, Any]]:
    return [
        {"id": tag_id(todo.list_id, name), "list_id": todo.list_id, "name": name}
        for name in todo.tags
    ]


def todo_tag_values(todo: Todo) -> list[dict[str, Any]]:
    return [
        {"todo_id": todo.id, "tag_id": tag_id(todo.list_id, name), "position": position}
        for position, name in enumerate(todo.tags)
    ]


def tagging_arrays(todo: Todo) -> dict[str, Any]:
    """The parameters of `statements.TAG_TODO_FROM_ARRAYS`."""
    return {
        "todo_id": todo.id,
        "list_id": todo.list_id,
        "tag_ids": [tag_id(todo.list_id, name) for name in todo.tags],
        "names": list(todo.tags),
        "positions": list(range(len(todo.tags))),
    }


def user_from_row(row: Sequence[Any]) -> User:
    """`row` holds the columns of `statements.USER_COLUMNS`, in that order."""
    user_id, email, password_hash, display_name, created_at, version, credentials_version = row
    return User(
        id=user_id,
        email=email,
        password_hash=password_hash,
        display_name=display_name,
        created_at=created_at,
        version=version,
        credentials_version=credentials_version,
    )


def user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "password_hash": user.password_hash,
        "display_name": user.display_name,
        "created_at": user.created_at,
        "version": user.version,
        "credentials_version": user.credentials_version,
    }


def user_changes(user: User) -> dict[str, Any]:
    """The columns a stored change of `user` sets (`statements.UPDATE_USER`)."""
    return {
        "display_name": user.display_name,
        "password_hash": user.password_hash,
        "credentials_version": user.credentials_version,
        "version": user.version,
    }


def session_values(session: Session) -> dict[str, Any]:
    return {
        "token_id": session.token_id,
        "user_id": session.user_id,
        "expires_at": session.expires_at,
    }


def session_params(session: Session) -> dict[str, Any]:
    """The parameters of `statements.IS_CURRENT`."""
    return {
        "user_id": session.user_id,
        "credentials_version": session.credentials_version,
        "token_id": session.token_id,
    }


def list_from_row(row: Sequence[Any]) -> TodoList:
    """`row` holds the columns of `statements.LIST_COLUMNS`, in that order."""
    list_id, name, created_at, updated_at, inbox_of, version = row
    return TodoList(list_id, name, created_at, updated_at, inbox_of, version)


def list_values(todo_list: TodoList) -> dict[str, Any]:
    return {
        "id": todo_list.id,
        "name": todo_list.name,
        "inbox_of": todo_list.inbox_of,
        "created_at": todo_list.created_at,
        "updated_at": todo_list.updated_at,
        "version": todo_list.version,
    }


def membership_from_row(row: Sequence[Any]) -> Membership:
    """`row`: the list's id, the user's id and the role (`statements.MEMBERSHIPS_OF_USER`)."""
    list_id, user_id, value = row
    return Membership(list_id, user_id, _ROLE[value])


def member_from_row(row: Sequence[Any]) -> Member:
    """`row`: the user's id, e-mail and display name, then the role (`statements.MEMBERS`)."""
    user_id, email, display_name, value = row
    return Member(user_id, email, display_name, _ROLE[value])


# --- records (ORM) ---------------------------------------------------------------------------
def todo_from_record(record: TodoRecord) -> Todo:
    return Todo(
        id=record.id,
        list_id=record.list_id,
        title=record.title,
        description=record.description,
        status=_STATUS[record.status],
        priority=_PRIORITY[record.priority],
        due_date=record.due_date,
        tags=tuple(link.tag.name for link in record.tag_links),
        created_at=record.created_at,
        updated_at=record.updated_at,
        completed_at=record.completed_at,
        version=record.version,
    )


def todo_to_record(todo: Todo) -> TodoRecord:
    """A new record with new tag records: for a session that adds it, when the list has none
    of these tags yet (otherwise merge the tags, whose ids follow from `tag_id`)."""
    return TodoRecord(
        **todo_values(todo),
        tag_links=[
            TodoTagRecord(position=position, tag=TagRecord(**values))
            for position, values in enumerate(tag_values(todo))
        ],
    )


def user_from_record(record: UserRecord) -> User:
    return User(
        id=record.id,
        email=record.email,
        password_hash=record.password_hash,
        display_name=record.display_name,
        created_at=record.created_at,
        version=record.version,
        credentials_version=record.credentials_version,
    )


def user_to_record(user: User) -> UserRecord:
    return UserRecord(**user_values(user))
