"""Households as evidence: rosters that share strong member matches are one household,
and their members are aligned one to one.

A dynamic re-registration of a whole household is plainly the same household (same
address, size, tehsil, most members matching) while some of its members, taken alone,
are weak: the guardian left out, year-only dates, a typo in the name. Scored pair by
pair against a registry of millions, such a member stays below the threshold. But once
two rosters share two or more strong matches, the question for their other members is
no longer "is this the same person as anyone in the country?" but "which member of
that household is this?": the prior that a given member of one roster is a given
member of the other is about 1 / (roster size), not one in a million.

So, for every pair of rosters joined by at least ``min_anchors`` matches at or above
``anchor`` probability:

1. every member of one is scored against every member of the other, by the trained
   model (Splink's scoring, blocking on the household group);
2. each pair's weight is re-based on the household prior, without the household-context
   comparison, which the shared household already accounts for (counting it again
   would double the household's weight);
3. the members are aligned one to one by an assignment that maximises the total weight
   (``scipy.optimize.linear_sum_assignment``): twins, or a son and his cousin of one
   name, each get their own counterpart instead of chaining into one cluster;
4. the assigned pairs replace every pair Splink scored between the two rosters.

Everything else is left as scored. The pure steps work on pandas frames of pairs (a few
per linked household); the one engine step is ``rescore``. A job runs them through
``Engine.derive`` (``linkage.resolve.people``): :func:`roster_groups` per set of records
closed under roster and strong pair, :func:`aligned_pairs` per set of household groups,
so on Spark they run per batch on the executors; registering into a run calls
:func:`household_evidence` on its pandas pairs.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from splink import Linker

from linkage.resolve.clustering import group_min

log = logging.getLogger(__name__)

#: The comparison whose evidence a shared household already holds.
CONTEXT_WEIGHT = "mw_household_context"


def linked_rosters(pairs: pd.DataFrame, *, anchor: float, min_anchors: int) -> pd.DataFrame:
    """Roster pairs (``roster_l`` < ``roster_r``) joined by at least ``min_anchors``
    pairs at or above ``anchor``, with their count of ``anchors``.

    ``pairs`` carries ``roster_key_l``/``roster_key_r``. A record counts once per roster
    pair however many strong pairs it has, so one person registered thrice does not
    make two households one.
    """
    strong = pairs.loc[
        pairs["match_probability"] >= anchor,
        ["record_id_l", "record_id_r", "roster_key_l", "roster_key_r"],
    ]
    strong = strong[strong["roster_key_l"] != strong["roster_key_r"]]
    if strong.empty:
        return pd.DataFrame({"roster_l": [], "roster_r": [], "anchors": []})
    swap = strong["roster_key_l"] > strong["roster_key_r"]
    frame = pd.DataFrame(
        {
            "roster_l": strong["roster_key_l"].where(~swap, strong["roster_key_r"]),
            "roster_r": strong["roster_key_r"].where(~swap, strong["roster_key_l"]),
            "rec_l": strong["record_id_l"].where(~swap, strong["record_id_r"]),
            "rec_r": strong["record_id_r"].where(~swap, strong["record_id_l"]),
        }
    )
    counts = frame.groupby(["roster_l", "roster_r"]).agg(
        left=("rec_l", "nunique"), right=("rec_r", "nunique")
    )
    counts["anchors"] = counts[["left", "right"]].min(axis=1)
    linked = counts[counts["anchors"] >= min_anchors].reset_index()
    return linked[["roster_l", "roster_r", "anchors"]]


def household_groups(linked: pd.DataFrame) -> pd.Series:
    """Group id (int) per roster key: rosters linked directly or through others."""
    if linked.empty:
        return pd.Series(dtype="int64", name="household_group")
    keys, codes = np.unique(
        np.concatenate(
            [linked["roster_l"].to_numpy(dtype=object), linked["roster_r"].to_numpy(dtype=object)]
        ),
        return_inverse=True,
    )
    n = len(linked)
    graph = coo_matrix((np.ones(n), (codes[:n], codes[n:])), shape=(len(keys), len(keys)))
    _, group = connected_components(graph, directed=False)
    return pd.Series(group, index=pd.Index(keys, name="roster_key"), name="household_group")


def roster_groups(
    records: pd.DataFrame, strong: pd.DataFrame, *, anchor: float, min_anchors: int
) -> dict[str, pd.DataFrame]:
    """The household group of each linked roster, named by its smallest roster key, with
    its size (records of the roster in ``records``), and the linked roster pairs.

    Per set of records closed under roster and strong pair (``Engine.derive``): a group's
    rosters are joined by strong pairs, so they are all in the set, and so are all their
    members; the name of a group does not depend on the set it was found in."""
    linked = linked_rosters(strong, anchor=anchor, min_anchors=min_anchors)
    groups = household_groups(linked)
    names = group_min(pd.Series(groups.index.to_numpy(dtype=object)), groups.to_numpy())
    sizes = records["roster_key"].value_counts()
    return {
        "groups": pd.DataFrame(
            {
                "roster_key": groups.index.to_numpy(dtype=object),
                "household_group": groups.map(names).to_numpy(dtype=object),
                "roster_size": sizes.reindex(groups.index).astype("Int64").array,
            }
        ),
        "linked": linked.astype({"anchors": "int64"}),
    }


def rescore(engine, table, groups: pd.DataFrame, model: dict, tf_tables: dict):
    """Every cross-roster pair of records within each household group, scored by
    ``model`` (Splink), as a Splink frame. ``table`` is the engine table of model
    columns; ``groups`` (``roster_key``, ``household_group`` and any columns, such as
    ``roster_size``, that the pairs should carry for each side) a frame of the engine or
    pandas; ``tf_tables`` are the term-frequency tables of the whole table (a group's own
    would mislead)."""
    group_table = engine.register(groups, "household_groups")
    carried = [c for c in groups.columns if c != "roster_key"]
    members = engine.db_api.query_sql(
        f"SELECT r.*, {', '.join(f'g.{c}' for c in carried)} FROM {table.physical_name} r "
        f"JOIN {group_table.physical_name} g ON r.roster_key = g.roster_key"
    )
    settings = dict(model)
    settings["blocking_rules_to_generate_predictions"] = [
        {
            "blocking_rule": "l.household_group = r.household_group AND "
            "l.roster_key <> r.roster_key",
            "sql_dialect": "duckdb",
        }
    ]
    settings["link_type"] = "dedupe_only"
    retained = list(
        dict.fromkeys([*settings.get("additional_columns_to_retain", []), "roster_key", *carried])
    )
    settings["additional_columns_to_retain"] = retained
    linker = Linker(members, settings, log_level=logging.ERROR, validate_settings=False)
    for column, tf in tf_tables.items():
        linker.table_management.register_term_frequency_lookup(tf, column)
    return linker.inference.predict()


def household_weights(cross: pd.DataFrame, sizes: pd.Series, prior: float) -> pd.Series:
    """Match weight of each cross pair given that its two rosters are one household:
    Splink's weight without the household context, re-based from the global prior to
    1 / (size of the larger roster)."""
    context = cross.get(CONTEXT_WEIGHT, 0.0)
    larger = np.maximum(
        sizes.reindex(cross["roster_key_l"]).to_numpy(dtype=float),
        sizes.reindex(cross["roster_key_r"]).to_numpy(dtype=float),
    )
    within = 1.0 / np.maximum(larger, 2.0)
    return cross["match_weight"] - context - _logit2(prior) + np.log2(within / (1.0 - within))


def align(cross: pd.DataFrame, weights: pd.Series) -> pd.DataFrame:
    """One-to-one alignment of each roster pair's members: the assignment with the
    largest total weight among pairs of positive weight. Returns the chosen pairs
    (``record_id_l``, ``record_id_r``, ``household_weight``), roster pairs in the order
    they first come, each one's pairs in their own order."""
    frame = cross[["record_id_l", "record_id_r", "roster_key_l", "roster_key_r"]].copy()
    frame["household_weight"] = weights.to_numpy()
    frame = frame[frame["household_weight"] > 0].reset_index(drop=True)
    if frame.empty:
        return pd.DataFrame(columns=["record_id_l", "record_id_r", "household_weight"])
    swap = (frame["roster_key_l"] > frame["roster_key_r"]).to_numpy()
    left, right = frame["record_id_l"].to_numpy(), frame["record_id_r"].to_numpy()
    # members as numbers in the order of their record ids (the order the assignment
    # sees them in decides between equal weights)
    a = pd.factorize(np.where(swap, right, left), sort=True)[0]
    b = pd.factorize(np.where(swap, left, right), sort=True)[0]
    keys_l, keys_r = frame["roster_key_l"].to_numpy(), frame["roster_key_r"].to_numpy()
    block = pd.factorize(
        pd.MultiIndex.from_arrays([np.where(swap, keys_r, keys_l), np.where(swap, keys_l, keys_r)])
    )[0]
    weight = frame["household_weight"].to_numpy(dtype=float)
    # Plain arrays, one roster pair after another: a pandas group per roster pair cost
    # half a millisecond each (3 s for the 6,000 roster pairs of a million records).
    order = np.argsort(block, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(block[order]) != 0])
    ends = np.r_[starts[1:], len(order)]
    keep = np.zeros(len(frame), dtype=bool)
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        rows = order[lo:hi]
        if hi - lo == 1:
            keep[rows] = True
            continue
        ra, ia = np.unique(a[rows], return_inverse=True)
        rb, ib = np.unique(b[rows], return_inverse=True)
        gain = np.zeros((len(ra), len(rb)))
        gain[ia, ib] = weight[rows]
        picked = np.zeros_like(gain, dtype=bool)
        picked[linear_sum_assignment(gain, maximize=True)] = True
        keep[rows] = picked[ia, ib]
    chosen = order[keep[order]]
    out = frame.iloc[chosen]
    return out[["record_id_l", "record_id_r", "household_weight"]].reset_index(drop=True)


def aligned_pairs(cross: pd.DataFrame, *, prior: float) -> dict[str, pd.DataFrame]:
    """Steps 2 and 3 on the cross pairs of whole household groups (``rescore``, carrying
    ``roster_size``): the aligned pairs with their household weight and probability.
    Typed, so an engine writes the numbers as numbers."""
    sides = [
        pd.Series(cross[f"roster_size_{s}"].to_numpy(), index=cross[f"roster_key_{s}"])
        for s in ("l", "r")
    ]
    sizes = pd.concat(sides)
    sizes = sizes[~sizes.index.duplicated()].astype(float)
    chosen = align(cross, household_weights(cross, sizes, prior))
    weight = chosen["household_weight"].astype(float)
    return {
        "aligned": pd.DataFrame(
            {
                "record_id_l": chosen["record_id_l"].to_numpy(dtype=object),
                "record_id_r": chosen["record_id_r"].to_numpy(dtype=object),
                "household_weight": weight.astype("Float64").array,
                "household_probability": _probability(weight).astype("Float64").array,
            }
        )
    }


def household_pairs(cross: pd.DataFrame, aligned: pd.DataFrame) -> pd.DataFrame:
    """The ``aligned`` pairs of ``cross`` as Splink scored them, with Splink's probability
    and weight kept in ``person_match_*`` and the household's in their place."""
    picked = cross.merge(aligned, on=["record_id_l", "record_id_r"], how="inner")
    picked = picked.assign(
        person_match_probability=picked["match_probability"],
        person_match_weight=picked["match_weight"],
        match_probability=picked["household_probability"].astype(float),
        household_evidence=True,
    )
    picked["match_weight"] = picked["household_weight"].astype(float)
    return picked.drop(columns=["household_weight", "household_probability"])


def household_evidence(
    engine,
    table,
    strong: pd.DataFrame,
    model: dict,
    roster_sizes,
    tf_tables: dict,
    *,
    anchor: float,
    min_anchors: int,
) -> tuple[pd.Series, pd.DataFrame, dict]:
    """Steps 1-3 from the strong pairs (``strong``: at least the pairs at or above
    ``anchor``), all on pandas: the household group of each linked roster, the aligned
    pairs (scored as Splink scores them, with the household probability), and a summary.

    ``roster_sizes`` is a Series of records per roster key, or a function giving it
    for a list of roster keys (registering into a run counts the run's and the new ones).
    """
    linked = linked_rosters(strong, anchor=anchor, min_anchors=min_anchors)
    summary = {
        "roster_pairs_linked": int(len(linked)),
        "household_groups": 0,
        "pairs_rescored": 0,
        "pairs_aligned": 0,
    }
    groups = household_groups(linked)
    if linked.empty:
        return groups, strong.iloc[0:0], summary
    sizes = roster_sizes(list(groups.index)) if callable(roster_sizes) else roster_sizes
    table_of_groups = pd.DataFrame(
        {
            "roster_key": groups.index.to_numpy(dtype=object),
            "household_group": groups.to_numpy(),
            "roster_size": sizes.reindex(groups.index).to_numpy(dtype=float),
        }
    )
    cross = rescore(engine, table, table_of_groups, model, tf_tables).as_pandas_dataframe()
    aligned = aligned_pairs(cross, prior=model["probability_two_random_records_match"])
    picked = household_pairs(cross, aligned["aligned"])
    summary.update(
        household_groups=int(groups.nunique()),
        pairs_rescored=int(len(cross)),
        pairs_aligned=int(len(picked)),
    )
    return groups, picked, summary


def with_household_evidence(
    predictions: pd.DataFrame, groups: pd.Series, picked: pd.DataFrame
) -> pd.DataFrame:
    """``predictions`` with every pair between two rosters of one household group
    replaced by the aligned pairs (``picked``); Splink's own probability stays in
    ``person_match_probability``, its weight in ``person_match_weight``, and aligned pairs
    are marked ``household_evidence``.
    """
    group_l = predictions["roster_key_l"].map(groups)
    in_group = group_l.notna() & (group_l == predictions["roster_key_r"].map(groups))
    kept = predictions[~in_group].copy()
    kept["person_match_probability"] = kept["match_probability"]
    kept["person_match_weight"] = kept["match_weight"]
    kept["household_evidence"] = False
    if picked.empty:
        return kept.reset_index(drop=True)
    common = [c for c in kept.columns if c in picked.columns]
    return pd.concat([kept, picked[common]], ignore_index=True)


def _logit2(p: float) -> float:
    return math.log2(p / (1.0 - p))


def _probability(weight: pd.Series) -> pd.Series:
    return 1.0 / (1.0 + np.power(2.0, -weight.astype(float)))
