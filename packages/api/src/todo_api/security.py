"""Access tokens: JWTs signed with HS256 that carry the user id (`sub`), `iat` and `exp`."""

import logging
import secrets
import time
from datetime import timedelta
from uuid import UUID

import jwt

from todo_domain import Clock

ALGORITHM = "HS256"
VERIFIED_MAX = 10_000  # tokens remembered as verified, per process
log = logging.getLogger(__name__)


class InvalidToken(Exception):
    """Malformed, tampered, expired or otherwise unacceptable."""


class TokenService:
    def __init__(self, key: str, lifetime: timedelta, clock: Clock) -> None:
        self._key = key
        self._lifetime = lifetime
        self._clock = clock
        self._verified: dict[str, tuple[UUID, int, int]] = {}

    @property
    def lifetime_seconds(self) -> int:
        return int(self._lifetime.total_seconds())

    def issue(self, user_id: UUID) -> str:
        now = self._clock.now()
        claims = {"sub": str(user_id), "iat": now, "exp": now + self._lifetime}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def user_id(self, token: str) -> UUID:
        """The user the token was issued to; `InvalidToken` unless it is genuine and current.

        A client sends the same token with every request: a token verified once is
        remembered (bounded) with its validity window, so later requests only compare times
        (the same check pyjwt makes: `iat`/`nbf` <= now < `exp`, on the real clock). The
        signature of a given token string cannot change; an unknown, tampered or rejected
        token always goes through pyjwt."""
        known = self._verified.get(token)
        if known is not None:
            user_id, not_before, expires = known
            if not_before <= time.time() < expires:
                return user_id
            del self._verified[token]
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "iat", "exp"]},
            )
            user_id = UUID(claims["sub"])
            window = (max(int(claims["iat"]), int(claims.get("nbf", 0))), int(claims["exp"]))
        except (jwt.PyJWTError, ValueError, TypeError, AttributeError) as error:
            raise InvalidToken(str(error)) from None
        if len(self._verified) >= VERIFIED_MAX:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = (user_id, *window)
        return user_id


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
