"""Which household-context level a pair of records falls in (the SQL Splink runs)."""

from __future__ import annotations

import duckdb
import pandas as pd

from linkage.standardise import standardise
from models.comparisons import household_context
from models.settings import MODEL_FIELDS

COLUMNS = (
    "guardian_std",
    "guardian_given",
    "guardian_key",
    "guardian_tokens_key",
    "guardian_compact",
    "district_std",
    "district_confidence",
    "tehsil_std",
    "postcode_std",
    "address_tokens",
    "address_signature",
    "phone_std",
    "relation_std",
)


def level(left: dict, right: dict) -> str:
    """The label of the level ``left`` and ``right`` meet at."""
    comparison = household_context().build(frozenset(MODEL_FIELDS)).get_comparison("duckdb")
    row = {f"{c}_l": left.get(c) for c in COLUMNS} | {f"{c}_r": right.get(c) for c in COLUMNS}
    pairs = pd.DataFrame([row]).astype(
        {
            "district_confidence_l": "Float64",
            "district_confidence_r": "Float64",
            "address_signature_l": "Int64",
            "address_signature_r": "Int64",
        }
    )
    cases = " ".join(
        f"WHEN {lv.sql_condition} THEN '{lv.label_for_charts}'"
        for lv in comparison.comparison_levels
        if lv.sql_condition != "ELSE"
    )
    con = duckdb.connect()
    con.register("pairs", pairs)
    return con.execute(f"SELECT CASE {cases} ELSE 'else' END FROM pairs").fetchone()[0]


SALMAN = {
    "guardian_std": "salman awan",
    "guardian_given": "salman",
    "guardian_key": "slmn",
    "guardian_tokens_key": "awn slmn",
    "guardian_compact": "salmanawan",
    "district_std": "bahawalnagar",
    "district_confidence": 1.0,
}


def test_a_guardian_written_as_one_word_is_the_same_guardian():
    joined = {
        **SALMAN,
        "guardian_std": "salmanawan",
        "guardian_given": "salmanawan",
        "guardian_key": "slmnwn",
        "guardian_tokens_key": "slmnwn",
        "guardian_compact": "salmanawan",
    }
    assert level(SALMAN, joined) == "Guardian and district"


def test_another_guardian_with_the_same_given_name_is_not():
    other = {
        **SALMAN,
        "guardian_std": "salman qureshi",
        "guardian_tokens_key": "krs slmn",
        "guardian_compact": "salmanqureshi",
    }
    assert level(SALMAN, other) == "Same district only"


def standardised(full_name: str, guardian: str) -> dict:
    """The model's columns of one raw record, as the standardiser writes them."""
    row = standardise(
        pd.DataFrame(
            {"full_name": [full_name], "guardian_name": [guardian], "district": ["Upper Dir"]}
        )
    ).iloc[0]
    return {c: (None if pd.isna(row[c]) else row[c]) for c in COLUMNS if c in row}


def test_a_guardian_with_a_leading_title_and_a_typo_is_the_same_guardian():
    # one form writes the title, the other leaves it out; one letter differs besides
    titled = standardised("Fatima Begum", "MUHAMMAD GHAZANFAR ABDUL WASIT")
    plain = standardised("Fatima Begum", "Ghazanfar Abdul Basit")
    assert level(titled, plain) == "Guardian and district"
    fused = standardised("Fatima Bibi", "W/O MUHAMMADUMAR BASHIR")  # the space lost
    assert (
        level(fused, standardised("Fatima Bibi", "Muhammad Umar Bashir")) == "Guardian and district"
    )
    # the title moved to the end, or the family name left off
    assert (
        level(
            standardised("Bismah", "CHAUDHRY MUHAMMAD SAQIB"),
            standardised("Bismah", "Muhammad Saqib Chaudhry"),
        )
        == "Guardian and district"
    )
    # two fathers whose given names differ stay two, title or not
    other = standardised("Fatima Begum", "Muhammad Ghazanfar Abdul Wasit")
    assert (
        level(other, standardised("Fatima Begum", "Sikandar Abdul Wasit")) == "Same district only"
    )


def test_a_district_that_could_not_be_resolved_is_not_a_different_district():
    coded = {
        "guardian_std": "bilal",
        "guardian_given": "bilal",
        "guardian_key": "bll",
        "guardian_tokens_key": "bll",
        "district_std": "bhw",
        "district_confidence": 0.0,
    }
    other = {**SALMAN, "district_std": "lahore"}
    assert level(SALMAN, coded) == "Nothing agrees, a district unknown or unresolved"
    assert (
        level(SALMAN, {**coded, "district_std": None, "district_confidence": None})
        == "Nothing agrees, a district unknown or unresolved"
    )
    assert (
        level(
            other,
            {
                **SALMAN,
                "guardian_std": "bilal",
                "guardian_given": "bilal",
                "guardian_key": "bll",
                "guardian_tokens_key": "bll",
            },
        )
        == "else"
    )
