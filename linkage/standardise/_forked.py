"""Distinct values worked through on every core: parts in forked workers, sent back as Arrow.

Standardising is Python once per distinct value, names above all (about 380,000 distinct
names and guardians in a million records, 10 s on one core), while the other cores wait
for scoring. Splitting the *rows* does not help: each half holds most of the distinct
names again. Splitting the distinct values does. Forked workers see the values without a
copy, and send their columns back as an Arrow stream (no Python object crosses the pipe).
Where fork is missing (Windows), on one core, or for few values: one pass, here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pyarrow as pa

#: Fewer values than this are worked through here: a fork and an Arrow stream cost
#: about 0.1 s, a value about 20 µs.
MIN_VALUES = 50_000

#: The values the forked workers read (set only while they run).
_VALUES: Sequence | None = None


def map_to_table(fn: Callable[[Sequence], pa.Table], values: Sequence) -> pa.Table:
    """``fn(values)``, ``fn`` giving one table row per value, in order; with at least
    ``MIN_VALUES`` values the parts run at once on the cores this process may use (``fn``
    must be a module-level function, as the workers receive it by name)."""
    n = available_cores()
    if n < 2 or len(values) < MIN_VALUES or "fork" not in multiprocessing.get_all_start_methods():
        return fn(values)
    # One value here first: what ``fn`` loads once (reference tables) is then loaded
    # before the fork, and the workers share it instead of each loading it again.
    warm = fn(values[:1])
    bounds = np.linspace(1, len(values), n + 1).astype(int).tolist()
    global _VALUES
    _VALUES = values
    try:
        with ProcessPoolExecutor(n - 1, mp_context=multiprocessing.get_context("fork")) as pool:
            spans = zip(bounds[1:-1], bounds[2:], strict=True)
            others = [pool.submit(_part, fn, lo, hi) for lo, hi in spans]
            first = fn(values[1 : bounds[1]])
            parts = [warm, first, *(pa.ipc.open_stream(f.result()).read_all() for f in others)]
    finally:
        _VALUES = None
    return pa.concat_tables(parts)


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _part(fn: Callable[[Sequence], pa.Table], lo: int, hi: int) -> bytes:
    """In a worker: ``fn`` of values ``lo:hi``, as an Arrow stream."""
    assert _VALUES is not None
    table = fn(_VALUES[lo:hi])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()
