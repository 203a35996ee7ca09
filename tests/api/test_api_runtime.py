"""The garbage collector of a serving process is tuned: startup objects frozen, fewer runs."""

import gc
from collections.abc import Iterator

import pytest

from todo_api.runtime import GC_THRESHOLDS, tune_gc


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


@pytest.mark.usefixtures("restored_gc")
def test_tune_gc_freezes_and_raises_the_thresholds() -> None:
    tune_gc()
    assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_freeze_count() > 0
