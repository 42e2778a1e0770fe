"""Stale-entry updates: what the newer wave changes about households and people already
registered, with a ``flag`` on the changes to verify before applying them.

Rows (``UPDATE_COLUMNS``) are keyed by the older household (``household_id``) that the
registry holds: applying them refreshes that entry. Written for every field whose value
changes, and for an unchanged field that fails a check (a household size that is stale
against the members listed). Blanks in the newer wave never overwrite a value.

Checks (flags; several are joined with ``;``):

* ``size_jump`` - household size changes by more than ``max_size_change``;
* ``size_disagrees_with_roster`` - reported size differs from the members listed by more
  than ``max_size_vs_roster``;
* ``urban_rural_flip_without_move`` - urban/rural changes while district, tehsil and
  union council stay the same;
* ``dob_contradicts_earlier_wave`` / ``gender_contradicts_earlier_wave`` /
  ``cnic_contradicts_earlier_wave`` - a fact that does not change, changed;
* ``gender_contradicts_cnic`` - the stated gender disagrees with the CNIC's last digit;
* ``dob_contradicts_cnic`` - a CNIC holder younger than 18 (CNICs are issued at 18);
* ``head_under_15`` - a head of household younger than ``min_head_age``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from linkage import contract
from linkage.config import UpdatesConfig
from linkage.derive.golden import HOUSEHOLD_FIELDS, golden_records, source_rank

UPDATE_COLUMNS = (
    *contract.UPDATE_COLUMNS,
    "household_id_new",
    "record_id_old",
    "wave_old",
    "wave_new",
    "link_type",
    "district",
)
FLAGS = (
    "size_jump",
    "size_disagrees_with_roster",
    "urban_rural_flip_without_move",
    "dob_contradicts_earlier_wave",
    "gender_contradicts_earlier_wave",
    "cnic_contradicts_earlier_wave",
    "gender_contradicts_cnic",
    "dob_contradicts_cnic",
    "head_under_15",
)

#: Person field -> (value column shown, column compared).
PERSON_FIELDS: dict[str, tuple[str, str]] = {
    "full_name": ("full_name", "name_std"),
    "guardian_name": ("guardian_name", "guardian_std"),
    "cnic": ("cnic_std", "cnic_std"),
    "gender": ("gender_std", "gender_std"),
    "date_of_birth": ("date_of_birth", "dob_key"),
    "relation_to_head": ("relation_to_head", "relation_std"),
    "phone": ("phone_std", "phone_std"),
}
#: Household fields compared (a subset of the golden household fields).
HOUSEHOLD_UPDATE_FIELDS = (
    "household_size",
    "province",
    "district",
    "tehsil",
    "union_council",
    "address",
    "urban_rural",
    "pmt_score",
)


def primary_records(records: pd.DataFrame, source_priority: Sequence[str]) -> pd.DataFrame:
    """One record per person and wave: the most trusted source, then the smallest id."""
    ranked = records.assign(_rank=source_rank(records["source"], source_priority))
    return (
        ranked.sort_values(["wave_order", "cluster_id", "_rank", "record_id"], kind="mergesort")
        .drop_duplicates(["wave_order", "cluster_id"])
        .drop(columns="_rank")
    )


def unit_table(
    records: pd.DataFrame, source_priority: Sequence[str], rules: Sequence[str]
) -> pd.DataFrame:
    """Per household unit: its household id(s), members listed, head, and the household
    fields chosen by survivorship among its rosters (``HOUSEHOLD_FIELDS``)."""
    ranked = records.assign(_rank=source_rank(records["source"], source_priority))
    rosters = ranked.sort_values(["unit", "_rank", "household_id"], kind="mergesort")
    by_unit = rosters.groupby("unit", sort=False)
    table = pd.DataFrame(
        {
            "household_id": by_unit["household_id"].first(),
            "household_ids": by_unit["household_id"].agg(lambda s: "|".join(pd.unique(s))),
            "members": by_unit["cluster_id"].nunique(),
            "wave": by_unit["wave"].first(),
        }
    )
    heads = rosters[rosters["relation_std"] == "head"].drop_duplicates("unit")
    table["head"] = heads.set_index("unit")["cluster_id"].reindex(table.index)
    table["head_dob_year"] = heads.set_index("unit")["dob_year"].reindex(table.index)
    fields = {f: HOUSEHOLD_FIELDS[f] for f in HOUSEHOLD_UPDATE_FIELDS}
    chosen = golden_records(
        records, source_priority=source_priority, rules=rules, fields=fields, cluster="unit"
    ).set_index("unit")
    for field, (value_col, key_col) in fields.items():
        table[field] = chosen[field].reindex(table.index) if field in chosen else None
        table[f"{field}_source"] = chosen.get(f"{field}_source", pd.Series(dtype=object)).reindex(
            table.index
        )
        if value_col == key_col:
            table[f"{field}_key"] = table[field]
        else:
            pick = chosen.get(f"{field}_record_id", pd.Series(dtype=object)).reindex(table.index)
            key_of = records.set_index("record_id")[key_col]
            table[f"{field}_key"] = pick.map(key_of[~key_of.index.duplicated()])
    return table


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Equal, with numbers compared as numbers ("5" == "5.0") and text case-blind."""
    num_a, num_b = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
    both_num = num_a.notna().to_numpy() & num_b.notna().to_numpy()
    text_a = a.astype("string").str.strip().str.lower()
    text_b = b.astype("string").str.strip().str.lower()
    equal_text = (text_a == text_b).fillna(False).to_numpy(dtype=bool)
    equal_num = np.isclose(num_a.fillna(0).to_numpy(float), num_b.fillna(0).to_numpy(float))
    return np.where(both_num, equal_num, equal_text)


def household_updates(links: pd.DataFrame, units: pd.DataFrame, cfg: UpdatesConfig) -> pd.DataFrame:
    """Field changes between each older household and the newer household continuing it."""
    cont = links[links["continues"]]
    old = units.reindex(cont["unit_old"]).reset_index(drop=True)
    new = units.reindex(cont["unit_new"]).reset_index(drop=True)
    link_type = cont["link_type"].reset_index(drop=True)
    size_old = pd.to_numeric(old["household_size"], errors="coerce")
    size_new = pd.to_numeric(new["household_size"], errors="coerce")
    place_same = np.ones(len(cont), dtype=bool)
    for f in ("district", "tehsil", "union_council"):
        place_same &= (
            _same(old[f"{f}_key"], new[f"{f}_key"])
            | (old[f"{f}_key"].isna() & new[f"{f}_key"].isna()).to_numpy()
        )

    rows = []
    for field in HOUSEHOLD_UPDATE_FIELDS:
        o, n = old[f"{field}_key"], new[f"{field}_key"]
        changed = n.notna().to_numpy() & ~_same(o, n)
        flags = pd.Series([[] for _ in range(len(cont))])
        if field == "household_size":
            jump = ((size_new - size_old).abs() > cfg.max_size_change).fillna(False).to_numpy()
            stale = (
                ((size_new - new["members"]).abs() > cfg.max_size_vs_roster)
                .fillna(False)
                .to_numpy()
            )
            flags = _add(flags, jump, "size_jump")
            flags = _add(flags, stale, "size_disagrees_with_roster")
            changed |= stale
        if field == "urban_rural":
            flags = _add(flags, changed & place_same, "urban_rural_flip_without_move")
        keep = np.flatnonzero(changed)
        rows.append(
            pd.DataFrame(
                {
                    "household_id": old["household_id"].to_numpy()[keep],
                    "record_id": None,
                    "field": field,
                    "old_value": old[field].to_numpy()[keep],
                    "new_value": new[field].to_numpy()[keep],
                    "source": new[f"{field}_source"].to_numpy()[keep],
                    "flag": [";".join(f) or None for f in flags.to_numpy()[keep]],
                    "household_id_new": new["household_id"].to_numpy()[keep],
                    "record_id_old": None,
                    "wave_old": old["wave"].to_numpy()[keep],
                    "wave_new": new["wave"].to_numpy()[keep],
                    "link_type": link_type.to_numpy()[keep],
                    "district": new["district_key"].to_numpy()[keep],
                }
            )
        )
    return _frame(rows)


def _add(flags: pd.Series, mask: np.ndarray, name: str) -> pd.Series:
    return pd.Series([f + [name] if m else f for f, m in zip(flags, mask, strict=True)])


def _age(records: pd.DataFrame) -> pd.Series:
    """Age in years at the record's wave year (null when either is unknown)."""
    return records["record_year"].astype("Float64") - pd.to_numeric(
        records["dob_year"], errors="coerce"
    ).astype("Float64")


def person_updates(
    old: pd.DataFrame,
    new: pd.DataFrame,
    units: pd.DataFrame,
    links: pd.DataFrame,
    cfg: UpdatesConfig,
) -> pd.DataFrame:
    """Changes to people listed in both waves, and who joined or left each household.

    ``old``/``new`` hold one primary record per person (``primary_records``) of the
    older and newer wave, with ``unit``.
    """
    cont = links[links["continues"]].set_index("unit_old")["unit_new"]
    parent = links[
        links["unit_old"].notna()
        & links["unit_new"].notna()
        & links["link_type"].isin(["same", "split"])
    ].set_index("unit_new")["unit_old"]
    link_of = links.drop_duplicates("unit_old").set_index("unit_old")["link_type"]
    both = old.merge(new, on="cluster_id", suffixes=("_old", "_new"))
    age_new = _age(new.set_index("cluster_id")).reindex(both["cluster_id"]).to_numpy()
    young_head = (both["relation_std_new"] == "head").to_numpy() & pd.Series(
        age_new < cfg.min_head_age
    ).fillna(False).to_numpy(dtype=bool)

    rows = []
    for field, (value_col, key_col) in PERSON_FIELDS.items():
        o, n = both[f"{key_col}_old"], both[f"{key_col}_new"]
        changed = n.notna().to_numpy() & ~_same(o, n)
        flags = pd.Series([[] for _ in range(len(both))])
        checked = np.zeros(len(both), dtype=bool)
        if field == "date_of_birth":
            year_o = pd.to_numeric(both["dob_year_old"], errors="coerce")
            year_n = pd.to_numeric(both["dob_year_new"], errors="coerce")
            day_o, day_n = both["dob_precision_old"] == "day", both["dob_precision_new"] == "day"
            differs = ((year_o != year_n) & year_o.notna() & year_n.notna()) | (
                day_o & day_n & (both["dob_old"].astype(str) != both["dob_new"].astype(str))
            )
            checked = differs.fillna(False).to_numpy(dtype=bool)
            flags = _add(flags, checked, "dob_contradicts_earlier_wave")
            under_18 = (
                both["cnic_std_new"].notna() & (both["cnic_status_new"] == "valid")
            ).to_numpy() & pd.Series(age_new < 18).fillna(False).to_numpy(dtype=bool)
            flags = _add(flags, under_18, "dob_contradicts_cnic")
            checked = checked | under_18
        elif field == "gender":
            checked = changed & o.notna().to_numpy()
            flags = _add(flags, checked, "gender_contradicts_earlier_wave")
            conflict = both["gender_conflict_new"].astype("boolean").fillna(False).to_numpy(bool)
            flags = _add(flags, conflict, "gender_contradicts_cnic")
            checked = checked | conflict
        elif field == "cnic":
            valid = (both["cnic_status_old"] == "valid") & (both["cnic_status_new"] == "valid")
            checked = changed & o.notna().to_numpy() & valid.to_numpy()
            flags = _add(flags, checked, "cnic_contradicts_earlier_wave")
        elif field == "relation_to_head":
            checked = young_head & changed
            flags = _add(flags, checked, "head_under_15")
        keep = np.flatnonzero(changed | checked)
        rows.append(_person_rows(both, keep, field, value_col, flags, units, link_of))

    rows.append(_membership(old, new, units, cont, parent, link_of, cfg))
    return _frame(rows)


def _person_rows(both, keep, field, value_col, flags, units, link_of) -> pd.DataFrame:
    hh_old = units["household_id"].reindex(both["unit_old"]).to_numpy()
    hh_new = units["household_id"].reindex(both["unit_new"]).to_numpy()
    district = units["district_key"].reindex(both["unit_new"]).to_numpy()
    return pd.DataFrame(
        {
            "household_id": hh_old[keep],
            "record_id": both["record_id_new"].to_numpy()[keep],
            "field": field,
            "old_value": both[f"{value_col}_old"].astype(object).to_numpy()[keep],
            "new_value": both[f"{value_col}_new"].astype(object).to_numpy()[keep],
            "source": both["source_new"].to_numpy()[keep],
            "flag": [";".join(f) or None for f in flags.to_numpy()[keep]],
            "household_id_new": hh_new[keep],
            "record_id_old": both["record_id_old"].to_numpy()[keep],
            "wave_old": both["wave_old"].to_numpy()[keep],
            "wave_new": both["wave_new"].to_numpy()[keep],
            "link_type": link_of.reindex(both["unit_old"]).to_numpy()[keep],
            "district": district[keep],
        }
    )


def _membership(old, new, units, cont, parent, link_of, cfg: UpdatesConfig) -> pd.DataFrame:
    """``membership`` rows: a person who left their household (moved to another, or not
    found again) or joined one; old and new values are household ids."""
    m = old[["cluster_id", "unit", "record_id", "wave", "source"]].merge(
        new[
            [
                "cluster_id",
                "unit",
                "record_id",
                "wave",
                "source",
                "relation_std",
                "record_year",
                "dob_year",
            ]
        ],
        on="cluster_id",
        how="outer",
        suffixes=("_old", "_new"),
    )
    expected = m["unit_old"].map(cont)
    moved = m["unit_old"].notna() & (m["unit_new"].astype(object) != expected.astype(object))
    joined = m["unit_old"].isna()
    m = m[moved | joined].copy()
    hh = units["household_id"]
    home = m["unit_old"].where(m["unit_old"].notna(), m["unit_new"].map(parent))
    age = m["record_year"].astype("Float64") - pd.to_numeric(m["dob_year"], errors="coerce")
    young_head = ((m["relation_std"] == "head") & (age < cfg.min_head_age)).fillna(False)
    return pd.DataFrame(
        {
            "household_id": hh.reindex(home).where(home.notna().to_numpy(), None).to_numpy()
            if len(m)
            else [],
            "record_id": m["record_id_new"]
            .where(m["record_id_new"].notna(), m["record_id_old"])
            .to_numpy(),
            "field": "membership",
            "old_value": hh.reindex(m["unit_old"]).to_numpy(),
            "new_value": hh.reindex(m["unit_new"]).to_numpy(),
            "source": m["source_new"].to_numpy(),
            "flag": np.where(young_head.to_numpy(dtype=bool), "head_under_15", None),
            "household_id_new": hh.reindex(m["unit_new"]).to_numpy(),
            "record_id_old": m["record_id_old"].to_numpy(),
            "wave_old": m["wave_old"].to_numpy(),
            "wave_new": m["wave_new"].to_numpy(),
            "link_type": link_of.reindex(m["unit_old"]).to_numpy(),
            "district": units["district_key"]
            .reindex(m["unit_new"].where(m["unit_new"].notna(), m["unit_old"]))
            .to_numpy(),
        }
    )


def _frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in UPDATE_COLUMNS})
    out = pd.concat(parts, ignore_index=True)[list(UPDATE_COLUMNS)]
    return out.astype(object).where(out.notna(), None)


def flag_summary(flags: pd.DataFrame, fields: pd.DataFrame) -> dict:
    """Counts per flag, and per district and flag, for ``summary.json``, from the update
    rows counted per ``district`` and ``flag`` (flags joined by ``;``) and per ``field``
    (``count``: ``Engine.grouped_counts``)."""
    flags = flags.dropna(subset=["flag"]).copy()
    flags["flag"] = flags["flag"].astype(str).str.split(";")
    flags = flags.explode("flag")
    by_flag = {f: int(flags.loc[flags["flag"] == f, "count"].sum()) for f in FLAGS}
    by_district: dict[str, dict[str, int]] = {}
    for (district, flag), n in (
        flags.fillna({"district": "unknown"}).groupby(["district", "flag"])["count"].sum().items()
    ):
        by_district.setdefault(str(district), {})[str(flag)] = int(n)
    by_field = fields.groupby("field")["count"].sum().sort_index()
    return {
        "by_flag": by_flag,
        "by_district": dict(sorted(by_district.items())),
        "by_field": {str(k): int(v) for k, v in by_field.items()},
    }
