"""Golden records: one row per person cluster, each field with the record it came from.

Survivorship, per field, in this order: the best-quality value (a valid CNIC over an
unverified one, an exact birth date over a year-only one), then the most trusted source
(door-to-door survey over dynamic self-report by default), then the value most records
of the cluster agree on, then the smallest record id, so the choice is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from linkage.standardise._common import ARROW_STRING

#: Golden-record field -> (column the value is taken from, column whose value decides
#: agreement between records).
FIELDS: dict[str, tuple[str, str]] = {
    "full_name": ("full_name", "name_std"),
    "guardian_name": ("guardian_name", "guardian_std"),
    "cnic": ("cnic_std", "cnic_std"),
    "gender": ("gender_std", "gender_std"),
    "date_of_birth": ("date_of_birth", "dob"),
    "relation_to_head": ("relation_to_head", "relation_to_head"),
    "province": ("province_std", "province_std"),
    "district": ("district_std", "district_std"),
    "tehsil": ("tehsil", "tehsil_std"),
    "union_council": ("union_council", "uc_std"),
    "address": ("address", "address_tokens"),
    "phone": ("phone_std", "phone_std"),
}


def source_rank(sources: pd.Series, priority: Sequence[str]) -> pd.Series:
    """0 for the most trusted source prefix, len(priority) for unknown sources."""
    rank = pd.Series(len(priority), index=sources.index, dtype="int64")
    for i, prefix in reversed(list(enumerate(priority))):
        rank[sources.fillna("").str.startswith(prefix)] = i
    return rank


def _quality(field: str, records: pd.DataFrame) -> pd.Series:
    """Higher is better; only some fields have grades beyond present/absent."""
    if field == "cnic" and "cnic_status" in records:
        return (records["cnic_status"] == "valid").astype("int64")
    if field == "date_of_birth" and "dob_precision" in records:
        return records["dob_precision"].map({"day": 2, "jan1": 1, "year": 0}).fillna(0)
    return pd.Series(0, index=records.index)


def golden_records(
    records: pd.DataFrame, *, source_priority: Sequence[str]
) -> pd.DataFrame:
    """One row per ``cluster_id``: ``n_records``, ``record_ids``, and per field its value,
    ``<field>_source`` (the source it came from) and ``<field>_record_id``."""
    # Only the columns survivorship reads: slicing a registry-wide frame of 50+ columns
    # into singles and multiples would otherwise copy every column of a million rows.
    used = ["cluster_id", "record_id", "source", "household_cluster_id", "cnic_status",
            "dob_precision", *(c for pair in FIELDS.values() for c in pair)]
    records = records[[c for c in dict.fromkeys(used) if c in records.columns]]
    size = records.groupby("cluster_id")["record_id"].transform("size")
    # Most people are registered once: their golden record is their record, no choosing.
    # Singles keep their input order, then the chosen records by cluster id: a stable
    # order without sorting a million strings; only the chosen part holds NaNs to clear.
    single = _from_single_records(records[size == 1])
    multiple = _chosen(records[size > 1], source_priority).replace({np.nan: None})
    return pd.concat([single, multiple], ignore_index=True)


def _present(values: pd.Series) -> pd.Series:
    """Not null and not blank; the strip runs in Arrow's C++, not once per value in Python."""
    blank = values.astype(ARROW_STRING).str.strip().eq("").fillna(True).astype(bool)
    return values.notna() & ~blank


def _from_single_records(records: pd.DataFrame) -> pd.DataFrame:
    golden = pd.DataFrame({
        "cluster_id": records["cluster_id"].to_numpy(),
        "n_records": 1,
        "record_ids": records["record_id"].to_numpy(),
    })
    if "household_cluster_id" in records:
        golden["household_cluster_id"] = records["household_cluster_id"].to_numpy()
    for field, (value_col, agree_col) in FIELDS.items():
        if value_col not in records or agree_col not in records:
            continue
        present = _present(records[value_col]).to_numpy()
        golden[field] = records[value_col].astype(object).where(present, None).to_numpy()
        golden[f"{field}_source"] = records["source"].where(present, None).to_numpy()
        golden[f"{field}_record_id"] = records["record_id"].where(present, None).to_numpy()
    return golden


def _chosen(records: pd.DataFrame, source_priority: Sequence[str]) -> pd.DataFrame:
    """Survivorship within clusters of two or more records, one field at a time."""
    base = records[["cluster_id", "record_id", "source"]].copy()
    base["_rank"] = source_rank(records["source"], source_priority)
    # Sorted by cluster, then record id: each cluster's ids are one run, joined in one
    # Python pass over the runs (pandas' agg("|".join) calls back once per group).
    ordered = base.sort_values(["cluster_id", "record_id"], kind="mergesort")
    cluster_of, starts, n_records = np.unique(
        ordered["cluster_id"].to_numpy(), return_index=True, return_counts=True)
    ids = ordered["record_id"].to_numpy()
    golden = pd.DataFrame(
        {"n_records": n_records,
         "record_ids": ["|".join(ids[a:a + n]) for a, n in zip(starts, n_records, strict=True)]},
        index=pd.Index(cluster_of, name="cluster_id"),
    )
    if "household_cluster_id" in records:
        # The smallest household cluster id per person cluster (nulls sort last).
        smallest = records[["cluster_id", "household_cluster_id"]] \
            .sort_values("household_cluster_id", kind="mergesort") \
            .drop_duplicates("cluster_id").set_index("cluster_id")["household_cluster_id"]
        golden["household_cluster_id"] = smallest.reindex(golden.index)

    for field, (value_col, agree_col) in FIELDS.items():
        if value_col not in records or agree_col not in records:
            continue
        cand = base.assign(
            _value=records[value_col], _agree=records[agree_col],
            _quality=_quality(field, records),
        )
        cand = cand[_present(cand["_value"])]
        cand["_support"] = cand.groupby(["cluster_id", "_agree"], dropna=False)["record_id"] \
            .transform("size")
        best = cand.sort_values(
            ["cluster_id", "_quality", "_rank", "_support", "record_id"],
            ascending=[True, False, True, False, True], kind="mergesort",
        ).drop_duplicates("cluster_id")
        best = best.set_index("cluster_id")
        golden[field] = best["_value"].astype(object).reindex(golden.index)
        golden[f"{field}_source"] = best["source"].reindex(golden.index)
        golden[f"{field}_record_id"] = best["record_id"].reindex(golden.index)
    return golden.reset_index()
