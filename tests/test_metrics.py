"""Cluster scoring: hand-computed examples, conventions, and a brute-force cross-check."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from evaluation.metrics import Scores, read_truth, score_clusters, score_files
from linkage.errors import InputError


def labels(groups: list[str], name: str = "x") -> pd.Series:
    """'ab c' style: each word is a group of single-letter record ids."""
    return pd.Series({rid: f"{name}{i}" for i, g in enumerate(groups) for rid in g})


def test_hand_computed_example():
    s = score_clusters(labels(["ab", "cd"]), labels(["abc", "d"]))
    assert (s.predicted_pairs, s.true_pairs, s.correct_pairs) == (2, 3, 1)
    assert s.precision == pytest.approx(1 / 2)
    assert s.recall == pytest.approx(1 / 3)
    assert s.f1 == pytest.approx(0.4)
    # per record precision a,b: 1; c,d: 1/2.  recall a,b: 2/3; c: 1/3; d: 1
    assert s.bcubed_precision == pytest.approx(3 / 4)
    assert s.bcubed_recall == pytest.approx(2 / 3)
    assert s.bcubed_f1 == pytest.approx(2 * 0.75 * (2 / 3) / (0.75 + 2 / 3))
    assert s.records == 4


def test_perfect_clustering():
    s = score_clusters(labels(["ab", "cde", "f"], "p"), labels(["cde", "ab", "f"], "t"))
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)
    assert (s.bcubed_precision, s.bcubed_recall) == (1.0, 1.0)


def test_all_singletons_prediction_has_precision_one_by_convention():
    s = score_clusters(labels(["a", "b", "c"]), labels(["abc"]))
    assert s.predicted_pairs == 0
    assert (s.precision, s.recall, s.f1) == (1.0, 0.0, 0.0)
    assert s.bcubed_precision == 1.0 and s.bcubed_recall == pytest.approx(1 / 3)


def test_no_pairs_anywhere_is_perfect():
    s = score_clusters(labels(["a", "b"]), labels(["a", "b"]))
    assert (s.precision, s.recall, s.f1, s.true_pairs) == (1.0, 1.0, 1.0, 0)


def test_everything_in_one_cluster():
    s = score_clusters(labels(["abcd"]), labels(["ab", "cd"]))
    assert (s.precision, s.recall) == (pytest.approx(2 / 6), 1.0)


def test_only_common_records_count_and_missing_labels_are_singletons():
    predicted = pd.Series({"a": "c1", "b": "c1", "c": None, "d": None, "zz": "c1"})
    truth = pd.Series({"a": 1, "b": 1, "c": 2, "d": 2, "yy": 2})
    s = score_clusters(predicted, truth)
    assert s.records == 4
    # c and d have no cluster: two singletons, not one cluster "None"
    assert (s.predicted_pairs, s.true_pairs, s.correct_pairs) == (1, 2, 1)


def test_invalid_inputs():
    with pytest.raises(ValueError, match="no record id in common"):
        score_clusters(labels(["ab"]), pd.Series({"z": 1}))
    dup = pd.Series(["c", "c"], index=["a", "a"])
    with pytest.raises(ValueError, match="duplicated"):
        score_clusters(dup, labels(["a"]))


def brute_force(pred: pd.Series, true: pd.Series) -> dict[str, float]:
    ids = list(pred.index)
    p_pairs = {(x, y) for x, y in combinations(ids, 2) if pred[x] == pred[y]}
    t_pairs = {(x, y) for x, y in combinations(ids, 2) if true[x] == true[y]}
    correct = p_pairs & t_pairs
    bp = np.mean(
        [
            sum(1 for o in ids if pred[o] == pred[r] and true[o] == true[r])
            / sum(1 for o in ids if pred[o] == pred[r])
            for r in ids
        ]
    )
    br = np.mean(
        [
            sum(1 for o in ids if pred[o] == pred[r] and true[o] == true[r])
            / sum(1 for o in ids if true[o] == true[r])
            for r in ids
        ]
    )
    return {
        "predicted_pairs": len(p_pairs),
        "true_pairs": len(t_pairs),
        "correct_pairs": len(correct),
        "precision": len(correct) / len(p_pairs) if p_pairs else 1.0,
        "recall": len(correct) / len(t_pairs) if t_pairs else 1.0,
        "bcubed_precision": bp,
        "bcubed_recall": br,
    }


@pytest.mark.parametrize("seed", range(8))
def test_matches_brute_force_pair_enumeration(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    ids = [f"r{i}" for i in range(n)]
    true = pd.Series(rng.integers(0, max(1, n // 3), n), index=ids)
    # prediction: the truth with some records moved to random clusters
    moved = rng.random(n) < 0.3
    pred = pd.Series(np.where(moved, rng.integers(0, n, n) + 1000, true.to_numpy()), index=ids)
    pred = pred.sample(frac=1, random_state=seed)  # order must not matter
    got = score_clusters(pred, true).as_dict()
    for key, value in brute_force(pred.loc[ids], true).items():
        assert got[key] == pytest.approx(value), key


def test_counts_scale_without_enumerating_pairs():
    n = 1_000_000
    ids = pd.RangeIndex(n).astype(str)
    truth = pd.Series(np.arange(n) // 2, index=ids)
    predicted = pd.Series(np.arange(n) // 4, index=ids)  # merges two true pairs each
    s = score_clusters(predicted, truth)
    assert s.true_pairs == n // 2
    assert s.predicted_pairs == (n // 4) * 6
    assert s.correct_pairs == n // 2
    assert s.precision == pytest.approx(1 / 3) and s.recall == 1.0


def test_as_dict_is_plain_python():
    d = score_clusters(labels(["ab", "cd"]), labels(["abc", "d"])).as_dict()
    assert set(d) >= {
        "precision",
        "recall",
        "f1",
        "bcubed_precision",
        "bcubed_recall",
        "bcubed_f1",
        "true_pairs",
        "predicted_pairs",
        "correct_pairs",
    }
    assert type(d["true_pairs"]) is int and type(d["precision"]) is float
    with pytest.raises(AttributeError):
        Scores(**d).precision = 0.0  # frozen


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_score_files(tmp_path, fmt):
    clusters = pd.DataFrame({"record_id": [1, 2, 3, 4], "cluster_id": [10, 10, 20, 20]})
    path = tmp_path / f"clusters.{fmt}"
    if fmt == "csv":
        clusters.to_csv(path, index=False)
    else:
        clusters.to_parquet(path, index=False)  # integer ids: matched as text "1".."4"
    truth = tmp_path / "truth.csv"
    truth.write_text("record_id,person_id\n1,p1\n2,p1\n3,p1\n4,p2\n5,p3\n")
    s = score_files(path, truth)
    assert (s.precision, s.recall, s.records) == (0.5, pytest.approx(1 / 3), 4)


def test_score_files_errors_name_file_and_column(tmp_path):
    clusters = tmp_path / "clusters.csv"
    clusters.write_text("record_id,cluster\n1,a\n")
    truth = tmp_path / "truth.csv"
    truth.write_text("record_id,person_id\n1,p1\n1,p2\n")
    with pytest.raises(InputError) as err:
        score_files(clusters, truth)
    assert str(clusters) in str(err.value) and err.value.column == "cluster_id"
    clusters.write_text("record_id,cluster_id\n1,a\n")
    with pytest.raises(InputError) as err:
        score_files(clusters, truth)
    assert str(truth) in str(err.value) and err.value.rows == [2, 3]  # as in Excel
    truth.write_text("record_id,person_id\n9,p1\n")
    with pytest.raises(InputError, match="no record id in common"):
        score_files(clusters, truth)


def test_read_truth_matches_what_the_cli_passes_to_score_clusters(tmp_path):
    truth = tmp_path / "truth.csv"
    truth.write_text("record_id,person_id\n007,p1\n8,p1\n")
    series = read_truth(truth)
    assert series.to_dict() == {"007": "p1", "8": "p1"}  # ids stay text, zeros kept
    assert series.index.name == "record_id"
