"""The flat baseline: one file of FastAPI + async SQLAlchemy ORM (asyncpg), written the way the
popular templates do it: ORM models, Pydantic schemas with `from_attributes` as
`response_model`, a session per request from a dependency and `commit` in the route,
`selectinload` of the tags, and the current user looked up from the token on every request.
A todo is reached through the caller's membership of its list: a join for one todo, an
`IN (the caller's lists)` subquery for a page, a role query before a create.

No layers, no DI container, no mapping: the yardstick the layered service must not fall below.

    BENCH_DSN=postgresql://... BENCH_SECRET=... python bench/flat.py --port 8002 --workers 1
"""

import argparse
import base64
import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Literal

import jwt
import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Response
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import DateTime, ForeignKey, SmallInteger, String, Text, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

DSN = os.environ.get("BENCH_DSN", "")
SECRET = os.environ.get("BENCH_SECRET", "")
POOL_SIZE = int(os.environ.get("BENCH_POOL", "20"))

PRIORITY_NAME = {1: "low", 2: "normal", 3: "high"}
PRIORITY_RANK = {name: rank for rank, name in PRIORITY_NAME.items()}
Timestamp = DateTime(timezone=True)


# --- models ----------------------------------------------------------------------------------
class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class TodoList(Base):
    __tablename__ = "lists"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    inbox_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
    version: Mapped[int] = mapped_column(default=1)


class Membership(Base):
    __tablename__ = "memberships"
    list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lists.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(6))


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lists.id"))
    name: Mapped[str] = mapped_column(String(50))


class TodoTag(Base):
    __tablename__ = "todo_tags"
    todo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("todos.id"), primary_key=True)
    tag_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tags.id"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    tag: Mapped[Tag] = relationship(lazy="raise")


class Todo(Base):
    __tablename__ = "todos"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lists.id"))
    title: Mapped[str] = mapped_column(String(200))
    title_lower: Mapped[str] = mapped_column(String(400))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(4), default="open")
    priority_rank: Mapped[int] = mapped_column("priority", SmallInteger, default=2)
    due_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
    completed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    version: Mapped[int] = mapped_column(default=1)
    tag_links: Mapped[list[TodoTag]] = relationship(
        order_by=TodoTag.position, cascade="all, delete-orphan", lazy="raise"
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's protocol

    @property
    def tags(self) -> list[str]:
        return [link.tag.name for link in self.tag_links]

    @property
    def priority(self) -> str:
        return PRIORITY_NAME[self.priority_rank]


engine = create_async_engine(
    "postgresql+asyncpg://" + DSN.removeprefix("postgresql://"),
    pool_size=POOL_SIZE,
    max_overflow=0,
    connect_args={"server_settings": {"application_name": "flat", "timezone": "UTC"}},
)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


# --- schemas ---------------------------------------------------------------------------------
class TodoCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    list_id: uuid.UUID | None = None
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=10_000)] = ""
    priority: Literal["low", "normal", "high"] = "normal"
    due_date: date | None = None
    tags: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=50)]], Field(max_length=100)
    ] = []


class TodoUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    description: Annotated[str, Field(max_length=10_000)] | None = None
    status: Literal["open", "done"] | None = None
    priority: Literal["low", "normal", "high"] | None = None
    due_date: date | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = None


class TodoOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    list_id: uuid.UUID
    title: str
    description: str
    status: Literal["open", "done"]
    priority: Literal["low", "normal", "high"]
    due_date: date | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    version: int


class TodoPage(BaseModel):
    items: list[TodoOut]
    next_cursor: str | None


# --- dependencies ----------------------------------------------------------------------------
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_current_user(
    session: SessionDep, token: Annotated[str, Depends(oauth2_scheme)]
) -> User:
    unauthorized = HTTPException(
        401, "Could not validate credentials", {"WWW-Authenticate": "Bearer"}
    )
    try:
        payload = jwt.decode(
            token, SECRET, algorithms=["HS256"], options={"require": ["sub", "iat", "exp"]}
        )
        user_id = uuid.UUID(payload["sub"])
    except (jwt.PyJWTError, ValueError):
        raise unauthorized from None
    user = await session.get(User, user_id)
    if user is None:
        raise unauthorized
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def with_tags() -> _AbstractLoad:
    return selectinload(Todo.tag_links).selectinload(TodoTag.tag)


WRITERS = ("owner", "editor")


def may_write(role: str | None) -> None:
    if role is None:
        raise HTTPException(404, "List not found")
    if role not in WRITERS:
        raise HTTPException(403, "Not allowed")


async def load_todo(session: AsyncSession, todo_id: uuid.UUID, user: User) -> tuple[Todo, str]:
    """The todo and the user's role in its list."""
    found = (
        await session.execute(
            select(Todo, Membership.role)
            .join(Membership, Membership.list_id == Todo.list_id)
            .where(Todo.id == todo_id, Membership.user_id == user.id)
            .options(with_tags())
        )
    ).first()
    if found is None:
        raise HTTPException(404, "Todo not found")
    return found[0], found[1]


async def set_tags(session: AsyncSession, todo: Todo, names: list[str]) -> None:
    names = sorted({name.strip().lower() for name in names})
    existing = {
        tag.name: tag
        for tag in await session.scalars(
            select(Tag).where(Tag.list_id == todo.list_id, Tag.name.in_(names))
        )
    }
    links = []
    for position, name in enumerate(names):
        tag = existing.get(name) or Tag(
            id=uuid.uuid5(todo.list_id, name), list_id=todo.list_id, name=name
        )
        links.append(TodoTag(tag=tag, tag_id=tag.id, position=position))
    todo.tag_links = links


# --- routes ----------------------------------------------------------------------------------
app = FastAPI(title="flat")


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/api/v1/todos/{todo_id}", response_model=TodoOut)
async def get_todo(
    todo_id: uuid.UUID, session: SessionDep, user: CurrentUser, response: Response
) -> Todo:
    todo, _ = await load_todo(session, todo_id, user)
    response.headers["ETag"] = f'"{todo.version}"'
    return todo


@app.get("/api/v1/todos", response_model=TodoPage)
async def list_todos(
    session: SessionDep,
    user: CurrentUser,
    status: Literal["open", "done"] | None = None,
    priority: Literal["low", "normal", "high"] | None = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> dict[str, object]:
    my_lists = select(Membership.list_id).where(Membership.user_id == user.id)
    query = select(Todo).where(Todo.list_id.in_(my_lists)).options(with_tags())
    if status is not None:
        query = query.where(Todo.status == status)
    if priority is not None:
        query = query.where(Todo.priority_rank == PRIORITY_RANK[priority])
    if tag is not None:
        query = query.where(Todo.tag_links.any(TodoTag.tag.has(Tag.name == tag.lower())))
    if cursor is not None:
        try:
            raw = json.loads(base64.urlsafe_b64decode(cursor + "=="))
            after, after_id = datetime.fromisoformat(raw["v"]), uuid.UUID(raw["i"])
        except (ValueError, KeyError, TypeError):
            raise HTTPException(422, "invalid cursor") from None
        query = query.where(
            or_(Todo.created_at < after, and_(Todo.created_at == after, Todo.id < after_id))
        )
    query = query.order_by(Todo.created_at.desc(), Todo.id.desc()).limit(limit + 1)
    todos = list(await session.scalars(query))
    next_cursor = None
    if len(todos) > limit:
        todos = todos[:limit]
        payload = {"s": "-created_at", "v": todos[-1].created_at.isoformat(), "i": todos[-1].id.hex}
        next_cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return {"items": todos, "next_cursor": next_cursor}


@app.post("/api/v1/todos", response_model=TodoOut, status_code=201)
async def create_todo(
    body: TodoCreate, session: SessionDep, user: CurrentUser, response: Response
) -> Todo:
    list_id = body.list_id or user.id  # the Inbox's id is its user's
    may_write(
        await session.scalar(
            select(Membership.role).where(
                Membership.list_id == list_id, Membership.user_id == user.id
            )
        )
    )
    now = datetime.now(UTC)
    todo = Todo(
        list_id=list_id,
        title=body.title.strip(),
        title_lower=body.title.strip().lower(),
        description=body.description,
        priority_rank=PRIORITY_RANK[body.priority],
        due_date=body.due_date,
        created_at=now,
        updated_at=now,
        status="open",
        completed_at=None,
    )
    await set_tags(session, todo, body.tags)
    session.add(todo)
    await session.commit()
    response.headers["Location"] = f"/api/v1/todos/{todo.id}"
    response.headers["ETag"] = f'"{todo.version}"'
    return todo


@app.patch("/api/v1/todos/{todo_id}", response_model=TodoOut)
async def update_todo(
    todo_id: uuid.UUID,
    body: TodoUpdate,
    session: SessionDep,
    user: CurrentUser,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Todo:
    todo, role = await load_todo(session, todo_id, user)
    may_write(role)
    if if_match is not None and if_match.strip() != f'"{todo.version}"':
        raise HTTPException(412, "Precondition failed")
    changes = body.model_dump(exclude_unset=True)
    if "title" in changes:
        todo.title = changes["title"].strip()
        todo.title_lower = todo.title.lower()
    if "description" in changes:
        todo.description = changes["description"]
    if "priority" in changes:
        todo.priority_rank = PRIORITY_RANK[changes["priority"]]
    if "due_date" in changes:
        todo.due_date = changes["due_date"]
    if "status" in changes and changes["status"] != todo.status:
        todo.status = changes["status"]
        todo.completed_at = datetime.now(UTC) if todo.status == "done" else None
    if "tags" in changes:
        await set_tags(session, todo, changes["tags"])
    if session.is_modified(todo):
        todo.updated_at = datetime.now(UTC)
    await session.commit()
    response.headers["ETag"] = f'"{todo.version}"'
    return todo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "flat:app",
        app_dir=str(Path(__file__).parent),
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
        server_header=False,
    )


if __name__ == "__main__":
    main()
