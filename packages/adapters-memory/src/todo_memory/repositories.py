"""Repositories over a `Transaction`, with the filtering, sorting and paging of the SQL adapter."""

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from todo_domain import (
    Conflict,
    ListAccess,
    LoginAttempt,
    Member,
    Membership,
    NotFound,
    Page,
    PageRequest,
    Role,
    Session,
    Sort,
    Todo,
    TodoAccess,
    TodoFilter,
    TodoList,
    User,
    VersionConflict,
    page_of_lists,
    page_of_todos,
)
from todo_memory.ordering import comes_after, sort_todos
from todo_memory.store import EndedSession, EndedSessions, LoginFailure
from todo_memory.transaction import Transaction


class MemoryTodoRepository:
    def __init__(self, transaction: Transaction) -> None:
        self._tx = transaction

    async def add(self, todo: Todo) -> None:
        if self._tx.todo(todo.id) is not None:  # as the SQL primary key: never overwrite
            raise Conflict("todo already exists")
        self._tx.put_todo(todo)  # the list is checked at commit, as the SQL foreign key is

    async def get(self, user_id: UUID, todo_id: UUID) -> TodoAccess | None:
        todo = self._tx.todo(todo_id)
        if todo is None:
            return None
        membership = self._tx.membership((todo.list_id, user_id))
        return None if membership is None else TodoAccess(todo, membership.role)

    async def list(
        self, user_id: UUID, filter: TodoFilter, sort: Sort, page: PageRequest
    ) -> Page[Todo]:
        after = page.position(sort)
        member_of = self._tx.lists_of(user_id)
        matching = [
            todo
            for todo in self._tx.all_todos()
            if todo.list_id in member_of
            and filter.matches(todo)
            and (after is None or comes_after(todo, after))
        ]
        return page_of_todos(sort_todos(matching, sort)[: page.limit + 1], page, sort)

    async def update(self, todo: Todo, expected_version: int) -> None:
        current = self._tx.todo(todo.id)
        if current is None:
            raise NotFound("todo")
        if current.version != expected_version:
            raise VersionConflict(expected_version, current.version)
        self._tx.put_todo(todo)

    async def delete(self, list_id: UUID, todo_id: UUID) -> bool:
        todo = self._tx.todo(todo_id)
        if todo is None or todo.list_id != list_id:
            return False
        self._tx.delete_todo(todo_id)
        return True


class MemoryUserRepository:
    def __init__(self, transaction: Transaction) -> None:
        self._tx = transaction

    async def add(self, user: User) -> None:
        self._tx.add_user(user)

    async def get(self, user_id: UUID) -> User | None:
        return self._tx.user(user_id)

    async def get_by_email(self, email: str) -> User | None:
        return self._tx.user_by_email(email)

    async def update(self, user: User, *, expected_version: int) -> None:
        current = self._tx.user(user.id)
        if current is None:
            raise NotFound("user")
        if current.version != expected_version:
            raise VersionConflict(expected_version, current.version)
        # as the SQL UPDATE, which sets these columns only
        self._tx.put_user(
            replace(
                current,
                display_name=user.display_name,
                password_hash=user.password_hash,
                credentials_version=user.credentials_version,
                version=user.version,
            )
        )

    async def delete(self, user_id: UUID) -> bool:
        if self._tx.user(user_id) is None:
            return False
        self._tx.delete_user(user_id)
        return True

    async def hold(self, user_id: UUID) -> User | None:
        self._tx.hold_user(user_id)
        return self._tx.user(user_id)


class MemorySessionRepository:
    def __init__(self, transaction: Transaction) -> None:
        self._tx = transaction

    async def end(self, session: Session) -> None:
        if self._tx.user(session.user_id) is None:  # as the SQL foreign key to users
            raise NotFound("user")
        ended = EndedSession(session.user_id, session.expires_at)

        def end(sessions: EndedSessions) -> EndedSessions:
            # as the SQL insert that skips a token ended already: the first one stays
            return (
                sessions if session.token_id in sessions else {**sessions, session.token_id: ended}
            )

        self._tx.change_ended_sessions(end, session.user_id)

    async def is_current(self, session: Session) -> bool:
        user = self._tx.user(session.user_id)
        return (
            user is not None
            and user.credentials_version == session.credentials_version
            and session.token_id not in self._tx.ended_sessions()
        )

    async def prune(self, before: datetime) -> int:
        def expired(ended: EndedSession) -> bool:
            return ended.expires_at < before

        count = sum(1 for ended in self._tx.ended_sessions().values() if expired(ended))
        self._tx.change_ended_sessions(
            lambda sessions: {t: e for t, e in sessions.items() if not expired(e)}
        )
        return count


class MemoryLoginFailureRepository:
    def __init__(self, transaction: Transaction) -> None:
        self._tx = transaction

    async def add(self, attempt: LoginAttempt, at: datetime) -> None:
        failure = LoginFailure(attempt, at)
        self._tx.change_login_failures(lambda failures: [*failures, failure])

    async def latest(
        self,
        since: datetime,
        limit: int,
        *,
        address: str | None = None,
        account: str | None = None,
    ) -> list[datetime]:
        times = [
            failure.at
            for failure in self._tx.login_failures()
            if failure.at > since
            and address in (None, failure.attempt.address)
            and account in (None, failure.attempt.account)
        ]
        return sorted(times, reverse=True)[:limit]

    async def clear(self, attempt: LoginAttempt) -> None:
        self._tx.change_login_failures(
            lambda failures: [failure for failure in failures if failure.attempt != attempt]
        )

    async def withdraw(self, attempt: LoginAttempt, at: datetime) -> None:
        withdrawn = LoginFailure(attempt, at)
        self._tx.change_login_failures(
            lambda failures: [failure for failure in failures if failure != withdrawn]
        )

    async def prune(self, before: datetime) -> None:
        self._tx.change_login_failures(
            lambda failures: [failure for failure in failures if failure.at >= before]
        )


class MemoryTodoListRepository:
    def __init__(self, transaction: Transaction) -> None:
        self._tx = transaction

    async def add(self, todo_list: TodoList) -> None:
        if self._tx.todo_list(todo_list.id) is not None:  # as the SQL primary key
            raise Conflict("list already exists")
        if todo_list.inbox_of is not None and any(  # as the SQL unique index on the Inbox's user
            stored.inbox_of == todo_list.inbox_of for stored in self._tx.all_lists()
        ):
            raise Conflict("the user has an Inbox already")
        if todo_list.inbox_of is not None and self._tx.user(todo_list.inbox_of) is None:
            raise Conflict("list conflicts with stored data")  # as the SQL foreign key
        self._tx.put_list(todo_list)

    async def get(self, list_id: UUID) -> TodoList | None:
        return self._tx.todo_list(list_id)

    async def list_for(
        self, user_id: UUID, page: PageRequest, role: Role | None = None
    ) -> Page[ListAccess]:
        after = page.list_position()
        roles = {m.list_id: m.role for m in self._tx.all_memberships() if m.user_id == user_id}
        matching = [
            ListAccess(todo_list, roles[todo_list.id])
            for todo_list in self._tx.all_lists()
            if todo_list.id in roles
            and role in (None, roles[todo_list.id])
            and (after is None or (todo_list.name, todo_list.id) > after.key())
        ]
        # by code point (Python's str order): what a SQL adapter gets from a binary collation
        matching.sort(key=lambda access: (access.todo_list.name, access.todo_list.id))
        return page_of_lists(matching[: page.limit + 1], page)

    async def update(self, todo_list: TodoList, expected_version: int) -> None:
        current = self._tx.todo_list(todo_list.id)
        if current is None:
            raise NotFound("list")
        if current.version != expected_version:
            raise VersionConflict(expected_version, current.version)
        self._tx.put_list(todo_list)

    async def delete(self, list_id: UUID) -> bool:
        if self._tx.todo_list(list_id) is None:
            return False
        self._tx.delete_list(list_id)
        return True


class MemoryMembershipRepository:
    def __init__(self, transaction: Transaction) -> None:
        self._tx = transaction

    async def add(self, membership: Membership) -> None:
        key = (membership.list_id, membership.user_id)
        if self._tx.membership(key) is not None:  # as the SQL primary key (list, user)
            raise Conflict("already a member of the list")
        # as the SQL foreign keys to lists and users (and their message)
        if (
            self._tx.todo_list(membership.list_id) is None
            or self._tx.user(membership.user_id) is None
        ):
            raise Conflict("membership conflicts with stored data")
        self._tx.put_membership(membership)

    async def role_of(self, list_id: UUID, user_id: UUID) -> Role | None:
        membership = self._tx.membership((list_id, user_id))
        return None if membership is None else membership.role

    async def hold(self, list_id: UUID, user_id: UUID) -> Role | None:
        role = await self.role_of(list_id, user_id)
        self._tx.hold_membership((list_id, user_id), role)
        return role

    async def members(self, list_id: UUID) -> list[Member]:
        members = []
        for membership in self._tx.all_memberships():
            user = self._tx.user(membership.user_id)
            if membership.list_id == list_id and user is not None:
                members.append(Member(user.id, user.email, user.display_name, membership.role))
        return sorted(members, key=lambda member: member.email)

    async def change_role(self, list_id: UUID, user_id: UUID, role: Role) -> None:
        membership = self._tx.membership((list_id, user_id))
        if membership is None:
            raise NotFound("member")
        self._tx.put_membership(replace(membership, role=role))

    async def remove(self, list_id: UUID, user_id: UUID) -> bool:
        if self._tx.membership((list_id, user_id)) is None:
            return False
        self._tx.delete_membership((list_id, user_id))
        return True

    async def count_owners(self, list_id: UUID) -> int:
        return sum(
            1
            for membership in self._tx.all_memberships()
            if membership.list_id == list_id and membership.role is Role.OWNER
        )

    async def of_user(self, user_id: UUID) -> list[Membership]:
        mine = [m for m in self._tx.all_memberships() if m.user_id == user_id]
        return sorted(mine, key=lambda membership: membership.list_id)  # as the SQL ORDER BY
