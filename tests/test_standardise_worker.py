"""Names parsed in a worker process give what parsing them here gives."""

import logging
import os
import sys
import time

import pandas as pd
import pytest

from linkage.config import BackendConfig, DedupeConfig
from linkage.engines import job_engine
from linkage.errors import InputError
from linkage.pipelines.dedupe import run_dedupe
from linkage.standardise import _worker, standardise
from linkage.standardise._worker import Deferred
from linkage.standardise.names import WARM_BYTES, _parse_table, standardise_names, warm_names

pytestmark = pytest.mark.skipif(_worker.available_cores() < 2, reason="needs two cores")

NAMES = [
    "Mohd. Naveed Akhtar",
    "Ali s/o Ahmed",
    "Syeda Fatima Bi Bi",
    "محمد علی",
    "N/A",
    "",
    "Zainab w/o Muhammad Umar",
    "Abdul Rehman Khan",
]

#: The test's process (a worker imports this module too, and is told the test's pid).
_HERE = int(os.environ.get("NSER_TEST_PID", os.getpid()))


def _parse_here_only(values):
    """Fails in any process but the test's (a worker that crashes)."""
    if os.getpid() != _HERE:
        raise SystemExit(3)
    return _parse_table(values)


def _slow_in_the_worker(values):
    """A worker that gives a batch every 0.3 s: the job overtakes it."""
    if os.getpid() != _HERE:
        time.sleep(0.3)
    return _parse_table(values)


@pytest.fixture
def small_batches(monkeypatch, caplog):
    # the workers import this module's functions by name, as the job's own
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([os.path.dirname(__file__), *sys.path]))
    monkeypatch.setenv("NSER_TEST_PID", str(_HERE))
    monkeypatch.setattr(_worker, "MIN_VALUES", 10)
    monkeypatch.setattr(_worker, "BATCH", 20)
    caplog.set_level(logging.WARNING, logger=_worker.__name__)
    yield caplog
    _worker.stop_waiting()


def _names(n: int) -> list[str | None]:
    return [f"{v} {i}" if v else v for i, v in enumerate((NAMES * n)[:n])] + [None]


def test_the_worker_gives_every_row_in_order(small_batches):
    names = _names(320)
    deferred = Deferred(_parse_table, names)
    assert deferred.thread is not None  # a worker was started
    deferred.thread.join(timeout=120)  # ... and finished before the result was asked for
    assert deferred.given == len(names)
    assert deferred.result().equals(_parse_table(names))
    assert not small_batches.records


def test_the_job_takes_the_last_values_when_the_worker_is_slow(small_batches):
    names = _names(400)
    deferred = Deferred(_slow_in_the_worker, names)
    deadline = time.monotonic() + 120
    while deferred.given < 20 and time.monotonic() < deadline:  # its first batch
        time.sleep(0.05)
    assert deferred.result().equals(_parse_table(names))
    assert 20 <= deferred.given < len(names)  # both did part of the work
    assert deferred.process.poll() is not None  # and the worker was stopped


def test_a_worker_that_fails_costs_time_not_the_result(small_batches):
    names = _names(320)
    deferred = Deferred(_parse_here_only, names)
    deferred.process.wait(timeout=120)
    assert deferred.result().equals(_parse_table(names))
    assert "worker failed" in small_batches.text


def test_a_worker_started_ahead_is_taken_by_the_next_deferred(small_batches):
    warm_names(WARM_BYTES - 1)  # a small file starts none
    assert not _worker._waiting
    warm_names(WARM_BYTES)
    (process,) = _worker._waiting.values()
    names = _names(100)
    deferred = Deferred(_parse_table, names)
    assert deferred.process is process and not _worker._waiting
    assert deferred.result().equals(_parse_table(names))


def test_a_worker_started_ahead_and_not_taken_is_stopped(small_batches):
    _worker.warm(_parse_table)
    (process,) = _worker._waiting.values()
    _worker.stop_waiting()
    assert process.poll() is not None and not _worker._waiting


def test_few_values_are_parsed_here(monkeypatch):
    monkeypatch.setattr(_worker, "MIN_VALUES", 1000)
    deferred = Deferred(_parse_table, NAMES)
    assert deferred.thread is None
    assert deferred.result().equals(_parse_table(NAMES))


def test_names_parsed_on_two_cores_are_the_names_parsed_on_one(small_batches, monkeypatch):
    full = pd.Series(_names(240))
    guardian = pd.Series(([None, "Muhammad Akhter", "n/a"] * 81)[: len(full)])
    monkeypatch.setattr(_worker, "MIN_VALUES", 10**9)
    one = standardise_names(full, guardian)
    monkeypatch.setattr(_worker, "MIN_VALUES", 10)
    pd.testing.assert_frame_equal(standardise_names(full, guardian), one)
    frame = pd.DataFrame({"full_name": full, "guardian_name": guardian})
    assert standardise(frame)["guardian_given"].equals(one["guardian_given"])
    assert not small_batches.records


def test_no_worker_when_the_caller_has_one_core_to_give(small_batches, monkeypatch):
    # A Spark task standardises its batch with names_worker=False: no process is started.
    started = []
    monkeypatch.setattr(_worker, "_launch", lambda fn: started.append(fn))  # would start one
    frame = pd.DataFrame({"full_name": _names(240), "guardian_name": None})
    alone = standardise(frame, names_worker=False)
    assert not started
    assert alone["given_name"].notna().any()  # parsed here instead
    standardise(frame)
    assert started  # the same frame on the job's own machine would have had one


def test_a_worker_started_for_a_job_ends_with_the_job(small_batches):
    with job_engine(BackendConfig()):
        warm_names(WARM_BYTES)  # as reading a large file does; its names never come
        (process,) = _worker._waiting.values()
    assert process.poll() is not None and not _worker._waiting


def test_a_refused_file_leaves_no_worker_behind(small_batches, tmp_path):
    wave = tmp_path / "wave.csv"  # large enough to start a worker, without a record_id
    wave.write_text("name,district\n" + "Ali Khan,Lahore\n" * (WARM_BYTES // 16 + 1))
    with pytest.raises(InputError, match="record_id"):
        run_dedupe(wave, tmp_path / "run", DedupeConfig())
    assert not _worker._waiting
