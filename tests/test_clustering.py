import pandas as pd

from linkage.resolve.clustering import cluster_with_cannot_link
from linkage.resolve.households import household_clusters


def _edges(*rows):
    return pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability"])


def test_connected_components_when_no_constraint_bites():
    ids = pd.Series(["a", "b", "c", "d"])
    rosters = pd.Series(["h1", "h2", "h3", "h4"])
    out = cluster_with_cannot_link(ids, rosters, _edges(("a", "b", 0.99), ("b", "c", 0.97)), 0.95)
    assert list(out) == ["a", "a", "a", "d"]


def test_edges_below_threshold_are_ignored():
    ids = pd.Series(["a", "b"])
    out = cluster_with_cannot_link(ids, pd.Series(["h1", "h2"]), _edges(("a", "b", 0.94)), 0.95)
    assert list(out) == ["a", "b"]


def test_two_siblings_of_one_roster_are_never_chained_through_a_duplicate():
    # a and b are siblings on roster h1; x (another registration) links to both.
    ids = pd.Series(["a", "b", "x"])
    rosters = pd.Series(["survey|h1", "survey|h1", "dynamic|d9"])
    edges = _edges(("a", "x", 0.999), ("b", "x", 0.96))
    out = cluster_with_cannot_link(ids, rosters, edges, 0.95)
    assert out[0] == out[2]  # the stronger link wins
    assert out[1] != out[0]  # b stays apart from its sibling a


def test_result_does_not_depend_on_edge_order():
    ids = pd.Series([f"r{i}" for i in range(6)])
    rosters = pd.Series(["h1", "h1", "h2", "h2", "h3", "h3"])
    edges = _edges(("r0", "r2", 0.97), ("r1", "r2", 0.97), ("r2", "r4", 0.99), ("r3", "r5", 0.98))
    first = cluster_with_cannot_link(ids, rosters, edges, 0.95)
    second = cluster_with_cannot_link(ids, rosters, edges.iloc[::-1], 0.95)
    assert list(first) == list(second)
    assert first[0] != first[1]


def test_household_clusters_join_rosters_of_the_same_people_only():
    # h1 and d1 list the same three people; h2 shares one of five people with h3.
    rosters = pd.Series(["h1", "h1", "h1", "d1", "d1", "d1", "h2", "h2", "h2", "h2", "h2", "h3"])
    people = pd.Series(["p1", "p2", "p3", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p8"])
    out = household_clusters(rosters, people, overlap=0.5)
    assert out[0] == out[3] == "d1"
    # h3 has one member, who is also in h2: 1/1 of the smaller roster -> joined
    assert out[6] == out[11]
    assert out[0] != out[6]


def test_one_shared_person_does_not_merge_two_large_households():
    rosters = pd.Series(["h1"] * 4 + ["h2"] * 4)
    people = pd.Series(["a", "b", "c", "bride", "bride", "x", "y", "z"])
    out = household_clusters(rosters, people, overlap=0.5)
    assert out[0] != out[4]


# --- chains that contradict themselves (issue 13) -----------------------------------------


def test_a_chain_through_contradicting_records_is_cut_at_its_weakest_link():
    # a (one CNIC) ~ x (none) ~ b (another CNIC): two namesakes joined by x.
    from linkage.resolve.clustering import conflicts_of

    std = pd.DataFrame(
        {
            "record_id": ["a", "x", "b"],
            "roster_key": ["h1", "h2", "h3"],
            "gender_std": ["M", "M", "M"],
            "dob_year": [1990, None, 1996],
            "person_cnic": ["3520212345671", None, "4210199999998"],
        }
    )
    edges = _edges(("a", "x", 0.99), ("x", "b", 0.9))
    out = cluster_with_cannot_link(
        std["record_id"], std["roster_key"], edges, 0.7, conflicts_of(std)
    )
    assert list(out) == ["a", "a", "b"]  # the weaker link (x, b) is refused
    plain = cluster_with_cannot_link(std["record_id"], std["roster_key"], edges, 0.7)
    assert list(plain) == ["a", "a", "a"]


def test_a_direct_pair_is_the_models_call_even_when_it_contradicts():
    # The model weighed this pair's gender disagreement (a data-entry slip) and still
    # scored it high: the cut applies to chains, not to the pair itself.
    from linkage.resolve.clustering import conflicts_of

    std = pd.DataFrame(
        {
            "record_id": ["a", "b"],
            "roster_key": ["h1", "h2"],
            "gender_std": ["M", "F"],
            "dob_year": [1990, 1990],
            "person_cnic": ["3520212345671", "3520212345671"],
        }
    )
    out = cluster_with_cannot_link(
        std["record_id"], std["roster_key"], _edges(("a", "b", 0.99)), 0.7, conflicts_of(std)
    )
    assert list(out) == ["a", "a"]


def test_cnics_a_typo_apart_are_no_contradiction_but_two_cnics_are():
    from linkage.resolve.clustering import conflicts_of

    std = pd.DataFrame(
        {
            "record_id": ["a", "x", "b", "c"],
            "roster_key": ["1", "2", "3", "4"],
            "gender_std": [None] * 4,
            "dob_year": [None] * 4,
            "person_cnic": ["3520212345671", None, "3520212345617", "4210199999998"],
        }
    )
    edges = _edges(("a", "x", 0.99), ("x", "b", 0.95), ("x", "c", 0.9))
    out = cluster_with_cannot_link(
        std["record_id"], std["roster_key"], edges, 0.7, conflicts_of(std)
    )
    assert list(out) == ["a", "a", "a", "c"]
