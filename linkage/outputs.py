"""The output folder of a job: what it may replace, one job at a time, crash recovery.

A job's outputs replace its ``--out`` folder as a whole: they are written into a hidden
sibling and renamed into place (``linkage.intake.io.write_outputs``, and
``linkage.engines.spark_frames.write_outputs`` on Spark). That makes a run atomic; it would also
delete a user's files if ``--out`` named the wrong folder. Hence these rules:

* **Only runs are replaced.** Every run carries a marker file (``RUN_MARKER``: tool,
  version, job, time; no data). An existing ``--out`` is replaced only when it is empty
  or carries the marker; anything else is refused before any work starts, with what is
  in it. An output folder may not be, hold or lie inside an input of the same job.
* **One job per folder.** A job locks ``--out`` from its start to its end (``flock`` on
  the sibling ``.NAME.lock``), so a second job refuses at once instead of one silently
  replacing the other's results. The kernel drops the lock of a dead process: a crash
  never leaves a folder locked.
* **A crash leaves nothing behind for long.** Temporary (``.NAME.tmp-*``) and
  moved-aside (``.NAME.old-*``) folders carry the marker from their first moment to their
  last, so the next job for the same ``--out`` can tell them from anything else: it puts
  the previous run back when a crash left no ``--out``, and deletes the rest (they may
  hold golden records: names and CNICs).

The rules are written once against a small file-system interface with two
implementations: the local one (DuckDB, and Spark on local paths) and Hadoop's (Spark on
``hdfs://``, ``s3a://``, ...), where locking is best effort (:func:`_hadoop_lock`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import re
import shutil
import socket
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import linkage
from linkage.contract import RUN_MARKER
from linkage.errors import ConfigError

log = logging.getLogger(__name__)

#: The ``tool`` a marker must name for its folder to count as a run.
TOOL = "nser-linkage"
#: Entries named when a folder is refused; the rest are counted.
ENTRIES_SHOWN = 5
_MARKER_BYTES = 1 << 16


# --- the marker ----------------------------------------------------------------------


def marker_text(job: str | None) -> str:
    """The marker's content: enough to recognise a run and say what made it, no data."""
    return (
        json.dumps(
            {
                "tool": TOOL,
                "version": linkage.__version__,
                "job": job,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            sort_keys=True,
        )
        + "\n"
    )


def is_marker(text: str | None) -> bool:
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("tool") == TOOL


# --- two file systems, one interface -------------------------------------------------


class LocalFS:
    """The local file system; paths are absolute ``pathlib.Path``\\ s."""

    def path(self, given) -> Path:
        # resolved, so a symlinked --out is replaced where it really is
        return Path(given).resolve()

    def qualify(self, given) -> str:
        text = str(given)
        if text.startswith("file://"):
            text = text[len("file://") :]
        elif re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text):
            return text  # another file system (a Spark input): never inside a local folder
        return str(Path(text).resolve())

    def parent(self, p: Path) -> Path:
        return p.parent

    def child(self, p: Path, name: str) -> Path:
        return p / name

    def name(self, p: Path) -> str:
        return p.name

    def exists(self, p: Path) -> bool:
        return os.path.lexists(p)

    def is_dir(self, p: Path) -> bool:
        return p.is_dir()

    def names(self, p: Path) -> list[str]:
        return sorted(os.listdir(p))

    def mtime(self, p: Path) -> float:
        return p.stat().st_mtime

    def read_small(self, p: Path) -> str | None:
        try:
            with open(p, "rb") as fh:
                return fh.read(_MARKER_BYTES).decode("utf-8", "replace")
        except OSError:
            return None

    def write_text(self, p: Path, text: str) -> None:
        p.write_text(text, encoding="utf-8")

    def mkdirs(self, p: Path) -> None:
        p.mkdir(parents=True, exist_ok=True)

    def rename(self, src: Path, dst: Path) -> None:
        os.rename(src, dst)

    def copy(self, src: Path, dst: Path) -> None:
        """Copy a file or folder; files are hard links where the disk allows (a run's
        carried-over tables cost no space or time, and a replaced run deletes only its
        own names)."""
        if src.is_dir():
            shutil.copytree(src, dst, copy_function=_link_or_copy)
        else:
            _link_or_copy(src, dst)

    def remove(self, p: Path) -> None:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


LOCAL = LocalFS()


class HadoopFS:
    """Hadoop's file system through Spark's JVM; paths are ``org.apache.hadoop.fs.Path``.

    Hadoop reports failures as ``False`` or Java exceptions; :meth:`rename` raises
    ``OSError`` like the local one, so callers handle both alike.
    """

    def __init__(self, spark, given: str) -> None:
        self._jvm = spark._jvm
        self._conf = spark._jsc.hadoopConfiguration()
        self.fs = self._jpath(given).getFileSystem(self._conf)

    def _jpath(self, given, name: str | None = None):
        make = self._jvm.org.apache.hadoop.fs.Path
        return make(str(given)) if name is None else make(given, name)

    @property
    def is_local(self) -> bool:
        return self.fs.getUri().getScheme() == "file"

    def path(self, given):
        return self.fs.makeQualified(self._jpath(given))

    def qualify(self, given) -> str:
        p = self._jpath(given)
        return p.getFileSystem(self._conf).makeQualified(p).toString()

    def parent(self, p):
        return p.getParent()

    def child(self, p, name: str):
        return self._jpath(p, name)

    def name(self, p) -> str:
        return p.getName()

    def exists(self, p) -> bool:
        return self.fs.exists(p)

    def is_dir(self, p) -> bool:
        return self.fs.exists(p) and self.fs.getFileStatus(p).isDirectory()

    def names(self, p) -> list[str]:
        return sorted(s.getPath().getName() for s in self.fs.listStatus(p))

    def mtime(self, p) -> float:
        return self.fs.getFileStatus(p).getModificationTime() / 1000

    def read_small(self, p) -> str | None:
        from py4j.protocol import Py4JJavaError

        try:
            stream = self.fs.open(p)
        except Py4JJavaError:
            return None
        try:
            size = min(self.fs.getFileStatus(p).getLen(), _MARKER_BYTES)
            data = bytes(self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream, size))
        finally:
            stream.close()
        return data.decode("utf-8", "replace")

    def write_text(self, p, text: str, *, overwrite: bool = True) -> None:
        stream = self.fs.create(p, overwrite)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def mkdirs(self, p) -> None:
        from py4j.protocol import Py4JJavaError

        try:
            made = self.fs.mkdirs(p)
        except Py4JJavaError as exc:
            raise OSError(f"cannot create {p.toString()}: {exc.java_exception}") from None
        if not made:
            raise OSError(f"cannot create {p.toString()}")

    def copy(self, src, dst) -> None:
        util = self._jvm.org.apache.hadoop.fs.FileUtil
        if not util.copy(self.fs, src, self.fs, dst, False, self._conf):
            raise OSError(f"could not copy {src} to {dst}")

    def rename(self, src, dst) -> None:
        # Hadoop moves src *into* dst when dst is a folder: never let it get that far.
        if self.fs.exists(dst) or not self.fs.rename(src, dst):
            raise OSError(f"cannot rename {src.toString()} to {dst.toString()}")

    def remove(self, p) -> None:
        self.fs.delete(p, True)


# --- the rules -------------------------------------------------------------------------


def is_run(fs, folder) -> bool:
    """``folder`` is a run of this tool (or a temporary or old one): it has our marker."""
    return fs.is_dir(folder) and is_marker(fs.read_small(fs.child(folder, RUN_MARKER)))


def check_replaceable(fs, out, label: str) -> None:
    """Refuse an ``out`` that exists and is neither an empty folder nor a run.

    Called when a job starts and again just before the old folder is moved aside: the
    swap replaces the whole folder, so anything in it that is not ours would be lost.
    """
    if not fs.exists(out):
        return
    if not fs.is_dir(out):
        raise ConfigError("exists and is not a folder; choose another output path.", file=label)
    names = fs.names(out)
    if not names or is_run(fs, out):
        return
    raise ConfigError(
        f"is not empty and is not an output folder of nser-link (it has no {RUN_MARKER}), "
        f"so it is not replaced. It holds {_entries(fs, out, names)}. A job replaces its "
        "whole output folder: choose a new or empty folder, or an earlier run's.",
        file=label,
    )


def _entries(fs, folder, names: list[str]) -> str:
    """A few entry names (folders with a trailing /) and the count: never contents."""
    shown = [n + ("/" if fs.is_dir(fs.child(folder, n)) else "") for n in names[:ENTRIES_SHOWN]]
    more = f" and {len(names) - ENTRIES_SHOWN} more" if len(names) > ENTRIES_SHOWN else ""
    return f"{len(names)} entr{'y' if len(names) == 1 else 'ies'}: {', '.join(shown)}{more}"


def check_inputs(fs, out, inputs: Iterable, label: str) -> None:
    """Refuse an ``out`` that is, holds or lies inside an input of the job: replacing it
    would delete the input (``--out data`` for ``data/wave.csv``), or write into it."""
    at = fs.qualify(out)
    for given in inputs:
        if given is None:
            continue
        path = fs.qualify(given)
        if path == at:
            raise ConfigError(
                f"is {given}, an input of this job; write the outputs to a new folder.", file=label
            )
        if _inside(path, at):
            raise ConfigError(
                f"holds {given}, an input of this job. A job replaces its whole output "
                "folder, so this would delete its own input: write the outputs to a new "
                "folder outside the inputs' folders (e.g. runs/NAME).",
                file=label,
            )
        if _inside(at, path):
            raise ConfigError(
                f"lies inside {given}, an input of this job; write the "
                "outputs to a new folder outside it.",
                file=label,
            )


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/")


def sibling(fs, out, kind: str):
    """A fresh hidden sibling of ``out``: ``.NAME.tmp-<32 hex>`` or ``.NAME.old-<32 hex>``."""
    return fs.child(fs.parent(out), f".{fs.name(out)}.{kind}-{uuid.uuid4().hex}")


def new_temp(fs, out, job: str | None):
    """The temporary folder a job writes into, marked as ours before anything else goes
    in: a crash at any later moment leaves a folder the next job knows it may delete."""
    tmp = sibling(fs, out, "tmp")
    fs.mkdirs(tmp)
    try:
        fs.write_text(fs.child(tmp, RUN_MARKER), marker_text(job))
    except BaseException:
        discard(fs, tmp)
        raise
    return tmp


#: What a run's folder keeps when a job replaces it: the service's tokens, the partner
#: portal's uploads and audit trail (``service/``), and the clerk's decisions on pairs.
KEPT_ACROSS_RUNS = ("service", "clerical_decisions.csv")


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def carry_over(fs, out, tmp, names: Iterable[str]) -> None:
    """Copy the entries ``names`` of the old ``out`` that the new run (``tmp``) does not
    have into it. Copied, not moved: a crash before the swap leaves ``out`` whole."""
    present = set(fs.names(out))
    have = set(fs.names(tmp))
    for name in dict.fromkeys(names):
        if name in present and name not in have:
            fs.copy(fs.child(out, name), fs.child(tmp, name))
            have.add(name)


def swap_into_place(fs, tmp, out, label: str, *, keep: Sequence[str] = KEPT_ACROSS_RUNS) -> None:
    """Rename the finished ``tmp`` to ``out``; an old ``out`` is moved aside, then deleted.

    The entries ``keep`` of the old ``out`` are carried into the new one first
    (:func:`carry_over`). Between the two renames ``out`` is briefly absent, never
    half-written; if the second rename fails the old folder is put back, and if the
    process dies there the next job puts it back (:func:`recover`).
    """
    if not fs.exists(out):
        fs.rename(tmp, out)
        return
    check_replaceable(fs, out, label)
    carry_over(fs, out, tmp, keep)
    old = sibling(fs, out, "old")
    fs.rename(out, old)
    try:
        fs.rename(tmp, out)
    except BaseException:
        fs.rename(old, out)
        raise
    discard(fs, old)


def remove_ours(fs, folder) -> None:
    """Delete a folder of ours with its marker last, so a crash half-way through leaves a
    folder that is still recognisably ours (and is deleted by the next job)."""
    for name in fs.names(folder):
        if name != RUN_MARKER:
            fs.remove(fs.child(folder, name))
    fs.remove(folder)


def discard(fs, folder) -> None:
    """:func:`remove_ours`, never raising: used on the way out of a failure, whose own
    error is the one to report; what is left is cleaned up by the next job."""
    try:
        if fs.exists(folder):
            remove_ours(fs, folder)
    except Exception as exc:  # a second error here would hide the first
        log.warning(
            "could not remove the temporary folder %s (%s); the next job for the "
            "same output folder removes it",
            folder,
            exc,
        )


def recover(fs, out, label: str) -> None:
    """Tidy what a crashed job left beside ``out``; called under the lock.

    * ``out`` missing but an old run moved aside: the crash came between the two renames
      of the swap; the newest old run is put back.
    * temporary folders (``.NAME.tmp-*``) of ours, or empty: a job died while writing;
      deleted.
    * old runs (``.NAME.old-*``) of ours, or empty, once ``out`` is a run again: deleted.

    Ours means our naming pattern and our marker inside (or nothing inside at all).
    Anything else is left alone, with a warning.
    """
    parent, name = fs.parent(out), fs.name(out)
    if not fs.is_dir(parent):
        return
    pattern = re.compile(rf"\.{re.escape(name)}\.(tmp|old)-[0-9a-f]{{32}}")
    found = [
        (m.group(1), fs.child(parent, n))
        for n in fs.names(parent)
        if (m := pattern.fullmatch(n)) and fs.is_dir(fs.child(parent, n))
    ]
    olds = sorted((p for kind, p in found if kind == "old"), key=fs.mtime, reverse=True)
    if olds and not fs.exists(out):
        fs.rename(olds[0], out)
        log.warning("%s: put back the previous run, which a crashed job had moved aside", label)
        found = [(kind, p) for kind, p in found if fs.name(p) != fs.name(olds[0])]
    out_is_run = is_run(fs, out)
    for kind, p in found:
        if kind == "old" and not out_is_run:
            log.warning("%s: left %s alone (the folder is not a run)", label, fs.name(p))
        elif is_run(fs, p) or not fs.names(p):
            remove_ours(fs, p)
            log.info("%s: removed %s, left by a crashed job", label, fs.name(p))
        else:
            log.warning("%s: left %s alone (it has no %s)", label, fs.name(p), RUN_MARKER)


# --- locking ---------------------------------------------------------------------------


def _holder_text() -> str:
    return (
        json.dumps(
            {
                "tool": TOOL,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        + "\n"
    )


def _busy(label: str, holder: str | None, lock: str) -> ConfigError:
    try:
        h = json.loads(holder or "")
        who = f" (pid {h['pid']} on {h['host']}, since {h['since']})"
    except (ValueError, TypeError, KeyError):
        who = ""
    return ConfigError(
        f"another nser-link job{who} is writing to this output folder, and the later of "
        f"the two would silently replace the other's results. Wait for it to finish, or "
        f"choose another --out. (Lock file: {lock}.)",
        file=label,
    )


@contextlib.contextmanager
def _local_lock(lock: Path, label: str) -> Iterator[None]:
    """An exclusive ``flock`` on ``lock``, or a refusal naming its holder.

    The lock file is deleted on release. A job that opened it just before then holds a
    lock on a deleted file, so after locking each job checks that ``lock`` still names
    the file it locked, and starts over if not.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no flock; the folder rules still hold
        log.warning("%s: no file locking on this system; run one job per output folder", label)
        yield
        return
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:  # another user's lock file: locking needs no write access
            fd = _open_or_refuse(lock, os.O_RDONLY, label)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the lock file {lock} ({exc.strerror}).", file=label
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode("utf-8", "replace")
            os.close(fd)
            raise _busy(label, holder, str(lock)) from None
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        with contextlib.suppress(OSError):  # who holds it is for messages only
            os.ftruncate(fd, 0)
            os.write(fd, _holder_text().encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def _open_or_refuse(lock: Path, flags: int, label: str) -> int:
    try:
        return os.open(lock, flags)
    except OSError as exc:
        raise ConfigError(
            f"cannot open the lock file {lock} ({exc.strerror}).", file=label
        ) from None


@contextlib.contextmanager
def _hadoop_lock(fs: HadoopFS, lock, label: str) -> Iterator[None]:
    """A lock file created only if absent (``create(path, overwrite=false)``) holding the
    pid, host and time; deleted at the end.

    Best effort: object stores do not all make that creation atomic, and a job killed
    outright leaves the file behind. A leftover from a process of this host that is no
    longer running is taken over; one from another host must be deleted by hand (the
    refusal names it).
    """
    from py4j.protocol import Py4JJavaError

    for attempt in (1, 2):
        try:
            fs.write_text(lock, _holder_text(), overwrite=False)
            break
        except Py4JJavaError:
            if not fs.exists(lock):
                raise ConfigError(
                    f"cannot create the lock file {lock.toString()}.", file=label
                ) from None
            holder = fs.read_small(lock)
            if attempt == 1 and _dead_here(holder):
                fs.remove(lock)
                continue
            raise _busy(label, holder, lock.toString()) from None
    try:
        yield
    finally:
        with contextlib.suppress(Py4JJavaError):
            fs.remove(lock)


def _dead_here(holder: str | None) -> bool:
    """The lock's holder ran on this host and is no longer running."""
    try:
        h = json.loads(holder or "")
        pid = int(h["pid"])
        if h["host"] != socket.gethostname() or pid <= 0:
            return False
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (ValueError, TypeError, KeyError, PermissionError, OSError):
        return False
    return False


# --- the one entry point for jobs ----------------------------------------------------------


@contextlib.contextmanager
def output_folder(out, *, job: str, inputs: Iterable = (), backend=None) -> Iterator[None]:
    """Check, lock and tidy ``out`` for one job, and hold the lock until the job ends.

    In order: refuse an ``out`` that overlaps an input; lock it; put back or delete what
    a crashed job left; refuse an ``out`` that is neither absent, empty nor a run. All
    before the job reads its inputs, so a refusal costs nothing. ``backend`` is the job's
    ``BackendConfig``: on Spark, paths that are not local go through Hadoop's file system.
    ``write_outputs`` (either backend) does the writing, inside this block.
    """
    label = str(out)
    fs, target = _file_system(out, backend)
    check_inputs(fs, target, inputs, label)
    parent = fs.parent(target)
    try:
        fs.mkdirs(parent)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the output folder's parent ({exc}).", file=label
        ) from None
    lock = fs.child(parent, f".{fs.name(target)}.lock")
    held = _hadoop_lock(fs, lock, label) if isinstance(fs, HadoopFS) else _local_lock(lock, label)
    with held:
        recover(fs, target, label)
        check_replaceable(fs, target, label)
        yield


def _file_system(out, backend) -> tuple:
    """(file system, qualified ``out``): local unless a Spark job's path is not local."""
    if backend is None or backend.name != "spark":
        return LOCAL, LOCAL.path(out)
    from pyspark.sql import SparkSession

    from linkage.engines.spark_session import spark_session

    spark = SparkSession.getActiveSession() or spark_session(backend)
    hadoop = HadoopFS(spark, str(out))
    target = hadoop.path(out)
    if hadoop.is_local:  # locked with flock like any local folder
        return LOCAL, LOCAL.path(target.toUri().getPath())
    return hadoop, target


# --- single report files (validate-partner --out) --------------------------------------


def check_report_replaceable(path: str | Path, header: Sequence[str]) -> None:
    """Refuse to overwrite a file unless it is an earlier report of the same kind: its
    first row is exactly ``header``. A mistyped ``--out`` must not destroy a user's file."""
    path = Path(path)
    if not os.path.lexists(path):
        return
    if path.is_dir():
        raise ConfigError("is a folder; --out names the report file to write.", file=str(path))
    if _first_row(path) != [str(h) for h in header]:
        raise ConfigError(
            "exists and is not a report of this command (its first row is not the "
            "report's header), so it is not overwritten. Choose another --out, or move "
            "the file away.",
            file=str(path),
        )


def _first_row(path: Path) -> list[str] | None:
    try:
        with open(path, "rb") as fh:
            text = fh.read(_MARKER_BYTES).decode("utf-8-sig", "replace")
    except OSError:
        return None
    try:
        return next(csv.reader(io.StringIO(text)), None)
    except csv.Error:
        return None
