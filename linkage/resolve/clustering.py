"""Person clusters from scored pairs, respecting the household-roster cannot-link and
stopping chains that contradict themselves.

Plain connected components chain wrong links: sibling A links to a duplicate record X
of sibling B, X links to B, and A and B land in one cluster although one roster lists
them as two people. In a dense district namesakes chain the same way: Ali Khan with
one CNIC links to an Ali Khan without, who links to an Ali Khan with another CNIC. Here pairs are
merged strongest first, and a merge is refused when the two clusters would then hold
two records of one roster, or two records that contradict each other (``Conflict``:
another gender, two CNICs more than a typo apart) other
than the very pair being merged (that pair the model has weighed, contradiction and
all). A refused merge leaves the chain cut at its weakest link. For pairs that break no
constraint the result equals connected components at the threshold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA


@dataclass(frozen=True)
class Conflict:
    """One attribute two records of one person cannot disagree on: values per record
    (None when unknown) and when two known values clash."""

    values: np.ndarray
    clash: Callable[[object, object], bool]


def conflicts_of(std: pd.DataFrame) -> list[Conflict]:
    """Gender and CNIC as conflicts, from the standardised columns present."""
    out = []

    def values(column: str) -> np.ndarray:
        col = std[column].astype(object)
        return col.where(col.notna(), None).to_numpy()

    if "gender_std" in std:
        out.append(Conflict(values("gender_std"), lambda a, b: a != b))
    # Not birth dates: some sources rewrite a date wholesale (6% of FEBRL3's true pairs
    # have birth years four or more apart), and a chain cut on them splits real people;
    # the model already weighs a far-apart date in each pair.
    if "person_cnic" in std:
        out.append(
            Conflict(values("person_cnic"), lambda a, b: OSA.distance(a, b, score_cutoff=2) > 1)
        )
    return out


def _clashes(left: Counter, right: Counter, clash) -> int:
    """Pairs of one value from each side that clash (values counted with multiplicity)."""
    return sum(n * m for a, n in left.items() for b, m in right.items() if clash(a, b))


def cluster_with_cannot_link(
    record_ids: pd.Series,
    roster_keys: pd.Series,
    edges: pd.DataFrame,
    threshold: float,
    conflicts: list[Conflict] | None = None,
    groups: pd.Series | None = None,
) -> pd.Series:
    """Map each record id to a cluster id (the smallest record id in its cluster).

    ``groups`` (one label per record, null for none) starts records sharing a label in
    one cluster, unchecked: registering new records into a run keeps the run's people
    whole and only lets new records join or bridge them (``linkage.register``).

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
    grouped = (
        np.flatnonzero(groups.notna().to_numpy())
        if groups is not None
        else np.empty(0, dtype=np.int64)
    )
    if len(left) == 0 and len(grouped) == 0:
        return pd.Series(cluster, index=record_ids.index, name="cluster_id")

    # Union-find over the touched records only, numbered 0..k-1, on Python lists.
    touched, local = np.unique(np.concatenate([left, right, grouped]), return_inverse=True)
    roster_codes = pd.factorize(roster_keys.astype(str).to_numpy()[touched])[0]
    parent = list(range(len(touched)))
    rosters: list[set[int] | None] = [{k} for k in roster_codes.tolist()]
    checks = [(c.values[touched].tolist(), c.clash) for c in (conflicts or [])]
    # per cluster root and conflict: the known values of its records, counted
    seen: list[list[Counter]] = [
        [Counter() if v[i] is None else Counter([v[i]]) for v, _ in checks]
        for i in range(len(touched))
    ]

    def contradicts(x: int, y: int, a: int, b: int) -> bool:
        """Whether merging the clusters of x (root a) and y (root b) would hold a clash
        other than the one between x and y themselves."""
        for k, (v, clash) in enumerate(checks):
            total = _clashes(seen[a][k], seen[b][k], clash)
            direct = int(v[x] is not None and v[y] is not None and clash(v[x], v[y]))
            if total > direct:
                return True
        return False

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:  # path compression
            parent[i], i = root, parent[i]
        return root

    def union(a: int, b: int) -> None:
        ra, rb = rosters[a], rosters[b]
        if len(ra) < len(rb):  # union by size keeps the sets' copying cheap
            a, b, ra, rb = b, a, rb, ra
        parent[b] = a
        ra |= rb
        rosters[b] = None
        for k in range(len(checks)):
            seen[a][k] += seen[b][k]
            seen[b][k] = None

    n = len(left)
    if len(grouped):
        labels = pd.factorize(groups.to_numpy()[grouped])[0]
        first: dict[int, int] = {}
        for node, label in zip(local[2 * n :].tolist(), labels.tolist(), strict=True):
            if label in first:
                a, b = find(first[label]), find(node)
                if a != b:
                    union(a, b)
            else:
                first[label] = node
    for x, y in zip(local[:n].tolist(), local[n : 2 * n].tolist(), strict=True):
        a, b = find(x), find(y)
        if a == b:
            continue
        ra, rb = rosters[a], rosters[b]
        if not ra.isdisjoint(rb):
            continue  # the merge would put two members of one roster in one person
        if checks and contradicts(x, y, a, b):
            continue  # a chain through records that cannot be one person
        union(a, b)

    roots = np.fromiter((find(i) for i in range(len(touched))), dtype=np.int64, count=len(touched))
    cluster[touched] = group_min(pd.Series(ids[touched]), roots).reindex(roots).to_numpy()
    return pd.Series(cluster, index=record_ids.index, name="cluster_id")


def group_min(values: pd.Series, by) -> pd.Series:
    """``values.groupby(by).min()`` (nulls skipped; a group of nulls only is left out),
    by one sort: pandas takes the minimum of text one group at a time in Python, seconds
    for the tens of thousands of groups of a batch.

    >>> group_min(pd.Series(["b", "a", "c", None]), [1, 1, 2, 3]).to_dict()
    {1: 'a', 2: 'c'}
    """
    frame = pd.DataFrame({"by": np.asarray(by), "v": values.to_numpy()}).dropna(subset=["v"])
    first = frame.sort_values(["by", "v"], kind="mergesort").drop_duplicates("by")
    return pd.Series(
        first["v"].to_numpy(), index=pd.Index(first["by"].to_numpy()), name=values.name
    )


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
