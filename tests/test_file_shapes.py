"""Learn from the file in hand (issue 12): waves missing the columns the registry model
leans on still train and run end to end, and say what they used."""

import json

import pandas as pd
import pytest

from evaluation.metrics import score_clusters
from linkage.config import DedupeConfig
from linkage.pipelines.dedupe import run_dedupe

pytestmark = pytest.mark.slow

#: Small data trains a noisier model, and each shape removes evidence on purpose.
F1_FLOOR = 0.9


def _shape(generated, tmp_path, change) -> tuple:
    wave = pd.read_csv(generated / "wave_2021.csv", dtype=str, keep_default_na=False)
    path = tmp_path / "wave.csv"
    change(wave).to_csv(path, index=False)
    result = run_dedupe(path, tmp_path / "out", DedupeConfig())
    truth = pd.read_csv(generated / "truth.csv", dtype=str).set_index("record_id")["person_id"]
    clusters = pd.read_parquet(tmp_path / "out" / "clusters.parquet")
    scores = score_clusters(clusters.set_index("record_id")["cluster_id"], truth)
    return result.summary, scores


def _plan(summary: dict) -> dict:
    return summary["model"]["plan"]


def test_a_wave_without_a_cnic_column(generated, tmp_path):
    summary, scores = _shape(generated, tmp_path, lambda w: w.drop(columns=["cnic"]))
    names = [c["name"] for c in _plan(summary)["comparisons"]]
    assert "cnic" not in names and "name" in names
    assert all(r["rule"] != "cnic" for r in summary["model"]["em_rounds"])
    assert scores.f1 >= F1_FLOOR, scores


def test_a_wave_whose_cnics_never_repeat(generated, tmp_path):
    def unique_cnics(w):
        w = w.copy()
        w["cnic"] = [f"35202{i:07d}1" if v else "" for i, v in enumerate(w["cnic"])]
        return w

    summary, scores = _shape(generated, tmp_path, unique_cnics)
    assert all(r["rule"] != "cnic" for r in summary["model"]["em_rounds"])
    assert scores.f1 >= F1_FLOOR, scores


def test_a_wave_without_household_ids(generated, tmp_path):
    summary, scores = _shape(generated, tmp_path, lambda w: w.drop(columns=["household_id"]))
    assert _plan(summary)["profile"]["households"] is False
    clusters = pd.read_parquet(tmp_path / "out" / "clusters.parquet")
    assert len(clusters) == summary["input"]["rows_used"]
    assert scores.f1 >= F1_FLOOR, scores


def test_a_wave_without_guardian_names(generated, tmp_path):
    summary, scores = _shape(generated, tmp_path, lambda w: w.drop(columns=["guardian_name"]))
    context = next(c for c in _plan(summary)["comparisons"] if c["name"] == "household_context")
    assert not any("Guardian" in level for level in context["levels"])
    assert scores.f1 >= F1_FLOOR, scores


def test_the_summary_says_which_rules_were_used_and_why(generated, first_run):
    plan = json.loads((first_run[0] / "summary.json").read_text())["model"]["plan"]
    assert plan["blocking"]["chosen"] and plan["prior_rules"] and plan["em_rules"]
    assert {"rule", "why"} <= set(plan["blocking"]["skipped"][0])
    assert plan["profile"]["households"] is True
