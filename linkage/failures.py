"""Engine failures a setting can fix, as one sentence instead of pages of trace.

DuckDB out of memory, DuckDB out of spill space, a full disk, Python or Spark out of
memory: none is a bug, and each has a setting that helps. Splink re-raises engine errors
as ``SplinkException(...) from e`` with the whole SQL in the message, so the chain of
causes is searched for the engine's own exception. ``linkage.cli.main`` shows what
:func:`explain` returns like any other ``NserLinkError`` (exit 2); an exception it does
not recognise keeps its traceback, because that one is a bug.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator

import duckdb

from linkage.errors import NserLinkError


class ResourceError(NserLinkError):
    """The run needed more memory or disk than it was given."""


#: The figures of DuckDB's out-of-memory message: "(28.6 MiB/28.6 MiB used)".
_USED = re.compile(r"\(([\d.]+ \w+)/([\d.]+ \w+) used\)")

#: What helps whenever DuckDB runs short: fewer pairs to score.
_FEWER_PAIRS = "or lower blocking.max_comparisons so that fewer pairs are scored"


def explain(exc: BaseException) -> NserLinkError | None:
    """The user's-eye account of ``exc`` (or of an exception it wraps), or None when it
    is neither a shortage of memory or disk nor a file-system error (``exc`` itself)."""
    for e in _causes(exc):
        found = _resources(e)
        if found is not None:
            return found
    if isinstance(exc, OSError) and (exc.filename or exc.strerror):
        name = exc.filename2 or exc.filename  # a rename's target: the file the user named
        where = f"{name}: " if name else ""
        return NserLinkError(f"{where}{exc.strerror or exc}.")
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)


def _resources(e: BaseException) -> ResourceError | None:
    text = str(e)
    if isinstance(e, duckdb.OutOfMemoryException):
        used = _USED.search(text)
        if "max_temp_directory_size" in text:
            size = f" ({used.group(2)})" if used else ""
            return ResourceError(
                f"DuckDB ran out of room to spill to disk{size}. Point backend.temp_directory "
                "at a disk with more free space or raise backend.max_temp_directory_size; a "
                "higher --memory-limit (backend.memory_limit) spills less, " + _FEWER_PAIRS + "."
            )
        limit = f" (its limit is {used.group(2)})" if used else ""
        return ResourceError(
            f"DuckDB ran out of memory{limit}. Raise --memory-limit (backend.memory_limit), "
            "use fewer threads (backend.threads), " + _FEWER_PAIRS + "."
        )
    if _disk_full(e):
        where = f" ({e.filename})" if isinstance(e, OSError) and e.filename else ""
        return ResourceError(
            f"the disk is full{where}. Free some space; DuckDB spills to "
            "backend.temp_directory (set it to a disk with room, or cap what it uses with "
            "backend.max_temp_directory_size)."
        )
    if isinstance(e, MemoryError):
        return ResourceError(
            "Python ran out of memory. Lower --memory-limit (backend.memory_limit: DuckDB's "
            "share of the machine) to leave Python room, " + _FEWER_PAIRS + "; or run "
            "on a larger machine or on Spark."
        )
    if "java.lang.OutOfMemoryError" in text:
        return ResourceError(
            "Spark ran out of memory. Give the driver and executors more "
            "(spark.driver.memory, spark.executor.memory) or more partitions "
            "(backend.spark_shuffle_partitions), " + _FEWER_PAIRS + "."
        )
    return None


def _disk_full(e: BaseException) -> bool:
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(e, duckdb.IOException) and "No space left on device" in str(e)
