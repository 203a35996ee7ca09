"""Who may do what with a shared list: the policy as a table, and the one check against it."""

import enum
from collections.abc import Mapping
from types import MappingProxyType

from todo_domain.entities import Role
from todo_domain.errors import Forbidden, NotFound


class Action(enum.StrEnum):
    VIEW_LIST = "view_list"
    VIEW_MEMBERS = "view_members"
    VIEW_TODOS = "view_todos"
    CREATE_TODO = "create_todo"
    CHANGE_TODO = "change_todo"
    MOVE_TODO = "move_todo"
    DELETE_TODO = "delete_todo"
    RENAME_LIST = "rename_list"
    SHARE_LIST = "share_list"
    CHANGE_ROLE = "change_role"
    REMOVE_MEMBER = "remove_member"
    DELETE_LIST = "delete_list"


_VIEWER = frozenset({Action.VIEW_LIST, Action.VIEW_MEMBERS, Action.VIEW_TODOS})
_EDITOR = _VIEWER | {
    Action.CREATE_TODO,
    Action.CHANGE_TODO,
    Action.MOVE_TODO,
    Action.DELETE_TODO,
}
_OWNER = _EDITOR | {
    Action.RENAME_LIST,
    Action.SHARE_LIST,
    Action.CHANGE_ROLE,
    Action.REMOVE_MEMBER,
    Action.DELETE_LIST,
}

# Each role may do what the one below it may, and more. Leaving a list is no entry: every
# member may leave (but the last owner, which is a rule of the list, not of a role).
ALLOWED: Mapping[Role, frozenset[Action]] = MappingProxyType(
    {Role.VIEWER: _VIEWER, Role.EDITOR: _EDITOR, Role.OWNER: _OWNER}
)


def authorize(role: Role | None, action: Action) -> Role:
    """`role`, when it may do `action`. A non-member (`None`) learns nothing: `NotFound`,
    exactly as for a list that does not exist; a member whose role falls short: `Forbidden`."""
    if role is None:
        raise NotFound("list")
    if action not in ALLOWED[role]:
        raise Forbidden(f"a list's {role} may not {action.replace('_', ' ')}")
    return role
