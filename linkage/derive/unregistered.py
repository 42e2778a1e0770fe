"""The unregistered poor: partner rows the registry does not hold, poorest first, by place.

Pure functions over the partner rows (standardised) and their ``matches``; the same on
every backend.

Ranking uses the partner's own evidence where the list has it, then the district's
poverty proxy: the **rural share of the district's population** (PBS census 2023,
``100 - urban_proportion_pct_2023``, the 2017 figure where 2023 has none, as for
Karachi's districts), larger household size breaking ties. Rural poverty in Pakistan
runs at about twice the urban rate in every round of the PSLM/HIES, and the census
gives the share for every district, so it ranks places where a list gives nothing
else; it is a place-level proxy and says nothing about one household.
"""

from __future__ import annotations

import pandas as pd

from linkage import reference
from linkage.standardise.places import district_reference

#: What ranks rows without their own poverty evidence (also written to summary.json).
POVERTY_PROXY = (
    "district rural share of population, PBS census 2023 "
    "(100 - urban_proportion_pct_2023; 2017 where 2023 is missing), "
    "then average household size 2023"
)
#: Location columns of the outputs (standardised), from widest to narrowest.
PLACE = ("province", "district", "tehsil", "union_council")
_PLACE_STD = {
    "province": "province_std",
    "district": "district_std",
    "tehsil": "tehsil_std",
    "union_council": "uc_std",
}


def district_figures() -> pd.DataFrame:
    """Per reference district (``district_std`` key): rural share (%), average household
    size and 2023 population, from ``pk_districts_census2017_2023.csv``."""
    d = reference.districts()
    urban = pd.to_numeric(d["urban_proportion_pct_2023"], errors="coerce").fillna(
        pd.to_numeric(d["urban_proportion_pct_2017"], errors="coerce")
    )
    size = pd.to_numeric(d["avg_household_size_2023"], errors="coerce").fillna(
        pd.to_numeric(d["avg_household_size_2017"], errors="coerce")
    )
    return (
        pd.DataFrame(
            {
                "district": d["district_name"].str.lower(),
                "district_rural_share": (100.0 - urban).round(2),
                "district_household_size": size,
                "census_population_2023": d["population_2023"],
            }
        )
        .drop_duplicates("district")
        .set_index("district")
    )


def places(partner: pd.DataFrame) -> pd.DataFrame:
    """Standardised location of each partner row; a missing province is filled from its
    reference district."""
    out = pd.DataFrame(
        {
            name: partner[col].astype(object) if col in partner else None
            for name, col in _PLACE_STD.items()
        },
        index=partner.index,
    )
    from_district = out["district"].map(district_reference())
    out["province"] = out["province"].where(out["province"].notna(), from_district)
    return out.astype(object).where(out.notna(), None)


def _number(partner: pd.DataFrame, column: str) -> pd.Series:
    if column not in partner:
        return pd.Series(float("nan"), index=partner.index)
    return pd.to_numeric(partner[column], errors="coerce")


def rank_unregistered(partner: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    """Unmatched partner rows, poorest first, with their location and what ranked them.

    Order: ``poverty_flag`` (1, then unknown, then 0), ``pmt_score`` ascending (lower
    is poorer; unknown last), the district's rural share, its household size, then the
    row number. ``poverty_basis`` says which evidence the row had: ``poverty_flag``,
    ``pmt_score``, ``district_proxy`` or ``none``.
    """
    rows = partner.reset_index(drop=True)
    status = matches.set_index("record_id")["status"]
    unmatched = rows["record_id"].astype(str).map(status).eq("unmatched").to_numpy()
    rows = rows[unmatched].reset_index(drop=True)
    where = places(rows)
    figures = where["district"].map(district_figures()["district_rural_share"])
    size = where["district"].map(district_figures()["district_household_size"])
    flag, pmt = _number(rows, "poverty_flag"), _number(rows, "pmt_score")
    basis = pd.Series("none", index=rows.index, dtype=object)
    basis[figures.notna()] = "district_proxy"
    basis[pmt.notna()] = "pmt_score"
    basis[flag.notna()] = "poverty_flag"
    out = pd.DataFrame(
        {
            "record_id": rows["record_id"].astype(str),
            "input_row": rows["input_row"],
            **{name: where[name] for name in PLACE},
            "poverty_flag": flag.astype("Int64"),
            "pmt_score": pmt,
            "district_rural_share": figures.astype(float),
            "district_household_size": size.astype(float),
            "poverty_basis": basis,
        }
    )
    keys = pd.DataFrame(
        {
            "flag": flag.map({1.0: 0, 0.0: 2}).fillna(1),
            "pmt": pmt.fillna(float("inf")),
            "rural": -figures.astype(float).fillna(-1.0),
            "size": -size.astype(float).fillna(-1.0),
            "row": rows["input_row"],
        }
    )
    order = keys.sort_values(list(keys.columns), kind="mergesort").index
    out = out.loc[order].reset_index(drop=True)
    out.insert(0, "poverty_rank", range(1, len(out) + 1))
    return out


def by_place(
    partner: pd.DataFrame, matches: pd.DataFrame, registry_records: pd.Series
) -> pd.DataFrame:
    """Partner rows per place with the share the registry holds, and the district's
    registry records against its census population.

    ``matched_share`` (matched / partner rows) estimates the registry's coverage of the
    people the partner reached; ``registry_coverage`` (``registry_records`` of the
    district / ``census_population_2023``) is a second, independent estimate, the same
    for every place of one district. ``registry_records`` is indexed by ``district_std``.
    """
    where = places(partner.reset_index(drop=True))
    status = matches.set_index("record_id")["status"]
    where["status"] = partner["record_id"].astype(str).map(status).to_numpy()
    counts = pd.crosstab([where[c].fillna("") for c in PLACE], where["status"])
    for s in ("matched", "review", "unmatched"):
        if s not in counts:
            counts[s] = 0
    out = counts[["matched", "review", "unmatched"]].reset_index()
    out[list(PLACE)] = out[list(PLACE)].replace("", None)
    out.insert(len(PLACE), "partner_rows", out[["matched", "review", "unmatched"]].sum(axis=1))
    out["matched_share"] = (out["matched"] / out["partner_rows"]).round(4)
    out["registry_records"] = out["district"].map(registry_records).astype("Int64")
    out["census_population_2023"] = (
        out["district"].map(district_figures()["census_population_2023"]).astype("Int64")
    )
    out["registry_coverage"] = (
        out["registry_records"].astype("Float64") / out["census_population_2023"].astype("Float64")
    ).round(6)
    for col in ("matched", "review", "unmatched", "partner_rows"):
        out[col] = out[col].astype("int64")
    return out.sort_values(
        ["unmatched", *PLACE],
        ascending=[False, True, True, True, True],
        kind="mergesort",
        na_position="last",
    ).reset_index(drop=True)
