"""Household clusters: rosters whose members are largely the same people.

Two rosters (``source|household_id``) join one household cluster when the people they
share are at least ``overlap`` of the smaller roster, so one married daughter listed
in two families does not merge her parents' and her husband's households.
"""

from __future__ import annotations

import pandas as pd

from linkage.resolve.clustering import cluster_with_cannot_link


def household_clusters(
    roster_keys: pd.Series, cluster_ids: pd.Series, *, overlap: float
) -> pd.Series:
    """Household cluster id per record (the smallest roster key of its cluster)."""
    members = pd.DataFrame({"roster": roster_keys.to_numpy(), "person": cluster_ids.to_numpy()})
    members = members.drop_duplicates()
    size = members.groupby("roster")["person"].size()

    # Only people listed on two or more rosters link rosters: self-merge just those
    # (a few percent of a registry) instead of every member.
    listed_twice = members[members["person"].duplicated(keep=False)]
    shared_people = listed_twice.merge(listed_twice, on="person", suffixes=("_l", "_r"))
    shared_people = shared_people[shared_people["roster_l"] < shared_people["roster_r"]]
    shared = shared_people.groupby(["roster_l", "roster_r"]).size().rename("shared").reset_index()
    smaller = pd.concat([shared["roster_l"].map(size), shared["roster_r"].map(size)], axis=1).min(
        axis=1
    )
    edges = pd.DataFrame(
        {
            "record_id_l": shared["roster_l"],
            "record_id_r": shared["roster_r"],
            "match_probability": shared["shared"] / smaller,
        }
    )

    rosters = pd.Series(size.index, name="roster")
    # Each roster is its own cannot-link group, so no merge is ever refused here.
    household_of = cluster_with_cannot_link(rosters, rosters, edges, overlap)
    lookup = pd.Series(household_of.to_numpy(), index=rosters.to_numpy())
    return roster_keys.map(lookup).rename("household_cluster_id")
