"""One unit of work's view of the store: committed state overlaid with its own changes.

Changes stay private until commit. Commit re-checks, against the store as it is then, that
nothing this unit of work wrote was changed by another one meanwhile (like the compare-and-set
and unique constraints of the SQL adapter), and then applies everything or nothing.
"""

from collections.abc import Callable
from uuid import UUID

from todo_domain import Conflict, NotFound, Todo, User, VersionConflict
from todo_memory.store import LoginFailure, MemoryStore

FailureChange = Callable[[list[LoginFailure]], list[LoginFailure]]


class Transaction:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._todos: dict[UUID, Todo | None] = {}  # None: deleted here
        self._todo_base_versions: dict[UUID, int | None] = {}  # None: absent when first written
        self._new_users: dict[UUID, User] = {}
        # Applied in order over whatever is committed (at commit: over the store as it is
        # then), as the SQL adapter's inserts and deletes are.
        self._failure_changes: list[FailureChange] = []

    # --- todos ---------------------------------------------------------------------------
    def todo(self, todo_id: UUID) -> Todo | None:
        if todo_id in self._todos:
            return self._todos[todo_id]
        return self._store.todos.get(todo_id)

    def all_todos(self) -> list[Todo]:
        merged: dict[UUID, Todo | None] = {**self._store.todos, **self._todos}
        return [todo for todo in merged.values() if todo is not None]

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
        return self._new_users.get(user_id) or self._store.users.get(user_id)

    def user_by_email(self, email: str) -> User | None:
        for user in self._new_users.values():
            if user.email == email:
                return user
        user_id = self._store.user_ids_by_email.get(email)
        return None if user_id is None else self._store.users[user_id]

    def add_user(self, user: User) -> None:
        if self.user_by_email(user.email) is not None or self.user(user.id) is not None:
            raise Conflict("e-mail already registered")
        self._new_users[user.id] = user

    # --- login failures ------------------------------------------------------------------
    def login_failures(self) -> list[LoginFailure]:
        return self._changed_failures(self._store.login_failures)

    def change_login_failures(self, change: FailureChange) -> None:
        self._failure_changes.append(change)

    def _changed_failures(self, failures: list[LoginFailure]) -> list[LoginFailure]:
        for change in self._failure_changes:
            failures = change(failures)
        return failures

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
        self._forget()

    def rollback(self) -> None:
        self._forget()

    def _check_still_current(self) -> None:
        for todo_id, base in self._todo_base_versions.items():
            committed = self._store.todos.get(todo_id)
            now = None if committed is None else committed.version
            if now == base:
                continue
            if base is None:
                raise Conflict("todo already exists")
            if now is None:
                if self._todos[todo_id] is None:
                    continue  # deleted by both: the outcome is the same
                raise NotFound("todo")
            raise VersionConflict(base, now)
        for user in self._new_users.values():
            if user.email in self._store.user_ids_by_email or user.id in self._store.users:
                raise Conflict("e-mail already registered")

    def _forget(self) -> None:
        self._todos.clear()
        self._todo_base_versions.clear()
        self._new_users.clear()
        self._failure_changes.clear()
