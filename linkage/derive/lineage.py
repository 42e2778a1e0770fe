"""Household lineage between two waves, from the people both waves list.

A household of the newer wave *descends from* the older household that contributed most
of its members (ties: the one its head lived in, then the smallest id); with no member
seen before it is ``new``. An older household then is

* ``same``      - exactly one newer household descends from it;
* ``split``     - two or more do (a son set up his own household);
* ``merged``    - none does, but at least ``merge_share`` of its members now live in one
  newer household that descends from another (a widowed parent moved in with a son);
* ``dissolved`` - none does and its members are not found together again (not
  re-surveyed, or everyone died or married out).

Brides, deaths and births move single people; they never change a household's type.
A *unit* is one household of one wave: the rosters of that wave that are largely the
same people (a survey roster and its dynamic re-registration) count once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.resolve.clustering import cluster_with_cannot_link
from linkage.resolve.households import household_clusters

LINK_COLUMNS = (
    "unit_old",
    "unit_new",
    "link_type",
    "continues",
    "members_old",
    "members_new",
    "shared",
    "carried_share",
)


def wave_units(
    wave: pd.Series, roster_key: pd.Series, person: pd.Series, *, overlap: float
) -> pd.Series:
    """Household unit per record: rosters of one wave sharing ``overlap`` of the smaller
    roster's people are one unit (never rosters of two waves)."""
    # Roster keys carry the wave, so a unit id (its smallest roster key) does too.
    unit = pd.Series(index=wave.index, dtype=object, name="unit")
    for w in pd.unique(wave):
        rows = (wave == w).to_numpy()
        unit[rows] = household_clusters(roster_key[rows], person[rows], overlap=overlap).to_numpy()
    return unit


def _members(members: pd.DataFrame, wave) -> pd.DataFrame:
    """One row per (unit, person) of ``wave``, with whether the person heads the unit."""
    rows = members[members["wave"] == wave]
    return rows.groupby(["unit", "person"], sort=False, as_index=False)["head"].max()


def classify(
    members: pd.DataFrame, old_wave, new_wave, *, merge_share: float = 0.5
) -> pd.DataFrame:
    """Links between the units of ``old_wave`` and ``new_wave`` (``LINK_COLUMNS``).

    ``members`` has ``wave``, ``unit``, ``person`` (person cluster id) and ``head``
    (bool). Every unit of both waves appears in at least one link.
    """
    old, new = _members(members, old_wave), _members(members, new_wave)
    size_old = old.groupby("unit").size()
    size_new = new.groupby("unit").size()
    both = old.merge(new, on="person", suffixes=("_old", "_new"))
    shared = both.groupby(["unit_old", "unit_new"], as_index=False).agg(
        shared=("person", "size"), head_new=("head_new", "max"), head_old=("head_old", "max")
    )

    # Each newer unit's parent: most shared members, then its head's old unit, then id.
    parent = shared.sort_values(
        ["unit_new", "shared", "head_new", "unit_old"],
        ascending=[True, False, False, True],
        kind="mergesort",
    ).drop_duplicates("unit_new")
    children = parent.groupby("unit_old")["unit_new"].size()
    # Of several children, the one the old head lives in continues the household.
    main = (
        parent.sort_values(
            ["unit_old", "head_old", "shared", "unit_new"],
            ascending=[True, False, False, True],
            kind="mergesort",
        )
        .drop_duplicates("unit_old")
        .set_index("unit_old")["unit_new"]
    )

    links = parent[["unit_old", "unit_new", "shared"]].copy()
    n_children = links["unit_old"].map(children)
    links["link_type"] = np.where(n_children >= 2, "split", "same")
    links["continues"] = links["unit_new"].to_numpy() == links["unit_old"].map(main).to_numpy()

    orphans = size_old.index.difference(links["unit_old"])
    best = (
        shared[shared["unit_old"].isin(orphans)]
        .sort_values(
            ["unit_old", "shared", "unit_new"], ascending=[True, False, True], kind="mergesort"
        )
        .drop_duplicates("unit_old")
    )
    merged = best[best["shared"] >= merge_share * best["unit_old"].map(size_old)]
    merged = merged[["unit_old", "unit_new", "shared"]].assign(link_type="merged", continues=False)
    gone = orphans.difference(merged["unit_old"])
    dissolved = pd.DataFrame(
        {
            "unit_old": gone,
            "unit_new": None,
            "shared": 0,
            "link_type": "dissolved",
            "continues": False,
        }
    )
    fresh = size_new.index.difference(parent["unit_new"])
    new_units = pd.DataFrame(
        {"unit_old": None, "unit_new": fresh, "shared": 0, "link_type": "new", "continues": False}
    )

    out = pd.concat([links, merged, dissolved, new_units], ignore_index=True)
    out["members_old"] = out["unit_old"].map(size_old).astype("Int64")
    out["members_new"] = out["unit_new"].map(size_new).astype("Int64")
    out["carried_share"] = (out["shared"] / out["members_old"]).astype("Float64").round(4)
    out["shared"] = out["shared"].astype("int64")
    return (
        out[list(LINK_COLUMNS)]
        .sort_values(["unit_old", "unit_new"], na_position="last", kind="mergesort")
        .reset_index(drop=True)
    )


def lineage_clusters(units: pd.Series, links: pd.DataFrame) -> pd.Series:
    """Household cluster per unit over all waves: a unit and the newer unit that
    continues it (``same``, or the head's part of a ``split``) are one household."""
    units = pd.Series(pd.unique(units.dropna()), name="unit")
    chain = links[links["continues"] & links["unit_new"].notna()]
    edges = pd.DataFrame(
        {
            "record_id_l": chain["unit_old"].astype(str),
            "record_id_r": chain["unit_new"].astype(str),
            "match_probability": 1.0,
        }
    )
    cluster = cluster_with_cannot_link(units, units, edges, 0.5)
    return pd.Series(cluster.to_numpy(), index=units.to_numpy(), name="household_cluster_id")
