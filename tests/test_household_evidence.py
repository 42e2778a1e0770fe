"""Households as evidence: linked rosters, the household prior, one-to-one alignment."""

import math

import pandas as pd

from linkage.resolve.household_evidence import (
    align,
    household_groups,
    household_weights,
    linked_rosters,
    with_household_evidence,
)


def _pairs(rows):
    return pd.DataFrame(
        rows,
        columns=["record_id_l", "record_id_r", "roster_key_l", "roster_key_r", "match_probability"],
    )


def test_two_strong_matches_link_two_rosters_one_does_not():
    pairs = _pairs(
        [
            ("a1", "b1", "A", "B", 0.99),
            ("a2", "b2", "A", "B", 0.95),  # two anchors
            ("a3", "c1", "A", "C", 0.99),  # one anchor
            ("a1", "d1", "A", "D", 0.99),
            ("a1", "d2", "A", "D", 0.99),  # one person twice
        ]
    )
    linked = linked_rosters(pairs, anchor=0.9, min_anchors=2)
    assert linked[["roster_l", "roster_r", "anchors"]].values.tolist() == [["A", "B", 2]]


def test_rosters_linked_through_a_third_form_one_group():
    linked = pd.DataFrame(
        {"roster_l": ["A", "B", "X"], "roster_r": ["B", "C", "Y"], "anchors": [2, 3, 2]}
    )
    groups = household_groups(linked)
    assert groups["A"] == groups["B"] == groups["C"] != groups["X"] == groups["Y"]


def test_the_household_prior_replaces_the_global_one_and_the_context_goes():
    cross = pd.DataFrame(
        {
            "record_id_l": ["a"],
            "record_id_r": ["b"],
            "roster_key_l": ["A"],
            "roster_key_r": ["B"],
            "match_weight": [-5.0],
            "mw_household_context": [12.0],
        }
    )
    sizes = pd.Series({"A": 4, "B": 3})
    prior = 1e-6
    w = household_weights(cross, sizes, prior).iloc[0]
    expected = -5.0 - 12.0 - math.log2(prior / (1 - prior)) + math.log2((1 / 4) / (3 / 4))
    assert abs(w - expected) < 1e-9


def test_twins_each_keep_their_own_counterpart():
    # Twins t1/t2 (survey roster S) re-registered as d1/d2 (desk roster D): same date,
    # household and guardian; only the name tells them apart.
    cross = pd.DataFrame(
        {
            "record_id_l": ["d1", "d1", "d2", "d2"],
            "record_id_r": ["t1", "t2", "t1", "t2"],
            "roster_key_l": ["D", "D", "D", "D"],
            "roster_key_r": ["S", "S", "S", "S"],
        }
    )
    weights = pd.Series([20.0, 9.0, 8.0, 19.0])
    chosen = align(cross, weights)
    assert sorted(map(tuple, chosen[["record_id_l", "record_id_r"]].values)) == [
        ("d1", "t1"),
        ("d2", "t2"),
    ]


def test_each_roster_pair_is_aligned_on_its_own_and_order_is_kept():
    # Roster pair (D, S) is given in both orientations; (E, S) shares t1 with it but is
    # another roster pair, so t1 may be aligned once in each. Weights <= 0 never align.
    cross = pd.DataFrame(
        {
            "record_id_l": ["e1", "d1", "t2", "d1", "e2", "d3"],
            "record_id_r": ["t1", "t1", "d2", "t2", "t9", "t3"],
            "roster_key_l": ["E", "D", "S", "D", "E", "D"],
            "roster_key_r": ["S", "S", "D", "S", "S", "S"],
        }
    )
    weights = pd.Series([5.0, 10.0, 10.0, 12.0, 0.0, 3.0])
    chosen = align(cross, weights)
    # (E, S) first, as it comes first; d1 takes t1 (10 + 10 > 12 + 0), d3 its only pair
    assert list(map(tuple, chosen[["record_id_l", "record_id_r"]].values)) == [
        ("e1", "t1"),
        ("d1", "t1"),
        ("t2", "d2"),
        ("d3", "t3"),
    ]
    assert chosen["household_weight"].tolist() == [5.0, 10.0, 10.0, 3.0]


def test_aligned_pairs_replace_every_pair_between_the_rosters():
    predictions = pd.DataFrame(
        {
            "record_id_l": ["d1", "d2", "x"],
            "record_id_r": ["t2", "t2", "y"],
            "roster_key_l": ["D", "D", "X"],
            "roster_key_r": ["S", "S", "Y"],
            "match_probability": [0.97, 0.99, 0.8],
            "match_weight": [5.0, 6.0, 2.0],
        }
    )
    groups = pd.Series({"D": 0, "S": 0})
    picked = pd.DataFrame(
        {
            "record_id_l": ["d1", "d2"],
            "record_id_r": ["t1", "t2"],
            "roster_key_l": ["D", "D"],
            "roster_key_r": ["S", "S"],
            "match_probability": [0.999, 0.999],
            "match_weight": [20.0, 19.0],
            "person_match_probability": [0.4, 0.99],
            "household_evidence": [True, True],
        }
    )
    out = with_household_evidence(predictions, groups, picked)
    pairs = set(map(tuple, out[["record_id_l", "record_id_r"]].values))
    assert pairs == {("x", "y"), ("d1", "t1"), ("d2", "t2")}  # (d1, t2) is gone
    assert out.set_index("record_id_l").loc["x", "household_evidence"] == False  # noqa: E712
