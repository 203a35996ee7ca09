"""Tokens (pyjwt, HS256) and password hashing (argon2 through pwdlib, off the event loop)."""

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import jwt
import pytest

from fakes import FixedClock
from todo_api.hashing import Argon2PasswordHasher
from todo_api.security import InvalidToken, TokenService, signing_key

KEY = "k" * 40


def test_a_token_carries_sub_iat_and_exp_signed_with_hs256() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    tokens = TokenService(KEY, timedelta(minutes=30), FixedClock(now))
    user_id = uuid4()

    token = tokens.issue(user_id)

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, KEY, algorithms=["HS256"])
    assert claims == {
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=30)).timestamp()),
    }
    assert tokens.user_id(token) == user_id
    assert tokens.lifetime_seconds == 1800


def test_a_token_past_its_lifetime_is_invalid() -> None:
    issued = datetime.now(UTC) - timedelta(hours=2)
    token = TokenService(KEY, timedelta(hours=1), FixedClock(issued)).issue(uuid4())

    with pytest.raises(InvalidToken):
        TokenService(KEY, timedelta(hours=1), FixedClock(datetime.now(UTC))).user_id(token)


def test_a_token_of_another_key_is_invalid() -> None:
    clock = FixedClock(datetime.now(UTC))
    token = TokenService("o" * 40, timedelta(hours=1), clock).issue(uuid4())

    with pytest.raises(InvalidToken):
        TokenService(KEY, timedelta(hours=1), clock).user_id(token)


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
