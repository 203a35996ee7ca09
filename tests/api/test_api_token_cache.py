"""Verified tokens are remembered: the same answers as pyjwt, time checked on every use.
Only the signature is remembered; whether a session is current is the storage's to say on
every request (tests/api/test_api_accounts.py)."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from builders import make_user
from fakes import FixedClock
from todo_api import security
from todo_api.security import InvalidToken, TokenService

KEY = "k" * 40


def test_a_remembered_token_still_expires() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    tokens = TokenService(KEY, timedelta(seconds=2), FixedClock(now))
    user = make_user()
    token = tokens.issue(user)
    first = tokens.session(token)
    assert first.user_id == user.id
    assert tokens.session(token) is first  # remembered

    time.sleep(max(0.0, now.timestamp() + 2 - time.time()) + 0.05)
    with pytest.raises(InvalidToken):
        tokens.session(token)


def test_a_tampered_twin_of_a_remembered_token_is_refused() -> None:
    tokens = TokenService(KEY, timedelta(minutes=5), FixedClock(datetime.now(UTC)))
    token = tokens.issue(make_user())
    tokens.session(token)
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(InvalidToken):
        tokens.session(tampered)


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "VERIFIED_MAX", 3)
    tokens = TokenService(KEY, timedelta(minutes=5), FixedClock(datetime.now(UTC)))
    users = [make_user() for _ in range(5)]
    issued = [tokens.issue(user) for user in users]
    ids = [user.id for user in users]
    assert [tokens.session(token).user_id for token in issued] == ids
    assert len(tokens._verified) == 3
    # forgotten ones verify again
    assert [tokens.session(token).user_id for token in issued] == ids
