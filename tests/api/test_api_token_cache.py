"""Verified tokens are remembered: the same answers as pyjwt, time checked on every use."""

import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from fakes import FixedClock
from todo_api import security
from todo_api.security import InvalidToken, TokenService

KEY = "k" * 40


def test_a_remembered_token_still_expires() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    tokens = TokenService(KEY, timedelta(seconds=2), FixedClock(now))
    user_id = uuid4()
    token = tokens.issue(user_id)
    assert tokens.user_id(token) == user_id
    assert tokens.user_id(token) == user_id  # remembered

    time.sleep(max(0.0, now.timestamp() + 2 - time.time()) + 0.05)
    with pytest.raises(InvalidToken):
        tokens.user_id(token)


def test_a_tampered_twin_of_a_remembered_token_is_refused() -> None:
    tokens = TokenService(KEY, timedelta(minutes=5), FixedClock(datetime.now(UTC)))
    token = tokens.issue(uuid4())
    tokens.user_id(token)
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(InvalidToken):
        tokens.user_id(tampered)


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "VERIFIED_MAX", 3)
    tokens = TokenService(KEY, timedelta(minutes=5), FixedClock(datetime.now(UTC)))
    users = [uuid4() for _ in range(5)]
    issued = [tokens.issue(user) for user in users]
    assert [tokens.user_id(token) for token in issued] == users
    assert len(tokens._verified) == 3
    assert [tokens.user_id(token) for token in issued] == users  # forgotten ones verify again
