"""Tokens (pyjwt, HS256) and password hashing (argon2 through pwdlib, off the event loop)."""

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from builders import make_user
from fakes import FixedClock
from todo_api.hashing import Argon2PasswordHasher
from todo_api.security import InvalidToken, TokenService, signing_key
from todo_domain import Session

KEY = "k" * 40


def test_a_token_carries_sub_iat_exp_jti_and_cv_signed_with_hs256() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    tokens = TokenService(KEY, timedelta(minutes=30), FixedClock(now))
    user = make_user(credentials_version=3)

    token = tokens.issue(user)

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, KEY, algorithms=["HS256"])
    expires = now + timedelta(minutes=30)
    assert claims == {
        "sub": str(user.id),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": claims["jti"],
        "cv": 3,
    }
    assert tokens.session(token) == Session(
        user_id=user.id, token_id=claims["jti"], credentials_version=3, expires_at=expires
    )
    assert tokens.lifetime_seconds == 1800


def test_every_token_has_an_id_of_its_own() -> None:
    """Issued in the same second to the same user, two tokens still differ: signing out of
    one must not end the other."""
    tokens = TokenService(KEY, timedelta(minutes=30), FixedClock(datetime.now(UTC)))
    user = make_user()

    issued = [tokens.session(tokens.issue(user)) for _ in range(50)]

    ids = {session.token_id for session in issued}
    assert len(ids) == 50
    assert all(16 <= len(token_id) <= 64 for token_id in ids)


def test_a_token_past_its_lifetime_is_invalid() -> None:
    issued = datetime.now(UTC) - timedelta(hours=2)
    token = TokenService(KEY, timedelta(hours=1), FixedClock(issued)).issue(make_user())

    with pytest.raises(InvalidToken):
        TokenService(KEY, timedelta(hours=1), FixedClock(datetime.now(UTC))).session(token)


def test_a_token_of_another_key_is_invalid() -> None:
    clock = FixedClock(datetime.now(UTC))
    token = TokenService("o" * 40, timedelta(hours=1), clock).issue(make_user())

    with pytest.raises(InvalidToken):
        TokenService(KEY, timedelta(hours=1), clock).session(token)


def _signed(**changes: Any) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(make_user().id),
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "a-token-id",
        "cv": 1,
    }
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, KEY, algorithm="HS256")


@pytest.mark.parametrize(
    "changes",
    [
        {"jti": None},  # a token of the version before sessions: log in again
        {"cv": None},
        {"jti": None, "cv": None},
        {"jti": ""},
        {"jti": "j" * 65},  # longer than the storage keeps
        {"jti": 7},
        {"cv": 0},
        {"cv": -1},
        {"cv": "1"},
        {"cv": True},
        {"cv": 1.5},
        {"sub": 42},
    ],
    ids=repr,
)
def test_a_token_without_a_proper_jti_and_cv_is_invalid(changes: dict[str, Any]) -> None:
    tokens = TokenService(KEY, timedelta(hours=1), FixedClock(datetime.now(UTC)))

    with pytest.raises(InvalidToken):
        tokens.session(_signed(**changes))


def test_the_control_of_the_cases_above_is_valid() -> None:
    tokens = TokenService(KEY, timedelta(hours=1), FixedClock(datetime.now(UTC)))

    session = tokens.session(_signed(jti="j" * 64, cv=2))

    assert (session.token_id, session.credentials_version) == ("j" * 64, 2)


def test_without_a_configured_key_each_process_gets_a_random_one_and_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="todo_api.security"):
        first, second = signing_key(None), signing_key(None)

    assert first != second
    assert len(first) >= 32
    assert sum("TODO_SECRET_KEY is not set" in message for message in caplog.messages) == 2
    assert signing_key(KEY) == KEY


@pytest.fixture(scope="module")
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


async def test_argon2_hashes_verify_only_their_password(hasher: Argon2PasswordHasher) -> None:
    hashed = await hasher.hash("correct horse")

    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert await hasher.verify("correct horse", hashed)
    assert not await hasher.verify("wrong horse", hashed)
    assert await hasher.hash("correct horse") != hashed  # salted


async def test_the_dummy_hash_is_a_real_hash_nobody_matches(hasher: Argon2PasswordHasher) -> None:
    assert hasher.dummy_hash.startswith("$argon2id$")
    assert not await hasher.verify("", hasher.dummy_hash)
    assert not await hasher.verify("password", hasher.dummy_hash)


async def test_an_unreadable_stored_hash_fails_verification(hasher: Argon2PasswordHasher) -> None:
    assert not await hasher.verify("password", "not-a-hash")


async def test_hashing_runs_off_the_event_loop_thread(
    hasher: Argon2PasswordHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[int] = []
    real_hash = hasher._hash.hash

    def recording_hash(password: str) -> str:
        threads.append(threading.get_ident())
        return real_hash(password)

    monkeypatch.setattr(hasher._hash, "hash", recording_hash)

    await asyncio.gather(hasher.hash("a password"), hasher.hash("b password"))

    assert threads
    assert threading.get_ident() not in threads
