"""``summary.json``: the envelope every job writes, and the counts jobs share."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd

import linkage
from linkage.engines.base import Engine, Frame

#: Columns the data-quality flags are counted from.
FLAG_COLUMNS = ("cnic_status", "gender_conflict", "dob_precision", "dob_year", "dob_out_of_range")


def file_fingerprint(path: str | Path) -> str | None:
    """``sha256:`` of a local file; None for a folder or a remote path (hdfs://, s3a://)."""
    if not Path(path).is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def job_summary(
    job: str, engine: Engine, started: dt.datetime, body: dict, *, model_path: str | Path | None
) -> dict:
    """The envelope: job, version, start, backend, then ``body``, with where the model
    came from added to ``body["model"]``."""
    summary = {
        "job": job,
        "version": linkage.__version__,
        "started_at": started.isoformat(timespec="seconds"),
        "backend": engine.name,
        **body,
    }
    summary["model"] = {
        **summary["model"],
        "trained_here": model_path is None,
        "loaded_from": str(model_path) if model_path else None,
    }
    return summary


def flag_counts(std: pd.DataFrame, weight: pd.Series | None = None) -> dict[str, int]:
    """Data-quality flags for ``summary.json``; ``weight`` counts each row that many
    times (grouped counts of ``FLAG_COLUMNS`` instead of records)."""
    w = pd.Series(1, index=std.index) if weight is None else weight

    def count(mask: pd.Series) -> int:
        return int(w[mask.astype("boolean").fillna(False).to_numpy(dtype=bool)].sum())

    return {
        "cnic_missing": count(std["cnic_status"] == "missing"),
        "cnic_malformed": count(std["cnic_status"] == "malformed"),
        "gender_conflicts_cnic": count(std["gender_conflict"]),
        "dob_year_only": count(std["dob_precision"] == "year"),
        "dob_missing": count(std["dob_year"].isna()),
        "dob_out_of_range": count(std["dob_out_of_range"]) if "dob_out_of_range" in std else 0,
    }


def engine_flag_counts(engine: Engine, std: Frame) -> dict[str, int]:
    """:func:`flag_counts` from the engine's counts of each combination of values."""
    grouped = engine.grouped_counts(std, FLAG_COLUMNS, null_only=("dob_year",))
    grouped["dob_year"] = grouped["dob_year"].map({True: None, False: 0})
    return flag_counts(grouped, weight=grouped["count"])


def cluster_summary(n_records: int, n_clusters: int, largest: int, n_households: int) -> dict:
    return {
        "records": int(n_records),
        "person_clusters": int(n_clusters),
        "duplicate_records": int(n_records - n_clusters),
        "household_clusters": int(n_households),
        "largest_cluster": int(largest),
    }


def thresholds(config) -> dict:
    cfg = config.clustering
    return {
        "cluster": cfg.threshold,
        "pairs": cfg.pairs_threshold,
        "household_overlap": cfg.household_overlap,
    }
