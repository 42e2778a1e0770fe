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

    Only records touched by a strong edge enter the union-find (a few percent of a
    registry); every other record is its own cluster and keeps its id, without a
    Python call per record.
    """
    ids = record_ids.astype(str).to_numpy()
    strong = edges[edges["match_probability"] >= threshold]
    strong = strong.sort_values(
        ["match_probability", "record_id_l", "record_id_r"],
        ascending=[False, True, True],
        kind="mergesort",
    )
    left = _positions(ids, strong["record_id_l"].astype(str).to_numpy())
    right = _positions(ids, strong["record_id_r"].astype(str).to_numpy())
    cluster = ids.copy()
    if len(left) == 0:
        return pd.Series(cluster, index=record_ids.index, name="cluster_id")

    # Union-find over the touched records only, numbered 0..k-1, on Python lists.
    touched, local = np.unique(np.concatenate([left, right]), return_inverse=True)
    roster_codes = pd.factorize(roster_keys.astype(str).to_numpy()[touched])[0]
    parent = list(range(len(touched)))
    rosters: list[set[int] | None] = [{k} for k in roster_codes.tolist()]

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:  # path compression
            parent[i], i = root, parent[i]
        return root

    n = len(left)
    for a, b in zip(local[:n].tolist(), local[n:].tolist(), strict=True):
        a, b = find(a), find(b)
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

    roots = np.fromiter((find(i) for i in range(len(touched))), dtype=np.int64,
                        count=len(touched))
    cluster[touched] = pd.Series(ids[touched]).groupby(roots).transform("min").to_numpy()
    return pd.Series(cluster, index=record_ids.index, name="cluster_id")


def _positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Position in ``ids`` of each wanted id (the last one if an id repeats); KeyError
    for an id that is not there."""
    index = pd.Index(ids)
    if not index.is_unique:
        keep = ~index.duplicated(keep="last")
        found = pd.Index(ids[keep]).get_indexer(wanted)
        positions = np.flatnonzero(keep)[found]
    else:
        found = positions = index.get_indexer(wanted)
    if (found < 0).any():
        raise KeyError(wanted[found < 0][0])
    return positions.astype(np.int64)
