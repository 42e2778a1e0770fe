"""The strong generic Splink peer (``benchmarks/peers.py``, issue 13): its generic
cleaning, and one real run on a small generated wave."""

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import peers  # noqa: E402

from evaluation.metrics import read_truth, score_clusters  # noqa: E402


def _frame(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"record_id": [f"r{i}" for i in range(n)], **columns})


def test_union_council_key_is_its_number_or_its_last_word():
    keys = [
        peers._union_council(v)
        for v in ("UC-16", "U.C. No. 16", "16", "Union Council Madina", "Madina", None)
    ]
    assert keys == ["16", "16", "16", "madina", "madina", None]


def test_dates_keep_their_precision():
    assert peers._date("1987-11-23") == ("1987-11-23", 1987, "day")
    assert peers._date("23/11/1987") == ("1987-11-23", 1987, "day")
    assert peers._date("1987") == (None, 1987, "year")
    assert peers._date("1987-01-01") == (None, 1987, "year")  # 1 January: most often a default
    assert peers._date("not a date") == (None, None, None)


def test_names_are_order_free_codes_without_the_datas_stop_tokens():
    # "muhammad" is in most names here: a stop token found from the data, not a table.
    others = [
        f"Muhammad {a}{b}{c}"
        for a in ("Bar", "Dan", "Far", "Gul", "Har", "Jam", "Lat")
        for b in ("ak", "eem", "ood", "ul", "ish")
        for c in ("", "ur", "sat")
    ]
    names = [
        "Muhammad Ali Khan",
        "Khan Ali Muhammad",
        "Muhammad Bilal",
        "Muhammad Omar",
        "M. Ali Khan",
        *others,
    ]
    f = peers.strong_features(_frame(full_name=names))
    assert f.loc[0, "name_code_str"] == f.loc[1, "name_code_str"] == f.loc[4, "name_code_str"]
    assert "MHMT" not in f.loc[0, "name_codes"]
    assert f.loc[0, "name_sorted"] == "ali khan"  # the initial "M" is no token either


def test_identifiers_are_their_digits_only():
    f = peers.strong_features(
        _frame(
            cnic=["35202-1234567-1", "3520212345671", "12-34", None],
            phone=["0300-1234567", "+92 300 1234567", "12", None],
        )
    )
    assert f["cnic"].tolist() == ["3520212345671", "3520212345671", None, None]
    assert f["phone"].tolist() == ["3001234567", "3001234567", None, None]


def test_strong_peer_dedupes_a_generated_wave(generated):
    frame = pd.read_csv(
        generated / "wave_2021.csv", dtype=str, keep_default_na=False, na_values=[""]
    )
    labels, comparisons = peers.strong_splink_dedupe(frame)
    assert set(labels.index) == set(frame["record_id"])
    assert comparisons > 0
    truth = read_truth(generated / "truth.csv")
    scores = score_clusters(labels, truth)
    # A smoke level, not a benchmark: a broken model or blocking falls far below it.
    assert scores.f1 > 0.8
