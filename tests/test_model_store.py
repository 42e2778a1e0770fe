import duckdb
import pandas as pd
import pytest
from splink import DuckDBAPI, Linker

from blocking.rules import PERSON_RULES
from linkage.errors import ConfigError
from models.settings import MODEL_FIELDS, person_settings
from models.store import for_dialect, model_json

FEBRL_LIKE = {
    "given_name",
    "given_name_key",
    "family_name",
    "family_name_key",
    "name_tokens_key",
    "dob",
    "dob_year",
    "dob_precision",
    "postcode_std",
    "tehsil_std",
    "address_tokens",
}


def _trained_duckdb_model(present=MODEL_FIELDS):
    rules = [r.as_splink() for r in PERSON_RULES]
    model = person_settings(rules, present=present).create_settings_dict("duckdb")
    model["sql_dialect"] = "duckdb"
    for comparison in model["comparisons"]:
        for i, level in enumerate(comparison["comparison_levels"]):
            if not level.get("is_null_level"):
                level["m_probability"], level["u_probability"] = 0.1 * (i + 1) / 10, 0.01 * i
    model["probability_two_random_records_match"] = 1e-5
    return model


def test_a_duckdb_model_moves_to_spark_with_its_parameters():
    duck = _trained_duckdb_model()
    spark = for_dialect(duck, "spark")
    assert spark["sql_dialect"] == "spark"
    assert spark["probability_two_random_records_match"] == 1e-5
    for a, b in zip(duck["comparisons"], spark["comparisons"], strict=True):
        for la, lb in zip(a["comparison_levels"], b["comparison_levels"], strict=True):
            assert la.get("m_probability") == lb.get("m_probability")
            assert la.get("u_probability") == lb.get("u_probability")
    conditions = " ".join(
        lv["sql_condition"] for c in spark["comparisons"] for lv in c["comparison_levels"]
    )
    assert "`given_name_l`" in conditions and '"given_name_l"' not in conditions
    # and back again gives the DuckDB SQL it started from
    back = for_dialect(spark, "duckdb")
    assert [lv["sql_condition"] for c in back["comparisons"] for lv in c["comparison_levels"]] == [
        lv["sql_condition"] for c in duck["comparisons"] for lv in c["comparison_levels"]
    ]


def test_a_model_of_other_columns_moves_with_exactly_its_levels():
    # A model trained on a file without guardians or CNICs has fewer comparisons and
    # levels; moving it must rebuild exactly those, not the full registry model.
    duck = _trained_duckdb_model(FEBRL_LIKE)
    names = [c["output_column_name"] for c in duck["comparisons"]]
    assert names == ["name", "date_of_birth", "household_context"]
    spark = for_dialect(duck, "spark")
    assert [
        [lv.get("label_for_charts") for lv in c["comparison_levels"]] for c in spark["comparisons"]
    ] == [
        [lv.get("label_for_charts") for lv in c["comparison_levels"]] for c in duck["comparisons"]
    ]
    assert all(
        la.get("m_probability") == lb.get("m_probability")
        for a, b in zip(duck["comparisons"], spark["comparisons"], strict=True)
        for la, lb in zip(a["comparison_levels"], b["comparison_levels"], strict=True)
    )


def test_a_foreign_model_is_refused_with_a_reason():
    duck = _trained_duckdb_model()
    duck["comparisons"][0]["output_column_name"] = "their_own"
    with pytest.raises(ConfigError, match="not one of nser-linkage's"):
        for_dialect(duck, "spark")


def test_same_dialect_is_untouched():
    duck = _trained_duckdb_model()
    assert for_dialect(duck, "duckdb") is duck


def test_one_model_is_one_file_whatever_linker_held_it():
    columns = {"record_id": ["a", "b"], **{c: ["x", "y"] for c in FEBRL_LIKE}}
    model = _trained_duckdb_model(FEBRL_LIKE)
    texts = []
    for _ in range(2):
        db_api = DuckDBAPI(connection=duckdb.connect())
        table = db_api.register(pd.DataFrame(columns), table_name="records")
        texts.append(model_json(Linker(table, model)))
    assert texts[0] == texts[1]  # Splink's random linker id is not part of the model
    assert "linker_uid" not in texts[0]
