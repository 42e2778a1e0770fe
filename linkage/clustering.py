"""Person clusters from scored pairs, respecting the household-roster cannot-link.

Plain connected components chain wrong links: sibling A links to a duplicate record X
of sibling B, X links to B, and A and B land in one cluster although one roster lists
them as two people. Here pairs are merged strongest first, and a merge is refused when
the two clusters would then hold two records of one roster. For pairs that break no
constraint the result equals connected components at the threshold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def cluster_with_cannot_link(
    record_ids: pd.Series,
    roster_keys: pd.Series,
    edges: pd.DataFrame,
    threshold: float,
) -> pd.Series:
    """Map each record id to a cluster id (the smallest record id in its cluster).

    ``edges`` has ``record_id_l``, ``record_id_r`` and ``match_probability``; only
    edges at or above ``threshold`` are used, strongest first, ties broken by ids so
    that the result does not depend on row order.
    """
    ids = record_ids.astype(str).to_numpy()
    index = {rid: i for i, rid in enumerate(ids)}
    parent = np.arange(len(ids))
    rosters: list[set[str] | None] = [{k} for k in roster_keys.astype(str)]

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:  # path compression
            parent[i], i = root, parent[i]
        return root

    strong = edges[edges["match_probability"] >= threshold]
    strong = strong.sort_values(
        ["match_probability", "record_id_l", "record_id_r"],
        ascending=[False, True, True],
        kind="mergesort",
    )
    for left, right in zip(strong["record_id_l"].astype(str), strong["record_id_r"].astype(str),
                           strict=True):
        a, b = find(index[left]), find(index[right])
        if a == b:
            continue
        ra, rb = rosters[a], rosters[b]
        if not ra.isdisjoint(rb):
            continue  # the merge would put two members of one roster in one person
        if len(ra) < len(rb):  # union by size keeps the sets' copying cheap
            a, b, ra, rb = b, a, rb, ra
        parent[b] = a
        ra |= rb
        rosters[b] = None

    roots = np.fromiter((find(i) for i in range(len(ids))), dtype=np.int64, count=len(ids))
    root_ids = pd.Series(ids).groupby(roots).transform("min")
    return pd.Series(root_ids.to_numpy(), index=record_ids.index, name="cluster_id")
