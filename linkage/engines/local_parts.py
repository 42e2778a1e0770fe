"""Standardisation spread over the cores of one machine (the embedded engine).

Standardising is pure Python per distinct value (names, addresses, places), so one
process uses one core however many DuckDB has; at a million records it is a fifth of a
dedupe. Rows are independent, so the frame is cut into contiguous parts, each part is
standardised in a forked process (which reads its rows from the parent's memory, not
from a copy sent to it), and the new columns come back as Arrow, which costs a
fraction of pickling a million Python strings. The result is the same frame, row for
row and dtype for dtype, as standardising in one piece (``tests/test_local_parts.py``).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable

import pandas as pd
import pyarrow as pa

from linkage.contract import STANDARDISED_COLUMNS
from linkage.standardise import OUTPUT_DTYPES

#: Below this many rows a part is not worth a process (start-up and transfer ~0.5 s).
MIN_ROWS_PER_PART = 150_000

_PARENT: dict[str, object] = {}  # the frame a forked child reads its part from


def parts_for(n_rows: int, threads: int | None) -> int:
    """How many processes standardise ``n_rows``: one per core the config allows, and
    none that would get fewer than ``MIN_ROWS_PER_PART`` rows."""
    cores = threads or os.cpu_count() or 1
    return max(1, min(cores, n_rows // MIN_ROWS_PER_PART))


def _standardise_part(bounds: tuple[int, int]) -> bytes:
    frame = _PARENT["frame"]
    fn = _PARENT["fn"]
    assert isinstance(frame, pd.DataFrame) and callable(fn)
    done = fn(frame.iloc[bounds[0]:bounds[1]])[list(STANDARDISED_COLUMNS)]
    sink = pa.BufferOutputStream()
    table = pa.Table.from_pandas(done, preserve_index=False)
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _columns(blob: bytes) -> pd.DataFrame:
    table = pa.ipc.open_stream(blob).read_all()
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype(),
                                         pa.large_string(): pd.StringDtype()}.get)


def standardise_in_parts(frame: pd.DataFrame, fn: Callable[[pd.DataFrame], pd.DataFrame],
                         parts: int) -> pd.DataFrame:
    """``fn(frame)`` computed in ``parts`` forked processes; ``fn`` adds the columns of
    ``STANDARDISED_COLUMNS`` and keeps the others (``linkage.standardise.standardise``)."""
    if parts <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return fn(frame)
    step = -(-len(frame) // parts)
    bounds = [(i, min(i + step, len(frame))) for i in range(0, len(frame), step)]
    _PARENT.update(frame=frame, fn=fn)
    try:
        with multiprocessing.get_context("fork").Pool(len(bounds)) as pool:
            blobs = pool.map(_standardise_part, bounds)
    finally:
        _PARENT.clear()
    added = pd.concat([_columns(b) for b in blobs], ignore_index=True)
    added = added.astype({c: t for c, t in OUTPUT_DTYPES.items() if added[c].dtype != t})
    added.index = frame.index
    if not frame.columns.intersection(added.columns).any():
        return pd.concat([frame, added], axis=1)
    out = frame.copy()  # as ``standardise`` does: a column of the same name is replaced
    for name in added.columns:
        out[name] = added[name]
    return out
