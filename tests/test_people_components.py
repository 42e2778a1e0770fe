"""The claim that lets Spark resolve people on its executors (``linkage.resolve.people``):
person and household clusters, and the household groups and alignment of households as
evidence, depend only on the connected component of records joined by a roster or a pair
they read. Checked on a random graph: the tables of batches of whole components are the
tables of all records, row for row (pure pandas, as DuckDB runs them); and on Spark,
through ``Engine.derive`` with pairs (components by Splink's connected components, a
cogroup per batch), against DuckDB, on a chain of pairs across rosters that small batches
would otherwise cut."""

from functools import partial

import numpy as np
import pandas as pd
import pytest
from graph_labels import component_labels

from linkage.config import BackendConfig
from linkage.engines.spark import java_major_version
from linkage.resolve.household_evidence import aligned_pairs, roster_groups
from linkage.resolve.people import clusters, people_of

THRESHOLD, OVERLAP = 0.95, 0.5


@pytest.fixture(scope="module")
def graph() -> tuple[pd.DataFrame, pd.DataFrame]:
    """400 records in rosters of one to five, with genders and CNICs that sometimes
    clash, 500 random pairs between rosters and the members of 40 households registered
    twice, scored around the threshold: chains, cut chains and merged households of
    every shape."""
    rng = np.random.default_rng(14)
    sizes = rng.integers(1, 6, size=140)
    roster = np.repeat([f"S|{k:03d}" for k in range(len(sizes))], sizes)[:400]
    n = len(roster)
    records = pd.DataFrame(
        {
            "record_id": [f"r{i:03d}" for i in range(n)],
            "roster_key": roster,
            "gender_std": rng.choice(
                np.array(["male", "female", None], dtype=object), n, p=[0.45, 0.45, 0.1]
            ),
            "person_cnic": rng.choice(
                np.array(["3520212345671", "3520212345681", "6110112345672", None], dtype=object),
                n,
                p=[0.05, 0.05, 0.05, 0.85],
            ),
        }
    )
    left, right = rng.integers(0, n, size=(2, 700))
    keep = roster[left] != roster[right]
    left, right = np.minimum(left, right)[keep][:500], np.maximum(left, right)[keep][:500]
    # Households registered twice: the i-th member of a roster paired with the i-th of
    # the next one (roster pairs side by side chain into household groups of three+).
    start = np.concatenate([[0], np.cumsum(sizes)])
    twice = [
        (start[k] + i, start[k + 1] + i)
        for k in rng.choice(len(sizes) - 2, size=40, replace=False)
        for i in range(min(sizes[k], sizes[k + 1]))
        if start[k + 1] + i < n
    ]
    left = np.concatenate([left, [a for a, _ in twice]]).astype(int)
    right = np.concatenate([right, [b for _, b in twice]]).astype(int)
    pairs = pd.DataFrame(
        {
            "record_id_l": records["record_id"].to_numpy()[left],
            "record_id_r": records["record_id"].to_numpy()[right],
            "roster_key_l": roster[left],
            "roster_key_r": roster[right],
            "match_probability": rng.uniform(0.85, 1.0, size=len(left)).round(4),
        }
    ).drop_duplicates(["record_id_l", "record_id_r"], ignore_index=True)
    return records, pairs


def components(records: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """A component label per record: connected through rosters and pairs."""
    rosters = (
        (("r", roster), ("i", record))
        for record, roster in zip(records["record_id"], records["roster_key"], strict=True)
    )
    joined = (
        (("i", a), ("i", b))
        for a, b in zip(pairs["record_id_l"], pairs["record_id_r"], strict=True)
    )
    return component_labels([*rosters, *joined], (("i", r) for r in records["record_id"]))


def per_batch(fn, records: pd.DataFrame, pairs: pd.DataFrame, batches: int = 7):
    """``fn`` per batch of whole components, the tables concatenated; and how many
    batches the largest component's records would span if batched record by record."""
    label = components(records, pairs)
    batch = pd.Series(pd.factorize(label)[0] % batches, index=records["record_id"])
    parts = []
    for b in range(batches):
        mine = records[(batch == b).to_numpy()].reset_index(drop=True)
        its = pairs[pairs["record_id_l"].map(batch).eq(b).to_numpy()].reset_index(drop=True)
        parts.append(fn(mine, its))
    return {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in parts[0]}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    text = (
        frame.astype(object).where(frame.notna(), None).map(lambda v: None if v is None else str(v))
    )
    return text.sort_values(list(text.columns)).reset_index(drop=True)


def test_people_of_batches_of_whole_components_are_the_people_of_all(graph):
    records, pairs = graph
    edges = pairs[pairs["match_probability"] >= THRESHOLD]
    fn = partial(people_of, threshold=THRESHOLD, overlap=OVERLAP)
    whole = fn(records, edges)
    people = whole["people"]
    merged = people.groupby("cluster_id").size()
    assert (merged > 2).any() and len(merged) > 50  # chains, and many people
    assert whole["households"]["household_cluster_id"].nunique() < len(whole["households"])
    # a chain was cut somewhere: fewer people merged than plain connected components
    plain = components(people.assign(roster_key=people["record_id"]), edges)
    assert len(set(plain)) < len(merged)
    parts = per_batch(fn, records, edges)
    for name, table in whole.items():
        pd.testing.assert_frame_equal(_sorted(parts[name]), _sorted(table), obj=name)


def test_roster_groups_and_alignment_of_batches_are_those_of_all(graph):
    records, pairs = graph
    fn = partial(roster_groups, anchor=0.9, min_anchors=2)
    whole = fn(records, pairs)
    groups = whole["groups"]
    assert len(groups) > 10 and groups["household_group"].nunique() < len(groups)
    # a group is named by its smallest roster, and sized by the records of each roster
    assert (
        groups.groupby("household_group")["roster_key"].min()
        == groups.groupby("household_group")["roster_key"].min().index
    ).all()
    sizes = records["roster_key"].value_counts()
    assert (groups["roster_size"].to_numpy() == sizes[groups["roster_key"]].to_numpy()).all()
    parts = per_batch(fn, records, pairs)
    for name, table in whole.items():
        pd.testing.assert_frame_equal(_sorted(parts[name]), _sorted(table), obj=name)

    # Cross pairs of every group (as ``rescore`` gives them), aligned per batch of groups.
    size = groups.set_index("roster_key")["roster_size"]
    group = groups.set_index("roster_key")["household_group"]
    members = records[records["roster_key"].isin(group.index)]
    cross = members.merge(members, how="cross", suffixes=("_l", "_r"))
    cross = cross[
        (cross["record_id_l"] < cross["record_id_r"])
        & (cross["roster_key_l"] != cross["roster_key_r"])
        & (cross["roster_key_l"].map(group) == cross["roster_key_r"].map(group))
    ]
    rng = np.random.default_rng(1)
    cross = cross.assign(
        match_weight=rng.normal(0, 8, len(cross)),
        mw_household_context=rng.normal(3, 2, len(cross)),
        household_group_l=cross["roster_key_l"].map(group),
        roster_size_l=cross["roster_key_l"].map(size),
        roster_size_r=cross["roster_key_r"].map(size),
    ).reset_index(drop=True)
    aligned = aligned_pairs(cross, prior=1e-4)["aligned"]
    assert 0 < len(aligned) < len(cross)
    assert str(aligned["household_weight"].dtype) == "Float64"  # typed for the engines
    assert str(whole["groups"]["roster_size"].dtype) == "Int64"
    hashed = pd.factorize(cross["household_group_l"])[0] % 5
    parts = pd.concat(
        [
            aligned_pairs(cross[hashed == b].reset_index(drop=True), prior=1e-4)["aligned"]
            for b in range(5)
        ]
    )
    pd.testing.assert_frame_equal(_sorted(parts), _sorted(aligned))


def test_a_clerks_decisions_hold_in_people_of():
    from linkage.previous import ClerkDecisions

    records = pd.DataFrame(
        {
            "record_id": ["a", "b", "c", "d"],
            "roster_key": ["A", "B", "C", "D"],
            "gender_std": ["male"] * 4,
            "person_cnic": [None] * 4,
        }
    )
    edges = pd.DataFrame({"record_id_l": ["a"], "record_id_r": ["b"], "match_probability": [0.99]})
    clerk = ClerkDecisions(
        pd.DataFrame(
            {
                "record_id_l": ["a", "c"],
                "record_id_r": ["b", "d"],
                "decision": ["non-match", "match"],
            }
        )
    )
    people = people_of(records, edges, threshold=THRESHOLD, overlap=OVERLAP, clerk=clerk)[
        "people"
    ].set_index("record_id")["cluster_id"]
    assert people["a"] != people["b"] and people["c"] == people["d"] == "c"


@pytest.mark.spark
@pytest.mark.skipif((java_major_version() or 0) < 17, reason="Java 17 is not installed")
def test_spark_clusters_per_batch_of_components_what_duckdb_clusters(graph):
    """``clusters`` on Spark with batches of about 40 records (components found over
    rosters and pairs) gives DuckDB's person and household of every record; a chain of
    three rosters, which batching by roster alone would split, stays one person."""
    pytest.importorskip("pyspark")
    from linkage.engines import engine_for

    records, pairs = graph
    chain = pd.DataFrame(
        {
            "record_id": ["x1", "x2", "y1", "y2", "z1"],
            "roster_key": ["X", "X", "Y", "Y", "Z"],
            "gender_std": ["male", "female", "male", "female", "male"],
            "person_cnic": [None] * 5,
        }
    )
    links = pd.DataFrame(
        {
            "record_id_l": ["x1", "y1", "x2"],
            "record_id_r": ["y1", "z1", "y2"],
            "roster_key_l": ["X", "Y", "X"],
            "roster_key_r": ["Y", "Z", "Y"],
            "match_probability": [0.99, 0.97, 0.98],
        }
    )
    records = pd.concat([records, chain], ignore_index=True)
    pairs = pd.concat([pairs, links], ignore_index=True)
    duck = clusters(
        engine_for(BackendConfig(threads=1)), records.copy(), pairs.copy(), THRESHOLD, OVERLAP
    )
    spark = engine_for(
        BackendConfig(
            name="spark", spark_master="local[2]", spark_shuffle_partitions=2, derive_batch_rows=40
        )
    )
    got = clusters(
        spark, spark.from_pandas(records), spark.from_pandas(pairs), THRESHOLD, OVERLAP
    ).toPandas()
    columns = ["record_id", "cluster_id", "household_cluster_id"]
    pd.testing.assert_frame_equal(_sorted(got[columns]), _sorted(duck[columns]))
    mine = got.set_index("record_id")
    assert set(mine.loc[["x1", "y1", "z1"], "cluster_id"]) == {"x1"}
    assert set(mine.loc[["x1", "x2", "y1", "y2", "z1"], "household_cluster_id"]) == {"X"}

    # What each batch saw: whole components, every pair once with both its records.
    def probe(batch: pd.DataFrame, its: pd.DataFrame) -> dict[str, pd.DataFrame]:
        ids = set(batch["record_id"])
        inside = its["record_id_l"].isin(ids) & its["record_id_r"].isin(ids)
        return {
            "seen": pd.DataFrame(
                {
                    "rows": [len(batch)],
                    "pairs": [len(its)],
                    "inside": [int(inside.sum())],
                    "rosters": [batch["roster_key"].nunique()],
                }
            )
        }

    seen = (
        spark.derive(
            spark.from_pandas(records),
            probe,
            closed_under=[("roster_key",)],
            pairs=spark.from_pandas(pairs),
        )["seen"]
        .toPandas()
        .astype(int)
    )
    assert len(seen) > 3 and seen["rows"].sum() == len(records)
    assert seen["pairs"].sum() == seen["inside"].sum() == len(pairs)
    assert seen["rosters"].sum() == records["roster_key"].nunique()  # no roster split
