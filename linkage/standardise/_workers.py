"""Distinct values worked through on every core: parts in worker processes, sent back as Arrow.

Standardising is Python once per distinct value, names above all (about 380,000 distinct
names and guardians in a million records, 10 s on one core), while the other cores wait
for scoring. Splitting the *rows* does not help: each half holds most of the distinct
names again. Splitting the distinct values does.

A worker is a fresh interpreter (``python -m linkage.standardise._workers``) that reads
its values as an Arrow stream on stdin and writes its table as one on stdout: no Python
object per value crosses a pipe. Forking this process instead (its engine's threads, a
progress display) crashed a worker now and then, and multiprocessing's other ways of
starting one run the caller's main script again. A worker that fails costs time, not
the job: its part is then worked through here.
"""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

log = logging.getLogger(__name__)

#: Fewer values than this are worked through here: starting a worker costs about 1 s,
#: a value about 20 µs.
MIN_VALUES = 50_000


def map_to_table(fn: Callable[[Sequence], pa.Table], values: Sequence) -> pa.Table:
    """``fn(values)``, ``fn`` giving one table row per value, in order; with at least
    ``MIN_VALUES`` values the parts run at once on the cores this process may use (``fn``
    must be a module-level function, as the workers import it by name)."""
    n = available_cores()
    if n < 2 or len(values) < MIN_VALUES:
        return fn(values)
    # The part here is a tenth larger than the others: a worker first starts Python and
    # loads what ``fn`` reads (the reference tables), about a second.
    first_part = int(len(values) * min(1.0, 1.1 / n))
    bounds = [0, *np.linspace(first_part, len(values), n).astype(int).tolist()]
    spans = list(zip(bounds[1:-1], bounds[2:], strict=True))
    workers = [_Worker(fn, values[lo:hi]) for lo, hi in spans]
    parts = [fn(values[:first_part])]
    for worker, (lo, hi) in zip(workers, spans, strict=True):
        table = worker.result()
        if table is None or table.num_rows != hi - lo:
            log.warning("a standardising worker failed; its %d values are done here", hi - lo)
            table = fn(values[lo:hi])
        parts.append(table)
    return pa.concat_tables(parts)


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Worker:
    """One worker process, fed and read by a thread while this process works."""

    def __init__(self, fn: Callable[[Sequence], pa.Table], values: Sequence) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, fn.__module__, fn.__qualname__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a traceback could quote a value
            env=env,
        )
        self.output: bytes | None = None
        self.thread = threading.Thread(
            target=self._talk, args=(_stream(pa.table({"v": pa.array(values, pa.string())})),)
        )
        self.thread.start()

    def _talk(self, data: bytes) -> None:
        try:
            out, _ = self.process.communicate(data)
        except OSError:
            return
        if self.process.returncode == 0:
            self.output = out

    def result(self) -> pa.Table | None:
        self.thread.join()
        if self.output is None:
            return None
        return pa.ipc.open_stream(self.output).read_all()


def _stream(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _main(module: str, name: str) -> None:
    """In a worker: the values on stdin through ``module.name``, the table on stdout."""
    fn = getattr(importlib.import_module(module), name)
    values = pa.ipc.open_stream(sys.stdin.buffer.read()).read_all()["v"].to_pylist()
    sys.stdout.buffer.write(_stream(fn(values)))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])
