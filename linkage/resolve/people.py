"""Scored pairs -> households as evidence -> person clusters -> household clusters, on
any engine, with only what duplicates touch on the driver.

The edges above the cluster threshold (one per duplicate registration), the records
they join, and the rosters of people registered more than once come to the driver and
go through the pure pandas functions (``linkage.resolve.clustering``, ``linkage.resolve.households``);
everyone else (every person registered once) stays in the engine, where their cluster
and household ids default to their record and roster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from linkage.engines.base import Engine, Frame
from linkage.progress import Stages
from linkage.resolve.clustering import cluster_with_cannot_link, conflicts_of
from linkage.resolve.household_evidence import household_evidence
from linkage.resolve.households import household_clusters
from linkage.resolve.scoring import Scored, term_frequencies

#: The scores of a person pair, before its comparison levels and weights.
PAIR_COLUMNS = ("record_id_l", "record_id_r", "match_weight", "match_probability",
                "person_match_probability", "person_match_weight", "household_evidence",
                "source_l", "source_r")
#: Columns the cannot-link rules read (``linkage.resolve.clustering.conflicts_of``).
_CONFLICT_COLUMNS = ["record_id", "roster_key", "gender_std", "dob_year", "person_cnic"]


@dataclass
class People:
    """Records with ``cluster_id`` and ``household_cluster_id``, and the pairs (no PII)."""

    records: Frame
    pairs: Frame


def resolve_people(engine: Engine, table, std: Frame, scored: Scored, config,
                   stages: Stages, previous=None) -> People:
    """People and households of ``std`` (the engine frame behind ``table``).
    ``previous`` (``linkage.previous.Previous``) brings a clerk's decisions."""
    cfg = config.clustering
    pairs = engine.pairs(scored.pairs)
    gammas = sorted(c for c in _columns(pairs) if c.startswith(("gamma_", "mw_")))
    groups, picked = pd.Series(dtype=object), pd.DataFrame()
    if cfg.household_evidence:
        with stages.stage("households as evidence"):
            groups, picked = _household_evidence(engine, table, std, pairs, scored, cfg)
    pairs = engine.with_household_evidence(pairs, groups, picked)
    pairs = engine.persist(engine.ordered(engine.select(pairs, [*PAIR_COLUMNS, *gammas]),
                                          ["record_id_l", "record_id_r"]))
    with stages.stage("cluster"):
        records = engine.persist(clusters(engine, std, pairs, cfg.threshold,
                                          cfg.household_overlap, previous=previous))
    return People(records, pairs)


def _columns(frame) -> list[str]:
    return list(frame.columns)


def _household_evidence(engine: Engine, table, std, pairs, scored: Scored, cfg):
    """Households as evidence (``linkage.resolve.household_evidence``): the strong pairs and the
    linked households' members come to the driver (a few per duplicated household)."""
    strong = engine.collect(pairs, ["record_id_l", "record_id_r", "roster_key_l",
                                    "roster_key_r", "match_probability"],
                            at_least=("match_probability", cfg.anchor_probability))
    model = json.loads(scored.model_json)

    def sizes(keys: list) -> pd.Series:
        rows = engine.rows_for(std, "roster_key", pd.Series(keys, dtype=object),
                               ["roster_key"])
        return rows["roster_key"].value_counts()

    groups, picked, scored.households = household_evidence(
        engine, table, strong, model, sizes, term_frequencies(engine.db_api, table, model),
        anchor=cfg.anchor_probability, min_anchors=cfg.min_anchors)
    return groups, picked


def clusters(engine: Engine, std, pairs, threshold: float, overlap: float, previous=None):
    """``std`` with ``cluster_id`` and ``household_cluster_id``; graph work on the driver
    only for the records and rosters that duplicates (or a clerk's decisions) touch."""
    edges = engine.collect(pairs, ["record_id_l", "record_id_r", "match_probability"],
                           at_least=("match_probability", threshold))
    decided = previous.decided_ids() if previous is not None else []
    ids = pd.Series(pd.unique(pd.concat([edges["record_id_l"], edges["record_id_r"],
                                         pd.Series(decided, dtype=object)])), dtype=object)
    touched = engine.rows_for(std, "record_id", ids,
                              [c for c in _CONFLICT_COLUMNS if c in _columns(std)])
    conflicts, groups = conflicts_of(touched), None
    if previous is not None:  # a clerk's rejected pair stays apart, a confirmed one joins
        conflicts, groups, edges = previous.clustering_inputs(touched["record_id"], conflicts,
                                                              edges)
    person = cluster_with_cannot_link(touched["record_id"], touched["roster_key"], edges,
                                      threshold, conflicts, groups=groups)
    mapped = pd.DataFrame({"record_id": touched["record_id"].to_numpy(),
                           "cluster_id": person.to_numpy()})
    with_person = engine.attach(std, mapped, "record_id", "cluster_id", default="record_id")

    multi = mapped.groupby("cluster_id")["record_id"].transform("size") > 1
    rosters = pd.Series(pd.unique(touched.loc[multi.to_numpy(), "roster_key"]), dtype=object)
    members = engine.rows_for(with_person, "roster_key", rosters, ["roster_key", "cluster_id"])
    household = household_clusters(members["roster_key"], members["cluster_id"],
                                   overlap=overlap)
    roster_map = pd.DataFrame({"roster_key": members["roster_key"].to_numpy(),
                               "household_cluster_id": household.to_numpy()})
    return engine.attach(with_person, roster_map, "roster_key", "household_cluster_id",
                         default="roster_key")
