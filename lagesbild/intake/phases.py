"""CPU time per step of the intake pipeline, for the benchmark (bench/bench_import.py).

Off unless `measure()` is on: `phase(name)` then adds the process CPU time of its block to
`times()[name]`. Nothing else in the program reads it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

_times: dict[str, float] | None = None


@contextmanager
def measure() -> Iterator[dict[str, float]]:
    """Record the steps' CPU seconds inside the block into the dict it yields."""
    global _times
    _times = {}
    try:
        yield _times
    finally:
        _times = None


@contextmanager
def phase(name: str) -> Iterator[None]:
    if _times is None:
        yield
        return
    start = time.process_time()
    try:
        yield
    finally:
        _times[name] = _times.get(name, 0.0) + time.process_time() - start
