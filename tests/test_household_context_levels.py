"""Which household-context level a pair of records falls in (the SQL Splink runs)."""

from __future__ import annotations

import duckdb
import pandas as pd

from models.comparisons import household_context
from models.settings import MODEL_FIELDS

COLUMNS = ("guardian_std", "guardian_given", "guardian_key", "guardian_tokens_key",
           "district_std", "district_confidence", "tehsil_std", "postcode_std",
           "address_tokens", "address_signature", "phone_std", "relation_std")


def level(left: dict, right: dict) -> str:
    """The label of the level ``left`` and ``right`` meet at."""
    comparison = household_context().build(frozenset(MODEL_FIELDS)) \
        .get_comparison("duckdb")
    row = {f"{c}_l": left.get(c) for c in COLUMNS} | {f"{c}_r": right.get(c) for c in COLUMNS}
    pairs = pd.DataFrame([row]).astype({"district_confidence_l": "Float64",
                                        "district_confidence_r": "Float64",
                                        "address_signature_l": "Int64",
                                        "address_signature_r": "Int64"})
    cases = " ".join(f"WHEN {lv.sql_condition} THEN '{lv.label_for_charts}'"
                     for lv in comparison.comparison_levels if lv.sql_condition != "ELSE")
    con = duckdb.connect()
    con.register("pairs", pairs)
    return con.execute(f"SELECT CASE {cases} ELSE 'else' END FROM pairs").fetchone()[0]


SALMAN = {"guardian_std": "salman awan", "guardian_given": "salman", "guardian_key": "slmn",
          "guardian_tokens_key": "awn slmn", "district_std": "bahawalnagar",
          "district_confidence": 1.0}


def test_a_guardian_written_as_one_word_is_the_same_guardian():
    joined = {**SALMAN, "guardian_std": "salmanawan", "guardian_given": "salmanawan",
              "guardian_key": "slmnwn", "guardian_tokens_key": "slmnwn"}
    assert level(SALMAN, joined) == "Guardian and district"


def test_another_guardian_with_the_same_given_name_is_not():
    other = {**SALMAN, "guardian_std": "salman qureshi", "guardian_tokens_key": "krs slmn"}
    assert level(SALMAN, other) == "Same district only"


def test_a_district_that_could_not_be_resolved_is_not_a_different_district():
    coded = {"guardian_std": "bilal", "guardian_given": "bilal", "guardian_key": "bll",
             "guardian_tokens_key": "bll", "district_std": "bhw", "district_confidence": 0.0}
    other = {**SALMAN, "district_std": "lahore"}
    assert level(SALMAN, coded) == "Nothing agrees, a district unknown or unresolved"
    assert level(SALMAN, {**coded, "district_std": None, "district_confidence": None}) \
        == "Nothing agrees, a district unknown or unresolved"
    assert level(other, {**SALMAN, "guardian_std": "bilal", "guardian_given": "bilal",
                         "guardian_key": "bll", "guardian_tokens_key": "bll"}) == "else"
