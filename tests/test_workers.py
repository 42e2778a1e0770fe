"""Distinct values worked through in worker processes give what one pass gives."""

import logging
import os

import pandas as pd
import pytest

from linkage.standardise import _workers, standardise
from linkage.standardise._workers import map_to_table
from linkage.standardise.names import _parse_table, standardise_names

pytestmark = pytest.mark.skipif(_workers.available_cores() < 2, reason="needs two cores")

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
    monkeypatch.setattr(_workers, "MIN_VALUES", 10)
    caplog.set_level(logging.WARNING, logger=_workers.__name__)
    return caplog


def test_parts_in_order_and_equal_to_one_pass(small_batches):
    names = [f"{n} {i}" for i, n in enumerate(NAMES * 40)] + [None]
    assert map_to_table(_parse_table, names).equals(_parse_table(names))
    assert not small_batches.records  # the worker did its part


def test_a_worker_that_fails_costs_time_not_the_result(small_batches):
    names = NAMES * 40
    assert map_to_table(_parse_here_only, names).equals(_parse_table(names))
    assert "worker failed" in small_batches.text


def test_names_parsed_on_two_cores_are_the_names_parsed_on_one(small_batches, monkeypatch):
    full = pd.Series([f"{n} {i}" if n else n for i, n in enumerate(NAMES * 30)] + [None])
    guardian = pd.Series(([None, "Muhammad Akhter", "n/a"] * 81)[: len(full)])
    monkeypatch.setattr(_workers, "MIN_VALUES", 10**9)
    one = standardise_names(full, guardian)
    monkeypatch.setattr(_workers, "MIN_VALUES", 10)
    pd.testing.assert_frame_equal(standardise_names(full, guardian), one)
    frame = pd.DataFrame({"full_name": full, "guardian_name": guardian})
    assert standardise(frame)["guardian_given"].equals(one["guardian_given"])
    assert not small_batches.records
