"""The role x action table, every cell of it, written out here independently of `ALLOWED`."""

import pytest

from todo_domain import ALLOWED, Action, Forbidden, NotFound, Role, authorize

# Y: the role may; -: Forbidden. Columns: viewer, editor, owner.
EXPECTED = {
    Action.VIEW_LIST: "YYY",
    Action.VIEW_MEMBERS: "YYY",
    Action.VIEW_TODOS: "YYY",
    Action.CREATE_TODO: "-YY",
    Action.CHANGE_TODO: "-YY",
    Action.MOVE_TODO: "-YY",
    Action.DELETE_TODO: "-YY",
    Action.RENAME_LIST: "--Y",
    Action.SHARE_LIST: "--Y",
    Action.CHANGE_ROLE: "--Y",
    Action.REMOVE_MEMBER: "--Y",
    Action.DELETE_LIST: "--Y",
}
COLUMNS = (Role.VIEWER, Role.EDITOR, Role.OWNER)
CELLS = [
    (role, action, row[column] == "Y")
    for action, row in EXPECTED.items()
    for column, role in enumerate(COLUMNS)
]


def test_the_expected_table_names_every_role_and_every_action() -> None:
    assert set(EXPECTED) == set(Action)
    assert set(COLUMNS) == set(Role) == set(ALLOWED)


@pytest.mark.parametrize(("role", "action", "allowed"), CELLS)
def test_a_member_may_act_exactly_as_the_table_says(
    role: Role, action: Action, allowed: bool
) -> None:
    if allowed:
        authorize(role, action)
    else:
        with pytest.raises(Forbidden):
            authorize(role, action)
    assert (action in ALLOWED[role]) is allowed


@pytest.mark.parametrize("action", list(Action))
def test_a_non_member_finds_no_list_whatever_the_action(action: Action) -> None:
    with pytest.raises(NotFound) as raised:
        authorize(None, action)
    assert not isinstance(raised.value, Forbidden)


def test_forbidden_is_no_not_found() -> None:
    # the API tells them apart (403 and 404) by type
    assert not issubclass(Forbidden, NotFound)
    assert not issubclass(NotFound, Forbidden)
