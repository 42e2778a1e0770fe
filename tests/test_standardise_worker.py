"""Names parsed in a worker process give what parsing them here gives."""

import logging
import os

import pandas as pd
import pytest

from linkage.standardise import _worker, standardise
from linkage.standardise._worker import Deferred
from linkage.standardise.names import _parse_table, standardise_names

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

_HERE = os.getpid()


def _parse_here_only(values):
    """Fails in any process but the test's (a worker that crashes)."""
    if os.getpid() != _HERE:
        raise SystemExit(3)
    return _parse_table(values)


@pytest.fixture
def small_batches(monkeypatch, caplog):
    monkeypatch.setattr(_worker, "MIN_VALUES", 10)
    caplog.set_level(logging.WARNING, logger=_worker.__name__)
    return caplog


def test_the_worker_gives_every_row_in_order(small_batches):
    names = [f"{n} {i}" for i, n in enumerate(NAMES * 40)] + [None]
    deferred = Deferred(_parse_table, names)
    assert deferred.thread is not None  # a worker was started
    assert deferred.result().equals(_parse_table(names))
    assert not small_batches.records  # and did the work


def test_a_worker_that_fails_costs_time_not_the_result(small_batches):
    names = NAMES * 40
    assert Deferred(_parse_here_only, names).result().equals(_parse_table(names))
    assert "worker failed" in small_batches.text


def test_few_values_are_parsed_here(monkeypatch):
    monkeypatch.setattr(_worker, "MIN_VALUES", 1000)
    deferred = Deferred(_parse_table, NAMES)
    assert deferred.thread is None
    assert deferred.result().equals(_parse_table(NAMES))


def test_names_parsed_on_two_cores_are_the_names_parsed_on_one(small_batches, monkeypatch):
    full = pd.Series([f"{n} {i}" if n else n for i, n in enumerate(NAMES * 30)] + [None])
    guardian = pd.Series(([None, "Muhammad Akhter", "n/a"] * 81)[: len(full)])
    monkeypatch.setattr(_worker, "MIN_VALUES", 10**9)
    one = standardise_names(full, guardian)
    monkeypatch.setattr(_worker, "MIN_VALUES", 10)
    pd.testing.assert_frame_equal(standardise_names(full, guardian), one)
    frame = pd.DataFrame({"full_name": full, "guardian_name": guardian})
    assert standardise(frame)["guardian_given"].equals(one["guardian_given"])
    assert not small_batches.records
