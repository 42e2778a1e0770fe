"""Golden records: one row per cluster, each field with the record it came from.

Survivorship picks, per field and among the cluster's non-blank values (placeholders
such as "N/A" count as blank: ``linkage.standardise._common.is_placeholder``), by rules applied
in a configured order (``GoldenConfig``), then the smallest record id, so the choice is
deterministic:

* ``completeness`` - the better-graded value: a valid CNIC over an unverified one, an
  exact birth date over a year-only one;
* ``source``       - the more trusted source (door-to-door survey over dynamic
  self-report by default, ``source_priority``);
* ``recency``      - the newer record: later wave (``wave_order``), then later year
  (``record_year``, read from the source name such as ``survey_2021``);
* ``agreement``    - the value most of the cluster's records agree on.

The default for people is completeness, source, recency, agreement; ``field_rules``
reorders them per field (a phone number is best taken from the newest record).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage.standardise._common import placeholder_hits, placeholder_mask

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


RULES = ("completeness", "source", "recency", "agreement")
DEFAULT_RULES: tuple[str, ...] = RULES
#: For households (size, location, phone): the survey first, then the newest record.
HOUSEHOLD_RULES: tuple[str, ...] = ("source", "recency", "completeness", "agreement")

#: Household golden-record field -> (value column, agreement column).
HOUSEHOLD_FIELDS: dict[str, tuple[str, str]] = {
    "household_size": ("household_size", "household_size"),
    "province": ("province_std", "province_std"),
    "district": ("district_std", "district_std"),
    "tehsil": ("tehsil", "tehsil_std"),
    "union_council": ("union_council", "uc_std"),
    "address": ("address", "address_tokens"),
    "urban_rural": ("urban_rural", "urban_rural"),
    "pmt_score": ("pmt_score", "pmt_score"),
}

_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


def source_year(sources: pd.Series) -> pd.Series:
    """The year a source name carries (``survey_2021`` -> 2021); null without one."""
    unique = pd.unique(sources.dropna().astype(str))
    years = {s: int(m.group(1)) if (m := _YEAR.search(s)) else None for s in unique}
    return sources.map(years).astype("Int64").rename("record_year")


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
    records: pd.DataFrame,
    *,
    source_priority: Sequence[str],
    rules: Sequence[str] = DEFAULT_RULES,
    field_rules: Mapping[str, Sequence[str]] | None = None,
    fields: Mapping[str, tuple[str, str]] = FIELDS,
    cluster: str = "cluster_id",
) -> pd.DataFrame:
    """One row per ``cluster``: ``n_records``, ``record_ids``, and per field its value,
    ``<field>_source`` (the source it came from) and ``<field>_record_id``; with a
    ``record_year`` column also ``<field>_year`` (the date of the value's source)."""
    used = [
        cluster,
        "record_id",
        "source",
        "household_cluster_id",
        "cnic_status",
        "dob_precision",
        "wave_order",
        "record_year",
        *(c for pair in fields.values() for c in pair),
    ]
    if cluster != "cluster_id":
        used.remove("household_cluster_id")
    used = [c for c in dict.fromkeys(used) if c in records.columns]
    codes = pd.factorize(records[cluster])[0]  # -1: no cluster, never a single
    sizes = np.bincount(codes + 1)
    single = (codes >= 0) & (sizes[codes + 1] == 1)
    # Most people are registered once: their golden record is their record, no choosing.
    # Only the clusters of several records are copied out and chosen from; singles are
    # taken column by column, so a registry-wide frame is never copied whole.
    several = records.loc[~single, used].rename(columns={cluster: "cluster_id"})
    order = {f: tuple((field_rules or {}).get(f, rules)) for f in fields}
    # Choosing (pandas) and the singles' columns (Arrow's C++, which lets go of the GIL)
    # run side by side: each is about half of the work.
    with ThreadPoolExecutor(1) as pool:
        choosing = pool.submit(_chosen, several, source_priority, order, fields)
        singles = _single_columns(records, single, fields, cluster)
        chosen = choosing.result().replace({np.nan: None})
    del several
    golden = _joined(singles, chosen)
    return golden.rename(columns={"cluster_id": cluster}) if cluster != "cluster_id" else golden


def _present(values: pd.Series) -> pd.Series:
    """Not null, not blank and not a placeholder ("N/A", "-", "0000-00-00": a golden record
    never picks one); the checks run in Arrow's C++, not once per value in Python."""
    return values.notna() & ~placeholder_mask(values)


def _single_columns(
    records: pd.DataFrame,
    single: np.ndarray,
    fields: Mapping[str, tuple[str, str]],
    cluster: str,
) -> dict[str, pa.Array]:
    """The golden records of singles (each its own record, in input order), one column
    at a time in Arrow: a single's fields are its record's columns taken as they are
    (no Python object per value), and the table reaches Parquet without a conversion."""
    rows = pa.array(np.flatnonzero(single))

    def take(column: str) -> pa.Array:
        return _arrow(records[column]).take(rows)

    columns = {
        "cluster_id": take(cluster),
        "n_records": pa.array(np.ones(len(rows), dtype=np.int64)),
    }
    record_id, source = take("record_id"), take("source")
    columns["record_ids"] = record_id
    if "household_cluster_id" in records and cluster == "cluster_id":
        columns["household_cluster_id"] = take("household_cluster_id")
    year = take("record_year") if "record_year" in records else None
    for field, (value_col, agree_col) in fields.items():
        if value_col not in records or agree_col not in records:
            continue
        values = take(value_col)
        present = _present_arrow(values)
        columns[field] = _where(present, values)
        columns[f"{field}_source"] = _where(present, source)
        columns[f"{field}_record_id"] = _where(present, record_id)
        if year is not None:
            columns[f"{field}_year"] = _where(present, year)
    return columns


def _joined(singles: dict[str, pa.Array], chosen: pd.DataFrame) -> pd.DataFrame:
    """The singles' columns, then the chosen rows below them."""
    n_chosen = len(chosen)
    columns = {}
    for name, part in singles.items():
        rest = _arrow(chosen[name]) if name in chosen else pa.nulls(n_chosen, part.type)
        # A part with no values at all (no singles, say) takes the other part's type.
        kind = rest.type if pa.types.is_null(part.type) else part.type
        parts = [part.cast(kind), rest.cast(kind)]
        columns[name] = pa.chunked_array([c for p in parts for c in _chunks(p)], kind)
    return pd.DataFrame({name: _pandas(column) for name, column in columns.items()})


def _arrow(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The column in Arrow: no copy for Arrow-backed text; other text as ``string``
    (large offsets are only Arrow-backed pandas' choice, not the output's)."""
    array = pa.array(values, from_pandas=True)
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    return array


def _present_arrow(values: pa.Array) -> pa.Array:
    """:func:`_present` in Arrow; values that are not text are never placeholders."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return pc.is_valid(values)
    return pc.and_(pc.is_valid(values), pc.invert(placeholder_hits(values)))


def _chunks(array: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return array.chunks if isinstance(array, pa.ChunkedArray) else [array]


def _where(present: pa.Array, values: pa.Array) -> pa.Array:
    return pc.if_else(present, values, pa.scalar(None, values.type))


def _pandas(column: pa.ChunkedArray) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """Text as pandas' Arrow-backed strings (offsets widened, the text not copied);
    integers with nulls (the years of absent values) as nullable integers."""
    if pa.types.is_string(column.type):
        return pd.arrays.ArrowStringArray(column.cast(pa.large_string()))
    if pa.types.is_integer(column.type) and column.null_count:
        return column.to_pandas(types_mapper={column.type: pd.Int64Dtype()}.get).array
    return column.to_numpy()


#: rule -> (sort column, ascending)
_SORT_KEYS: dict[str, list[tuple[str, bool]]] = {
    "completeness": [("_quality", False)],
    "source": [("_rank", True)],
    "recency": [("_wave", False), ("_year", False)],
    "agreement": [("_support", False)],
}


def _chosen(
    records: pd.DataFrame,
    source_priority: Sequence[str],
    order: Mapping[str, tuple[str, ...]],
    fields: Mapping[str, tuple[str, str]],
) -> pd.DataFrame:
    """Survivorship within clusters of two or more records, one field at a time."""
    base = records[["cluster_id", "record_id", "source"]].copy()
    base["_rank"] = source_rank(records["source"], source_priority)
    # Unknown wave or year sorts as the oldest.
    base["_wave"] = records["wave_order"].fillna(-1).to_numpy() if "wave_order" in records else 0
    has_year = "record_year" in records
    base["_year"] = (
        records["record_year"].astype("Float64").fillna(-1).to_numpy() if has_year else 0
    )
    # Ids as integers in the ids' own order: each field below sorts by cluster and record
    # id, and sorting integers is many times faster than sorting a million strings.
    base["_cluster"] = pd.factorize(base["cluster_id"], sort=True)[0]
    base["_record"] = pd.factorize(base["record_id"], sort=True)[0]
    # Sorted by cluster, then record id: each cluster's ids are one run, joined in one
    # Python pass over the runs (pandas' agg("|".join) calls back once per group).
    ordered = base.sort_values(["_cluster", "_record"], kind="mergesort")
    cluster_of, starts, n_records = np.unique(
        ordered["cluster_id"].to_numpy(), return_index=True, return_counts=True
    )
    ids = ordered["record_id"].to_numpy()
    golden = pd.DataFrame(
        {
            "n_records": n_records,
            "record_ids": [
                "|".join(ids[a : a + n]) for a, n in zip(starts, n_records, strict=True)
            ],
        },
        index=pd.Index(cluster_of, name="cluster_id"),
    )
    if "household_cluster_id" in records:
        # The smallest household cluster id per person cluster (nulls sort last).
        smallest = (
            records[["cluster_id", "household_cluster_id"]]
            .sort_values("household_cluster_id", kind="mergesort")
            .drop_duplicates("cluster_id")
            .set_index("cluster_id")["household_cluster_id"]
        )
        golden["household_cluster_id"] = smallest.reindex(golden.index)

    for field, (value_col, agree_col) in fields.items():
        if value_col not in records or agree_col not in records:
            continue
        cand = base.assign(
            _value=records[value_col],
            _agree=records[agree_col],
            _quality=_quality(field, records),
        )
        if has_year:
            cand["_year_value"] = records["record_year"]
        cand = cand[_present(cand["_value"])]
        cand["_support"] = cand.groupby(["_cluster", "_agree"], dropna=False)["_record"].transform(
            "size"
        )
        keys = [k for rule in order[field] for k in _SORT_KEYS[rule]]
        best = cand.sort_values(
            ["_cluster", *(c for c, _ in keys), "_record"],
            ascending=[True, *(a for _, a in keys), True],
            kind="mergesort",
        ).drop_duplicates("_cluster")
        best = best.set_index("cluster_id")
        golden[field] = best["_value"].astype(object).reindex(golden.index)
        golden[f"{field}_source"] = best["source"].reindex(golden.index)
        golden[f"{field}_record_id"] = best["record_id"].reindex(golden.index)
        if has_year:
            golden[f"{field}_year"] = best["_year_value"].astype(object).reindex(golden.index)
    return golden.reset_index()
