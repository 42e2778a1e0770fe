"""Model files (issue 11, items 9 and 10): a model is data. A ``--model`` that is not a
Splink model of this project (a folder, not JSON, bad numbers, SQL that reads files or
tables, calls a function of its own choosing, or does not parse) is one message naming
the comparison and what was refused, and exit 2; the project's own models pass on both
dialects.
"""

import copy
import json

import pytest

from blocking.partner_rules import PARTNER_RULES
from blocking.rules import PERSON_RULES
from linkage.cli import main
from linkage.errors import ConfigError
from models.settings import MODEL_FIELDS, person_settings
from models.store import for_dialect, load_model
from models.validation import ALLOWED_EXPRESSIONS, ALLOWED_FUNCTIONS, validate_model


def nser_link(capsys, *args) -> tuple[int, str]:
    """Exit code and everything printed by ``nser-link ARGS``."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    printed = capsys.readouterr()
    return info.value.code, printed.out + printed.err


@pytest.fixture(scope="module")
def saved(first_run) -> dict:
    """The model.json the project wrote for the session's dedupe run."""
    return json.loads((first_run[0] / "model.json").read_text(encoding="utf-8"))


def dedupe_with(capsys, generated, tmp_path, model) -> tuple[int, str]:
    """``nser-link dedupe`` of the generated wave with ``model`` (a dict, or a path)."""
    if isinstance(model, dict):
        path = tmp_path / "model.json"
        path.write_text(json.dumps(model), encoding="utf-8")
        model = path
    out = tmp_path / "run"
    code, printed = nser_link(
        capsys, "dedupe", generated / "wave_2021.csv", "--out", out, "--model", model
    )
    assert "Traceback" not in printed
    if code == 2:
        assert not out.exists()  # refused before anything ran
    return code, printed


def with_condition(model: dict, sql: str, comparison: str = "name", level: int = 2):
    changed = copy.deepcopy(model)
    target = next(c for c in changed["comparisons"] if c["output_column_name"] == comparison)
    target["comparison_levels"][level]["sql_condition"] = sql
    return changed


# --- files that are not models ------------------------------------------------------------


@pytest.mark.parametrize(
    "content, needle",
    [
        (None, "is a folder, not a model file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
        (b'{"comparisons": [', "is not a JSON model file"),
        (b"[1, 2, 3]", "is not a Splink model"),
        (b'{"link_type": "dedupe_only"}', "is not a Splink model"),
        (
            b'{"comparisons": 5, "link_type": "dedupe_only"}',
            "comparisons: Input should be a valid list",
        ),
        (b"[" * 100_000, "is not a JSON model file"),
    ],
)
def test_a_model_file_that_is_not_a_model_is_one_message(
    capsys, generated, tmp_path, content, needle
):
    path = tmp_path / ("folder" if content is None else "model.json")
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    code, printed = dedupe_with(capsys, generated, tmp_path, path)
    assert code == 2 and str(path) in printed and needle in printed, printed


def test_a_missing_model_file_is_one_message(capsys, generated, tmp_path):
    code, printed = dedupe_with(capsys, generated, tmp_path, tmp_path / "nope.json")
    assert code == 2 and "model file not found" in printed


@pytest.mark.parametrize(
    "change, needle",
    [
        (
            lambda m: m["comparisons"][0]["comparison_levels"][1].update(m_probability="abc"),
            "comparison 'cnic', level 2 m_probability: Input should be a valid number",
        ),
        (
            lambda m: m["comparisons"][1]["comparison_levels"][1].update(u_probability=1.5),
            "comparison 'name', level 2 u_probability: Input should be less than or equal to 1",
        ),
        (
            lambda m: m["comparisons"][2]["comparison_levels"][1].update(m_probability=-0.1),
            "comparison 'date_of_birth', level 2 m_probability",
        ),
        (
            lambda m: m.update(probability_two_random_records_match=1),
            "probability_two_random_records_match: Input should be less than 1",
        ),
        (
            lambda m: m.update(probability_two_random_records_match=0.0),
            "probability_two_random_records_match: Input should be greater than 0",
        ),
        (
            lambda m: m.update(probability_two_random_records_match="0.5"),
            "probability_two_random_records_match: Input should be a valid number",
        ),
        (
            lambda m: m["comparisons"][0].update(output_column_name='cnic" , 1 AS "x'),
            "output_column_name",
        ),
        (
            lambda m: m["comparisons"][1]["comparison_levels"][1].update(
                tf_adjustment_column="full_name"
            ),
            "'full_name' is not a column of the records",
        ),
        (
            lambda m: m.update(additional_columns_to_retain=["source\", read_text('x') AS \"y"]),
            "additional_columns_to_retain.0",
        ),
        (
            lambda m: m["comparisons"][0]["comparison_levels"][1].update(run="anything"),
            "level 2 run: Extra inputs are not permitted",
        ),
    ],
)
def test_bad_numbers_and_names_in_a_model_are_one_message(
    capsys, generated, tmp_path, saved, change, needle
):
    model = copy.deepcopy(saved)
    change(model)
    code, printed = dedupe_with(capsys, generated, tmp_path, model)
    assert code == 2 and needle in printed, printed


# --- SQL: only the shapes the project writes ----------------------------------------------


@pytest.mark.parametrize(
    "sql, needle",
    [
        ("read_text('/etc/hostname') = given_name_l", "calls the function read_text"),
        ("length((SELECT content FROM read_text('/etc/hostname'))) > 0", "holds a subquery"),
        ("read_csv('/etc/passwd') IS NULL", "calls the function read_csv"),
        ("COPY (SELECT 1) TO '/tmp/nser-x.csv'", "holds the SQL construct Copy"),
        (
            "given_name_l = given_name_r; COPY (SELECT 1) TO '/tmp/nser-x.csv'",
            "holds several SQL statements",
        ),
        ("ATTACH '/tmp/nser-x.db'", "holds the SQL construct Attach"),
        ("given_name_l IN (SELECT given_name FROM records)", "holds a subquery"),
        ("given_name_l = records.given_name", "refers to records.given_name"),
        ("soundex(given_name_l) = soundex(given_name_r)", "calls the function soundex"),
        ("getenv('HOME') = given_name_l", "calls the function getenv"),
        ("secret_l = secret_r", "refers to secret_l, which is not a column"),
        ("given_name_l = given_name_r -- a comment", "holds an SQL comment"),
        ("CAST(given_name_l AS INT) = 1", "holds a cast"),
    ],
)
def test_a_model_whose_sql_does_more_than_compare_is_refused(
    capsys, generated, tmp_path, saved, sql, needle
):
    code, printed = dedupe_with(capsys, generated, tmp_path, with_condition(saved, sql))
    assert code == 2, printed
    assert "comparison 'name', level 3" in printed and needle in printed, printed


@pytest.mark.parametrize(
    "sql",
    [
        "given_name_l = = given_name_r",
        "levenshtein(given_name_l",
        "given_name_l = 'unclosed",
        "month(dob_l, 2) = 1",
    ],
)
def test_a_model_with_invalid_sql_is_one_message(capsys, generated, tmp_path, saved, sql):
    code, printed = dedupe_with(capsys, generated, tmp_path, with_condition(saved, sql))
    assert code == 2 and "comparison 'name', level 3" in printed, printed
    assert "is not valid SQL" in printed


@pytest.mark.parametrize(
    "rule, needle",
    [
        (
            "l.person_cnic = r.person_cnic AND length(read_text('/etc/hostname')) > 0",
            "calls the function read_text",
        ),
        ("person_cnic_l = person_cnic_r", "refers to person_cnic_l"),
        (
            "l.person_cnic = r.person_cnic AND l.record_id IN (SELECT record_id FROM records)",
            "holds a subquery",
        ),
    ],
)
def test_a_blocking_rule_that_does_more_than_join_is_refused(
    capsys, generated, tmp_path, saved, rule, needle
):
    model = copy.deepcopy(saved)
    model["blocking_rules_to_generate_predictions"][1]["blocking_rule"] = rule
    code, printed = dedupe_with(capsys, generated, tmp_path, model)
    assert code == 2 and "blocking rule 2" in printed and needle in printed, printed


def test_a_run_folder_whose_model_was_tampered_with_runs_no_sql(capsys, run, tmp_path):
    """``review sample`` evaluates the run's level conditions: they are checked first."""
    _, folder = run
    model = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    tampered = with_condition(model, "length(read_text('/etc/hostname')) > 0")
    (folder / "model.json").write_text(json.dumps(tampered), encoding="utf-8")
    try:
        code, printed = nser_link(
            capsys, "review", "sample", folder, "--out", tmp_path / "s.csv", "--n", "5"
        )
    finally:
        (folder / "model.json").write_text(json.dumps(model), encoding="utf-8")
    assert code == 2 and "calls the function read_text" in printed, printed
    assert "Traceback" not in printed


# --- the project's own models pass --------------------------------------------------------


def _project_models() -> list[tuple[str, dict]]:
    """Every model shape the project writes: each job's rules and link type, trained
    numbers filled in, on DuckDB and moved to Spark as ``for_dialect`` does."""
    models = []
    febrl_like = {
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
        "id_other_std",
    }
    for link_type, rules, present in (
        ("dedupe_only", PERSON_RULES, MODEL_FIELDS),
        ("link_only", PARTNER_RULES, MODEL_FIELDS),
        ("dedupe_only", PERSON_RULES, febrl_like),
    ):
        duck = person_settings(
            [r.as_splink() for r in rules],
            link_type=link_type,
            present=present,
            cnic_u=(1e-5, 1e-4),
            other_id_u=1e-5,
            rare_m=0.001,
        ).create_settings_dict("duckdb")
        duck["sql_dialect"] = "duckdb"
        duck["probability_two_random_records_match"] = 1e-5
        for comparison in duck["comparisons"]:
            for level in comparison["comparison_levels"]:
                if not level.get("is_null_level"):
                    level.setdefault("m_probability", 0.5)
                    level.setdefault("u_probability", 0.01)
        shape = "full" if present is MODEL_FIELDS else "no-household"
        models += [
            (f"{link_type}/{shape}/duckdb", duck),
            (f"{link_type}/{shape}/spark", for_dialect(duck, "spark")),
        ]
    return models


@pytest.mark.parametrize("name, model", _project_models(), ids=[n for n, _ in _project_models()])
def test_the_projects_own_models_pass_on_both_dialects(name, model):
    assert validate_model(model) is model


def test_a_saved_model_passes_and_reproduces_the_run(capsys, generated, first_run, tmp_path):
    path = first_run[0] / "model.json"
    assert load_model(path) == json.loads(path.read_text(encoding="utf-8"))
    validate_model(for_dialect(load_model(path), "spark"))
    code, printed = dedupe_with(capsys, generated, tmp_path, path)
    assert code == 0, printed
    mine = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert mine["person_clusters"] == first_run[1].summary["person_clusters"]


def test_the_whitelist_is_what_the_projects_models_use():
    """Every function the project's models call is allowed, and nothing they call is
    missing: a new comparison's function shows up here first."""
    import sqlglot
    from sqlglot import exp

    used = set()
    for _, model in _project_models():
        dialect = model["sql_dialect"]
        sqls = [
            lv["sql_condition"]
            for c in model["comparisons"]
            for lv in c["comparison_levels"]
            if lv["sql_condition"] != "ELSE"
        ]
        sqls += [r["blocking_rule"] for r in model["blocking_rules_to_generate_predictions"]]
        for sql in sqls:
            for node in sqlglot.parse_one(sql, read=dialect).walk():
                if isinstance(node, exp.Func) and not isinstance(node, ALLOWED_EXPRESSIONS):
                    used.add(
                        node.name.lower()
                        if isinstance(node, exp.Anonymous)
                        else node.sql_name().lower()
                    )
    assert used <= ALLOWED_FUNCTIONS
    assert {"levenshtein", "damerau_levenshtein", "array_contains", "split"} <= used


def test_a_model_refusal_is_a_config_error_naming_the_file(saved):
    with pytest.raises(ConfigError, match=r"^m\.json: comparison 'gender', level 2"):
        validate_model(with_condition(saved, "read_text('x') = 'y'", "gender", 1), file="m.json")
