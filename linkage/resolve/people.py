"""Scored pairs -> households as evidence -> person clusters -> household clusters, on
any engine, with nothing that grows with the records on the driver.

The graph steps are the pure pandas functions of ``linkage.resolve.household_evidence``,
``linkage.resolve.clustering`` and ``linkage.resolve.households``; they run through
``Engine.derive`` on sets of records closed under roster and the pairs they read (all
records at once on DuckDB, batches of whole connected components on Spark's executors).
What joins them is engine work: filters, Splink's re-scoring of linked households, joins.
Everyone whose records no strong pair touches keeps, in the engine, their record as
person and their roster as household.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial

import pandas as pd

from linkage.engines.base import Engine, Frame
from linkage.progress import Stages
from linkage.resolve.clustering import cluster_with_cannot_link, conflicts_of
from linkage.resolve.household_evidence import aligned_pairs, rescore, roster_groups
from linkage.resolve.households import household_clusters
from linkage.resolve.scoring import Scored, term_frequencies

#: The scores of a person pair, before its comparison levels and weights.
PAIR_COLUMNS = (
    "record_id_l",
    "record_id_r",
    "match_weight",
    "match_probability",
    "person_match_probability",
    "person_match_weight",
    "household_evidence",
    "source_l",
    "source_r",
)
#: Columns the cannot-link rules read (``linkage.resolve.clustering.conflicts_of``).
_CONFLICT_COLUMNS = ["record_id", "roster_key", "gender_std", "dob_year", "person_cnic"]
_EDGE_COLUMNS = ["record_id_l", "record_id_r", "match_probability"]
#: Records are derived together when they share a roster (cannot-links, household sizes
#: and household clusters read whole rosters), besides the pairs that join them.
_BY_ROSTER = [("roster_key",)]


@dataclass
class People:
    """Records with ``cluster_id`` and ``household_cluster_id``, and the pairs (no PII)."""

    records: Frame
    pairs: Frame


def resolve_people(
    engine: Engine, table, std: Frame, scored: Scored, config, stages: Stages, previous=None
) -> People:
    """People and households of ``std`` (the engine frame behind ``table``).
    ``previous`` (``linkage.previous.Previous``) brings a clerk's decisions."""
    cfg = config.clustering
    pairs = engine.pairs(scored.pairs)
    gammas = sorted(c for c in _columns(pairs) if c.startswith(("gamma_", "mw_")))
    evidence: tuple = ()
    if cfg.household_evidence:
        with stages.stage("households as evidence"):
            evidence = _household_evidence(engine, table, std, pairs, scored, cfg)
    pairs = engine.with_household_evidence(pairs, *evidence)
    pairs = engine.persist(
        engine.ordered(
            engine.select(pairs, [*PAIR_COLUMNS, *gammas]), ["record_id_l", "record_id_r"]
        )
    )
    with stages.stage("cluster"):
        clerk = previous.clerk if previous is not None else None
        records = engine.persist(
            clusters(engine, std, pairs, cfg.threshold, cfg.household_overlap, clerk=clerk)
        )
    return People(records, pairs)


def _columns(frame) -> list[str]:
    return list(frame.columns)


def _household_evidence(engine: Engine, table, std, pairs, scored: Scored, cfg) -> tuple:
    """Households as evidence (``linkage.resolve.household_evidence``), in three engine
    steps: the household groups of rosters joined by strong pairs (``roster_groups`` per
    closed set of records), Splink's re-scoring of each group's cross pairs, and their
    alignment (``aligned_pairs`` per set of whole groups). Returns ``(groups, cross,
    aligned)`` for ``Engine.with_household_evidence``, or nothing when no roster is linked."""
    strong = engine.select(
        engine.where_at_least(pairs, "match_probability", cfg.anchor_probability),
        ["record_id_l", "record_id_r", "roster_key_l", "roster_key_r", "match_probability"],
    )
    found = engine.derive(
        engine.select(std, ["record_id", "roster_key"]),
        partial(roster_groups, anchor=cfg.anchor_probability, min_anchors=cfg.min_anchors),
        closed_under=_BY_ROSTER,
        pairs=strong,
    )
    groups = engine.persist(found["groups"])
    summary = {
        "roster_pairs_linked": engine.count(found["linked"]),
        "household_groups": 0,
        "pairs_rescored": 0,
        "pairs_aligned": 0,
    }
    scored.households = summary
    if summary["roster_pairs_linked"] == 0:
        return ()
    model = json.loads(scored.model_json)
    cross = engine.persist(
        engine.pairs(
            rescore(engine, table, groups, model, term_frequencies(engine.db_api, table, model))
        )
    )
    aligned = engine.persist(
        engine.derive(
            cross,
            partial(aligned_pairs, prior=model["probability_two_random_records_match"]),
            closed_under=[("household_group_l",)],
        )["aligned"]
    )
    summary.update(
        household_groups=engine.group_sizes(groups, "household_group")[0],
        pairs_rescored=engine.count(cross),
        pairs_aligned=engine.count(aligned),
    )
    return groups, cross, aligned


def clusters(engine: Engine, std, pairs, threshold: float, overlap: float, clerk=None):
    """``std`` with ``cluster_id`` and ``household_cluster_id`` (:func:`people_of` per set
    of records closed under roster and the pairs at or above ``threshold``). ``clerk``
    (``linkage.previous.ClerkDecisions``): a clerk's decisions, which hold."""
    edges = engine.select(
        engine.where_at_least(pairs, "match_probability", threshold), _EDGE_COLUMNS
    )
    confirmed = clerk.confirmed() if clerk is not None else pd.DataFrame()
    if len(confirmed):  # they join people, so their records are derived together
        edges = engine.union(
            [
                edges,
                engine.from_pandas(
                    confirmed[["record_id_l", "record_id_r"]].assign(match_probability=float("nan"))
                ),
            ]
        )
    records = engine.select(std, [c for c in _CONFLICT_COLUMNS if c in _columns(std)])
    found = engine.derive(
        records,
        partial(people_of, threshold=threshold, overlap=overlap, clerk=clerk),
        closed_under=_BY_ROSTER,
        pairs=edges,
    )
    with_person = engine.attach(
        std, found["people"], "record_id", "cluster_id", default="record_id"
    )
    return engine.attach(
        with_person, found["households"], "roster_key", "household_cluster_id", default="roster_key"
    )


def people_of(
    records: pd.DataFrame, edges: pd.DataFrame, *, threshold: float, overlap: float, clerk=None
) -> dict[str, pd.DataFrame]:
    """Person and household clusters of a set of records closed under roster and the
    ``edges`` at or above ``threshold``: ``people`` (``record_id``, ``cluster_id``) of the
    records an edge or a clerk's decision touches, and ``households`` (``roster_key``,
    ``household_cluster_id``) of the rosters whose people have several records. Everyone
    else is their own person and household.

    Per closed set the result is the one over all records: a merge (and its cannot-link
    checks) only looks inside the two clusters it joins, the strongest-first order
    restricted to a component is the same, every id is the smallest of its group, and a
    household cluster joins rosters sharing people, whom the set holds whole."""
    edges = edges[_EDGE_COLUMNS]
    decided = clerk.decided_ids() if clerk is not None else []
    ids = pd.unique(
        pd.concat([edges["record_id_l"], edges["record_id_r"], pd.Series(decided, dtype=object)])
    )
    touched = records[records["record_id"].isin(ids)].reset_index(drop=True)
    conflicts, groups = conflicts_of(touched), None
    if clerk is not None:  # a clerk's rejected pair stays apart, a confirmed one joins
        conflicts, groups, edges = clerk.clustering_inputs(touched["record_id"], conflicts, edges)
    person = cluster_with_cannot_link(
        touched["record_id"], touched["roster_key"], edges, threshold, conflicts, groups=groups
    )
    mapped = pd.DataFrame(
        {
            "record_id": touched["record_id"].to_numpy(dtype=object),
            "cluster_id": person.to_numpy(dtype=object),
        }
    )

    multi = mapped.groupby("cluster_id")["record_id"].transform("size") > 1
    rosters = pd.unique(touched.loc[multi.to_numpy(), "roster_key"])
    members = records.loc[records["roster_key"].isin(rosters), ["roster_key", "record_id"]]
    people = members["record_id"].map(mapped.set_index("record_id")["cluster_id"])
    household = household_clusters(
        members["roster_key"], people.where(people.notna(), members["record_id"]), overlap=overlap
    )
    households = pd.DataFrame(
        {
            "roster_key": members["roster_key"].to_numpy(dtype=object),
            "household_cluster_id": household.to_numpy(dtype=object),
        }
    )
    return {"people": mapped, "households": households.drop_duplicates("roster_key")}
