"""Ids are UUIDv7 (RFC 9562): version 7, RFC variant, ordered by creation time in milliseconds."""

import time
import uuid
from datetime import UTC, datetime

from todo_domain import new_id


def test_ids_are_version_7_with_the_rfc_variant() -> None:
    for _ in range(1000):
        value = new_id()
        assert value.version == 7
        assert value.variant == uuid.RFC_4122


def test_ids_are_unique() -> None:
    assert len({new_id() for _ in range(10_000)}) == 10_000


def test_the_timestamp_is_the_unix_millisecond_of_creation() -> None:
    before = time.time_ns() // 1_000_000
    value = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after


def test_ids_are_time_ordered_across_milliseconds() -> None:
    ids = []
    for _ in range(5):
        ids.append(new_id())
        time.sleep(0.002)  # cross at least one millisecond boundary
    assert ids == sorted(ids)
    assert ids == sorted(ids, key=str)  # the text form sorts the same way
    assert ids == sorted(ids, key=lambda value: value.bytes)


def test_the_timestamp_reads_back_as_now() -> None:
    stamped = datetime.fromtimestamp((new_id().int >> 80) / 1000, UTC)
    assert abs((stamped - datetime.now(UTC)).total_seconds()) < 5


def test_random_bits_differ_within_one_millisecond() -> None:
    batch = [new_id() for _ in range(100)]
    random_parts = {value.int & ((1 << 62) - 1) for value in batch}
    assert len(random_parts) == 100
