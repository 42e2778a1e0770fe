import pandas as pd

from linkage.derive.golden import golden_records, source_rank


def _records():
    return pd.DataFrame(
        {
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
        }
    )


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
    assert pd.isna(g.loc["c2", "cnic"])
    assert pd.isna(g.loc["c2", "cnic_source"])
    assert g.loc["c2", "full_name"] == "Fatima Bibi"


def test_agreement_breaks_ties_between_equal_sources():
    recs = pd.DataFrame(
        {
            "cluster_id": ["c"] * 3,
            "record_id": ["a", "b", "c"],
            "source": ["survey_2021"] * 3,
            "phone_std": ["3001111111", "3002222222", "3002222222"],
        }
    )
    g = golden_records(recs, source_priority=["survey"])
    assert g.loc[0, "phone"] == "3002222222"


def test_source_rank_orders_by_prefix():
    ranks = source_rank(
        pd.Series(["survey_2011", "dynamic_2024", "partner_x", None]), ["survey", "dynamic"]
    )
    assert list(ranks) == [0, 1, 2, 2]


# --- each survivorship rule, and their configured order --------------------------------


def _two_waves():
    """One person: the 2011 survey, the 2021 survey and a 2024 self-report."""
    return pd.DataFrame(
        {
            "cluster_id": ["p"] * 3,
            "record_id": ["w11", "w21", "d24"],
            "source": ["survey_2011", "survey_2021", "dynamic_2024"],
            "wave_order": [0, 1, 1],
            "record_year": pd.array([2011, 2021, 2024], dtype="Int64"),
            "phone_std": ["3001111111", "3002222222", "3003333333"],
            "guardian_name": ["Ali Khan", "Ali Khan", "Ahmed Raza"],
            "guardian_std": ["ali khan", "ali khan", "ahmed raza"],
            "date_of_birth": ["1990", "1990", "1990-04-02"],
            "dob": [None, None, "1990-04-02"],
            "dob_precision": ["year", "year", "day"],
        }
    )


def test_completeness_first_takes_the_exact_date_from_the_least_trusted_source():
    g = golden_records(_two_waves(), source_priority=["survey", "dynamic"]).iloc[0]
    assert g["date_of_birth"] == "1990-04-02"
    assert (g["date_of_birth_source"], g["date_of_birth_year"]) == ("dynamic_2024", 2024)


def test_source_then_recency_takes_the_newest_survey():
    g = golden_records(_two_waves(), source_priority=["survey", "dynamic"]).iloc[0]
    # surveys outrank self-report; of the two surveys the 2021 one is newer
    assert (g["phone"], g["phone_record_id"], g["phone_year"]) == ("3002222222", "w21", 2021)


def test_recency_first_takes_the_newest_record_whatever_its_source():
    g = golden_records(
        _two_waves(),
        source_priority=["survey", "dynamic"],
        rules=["recency", "source", "completeness", "agreement"],
    ).iloc[0]
    assert (g["phone"], g["phone_source"]) == ("3003333333", "dynamic_2024")


def test_agreement_first_takes_what_most_records_say():
    recs = _two_waves()
    recs["source"] = "dynamic_2024"  # all equally trusted and recent but for the year
    g = golden_records(
        recs, source_priority=["survey"], rules=["agreement", "recency", "source", "completeness"]
    ).iloc[0]
    assert g["guardian_name"] == "Ali Khan"  # two records against one
    g = golden_records(
        recs, source_priority=["survey"], rules=["recency", "agreement", "source", "completeness"]
    ).iloc[0]
    assert g["guardian_name"] == "Ahmed Raza"  # the newest record


def test_field_rules_reorder_one_field_only():
    g = golden_records(
        _two_waves(),
        source_priority=["survey", "dynamic"],
        field_rules={"phone": ["recency", "source"]},
    ).iloc[0]
    assert g["phone"] == "3003333333"  # newest number
    assert g["guardian_name_source"] == "survey_2021"  # other fields keep the default


def test_household_golden_records_group_by_household_cluster():
    from linkage.derive.golden import HOUSEHOLD_FIELDS

    recs = pd.DataFrame(
        {
            "cluster_id": ["a", "b", "a2"],
            "household_cluster_id": ["h", "h", "h"],
            "record_id": ["1", "2", "3"],
            "source": ["survey_2011", "survey_2011", "survey_2021"],
            "record_year": pd.array([2011, 2011, 2021], dtype="Int64"),
            "household_size": ["4", "4", "6"],
            "urban_rural": ["rural", "rural", "urban"],
        }
    )
    g = golden_records(
        recs,
        source_priority=["survey"],
        fields=HOUSEHOLD_FIELDS,
        cluster="household_cluster_id",
        rules=["source", "recency", "completeness", "agreement"],
    )
    assert list(g["household_cluster_id"]) == ["h"]
    assert (g.loc[0, "household_size"], g.loc[0, "urban_rural"]) == ("6", "urban")


def test_config_refuses_unknown_fields_and_repeated_rules():
    import pytest
    from pydantic import ValidationError

    from linkage.config import GoldenConfig

    with pytest.raises(ValidationError, match="unknown fields"):
        GoldenConfig(field_rules={"shoe_size": ["recency"]})
    with pytest.raises(ValidationError, match="twice"):
        GoldenConfig(rules=["source", "source"])


def test_only_singles_only_clusters_and_no_records_give_the_same_columns():
    """The singles' and the chosen rows' columns are put together in Arrow; either part
    may be empty (and its columns of no type at all) without changing the table."""
    both = golden_records(_records(), source_priority=["survey"])
    several = golden_records(_records().iloc[:3], source_priority=["survey"])
    singles = golden_records(_records().iloc[3:], source_priority=["survey"])
    none = golden_records(_records().iloc[:0], source_priority=["survey"])
    assert (
        list(several.columns) == list(singles.columns) == list(none.columns) == list(both.columns)
    )
    assert (len(several), len(singles), len(none)) == (1, 1, 0)
    assert several.iloc[0]["record_ids"] == "r1|r2|r3"
    assert singles.iloc[0]["full_name"] == "Fatima Bibi"
    assert singles.iloc[0]["n_records"] == 1


def test_golden_records_write_as_plain_text_columns(tmp_path):
    """Parquet readers see text as ``string`` and counts as int64, as before the golden
    records were held in Arrow; placeholders never survive as values."""
    import pyarrow.parquet as pq

    from linkage.intake.io import _write_table

    records = _records()
    records.loc[3, "full_name"] = "N/A"
    path = tmp_path / "g.parquet"
    _write_table(golden_records(records, source_priority=["survey"]), path, "parquet")
    table = pq.read_table(path)
    assert str(table.schema.field("full_name").type) == "string"
    assert str(table.schema.field("n_records").type) == "int64"
    row = table.to_pandas().set_index("cluster_id").loc["c2"]
    assert pd.isna(row["full_name"]) and pd.isna(row["full_name_source"])
