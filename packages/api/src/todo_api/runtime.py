"""Process tuning for a serving process (never applied in tests that build apps)."""

import gc

GC_THRESHOLDS = (20_000, 50, 100)
"""CPython's default (700, 10, 10) runs a young collection every 700 container allocations
(a request makes thousands) and a full one every 100 of those, walking every object the
imports and the app built. The gain on a get by id is in bench/README.md."""


def tune_gc() -> None:
    """Collect once, freeze what exists (modules, routes, models: they live as long as the
    process, so later collections skip them), and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
