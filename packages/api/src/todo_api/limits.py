"""A limit on the size of request bodies: 413 instead of reading an unbounded body."""

import re
import sys
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_api.problems import problem_response

TOO_LARGE = "The request body is larger than {limit} bytes."
NOT_A_LENGTH = "The Content-Length header is not a number of bytes."
_DIGITS = re.compile(rb"[0-9]+")
_DIGITS_MAX = 18


class BodySizeLimit:
    """Refuses a declared `Content-Length` over the limit before the app runs, and stops a
    streamed (chunked) body as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = TOO_LARGE.format(limit=self.max_bytes)
        try:
            declared = _declared_length(scope)
        except ValueError:
            await problem_response(HTTPStatus.BAD_REQUEST, NOT_A_LENGTH)(scope, receive, send)
            return
        if declared is not None and declared > self.max_bytes:
            response = problem_response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, detail)
            await response(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI passes an HTTPException from body reading through unchanged, so
                    # the problem handler renders it.
                    raise HTTPException(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, detail)
            return message

        await self.app(scope, receive_within_limit, send)


def _declared_length(scope: Scope) -> int | None:
    """The `Content-Length`, or None without one; `ValueError` unless it is plain ASCII
    digits (`int()` alone takes `1_0`, ` 1` or `\xb2` too). More digits than any size has
    stand for a size above every limit, without converting thousands of digits."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            if not _DIGITS.fullmatch(value):
                raise ValueError("Content-Length is not a number")
            return int(value) if len(value) <= _DIGITS_MAX else sys.maxsize
    return None
