"""Access tokens: JWTs signed with HS256 that stand for a `Session`: the user (`sub`), `iat`,
`exp`, the token's own id (`jti`, which sign-out ends) and the user's credentials version
(`cv`, which a password change moves past). The signature says the token is ours; whether
its session is still current is the storage's to say (`AccountService.is_current`)."""

import logging
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt

from todo_domain import Clock, Session, User

ALGORITHM = "HS256"
VERIFIED_MAX = 10_000  # tokens remembered as verified, per process
TOKEN_ID_BYTES = 16  # 22 characters of base64url; the storage keeps at most TOKEN_ID_MAX
TOKEN_ID_MAX = 64
REQUIRED_CLAIMS = ["sub", "iat", "exp", "jti", "cv"]
log = logging.getLogger(__name__)


class InvalidToken(Exception):
    """Malformed, tampered, expired or otherwise unacceptable."""


class TokenService:
    def __init__(self, key: str, lifetime: timedelta, clock: Clock) -> None:
        self._key = key
        self._lifetime = lifetime
        self._clock = clock
        # token -> (its session, valid from, valid until), in the order first verified
        self._verified: dict[str, tuple[Session, int, int]] = {}

    @property
    def lifetime_seconds(self) -> int:
        return int(self._lifetime.total_seconds())

    def issue(self, user: User) -> str:
        now = self._clock.now()
        claims = {
            "sub": str(user.id),
            "iat": now,
            "exp": now + self._lifetime,
            "jti": secrets.token_urlsafe(TOKEN_ID_BYTES),
            "cv": user.credentials_version,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def session(self, token: str) -> Session:
        """What the token stands for; `InvalidToken` unless it is genuine, of this version of
        the service (a token without `jti` and `cv` is not) and within its validity window.

        A client sends the same token with every request: a token verified once is
        remembered (bounded) with its validity window, so later requests only compare times
        (the same check pyjwt makes: `iat`/`nbf` <= now < `exp`, on the real clock). The
        signature of a given token string cannot change; an unknown, tampered or rejected
        token always goes through pyjwt. Only the signature is remembered: whether the
        session was ended since is asked anew on every request."""
        known = self._verified.get(token)
        if known is not None:
            session, not_before, expires = known
            if not_before <= time.time() < expires:
                return session
            del self._verified[token]
        try:
            claims = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS}
            )
            session = _session_of(claims)
            window = (max(int(claims["iat"]), int(claims.get("nbf", 0))), int(claims["exp"]))
        except (jwt.PyJWTError, ValueError, TypeError, AttributeError, OverflowError) as error:
            raise InvalidToken(str(error)) from None
        if len(self._verified) >= VERIFIED_MAX:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = (session, *window)
        return session


def _session_of(claims: dict[str, Any]) -> Session:
    token_id, credentials_version = claims["jti"], claims["cv"]
    if not isinstance(token_id, str) or not 0 < len(token_id) <= TOKEN_ID_MAX:
        raise ValueError("jti must be a string of 1 to 64 characters")
    # bool is an int to Python, not to JSON: `true` is no version.
    if type(credentials_version) is not int or credentials_version < 1:
        raise ValueError("cv must be a positive integer")
    return Session(
        user_id=UUID(claims["sub"]),
        token_id=token_id,
        credentials_version=credentials_version,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


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
