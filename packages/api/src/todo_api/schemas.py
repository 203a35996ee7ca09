"""The JSON of the HTTP contract, as Pydantic models, and their translation to and from the
domain. Entities never reach a client and these models never reach the domain."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    TypeAdapter,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema
from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

from todo_domain import (
    UNSET,
    ListAccess,
    Member,
    NewTodo,
    Priority,
    Status,
    Todo,
    TodoChanges,
    User,
    rules,
)

StatusName = Literal["open", "done"]
PriorityName = Literal["low", "normal", "high"]
RoleName = Literal["owner", "editor", "viewer"]
SortName = Literal["created_at", "-created_at", "due_date", "-due_date", "priority", "-priority"]


@dataclass(frozen=True, slots=True)
class Matches:
    """Validates a string against `pattern` (Python's `re`, searched, as JSON Schema does) and
    states it as the schema's `pattern`: what is documented is what is checked. Not pydantic's
    own `pattern=`: its regular expressions (Rust's) cannot name a surrogate."""

    pattern: str
    message: str

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        compiled = re.compile(self.pattern)

        def check(value: str) -> str:
            if compiled.search(value) is None:
                raise PydanticCustomError("string_pattern_mismatch", self.message)
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema


@dataclass(frozen=True, slots=True)
class EnumNames:
    """Names the values of an enum of the document (`x-enum-varnames`), one by one: a generated
    client otherwise calls `-created_at` `VALUE_1`."""

    names: tuple[str, ...]

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        if len(self.names) != len(json_schema["enum"]):
            raise ValueError("an enum needs one name per value")
        json_schema["x-enum-varnames"] = list(self.names)
        return json_schema


Sorting = Annotated[
    SortName,
    EnumNames(
        (
            "CREATED_AT",
            "CREATED_AT_DESC",
            "DUE_DATE",
            "DUE_DATE_DESC",
            "PRIORITY",
            "PRIORITY_DESC",
        )
    ),
]


# The domain's rules (todo_domain.rules) as patterns, from its own character classes. They
# leave the surrogates out: no JSON Schema validator's regular expressions can name one (the
# pattern would be dropped), and pydantic already refuses a string holding one as not Unicode.
_STORABLE = rules.char_class(rules.NUL, negated=True)
_VISIBLE = rules.char_class(rules.NUL, rules.WHITESPACE, negated=True)
_BLANK = rules.char_class(rules.WHITESPACE)
STORABLE = Matches(f"^{_STORABLE}*$", "must not contain U+0000")
NOT_BLANK = Matches(
    f"^{_STORABLE}*{_VISIBLE}{_STORABLE}*$", "must not be blank, nor contain U+0000"
)
EMAIL = Matches(f"^{_BLANK}*{rules.EMAIL_PATTERN}{_BLANK}*$", "must be a valid e-mail address")
CURSOR = Matches("^[A-Za-z0-9_-]+$", "is not a cursor of this listing")

Text = Annotated[str, STORABLE]
Title = Annotated[
    str,
    Field(
        min_length=1,
        max_length=rules.TITLE_MAX,
        description=(
            f"At most {rules.TITLE_MAX} characters as sent; stored trimmed, which must leave "
            "at least one"
        ),
        examples=["Buy milk"],
    ),
    NOT_BLANK,
]
Description = Annotated[str, Field(max_length=rules.DESCRIPTION_MAX), STORABLE]
Tag = Annotated[
    str,
    Field(
        min_length=1,
        max_length=rules.TAG_MAX,
        description=(
            f"Stored trimmed and lower case, which must leave 1 to {rules.TAG_MAX} characters "
            "(U+0130 becomes two)"
        ),
    ),
    NOT_BLANK,
]
Tags = Annotated[
    list[Tag],
    Field(
        max_length=rules.TAGS_MAX,
        description=f"At most {rules.TAGS_MAX} as sent; duplicates are merged",
        examples=[["home", "errand"]],
    ),
]
Email = Annotated[
    str,
    Field(
        max_length=rules.EMAIL_MAX,
        description="Stored trimmed and lower case",
        examples=["ada@example.com"],
    ),
    EMAIL,
]
Password = Annotated[
    str, Field(min_length=rules.PASSWORD_MIN, max_length=rules.PASSWORD_MAX), STORABLE
]
DisplayName = Annotated[
    str,
    Field(max_length=rules.DISPLAY_NAME_MAX, description="Trimmed; blank is no name"),
    STORABLE,
]
# A password the caller proves they know: checked, never stored, so no rule but a bound (as
# the login form's; a longer one is simply wrong).
CurrentPassword = Annotated[str, Field(min_length=1, max_length=1024), STORABLE]
ListName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=rules.LIST_NAME_MAX,
        description=(
            f"At most {rules.LIST_NAME_MAX} characters as sent; stored trimmed, which must "
            "leave at least one"
        ),
        examples=["Groceries"],
    ),
    NOT_BLANK,
]
Cursor = Annotated[str, Field(max_length=512), CURSOR]


def _absent(*, nullable: bool = False, description: str | None = None) -> Any:
    """The default of a field of a change: absent is unchanged, which no value a client can
    send says, so the document shows no default. Unless `nullable`, null is refused too (see
    `TodoUpdate._not_null`), and the document does not offer it."""

    def document(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        if not nullable:
            (value,) = [branch for branch in schema.pop("anyOf") if branch != {"type": "null"}]
            schema.update(value)

    return Field(default=None, description=description, json_schema_extra=document)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: object) -> object:
    """Pydantic alone turns `0` or `"0"` into 1970-01-01 (a Unix time); the contract says
    `YYYY-MM-DD` (found by fuzzing)."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("must be a date as YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(_Input):
    email: Email
    password: Password
    display_name: DisplayName | None = None


class UserOut(_Output):
    id: UUID
    email: str
    display_name: str | None
    created_at: datetime
    version: int = Field(
        description="Increments on every change of the profile or the password; the ETag carries it"
    )

    @classmethod
    def of(cls, user: User) -> Self:
        return cls.model_construct(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            created_at=user.created_at,
            version=user.version,
        )


class UserPatch(_Input):
    display_name: DisplayName | None = Field(description="The new name; null or blank clears it")


class PasswordChange(_Input):
    current_password: CurrentPassword
    new_password: Password


class AccountDeletion(_Input):
    password: CurrentPassword = Field(description="The account's password, to confirm")


class TokenOut(_Output):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")


class TodoCreate(_Input):
    title: Title
    description: Description = ""
    priority: PriorityName = "normal"
    due_date: IsoDate | None = None
    tags: Tags = []
    list_id: UUID | None = Field(
        default=None, description="The list to add it to (editor or owner); default the Inbox"
    )

    def to_domain(self) -> NewTodo:
        return NewTodo(
            title=self.title,
            description=self.description,
            priority=Priority(self.priority),
            due_date=self.due_date,
            tags=self.tags,
            list_id=self.list_id,
        )


class TodoUpdate(_Input):
    """Only the fields present change; `due_date: null` clears the due date."""

    title: Title | None = _absent()
    description: Description | None = _absent()
    status: StatusName | None = _absent()
    priority: PriorityName | None = _absent()
    due_date: IsoDate | None = _absent(nullable=True)
    tags: Tags | None = _absent()
    list_id: UUID | None = _absent(
        description="Moves the todo to this list (editor or owner of both lists)"
    )

    @field_validator("title", "description", "status", "priority", "tags", "list_id")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only for values that were sent (defaults are not validated).
        if value is None:
            raise ValueError("must not be null")
        return value

    def to_domain(self) -> TodoChanges:
        sent = self.model_fields_set
        return TodoChanges(
            title=self.title if "title" in sent and self.title is not None else UNSET,
            description=(
                self.description
                if "description" in sent and self.description is not None
                else UNSET
            ),
            status=Status(self.status) if self.status is not None else UNSET,
            priority=Priority(self.priority) if self.priority is not None else UNSET,
            due_date=self.due_date if "due_date" in sent else UNSET,
            tags=self.tags if self.tags is not None else UNSET,
            list_id=self.list_id if self.list_id is not None else UNSET,
        )


class TodoOut(_Output):
    id: UUID
    list_id: UUID
    title: str
    description: str
    status: StatusName
    priority: PriorityName
    due_date: date | None
    tags: list[str] = Field(description="Lower case, sorted, without duplicates")
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    version: int = Field(description="Increments on every change; the ETag carries it")

    @classmethod
    def of(cls, todo: Todo) -> Self:
        # Entities are valid by construction: skip validation on the hot path.
        return cls.model_construct(
            id=todo.id,
            list_id=todo.list_id,
            title=todo.title,
            description=todo.description,
            status=todo.status.value,
            priority=todo.priority.value,
            due_date=todo.due_date,
            tags=list(todo.tags),
            created_at=todo.created_at,
            updated_at=todo.updated_at,
            completed_at=todo.completed_at,
            version=todo.version,
        )


class TodoPage(_Output):
    items: list[TodoOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


class ListCreate(_Input):
    name: ListName


class ListPatch(_Input):
    name: ListName


class ListOut(_Output):
    id: UUID
    name: str
    inbox: bool = Field(description="The caller's Inbox: private, never renamed or deleted")
    role: RoleName = Field(description="The caller's role in the list")
    created_at: datetime
    updated_at: datetime
    version: int = Field(
        description="Increments on every change of the list or its members; the ETag carries it"
    )

    @classmethod
    def of(cls, access: ListAccess) -> Self:
        todo_list = access.todo_list
        return cls.model_construct(
            id=todo_list.id,
            name=todo_list.name,
            inbox=todo_list.is_inbox,
            role=access.role.value,
            created_at=todo_list.created_at,
            updated_at=todo_list.updated_at,
            version=todo_list.version,
        )


class ListPage(_Output):
    items: list[ListOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


class MemberAdd(_Input):
    email: Email
    role: RoleName = "viewer"


class MemberPatch(_Input):
    role: RoleName


class MemberOut(_Output):
    user_id: UUID
    email: str
    display_name: str | None
    role: RoleName

    @classmethod
    def of(cls, member: Member) -> Self:
        return cls.model_construct(
            user_id=member.user_id,
            email=member.email,
            display_name=member.display_name,
            role=member.role.value,
        )


# --- the hot path: response bytes without a model per todo ----------------------------------
class TodoJson(TypedDict):
    """`TodoOut` as a plain dict: same fields, order and types, so the same JSON. Routes
    serialise it with a `TypeAdapter` (pydantic-core, in Rust) instead of constructing a
    model per todo (`model_construct` runs in Python: a fifth of a 50-todo page's CPU)."""

    id: UUID
    list_id: UUID
    title: str
    description: str
    status: str
    priority: str
    due_date: date | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    version: int


class TodoPageJson(TypedDict):
    items: list[TodoJson]
    next_cursor: str | None


_TODO_JSON = TypeAdapter(TodoJson)
_PAGE_JSON = TypeAdapter(TodoPageJson)


def _todo_dict(todo: Todo) -> TodoJson:
    return {
        "id": todo.id,
        "list_id": todo.list_id,
        "title": todo.title,
        "description": todo.description,
        "status": todo.status.value,
        "priority": todo.priority.value,
        "due_date": todo.due_date,
        "tags": list(todo.tags),
        "created_at": todo.created_at,
        "updated_at": todo.updated_at,
        "completed_at": todo.completed_at,
        "version": todo.version,
    }


def todo_json(todo: Todo) -> bytes:
    """The bytes of `TodoOut.of(todo).model_dump_json()`."""
    return _TODO_JSON.dump_json(_todo_dict(todo))


def page_json(items: Sequence[Todo], next_cursor: str | None) -> bytes:
    """The bytes of a `TodoPage` of `items`."""
    return _PAGE_JSON.dump_json(
        {"items": [_todo_dict(todo) for todo in items], "next_cursor": next_cursor}
    )
