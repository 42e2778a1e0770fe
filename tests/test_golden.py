import pandas as pd

from linkage.golden import golden_records, source_rank


def _records():
    return pd.DataFrame({
        "cluster_id": ["c1", "c1", "c1", "c2"],
        "record_id": ["r1", "r2", "r3", "r4"],
        "source": ["dynamic_2024", "survey_2021", "dynamic_2023", "survey_2021"],
        "full_name": ["Mohd Naveed", "Muhammad Naveed", "M. Navid", "Fatima Bibi"],
        "name_std": ["muhammad naveed"] * 3 + ["fatima bibi"],
        "cnic_std": ["3520212345671", None, "3520212345617", None],
        "cnic_status": ["valid", "missing", "unverified", "missing"],
        "date_of_birth": ["1987", "1987-03-14", "1987-01-01", None],
        "dob": [None, "1987-03-14", "1987-01-01", None],
        "dob_precision": ["year", "day", "jan1", None],
    })


def test_survey_beats_self_report_and_quality_beats_source():
    g = golden_records(_records(), source_priority=["survey", "dynamic"]).set_index("cluster_id")
    assert g.loc["c1", "full_name"] == "Muhammad Naveed"
    assert g.loc["c1", "full_name_source"] == "survey_2021"
    # the survey record has no CNIC: the valid dynamic one wins over the unverified one
    assert g.loc["c1", "cnic"] == "3520212345671"
    assert g.loc["c1", "cnic_record_id"] == "r1"
    # an exact date beats a year-only one
    assert g.loc["c1", "date_of_birth"] == "1987-03-14"
    assert g.loc["c1", "n_records"] == 3
    assert g.loc["c1", "record_ids"] == "r1|r2|r3"


def test_missing_everywhere_stays_missing_with_no_source():
    g = golden_records(_records(), source_priority=["survey"]).set_index("cluster_id")
    assert g.loc["c2", "cnic"] is None
    assert g.loc["c2", "cnic_source"] is None
    assert g.loc["c2", "full_name"] == "Fatima Bibi"


def test_agreement_breaks_ties_between_equal_sources():
    recs = pd.DataFrame({
        "cluster_id": ["c"] * 3, "record_id": ["a", "b", "c"], "source": ["survey_2021"] * 3,
        "phone_std": ["3001111111", "3002222222", "3002222222"],
    })
    g = golden_records(recs, source_priority=["survey"])
    assert g.loc[0, "phone"] == "3002222222"


def test_source_rank_orders_by_prefix():
    ranks = source_rank(pd.Series(["survey_2011", "dynamic_2024", "partner_x", None]),
                        ["survey", "dynamic"])
    assert list(ranks) == [0, 1, 2, 2]
