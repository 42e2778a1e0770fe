"""Distinct values worked through in forked workers give what one pass gives."""

import pandas as pd
import pyarrow as pa
import pytest

from linkage.standardise import _forked, standardise
from linkage.standardise._forked import map_to_table
from linkage.standardise.names import _parse_table, standardise_names

pytestmark = pytest.mark.skipif(_forked.available_cores() < 2, reason="needs two cores")

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


def _lengths(values):
    return pa.table({"n": pa.array([len(v) for v in values], pa.int64())})


def _fails(values):
    raise ValueError("a worker's error")


def test_parts_in_order_and_equal_to_one_pass(monkeypatch):
    values = [f"v{i}" * (i % 7) for i in range(1000)]
    monkeypatch.setattr(_forked, "MIN_VALUES", 10)
    assert map_to_table(_lengths, values).equals(_lengths(values))
    names = NAMES * 20
    assert map_to_table(_parse_table, names).equals(_parse_table(names))


def test_a_workers_error_reaches_the_caller(monkeypatch):
    monkeypatch.setattr(_forked, "MIN_VALUES", 10)
    with pytest.raises(ValueError, match="a worker's error"):
        map_to_table(_fails, list(range(100)))


def test_names_parsed_on_two_cores_are_the_names_parsed_on_one(monkeypatch):
    full = pd.Series([f"{n} {i}" if n else n for i, n in enumerate(NAMES * 30)] + [None])
    guardian = pd.Series(([None, "Muhammad Akhter", "n/a"] * 81)[: len(full)])
    one = standardise_names(full, guardian)
    monkeypatch.setattr(_forked, "MIN_VALUES", 10)
    pd.testing.assert_frame_equal(standardise_names(full, guardian), one)
    frame = pd.DataFrame({"full_name": full, "guardian_name": guardian})
    assert standardise(frame)["guardian_given"].equals(one["guardian_given"])
