"""Standardising in forked parts gives the frame standardising in one piece gives."""

from __future__ import annotations

import pandas as pd

from linkage.engines.local_parts import MIN_ROWS_PER_PART, parts_for, standardise_in_parts
from linkage.intake.io import read_table
from linkage.intake.validate import validate_rows
from linkage.standardise import standardise


def _records(generated) -> pd.DataFrame:
    raw = read_table(generated / "wave_2021.csv", kind="registry")
    rows = validate_rows(raw, kind="registry", file="wave_2021.csv").rows
    # an index that is not 0..n-1, as after rows are rejected
    return rows.set_axis(range(10, 10 + 3 * len(rows), 3))


def test_parts_give_the_same_frame_row_for_row_and_dtype_for_dtype(generated):
    records = _records(generated)
    one = standardise(records)
    parts = standardise_in_parts(records, standardise, parts=3)
    pd.testing.assert_frame_equal(parts, one)
    assert len(parts) > 5000


def test_a_column_of_a_standardised_name_is_replaced_in_place(generated):
    records = _records(generated).head(2000).assign(district_std="from the file")
    one = standardise(records)
    parts = standardise_in_parts(records, standardise, parts=2)
    pd.testing.assert_frame_equal(parts, one)
    assert list(parts.columns) == list(one.columns)
    assert (parts["district_std"] != "from the file").any()


def test_small_files_are_standardised_in_one_process():
    assert parts_for(MIN_ROWS_PER_PART - 1, threads=8) == 1
    assert parts_for(10 * MIN_ROWS_PER_PART, threads=2) == 2
    assert parts_for(10 * MIN_ROWS_PER_PART, threads=1) == 1
