"""Row-level validation: unusable rows are set aside with a reason, nothing is lost."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.errors import InputError
from linkage.intake.validate import (
    REASON_NO_HOUSEHOLD_ID,
    REASON_NO_RECORD_ID,
    REASON_NOTHING_TO_MATCH,
    Validated,
    describe_rejections,
    validate_rows,
)

CNIC = "3520212345671"


def registry(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, dtype=object)
    df.insert(0, "input_row", range(1, len(df) + 1))
    return df


def test_each_reason_and_the_usable_rows():
    df = registry(
        [
            {"record_id": "r1", "household_id": "h", "full_name": "Ali", "cnic": None},
            {"record_id": None, "household_id": "h", "full_name": "Ali", "cnic": None},
            {"record_id": "r3", "household_id": " ", "full_name": None, "cnic": CNIC},
            {"record_id": "r4", "household_id": "h", "full_name": None, "cnic": None},
            {"record_id": "r5", "household_id": "h", "full_name": None, "cnic": "12-34"},
            {"record_id": "r6", "household_id": "h", "full_name": "علی", "cnic": None},
        ]
    )
    v = validate_rows(df, kind="registry", file="wave.csv")
    assert v.rows["record_id"].tolist() == ["r1", "r5", "r6"]  # malformed CNIC is kept
    assert v.rows.index.tolist() == [0, 1, 2]
    assert v.rejected["input_row"].tolist() == [2, 3, 4]
    assert v.rejected["reason"].tolist() == [
        REASON_NO_RECORD_ID,
        REASON_NO_HOUSEHOLD_ID,
        REASON_NOTHING_TO_MATCH,
    ]


def test_several_reasons_are_joined():
    df = registry([{"record_id": "  ", "household_id": None, "full_name": "", "cnic": None}])
    v = validate_rows(df, kind="registry", file="wave.csv")
    assert v.rejected["reason"].tolist() == [
        "empty record_id; empty household_id; no name and no CNIC (nothing to match on)"
    ]


def test_placeholders_do_not_count_as_a_name_or_cnic():
    df = registry([{"record_id": "r1", "household_id": "h", "full_name": "-", "cnic": "N/A"}])
    assert validate_rows(df, kind="registry", file="f").rejected["reason"].tolist() == [
        REASON_NOTHING_TO_MATCH
    ]


def test_partner_rows_need_no_household_and_may_lack_name_column():
    df = pd.DataFrame(
        {"record_id": ["p1", "p2"], "cnic": [CNIC, None], "extra": ["x", "y"]}, dtype=object
    )
    v = validate_rows(df, kind="partner", file="partner.csv")
    assert v.rows["record_id"].tolist() == ["p1"]
    # rows without input_row are numbered in frame order; the row is kept as given
    assert v.rejected.to_dict("records") == [
        {
            "record_id": "p2",
            "cnic": None,
            "extra": "y",
            "input_row": 2,
            "reason": REASON_NOTHING_TO_MATCH,
        }
    ]


def test_missing_required_column_is_a_file_error():
    df = pd.DataFrame({"id": ["r1"], "full_name": ["Ali"]})
    with pytest.raises(InputError) as err:
        validate_rows(df, kind="registry", file="wave.csv")
    assert str(err.value).startswith("wave.csv: missing required column record_id")
    assert err.value.column == "record_id"


def test_a_registry_without_households_is_valid_and_a_blank_household_is_not():
    without = pd.DataFrame({"record_id": ["r1", "r2"], "full_name": ["Ali", "Sana"]})
    assert len(validate_rows(without, kind="registry", file="w.csv").rows) == 2
    blank = without.assign(household_id=["h1", None])
    checked = validate_rows(blank, kind="registry", file="w.csv")
    assert checked.rejected["reason"].tolist() == ["empty household_id"]


def test_a_row_with_only_a_surname_or_another_id_is_usable():
    df = pd.DataFrame(
        {
            "record_id": ["r1", "r2", "r3"],
            "surname": ["Wright", None, None],
            "person_id_other": [None, "SS-1234", None],
        }
    )
    checked = validate_rows(df, kind="partner", file="p.csv")
    assert checked.rows["record_id"].tolist() == ["r1", "r2"]
    assert checked.rejected["record_id"].tolist() == ["r3"]


def test_reasons_the_reader_gave_come_first():
    df = registry(
        [
            {
                "record_id": "r1",
                "household_id": "h",
                "full_name": "A",
                "reason": "has 3 fields, the header has 4",
            },
            {
                "record_id": "r2",
                "household_id": None,
                "full_name": "A",
                "reason": "contains a NUL byte",
            },
            {"record_id": "r3", "household_id": "h", "full_name": "A", "reason": None},
        ]
    )
    v = validate_rows(df, kind="registry", file="f.csv")
    assert v.rejected["reason"].tolist() == [
        "has 3 fields, the header has 4",
        "contains a NUL byte; empty household_id",
    ]
    assert v.rows["record_id"].tolist() == ["r3"]
    assert "reason" not in v.rows.columns


def test_log_names_counts_not_values(caplog):
    df = registry([{"record_id": CNIC, "household_id": None, "full_name": "Ayesha", "cnic": CNIC}])
    with caplog.at_level(logging.INFO, logger="linkage.intake.validate"):
        validate_rows(df, kind="registry", file="wave.csv")
    assert "1 of 1 rows rejected" in caplog.text
    assert CNIC not in caplog.text and "Ayesha" not in caplog.text


def test_describe_rejections_and_counts():
    df = registry(
        [
            {"record_id": None, "household_id": None, "full_name": "A", "cnic": None},
            {"record_id": None, "household_id": "h", "full_name": "A", "cnic": None},
            {"record_id": "r", "household_id": "h", "full_name": "A", "cnic": None},
        ]
    )
    v = validate_rows(df, kind="registry", file="f")
    assert describe_rejections(v.rejected) == (
        "2 rows rejected: 2 empty record_id, 1 empty household_id"
    )
    assert v.counts() == {"rows_read": 3, "rows_used": 1, "rows_rejected": 2}
    empty = Validated(rows=df, rejected=df.iloc[:0].assign(reason=[]))
    assert describe_rejections(empty.rejected) == "no rows rejected"


cells = st.sampled_from([None, "", " ", "-", "N/A", "x", "Ali", CNIC, "12"])
row = st.fixed_dictionaries({c: cells for c in ("record_id", "household_id", "full_name", "cnic")})


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(row, min_size=0, max_size=25), kind=st.sampled_from(["registry", "partner"]))
def test_every_row_is_accounted_for(rows, kind):
    df = pd.DataFrame(
        rows, columns=["record_id", "household_id", "full_name", "cnic"], dtype=object
    )
    v = validate_rows(df, kind=kind, file="f.csv")
    assert len(v.rows) + len(v.rejected) == len(df)
    used, rejected = set(v.rows["input_row"]), set(v.rejected["input_row"])
    assert used.isdisjoint(rejected)
    assert used | rejected == set(range(1, len(df) + 1))
    assert all(isinstance(r, str) and r for r in v.rejected["reason"])
    # usable rows really are usable
    for rec in v.rows.to_dict("records"):
        assert rec["record_id"] and rec["record_id"].strip()
        if kind == "registry":
            assert rec["household_id"] and rec["household_id"].strip()
    # rejected rows carry their values as given
    original = df.assign(input_row=range(1, len(df) + 1)).set_index("input_row")
    for rec in v.rejected.to_dict("records"):
        assert original.loc[rec["input_row"], "cnic"] == rec["cnic"]
