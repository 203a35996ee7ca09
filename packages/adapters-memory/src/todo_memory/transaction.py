"""One unit of work's view of the store: committed state overlaid with its own changes.

Changes stay private until commit. Commit re-checks, against the store as it is then, that
nothing this unit of work wrote was changed by another one meanwhile (like the compare-and-set
and unique constraints of the SQL adapter), and then applies everything or nothing.
"""

from collections.abc import Callable, Mapping
from uuid import UUID

from todo_domain import (
    Conflict,
    Forbidden,
    Membership,
    NotFound,
    Role,
    Todo,
    TodoList,
    User,
    VersionConflict,
)
from todo_memory.store import (
    EndedSessions,
    LoginFailure,
    MemberKey,
    MemoryStore,
)

FailureChange = Callable[[list[LoginFailure]], list[LoginFailure]]
SessionChange = Callable[[EndedSessions], EndedSessions]
Versioned = Todo | TodoList | User  # what is stored by compare-and-set


class Transaction:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._todos: dict[UUID, Todo | None] = {}  # None: deleted here
        self._todo_base_versions: dict[UUID, int | None] = {}  # None: absent when first written
        self._new_users: dict[UUID, User] = {}
        self._users: dict[UUID, User | None] = {}  # changed here; None: deleted here
        self._user_base_versions: dict[UUID, int | None] = {}  # None: absent when first written
        # Users held here: their committed version and memberships when first held.
        self._held_users: dict[UUID, tuple[int, frozenset[MemberKey]]] = {}
        # Applied in order over the committed ones, as the login failures' changes are.
        self._session_changes: list[SessionChange] = []
        self._session_users: set[UUID] = set()  # whose sessions were ended here
        # Applied in order over whatever is committed (at commit: over the store as it is
        # then), as the SQL adapter's inserts and deletes are.
        self._failure_changes: list[FailureChange] = []
        self._lists: dict[UUID, TodoList | None] = {}  # None: deleted here
        self._list_base_versions: dict[UUID, int | None] = {}  # None: absent when first written
        self._memberships: dict[MemberKey, Membership | None] = {}  # None: removed here
        self._membership_bases: dict[MemberKey, bool] = {}  # committed when first written?
        self._held: dict[MemberKey, Role | None] = {}  # roles this unit of work acts on

    # --- todos ---------------------------------------------------------------------------
    def todo(self, todo_id: UUID) -> Todo | None:
        todo = self._todos[todo_id] if todo_id in self._todos else self._store.todos.get(todo_id)
        return None if todo is None or self._deleted_here(todo.list_id) else todo

    def _deleted_here(self, list_id: UUID) -> bool:
        """Its todos went with it (the cascade itself runs at commit, over what is there)."""
        return list_id in self._lists and self._lists[list_id] is None

    def lists_of(self, user_id: UUID) -> set[UUID]:
        return {m.list_id for m in self.all_memberships() if m.user_id == user_id}

    def all_todos(self) -> list[Todo]:
        merged: dict[UUID, Todo | None] = {**self._store.todos, **self._todos}
        return [
            todo
            for todo in merged.values()
            if todo is not None and not self._deleted_here(todo.list_id)
        ]

    def put_todo(self, todo: Todo) -> None:
        self._remember_base(todo.id)
        self._todos[todo.id] = todo

    def delete_todo(self, todo_id: UUID) -> None:
        self._remember_base(todo_id)
        self._todos[todo_id] = None

    def _remember_base(self, todo_id: UUID) -> None:
        if todo_id not in self._todo_base_versions:
            committed = self._store.todos.get(todo_id)
            self._todo_base_versions[todo_id] = None if committed is None else committed.version

    # --- users ---------------------------------------------------------------------------
    def user(self, user_id: UUID) -> User | None:
        if user_id in self._users:
            return self._users[user_id]
        return self._new_users.get(user_id) or self._store.users.get(user_id)

    def user_by_email(self, email: str) -> User | None:
        for user in self._new_users.values():
            if user.email == email:
                return self.user(user.id)
        user_id = self._store.user_ids_by_email.get(email)
        return None if user_id is None else self.user(user_id)

    def add_user(self, user: User) -> None:
        if self.user_by_email(user.email) is not None or self.user(user.id) is not None:
            raise Conflict("e-mail already registered")
        self._new_users[user.id] = user

    def put_user(self, user: User) -> None:
        self._remember_user_base(user.id)
        self._users[user.id] = user

    def delete_user(self, user_id: UUID) -> None:
        """The user and, as the SQL foreign keys' ON DELETE CASCADE, their memberships, their
        Inbox (with its memberships and todos) and their ended sessions: those there at
        commit."""
        self._remember_user_base(user_id)
        self._users[user_id] = None
        for membership in self.all_memberships():
            if membership.user_id == user_id:
                self.delete_membership((membership.list_id, user_id))
        for todo_list in self.all_lists():
            if todo_list.inbox_of == user_id:
                self.delete_list(todo_list.id)

    def _remember_user_base(self, user_id: UUID) -> None:
        if user_id not in self._user_base_versions:
            committed = self._store.users.get(user_id)
            self._user_base_versions[user_id] = None if committed is None else committed.version

    def hold_user(self, user_id: UUID) -> None:
        """Commit fails unless the user, and the lists they are a member of, are still as
        committed now (the SQL adapter's row lock makes a change, a deletion or a new
        membership of the user wait instead)."""
        committed = self._store.users.get(user_id)
        if committed is not None and user_id not in self._held_users:
            self._held_users[user_id] = (committed.version, self._committed_keys_of(user_id))

    def _committed_keys_of(self, user_id: UUID) -> frozenset[MemberKey]:
        return frozenset(key for key in self._store.memberships if key[1] == user_id)

    # --- ended sessions ------------------------------------------------------------------
    def ended_sessions(self) -> EndedSessions:
        return self._changed_sessions(self._store.ended_sessions)

    def change_ended_sessions(self, change: SessionChange, user_id: UUID | None = None) -> None:
        """`user_id`: whose session the change ends (checked at commit, as the SQL foreign
        key is)."""
        self._session_changes.append(change)
        if user_id is not None:
            self._session_users.add(user_id)

    def _changed_sessions(self, sessions: EndedSessions) -> EndedSessions:
        for change in self._session_changes:
            sessions = change(sessions)
        return sessions

    # --- login failures ------------------------------------------------------------------
    def login_failures(self) -> list[LoginFailure]:
        return self._changed_failures(self._store.login_failures)

    def change_login_failures(self, change: FailureChange) -> None:
        self._failure_changes.append(change)

    def _changed_failures(self, failures: list[LoginFailure]) -> list[LoginFailure]:
        for change in self._failure_changes:
            failures = change(failures)
        return failures

    # --- lists ---------------------------------------------------------------------------
    def todo_list(self, list_id: UUID) -> TodoList | None:
        if list_id in self._lists:
            return self._lists[list_id]
        return self._store.lists.get(list_id)

    def all_lists(self) -> list[TodoList]:
        merged: dict[UUID, TodoList | None] = {**self._store.lists, **self._lists}
        return [todo_list for todo_list in merged.values() if todo_list is not None]

    def put_list(self, todo_list: TodoList) -> None:
        self._remember_list_base(todo_list.id)
        self._lists[todo_list.id] = todo_list

    def delete_list(self, list_id: UUID) -> None:
        """The list and, as the SQL foreign keys' ON DELETE CASCADE, its memberships and
        todos: those in it at commit, whatever their versions then."""
        self._remember_list_base(list_id)
        self._lists[list_id] = None
        for membership in self.all_memberships():
            if membership.list_id == list_id:
                self.delete_membership((list_id, membership.user_id))

    def _remember_list_base(self, list_id: UUID) -> None:
        if list_id not in self._list_base_versions:
            committed = self._store.lists.get(list_id)
            self._list_base_versions[list_id] = None if committed is None else committed.version

    # --- memberships ---------------------------------------------------------------------
    def membership(self, key: MemberKey) -> Membership | None:
        if key in self._memberships:
            return self._memberships[key]
        return self._store.memberships.get(key)

    def all_memberships(self) -> list[Membership]:
        merged: dict[MemberKey, Membership | None] = {
            **self._store.memberships,
            **self._memberships,
        }
        return [membership for membership in merged.values() if membership is not None]

    def put_membership(self, membership: Membership) -> None:
        key = (membership.list_id, membership.user_id)
        self._membership_bases.setdefault(key, key in self._store.memberships)
        self._memberships[key] = membership

    def delete_membership(self, key: MemberKey) -> None:
        self._membership_bases.setdefault(key, key in self._store.memberships)
        self._memberships[key] = None

    def hold_membership(self, key: MemberKey, role: Role | None) -> None:
        """Commit fails unless the membership is still as seen now (the SQL adapter's share
        lock makes a concurrent change wait instead; either way no write lands after the
        change)."""
        self._held.setdefault(key, role)

    # --- commit --------------------------------------------------------------------------
    def commit(self) -> None:
        """All or nothing; no await inside, so no other coroutine sees a half-applied state."""
        self._check_still_current()
        store = self._store
        for todo_id, todo in self._todos.items():
            if todo is None:
                store.todos.pop(todo_id, None)
            else:
                store.todos[todo_id] = todo
        for user in self._new_users.values():
            store.users[user.id] = user
            store.user_ids_by_email[user.email] = user.id
        store.login_failures = self._changed_failures(store.login_failures)
        store.ended_sessions = self._changed_sessions(store.ended_sessions)
        self._apply_sharing()
        self._apply_users()
        self._forget()

    def _apply_users(self) -> None:
        store = self._store
        for user_id, user in self._users.items():
            if user is not None:
                store.users[user_id] = user
                continue
            gone = store.users.pop(user_id, None)
            if gone is None:
                continue
            del store.user_ids_by_email[gone.email]
            # the cascade, also over rows another unit of work committed meanwhile
            for key in [key for key in store.memberships if key[1] == user_id]:
                del store.memberships[key]
            for inbox in [i for i in store.lists.values() if i.inbox_of == user_id]:
                self._cascade_list(inbox.id)
            store.ended_sessions = {
                token: ended
                for token, ended in store.ended_sessions.items()
                if ended.user_id != user_id
            }

    def _apply_sharing(self) -> None:
        store = self._store
        for list_id, todo_list in self._lists.items():
            if todo_list is not None:
                store.lists[list_id] = todo_list
                continue
            self._cascade_list(list_id)
        for key, membership in self._memberships.items():
            if membership is None:
                store.memberships.pop(key, None)
            else:
                store.memberships[key] = membership

    def _cascade_list(self, list_id: UUID) -> None:
        """The list, and, also over rows another unit of work committed meanwhile, its
        memberships and todos."""
        store = self._store
        store.lists.pop(list_id, None)
        for key in [key for key in store.memberships if key[0] == list_id]:
            del store.memberships[key]
        for todo_id in [t.id for t in store.todos.values() if t.list_id == list_id]:
            del store.todos[todo_id]

    def rollback(self) -> None:
        self._forget()

    def _check_still_current(self) -> None:
        _check_versions("todo", self._todo_base_versions, self._store.todos, self._todos)
        for user in self._new_users.values():
            if user.email in self._store.user_ids_by_email or user.id in self._store.users:
                raise Conflict("e-mail already registered")
        _check_versions("user", self._user_base_versions, self._store.users, self._users)
        self._check_held_users()
        self._check_lists_still_current()
        self._check_memberships_still_current()
        self._check_held_memberships()
        self._check_todo_lists()
        self._check_session_users()

    def _check_lists_still_current(self) -> None:
        _check_versions("list", self._list_base_versions, self._store.lists, self._lists)
        for todo_list in self._lists.values():
            # as the SQL unique index on the Inbox's user
            if todo_list is not None and todo_list.inbox_of is not None:
                for committed in self._store.lists.values():
                    if committed.inbox_of == todo_list.inbox_of and committed.id != todo_list.id:
                        raise Conflict("the user has an Inbox already")

    def _check_memberships_still_current(self) -> None:
        for key, was_committed in self._membership_bases.items():
            committed = key in self._store.memberships
            if committed == was_committed:
                continue
            if self._memberships[key] is None:
                continue  # removed by both, or removing what was never committed: the same
            if committed:
                raise Conflict("already a member of the list")  # as the primary key
            raise NotFound("member")  # as an UPDATE that finds its row deleted
        for (list_id, user_id), mine in self._memberships.items():
            if mine is None:
                continue
            # as the SQL foreign keys to lists and users (and their message)
            if self.todo_list(list_id) is None or self.user(user_id) is None:
                raise Conflict("membership conflicts with stored data")

    def _check_held_memberships(self) -> None:
        for key, role in self._held.items():
            membership = self._store.memberships.get(key)
            if (None if membership is None else membership.role) is role:
                continue
            if membership is None:
                raise NotFound("list")  # no longer a member: the list is gone for them
            raise Forbidden("the member's role changed meanwhile")

    def _check_held_users(self) -> None:
        for user_id, (version, keys) in self._held_users.items():
            committed = self._store.users.get(user_id)
            if committed is None:
                raise NotFound("user")
            if committed.version != version or not self._committed_keys_of(user_id) <= keys:
                # changed, or a member of another list meanwhile: what was read is stale
                raise VersionConflict(version, committed.version)

    def _check_session_users(self) -> None:
        for user_id in self._session_users:
            if self.user(user_id) is None:  # as the SQL foreign key to users
                raise NotFound("user")

    def _check_todo_lists(self) -> None:
        for todo in self._todos.values():
            # as the SQL foreign key to lists (and the SQL adapter's message)
            if todo is not None and self.todo_list(todo.list_id) is None:
                raise NotFound("list")

    def _forget(self) -> None:
        self._todos.clear()
        self._todo_base_versions.clear()
        self._new_users.clear()
        self._users.clear()
        self._user_base_versions.clear()
        self._held_users.clear()
        self._session_changes.clear()
        self._session_users.clear()
        self._failure_changes.clear()
        self._lists.clear()
        self._list_base_versions.clear()
        self._memberships.clear()
        self._membership_bases.clear()
        self._held.clear()


def _check_versions(
    what: str,
    bases: Mapping[UUID, int | None],
    committed: Mapping[UUID, Versioned],
    written: Mapping[UUID, Versioned | None],
) -> None:
    """As the SQL compare-and-set and primary key: each row this unit of work wrote is still
    at the version it first saw (`bases`; None: absent then) in what is `committed` now."""
    for key, base in bases.items():
        stored = committed.get(key)
        now = None if stored is None else stored.version
        if now == base:
            continue
        if base is None:
            raise Conflict(f"{what} already exists")
        if now is None:
            if written[key] is None:
                continue  # deleted by both: the outcome is the same
            raise NotFound(what)
        raise VersionConflict(base, now)
