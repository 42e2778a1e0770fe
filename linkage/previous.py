"""A re-run that remembers the run before it (``--previous RUN``): ids and a clerk's word.

* **Ids**: each new person (household) cluster takes the id of the previous run's
  cluster it shares most records with, each old id going to the one new cluster that
  shares most with it (ties: more records, then the smaller id). A cluster that wins no
  old id keeps its own smallest record id, unless an old id took that already.
* **Decisions**: the pairs a clerk decided (``clerical_decisions.csv`` of the previous
  run, kept by ``nser-link review score``) hold in the clustering: a rejected pair is a
  cannot-link, a confirmed pair one person (``linkage.register`` does the same for
  batches).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from linkage.contract import CLUSTERS
from linkage.errors import ConfigError
from linkage.register import (
    DECISIONS,
    decision_edges,
    read_decisions,
    rejected_conflict,
    without_pairs,
)
from linkage.run_folder import RunFolder, open_run, table_path


def carried_ids(record_ids: pd.Series, clusters: pd.Series, old: pd.Series) -> pd.Series:
    """``clusters`` (one id per record, in ``record_ids`` order) renamed to the ids of
    ``old`` (record id -> previous cluster id) where they overlap most."""
    frame = pd.DataFrame(
        {"record_id": record_ids.astype(str).to_numpy(), "new": clusters.astype(str).to_numpy()}
    )
    frame["old"] = frame["record_id"].map(old.astype(str))
    shared = (
        frame.dropna(subset=["old"])
        .groupby(["new", "old"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["n", "old", "new"], ascending=[False, True, True], kind="mergesort")
    )
    rename: dict[str, str] = {}
    used: set[str] = set()
    for new, gone, _ in shared.itertuples(index=False):
        if new not in rename and gone not in used:
            rename[new] = gone
            used.add(gone)
    out = frame["new"].map(rename)
    rest = out.isna()
    if rest.any():  # no old id: the smallest record id not given to another cluster
        taken = set(used)
        fallback = {}
        for new, ids in frame[rest].groupby("new")["record_id"]:
            free = sorted(i for i in ids if i not in taken)
            pick = free[0] if free else _fresh(min(ids), taken)
            fallback[new] = pick
            taken.add(pick)
        out[rest] = frame.loc[rest, "new"].map(fallback)
    return pd.Series(out.to_numpy(), index=clusters.index, name=clusters.name)


def _carried(records: pd.DataFrame, *, column: str) -> dict[str, pd.DataFrame]:
    """``column``'s ids of ``records`` renamed to their previous ids (``carried_ids``);
    whole clusters and whole previous clusters are given, so the renaming is the one over
    all records."""
    old = pd.Series(records[_PREVIOUS].to_numpy(), index=records["record_id"].astype(str))
    ids = carried_ids(records["record_id"], records[column], old.dropna())
    return {
        "ids": pd.DataFrame({"record_id": records["record_id"].to_numpy(), column: ids.to_numpy()})
    }


def _fresh(base: str, taken: set[str]) -> str:
    k = 2
    while f"{base}#{k}" in taken:
        k += 1
    return f"{base}#{k}"


def previous_run(path: str | Path | None) -> Previous | None:
    """``--previous``: the earlier run, checked."""
    if path is None:
        return None
    return Previous(open_run(path, label="--previous"))


#: The previous run's id of a record, beside the new one while ids are carried over.
_PREVIOUS = "previous_id"


class Previous:
    """What a re-run needs of the run before it."""

    def __init__(self, run: RunFolder) -> None:
        self.run = run
        self.decisions = read_decisions(run.path)

    @property
    def clerk(self) -> ClerkDecisions:
        """The clerk's decisions alone (small: sent to the clustering wherever it runs)."""
        return ClerkDecisions(self.decisions)

    def carry_ids(self, engine, records, *, households: bool = True):
        """``records`` (a frame of ``engine``) with the previous run's ids where clusters
        overlap most; household ids too unless ``households`` is False (link-waves: new
        lineage). Run by the engine per set of clusters that share records with the same
        old clusters (on Spark, on the executors): the driver holds no records."""
        path = table_path(self.run.path, CLUSTERS)
        if path is None:
            raise ConfigError(f"{self.run.path}: the previous run has no clusters table")
        columns = ["cluster_id", "household_cluster_id"] if households else ["cluster_id"]
        old = engine.read_table(path, ["record_id", *columns])
        for column in columns:
            ids = engine.attach(
                engine.select(records, ["record_id", column]),
                engine.select(old, ["record_id", column]),
                "record_id",
                _PREVIOUS,
                default=None,
            )
            carried = engine.derive(
                ids, partial(_carried, column=column), closed_under=[(column,), (_PREVIOUS,)]
            )["ids"]
            records = engine.attach(records, carried, "record_id", column, default=column)
        return records

    def keep_decisions(self, out) -> None:
        """The clerk's decisions into the new run (when it is another folder)."""
        src = self.run.path / DECISIONS
        dst = Path(out) / DECISIONS
        if src.exists() and src.resolve() != dst.resolve():
            shutil.copy2(src, dst)


@dataclass(frozen=True)
class ClerkDecisions:
    """The pairs a clerk decided, as the clustering uses them
    (``linkage.resolve.people.people_of``)."""

    decisions: pd.DataFrame

    def decided_ids(self) -> list[str]:
        """Record ids of every pair a clerk decided (they join the clustering)."""
        if self.decisions.empty:
            return []
        return sorted(
            set(self.decisions["record_id_l"].astype(str))
            | set(self.decisions["record_id_r"].astype(str))
        )

    def confirmed(self) -> pd.DataFrame:
        """The confirmed pairs (``record_id_l``, ``record_id_r``): one person each."""
        return decision_edges(self.decisions, False)

    def clustering_inputs(self, record_ids: pd.Series, conflicts: list, edges: pd.DataFrame):
        """(conflicts with the rejected pairs, groups joining the confirmed ones, the
        edges without the rejected pairs) for ``cluster_with_cannot_link``."""
        ids = record_ids.astype(str).to_numpy()
        rejected = rejected_conflict(ids, self.decisions)
        conflicts = [*conflicts, rejected] if rejected is not None else conflicts
        return (
            conflicts,
            confirmed_groups(ids, decision_edges(self.decisions, False)),
            without_pairs(edges, decision_edges(self.decisions, True)),
        )


def confirmed_groups(ids: np.ndarray, confirmed: pd.DataFrame) -> pd.Series | None:
    """One label per record joined by confirmed pairs (null for the rest)."""
    if confirmed.empty:
        return None
    position = {r: i for i, r in enumerate(ids.tolist())}
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    touched = set()
    for a, b in zip(confirmed["record_id_l"], confirmed["record_id_r"], strict=True):
        if a in position and b in position:
            x, y = find(position[a]), find(position[b])
            parent[max(x, y)] = min(x, y)
            touched |= {position[a], position[b]}
    labels = np.full(len(ids), None, dtype=object)
    for i in touched:
        labels[i] = ids[find(i)]
    return pd.Series(labels)
