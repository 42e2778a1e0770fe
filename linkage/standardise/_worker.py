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

A job that knows early that its file is large starts the worker with :func:`warm` while
it reads: the interpreter's start-up (about 2 s of imports and reference tables) then
overlaps the read, and the worker waits on stdin until the values come.
"""

from __future__ import annotations

import atexit
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

#: Values per batch the worker gives back (about 0.2 s of work).
BATCH = 10_000
#: Fewer values than this are worked through here: a worker costs about 2 s to start
#: (Python, pandas and the reference tables), a value about 25 µs.
MIN_VALUES = 50_000


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: Workers started ahead by :func:`warm`, by function, waiting for their values.
_waiting: dict[tuple[str, str], subprocess.Popen] = {}
_lock = threading.Lock()


def warm(fn: Callable[[Sequence], pa.Table]) -> None:
    """Start a worker for ``fn`` now, for the next :class:`Deferred` of ``fn`` to take.

    For a caller that will have enough values (a large file being read); a worker that
    is never taken is stopped when the process exits (or by :func:`stop_waiting`).
    """
    if available_cores() < 2:
        return
    with _lock:
        if _key(fn) in _waiting:
            return
        process = _launch(fn)
        if process is not None:
            _waiting[_key(fn)] = process


def stop_waiting() -> None:
    """Stop the workers started ahead and not taken."""
    with _lock:
        waiting = list(_waiting.values())
        _waiting.clear()
    for process in waiting:
        process.kill()
        process.wait()


atexit.register(stop_waiting)


def _key(fn: Callable) -> tuple[str, str]:
    return fn.__module__, fn.__qualname__


class Deferred:
    """``fn(values)`` begun now, in a worker when there are enough values to be worth it
    (and ``worker`` allows one); :meth:`result` gives the table. ``fn`` must be a
    module-level function returning one table row per value, in order (the worker
    imports it by name).

    The worker gives its rows back in batches of ``BATCH`` values, from the first value
    on. A caller that is ready before the worker has finished does not wait: it works
    through the values itself from the last one back, batch by batch, until it meets
    the worker's rows, then stops the worker. Where they meet depends only on their
    speeds, never on the result.
    """

    def __init__(
        self, fn: Callable[[Sequence], pa.Table], values: Sequence, *, worker: bool = True
    ) -> None:
        self.fn, self.values = fn, values
        self.batches: list[pa.RecordBatch] = []
        self.given = 0  # the worker's rows so far (the values from the first)
        self.failed = False
        self.thread: threading.Thread | None = None
        wanted = worker and len(values) >= MIN_VALUES and available_cores() >= 2
        self.process = _start(fn) if wanted else None
        if self.process is not None:
            data = _stream(pa.table({"v": pa.array(values, pa.string())}))
            self.thread = threading.Thread(target=self._talk, args=(data,), daemon=True)
            self.thread.start()

    def _talk(self, data: bytes) -> None:
        process = self.process
        assert process is not None and process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(data)
            process.stdin.close()
            for batch in pa.ipc.open_stream(process.stdout):
                self.batches.append(batch)
                self.given += batch.num_rows
        except (OSError, ValueError, pa.ArrowException):  # a worker that failed, or stopped
            pass
        self.failed = process.wait() > 0

    def result(self) -> pa.Table:
        if self.process is None:
            return self.fn(self.values)
        end, here = len(self.values), []
        while self.given < end:  # from the last value back, until the worker's rows
            start = max(end - BATCH, self.given)
            here.append(self.fn(self.values[start:end]))
            end = start
        self.process.kill()
        assert self.thread is not None
        self.thread.join()
        if self.failed:
            log.warning("a standardising worker failed; its values were done here")
        tables = [pa.Table.from_batches(self.batches).slice(0, end)] if end else []
        tables += reversed(here)
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        if table.num_rows != len(self.values):  # not one row per value: nothing of it
            log.warning("a standardising worker gave a wrong table; its values are done here")
            return self.fn(self.values)
        return table


def _start(fn: Callable) -> subprocess.Popen | None:
    """The worker started ahead for ``fn`` if it is still alive, else a new one."""
    with _lock:
        waiting = _waiting.pop(_key(fn), None)
    if waiting is not None and waiting.poll() is None:
        return waiting
    return _launch(fn)


def _launch(fn: Callable) -> subprocess.Popen | None:
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    try:
        return subprocess.Popen(
            [sys.executable, "-m", __name__, fn.__module__, fn.__qualname__, str(BATCH)],
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


def _main(module: str, name: str, batch: int) -> None:
    """In a worker: the values on stdin through ``module.name``, batch by batch, each
    batch's table on stdout as soon as it is done."""
    fn = getattr(importlib.import_module(module), name)
    values = pa.ipc.open_stream(sys.stdin.buffer.read()).read_all()["v"].to_pylist()
    out, writer = sys.stdout.buffer, None
    for start in range(0, max(len(values), 1), batch):
        table = fn(values[start : start + batch])
        writer = writer or pa.ipc.new_stream(out, table.schema)
        writer.write_table(table)
        out.flush()
    assert writer is not None
    writer.close()
    out.flush()


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
