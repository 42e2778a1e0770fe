"""Scoring predicted person clusters against the truth (synthetic data or clerical review).

Both measures come from one contingency table: for every (predicted cluster, true
person) combination, the number of records ``n_ij`` they share. With cluster sizes
``a_i`` and person sizes ``b_j`` (over the records both sides know):

* pairwise — a pair of records is *predicted* when both are in one cluster and *true*
  when both are one person. ``correct = Σ C(n_ij, 2)``, ``predicted = Σ C(a_i, 2)``,
  ``true = Σ C(b_j, 2)``; precision = correct / predicted, recall = correct / true.
  Counting by groups instead of enumerating pairs keeps this linear in the number of
  records, so millions of records score in seconds.
* B-cubed — per record, the share of its cluster that is the same person (precision)
  and the share of its person found in its cluster (recall), averaged over records:
  ``BP = Σ n_ij² / a_i / N`` and ``BR = Σ n_ij² / b_j / N``. Unlike pairwise scores it
  is not dominated by the few largest clusters.

Conventions (pinned by tests):

* No predicted pairs -> pairwise precision 1.0 (no wrong link was made); no true
  pairs -> recall 1.0 (nothing was there to find). F1 is 0.0 when precision and recall
  are both 0. So an all-singletons prediction scores P=1, R=0, F1=0 on data with
  duplicates, and a perfect 1/1/1 on data without any.
* A record with a missing cluster id (or person id) is its own singleton.
* Only records present in both inputs count; none in common is an error, since any
  score would be meaningless.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from linkage.errors import InputError
from linkage.intake.header import describe_columns
from linkage.intake.io import read_raw
from linkage.intake.mapping import is_blank

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scores:
    """Pairwise and B-cubed scores of one clustering; see the module docstring."""

    precision: float
    recall: float
    f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    #: records present in both the prediction and the truth (the ones scored)
    records: int = 0

    def as_dict(self) -> dict[str, float | int]:
        """Plain Python numbers, ready for ``summary.json`` or a report table."""
        return asdict(self)


def score_clusters(predicted: pd.Series, truth: pd.Series) -> Scores:
    """Score predicted cluster ids against true person ids, both indexed by record_id.

    Records only one side knows are ignored (and counted in the log); duplicated
    record ids are a ValueError because a record cannot be in two clusters.
    """
    for name, series in (("predicted", predicted), ("truth", truth)):
        if series.index.has_duplicates:
            raise ValueError(f"{name} has duplicated record ids in its index")
    common = predicted.index.intersection(truth.index)
    if len(common) == 0:
        raise ValueError("predicted and truth have no record id in common")
    dropped = len(predicted) + len(truth) - 2 * len(common)
    if dropped:
        log.info("scoring %d records; %d known to only one side are ignored", len(common), dropped)
    pred_codes = _group_codes(predicted.loc[common])
    true_codes = _group_codes(truth.loc[common])
    return _scores_from_codes(pred_codes, true_codes)


def _group_codes(labels: pd.Series) -> np.ndarray:
    """Integer group per record; each missing label becomes a singleton group of its own."""
    codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    missing = codes < 0
    codes[missing] = len(uniques) + np.arange(missing.sum())
    return codes.astype(np.int64)


def _pairs(sizes: np.ndarray) -> int:
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def _ratio(num: float, den: float, empty: float) -> float:
    return float(num / den) if den else empty


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _scores_from_codes(pred: np.ndarray, true: np.ndarray) -> Scores:
    """All scores from the contingency table of two integer labelings of equal length."""
    n = len(pred)
    cells = pd.DataFrame({"p": pred, "t": true}).value_counts(sort=False)
    n_ij = cells.to_numpy(dtype=np.int64)
    p_of_cell = cells.index.get_level_values("p").to_numpy()
    t_of_cell = cells.index.get_level_values("t").to_numpy()
    a = np.bincount(pred)  # cluster sizes, indexed by code
    b = np.bincount(true)  # person sizes

    correct, predicted, true_pairs = _pairs(n_ij), _pairs(a), _pairs(b)
    precision = _ratio(correct, predicted, empty=1.0)
    recall = _ratio(correct, true_pairs, empty=1.0)

    squared = n_ij.astype(np.float64) ** 2
    bp = float((squared / a[p_of_cell]).sum() / n)
    br = float((squared / b[t_of_cell]).sum() / n)
    return Scores(
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        bcubed_precision=bp,
        bcubed_recall=br,
        bcubed_f1=_f1(bp, br),
        true_pairs=true_pairs,
        predicted_pairs=predicted,
        correct_pairs=correct,
        records=n,
    )


def score_files(clusters_path: str | Path, truth_path: str | Path) -> Scores:
    """Score ``clusters.parquet|csv`` (record_id, cluster_id) against ``truth.csv``
    (record_id, person_id). File problems are InputErrors naming the file."""
    predicted = read_clusters(clusters_path)
    truth = read_truth(truth_path)
    try:
        return score_clusters(predicted, truth)
    except ValueError as exc:
        raise InputError(
            f"cannot be scored against {truth_path}: {exc}.", file=str(clusters_path)
        ) from None


def read_clusters(path: str | Path) -> pd.Series:
    """``cluster_id`` indexed by ``record_id`` from a run's clusters.parquet or .csv."""
    return _read_labels(path, "cluster_id")


def read_truth(path: str | Path) -> pd.Series:
    """``person_id`` indexed by ``record_id`` from a truth.csv (or .parquet)."""
    return _read_labels(path, "person_id")


def _read_labels(path: str | Path, label: str) -> pd.Series:
    """``label`` indexed by ``record_id``, read as text so ids match across formats."""
    df = read_raw(path)
    missing = [c for c in ("record_id", label) if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}. {describe_columns(df.columns)}",
            file=str(path),
            column=missing[0],
        )
    blank = is_blank(df["record_id"])
    if blank.any():
        rows = [int(i) + 2 for i in df.index[blank.to_numpy()]]
        raise InputError(
            "column record_id is empty on some rows.", file=str(path), column="record_id", rows=rows
        )
    dup = df["record_id"].duplicated(keep=False)
    if dup.any():
        rows = [int(i) + 2 for i in df.index[dup.to_numpy()]]
        raise InputError(
            "column record_id has duplicates; each record needs one label.",
            file=str(path),
            column="record_id",
            rows=rows,
        )
    return pd.Series(
        df[label].to_numpy(), index=pd.Index(df["record_id"], name="record_id"), name=label
    )
