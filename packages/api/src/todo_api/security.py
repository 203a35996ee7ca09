"""Access tokens: JWTs signed with HS256 that carry the user id (`sub`), `iat` and `exp`."""

import logging
import secrets
from datetime import timedelta
from uuid import UUID

import jwt

from todo_domain import Clock

ALGORITHM = "HS256"
log = logging.getLogger(__name__)


class InvalidToken(Exception):
    """Malformed, tampered, expired or otherwise unacceptable."""


class TokenService:
    def __init__(self, key: str, lifetime: timedelta, clock: Clock) -> None:
        self._key = key
        self._lifetime = lifetime
        self._clock = clock

    @property
    def lifetime_seconds(self) -> int:
        return int(self._lifetime.total_seconds())

    def issue(self, user_id: UUID) -> str:
        now = self._clock.now()
        claims = {"sub": str(user_id), "iat": now, "exp": now + self._lifetime}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def user_id(self, token: str) -> UUID:
        """The user the token was issued to; `InvalidToken` unless it is genuine and current."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "iat", "exp"]},
            )
            return UUID(claims["sub"])
        except (jwt.PyJWTError, ValueError, TypeError, AttributeError) as error:
            raise InvalidToken(str(error)) from None


def signing_key(configured: str | None) -> str:
    """The configured key, or a random one for this process only (and a loud warning)."""
    if configured is not None:
        return configured
    log.warning(
        "TODO_SECRET_KEY is not set: signing tokens with a random key of this process. Tokens "
        "stop working on restart and are not accepted by other processes. Set TODO_SECRET_KEY "
        "(at least 32 random characters) for any real deployment."
    )
    return secrets.token_urlsafe(32)
