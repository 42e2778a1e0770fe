"""A second core for the dearest standardiser: distinct values through a module-level
function in a worker process, while this process standardises the other columns.

Names are Python once per distinct value (about 380,000 names and guardians in a
million records, 10 s on one core), and everything else in ``standardise`` waits for
them on the same core. Handed to a worker as soon as the frame arrives, they are parsed
while this process works through the CNICs, dates, places and addresses.

The worker is a fresh interpreter (``python -m linkage.standardise._worker``) that reads
its values as an Arrow stream on stdin and writes its table as one on stdout: no Python
object per value crosses a pipe, and nothing of this process (its engine's threads, a
progress display) is forked. Forking instead crashed a worker now and then. A worker
that fails costs time, not the job: its values are then worked through here.
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

import pyarrow as pa

log = logging.getLogger(__name__)

#: Fewer values than this are worked through here: a worker costs about 2 s to start
#: (Python, pandas and the reference tables), a value about 25 µs.
MIN_VALUES = 50_000


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Deferred:
    """``fn(values)`` begun now, in a worker when there are enough values to be worth it;
    :meth:`result` waits for the table. ``fn`` must be a module-level function returning
    one table row per value, in order (the worker imports it by name)."""

    def __init__(self, fn: Callable[[Sequence], pa.Table], values: Sequence) -> None:
        self.fn, self.values = fn, values
        self.output: bytes | None = None
        self.thread: threading.Thread | None = None
        process = _start(fn) if len(values) >= MIN_VALUES and available_cores() >= 2 else None
        if process is not None:
            data = _stream(pa.table({"v": pa.array(values, pa.string())}))
            self.thread = threading.Thread(target=self._talk, args=(process, data), daemon=True)
            self.thread.start()

    def _talk(self, process: subprocess.Popen, data: bytes) -> None:
        try:
            out, _ = process.communicate(data)
        except OSError:
            return
        if process.returncode == 0:
            self.output = out

    def result(self) -> pa.Table:
        if self.thread is not None:
            self.thread.join()
            table = pa.ipc.open_stream(self.output).read_all() if self.output else None
            if table is not None and table.num_rows == len(self.values):
                return table
            log.warning(
                "a standardising worker failed; its %d values are done here", len(self.values)
            )
        return self.fn(self.values)


def _start(fn: Callable) -> subprocess.Popen | None:
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    try:
        return subprocess.Popen(
            [sys.executable, "-m", __name__, fn.__module__, fn.__qualname__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a traceback could quote a value
            env=env,
        )
    except OSError:
        log.warning("no standardising worker could be started; values are done here")
        return None


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
