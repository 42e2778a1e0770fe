"""Clerical review (linkage/report/review.py): stratified sampling, the page, and scoring."""

import json
import math
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from evaluation.metrics import read_truth
from linkage.cli import app
from linkage.report.auditor import build_report, load_input, load_run
from linkage.report.review import (
    BAND_OFFSETS,
    ReviewFileError,
    allocate,
    assign_bands,
    band_labels,
    comparison_waterfall,
    sample_pairs,
    score_review,
    wilson,
    write_sample,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def labelled(run, tmp_path_factory):
    """A sample labelled from the truth, as a perfect clerk would."""
    data, out = run
    path = tmp_path_factory.mktemp("review") / "review.csv"
    _, _, sample = write_sample(out, path, n=60, seed=4)
    truth = read_truth(data / "truth.csv")
    sample["decision"] = [
        "match" if truth[a] == truth[b] else "non-match"
        for a, b in zip(sample["record_id_l"], sample["record_id_r"], strict=True)
    ]
    sample.to_csv(path, index=False)
    return path, sample


def test_sample_covers_every_band_and_favours_the_threshold(run):
    pairs = pd.read_parquet(run[1] / "pairs.parquet")
    sample = sample_pairs(run[1], n=60, seed=1)
    assert len(sample) == 60 and (sample["decision"] == "").all()
    threshold = load_run(run[1]).threshold  # the job's own (clustering.threshold)
    labels = band_labels(threshold)
    sizes = pd.Series(assign_bands(pairs, threshold)).value_counts()
    present = {labels[b] for b in sizes.index}
    assert set(sample["band"]) == present
    fraction = (
        sample.groupby("band")["band_sampled"].first()
        / sample.groupby("band")["band_pairs"].first()
    )
    just_above = labels[BAND_OFFSETS.index(0.0)]
    top = labels[-1]
    assert just_above in fraction and top in fraction
    assert fraction[just_above] > fraction[top]


def test_same_seed_same_sample_other_seed_other_sample(run):
    first = sample_pairs(run[1], n=40, seed=7)
    pd.testing.assert_frame_equal(first, sample_pairs(run[1], n=40, seed=7))
    assert not first.equals(sample_pairs(run[1], n=40, seed=8))


def test_allocate_gives_every_band_one_and_fills_small_bands():
    take = allocate([0, 3, 100, 100, 100, 100], (1, 4, 4, 2, 1, 1), 20)
    assert sum(take) == 20 and take[0] == 0 and take[1] == 3
    assert all(t >= 1 for t in take[1:]) and take[2] > take[5]
    assert allocate([2, 0, 1], (1, 1, 1), 50) == [2, 0, 1]  # never more than there is


def test_wilson_on_known_counts():
    lo, hi = wilson(8, 10)
    assert (round(lo, 3), round(hi, 3)) == (0.490, 0.943)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert wilson(0, 0) is None


def test_waterfall_levels_reproduce_the_recorded_weights(run):
    r = load_run(run[1])
    sample = sample_pairs(run[1], n=80, seed=2).reset_index(drop=True)
    water = comparison_waterfall(r, load_input(r).std, sample)
    prior = r.model["probability_two_random_records_match"]
    total = water.groupby("pair_id")["weight"].sum() + math.log2(prior / (1 - prior))
    tf_levels = {
        lv["label_for_charts"]
        for c in r.model["comparisons"]
        for lv in c["comparison_levels"]
        if lv.get("tf_adjustment_column")
    }
    name = water[water["comparison"] == "name"].set_index("pair_id")["level"]
    no_tf = name[~name.isin(tf_levels)].index  # levels without a term-frequency term
    # Splink's own weight: a pair scored with its household as evidence records the
    # household's weight in match_weight and Splink's in person_match_weight
    recorded = sample.set_index("pair_id")["person_match_weight"]
    assert len(no_tf) > 0
    assert (total[no_tf] - recorded[no_tf]).abs().max() < 1e-6


def test_review_page_and_csv(run, labelled, tmp_path):
    csv, page, sample = write_sample(run[1], tmp_path / "r.csv", n=10, seed=1)
    text = page.read_text(encoding="utf-8")
    assert "CONTAINS PERSONAL DATA" in text.split("<body>", 1)[1][:200]
    assert text.count('class="card"') == 10 and "running total" in text
    back = pd.read_csv(csv, dtype=str, keep_default_na=False)
    assert "decision" in back.columns and (back["decision"] == "").all()


def test_score_review_per_band_and_overall(run, labelled):
    path, sample = labelled
    result = score_review(run[1], path)
    for band in result["bands"]:
        mine = sample[sample["band"] == band["band"]]
        assert band["match"] == (mine["decision"] == "match").sum()
        k, n = band["match"], band["match"] + band["non_match"]
        if n:
            assert band["ci95"] == pytest.approx(wilson(k, n))
    above = [b for b in result["bands"] if b["above_threshold"] and b["match_rate"] is not None]
    expected = sum(b["pairs_in_band"] * b["match_rate"] for b in above) / sum(
        b["pairs_in_band"] for b in above
    )
    assert result["precision"]["value"] == pytest.approx(expected)
    lo, hi = result["precision"]["ci95"]
    assert lo <= expected <= hi
    saved = json.loads((run[1] / "review_scores.json").read_text())
    assert saved["precision"]["value"] == pytest.approx(expected)
    assert "Clerical review" in build_report(run[1]) and f"{expected:.4f}" in build_report(run[1])


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda df: df.drop(columns="decision"), "missing column"),
        (lambda df: df.assign(decision="yes"), "must be one of"),
        (lambda df: df.assign(decision=""), "no pair has a decision"),
        (lambda df: df.assign(record_id_l="nobody"), "not among the scored pairs"),
        (lambda df: pd.concat([df, df.head(1)]), "more than once"),
    ],
)
def test_bad_labelled_files_are_clear_errors(run, labelled, tmp_path, change, message):
    path, sample = labelled
    bad = tmp_path / "bad.csv"
    change(sample.copy()).to_csv(bad, index=False)
    with pytest.raises(ReviewFileError, match=message):
        score_review(run[1], bad)


def test_cli_review_score_exit_code(run, labelled, tmp_path):
    bad = tmp_path / "bad.csv"
    labelled[1].assign(decision="maybe").to_csv(bad, index=False)
    res = subprocess.run(
        [sys.executable, "-m", "linkage.cli", "review", "score", str(run[1]), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and "must be one of" in res.stderr
    ok = CliRunner().invoke(
        app, ["review", "sample", str(run[1]), "--n", "5", "--out", str(tmp_path / "s.csv")]
    )  # in process: no second start-up
    assert ok.exit_code == 0, ok.output
    assert len(pd.read_csv(tmp_path / "s.csv")) == 5
