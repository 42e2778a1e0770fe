"""Ragged rows and hostile bytes: nothing is silently cut, padded or lost, and both
backends reject the same rows for the same reasons.

NUL bytes inside a field, rows with too many or too few fields, fields larger than any
cell, placeholders standing for values, ``0000-00-00``, CNICs written with en-dashes,
minus signs or fullwidth digits, and duplicate record ids named the same way by
validate-partner and match-partner, by the row Excel shows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the shared helpers, however pytest imports

from hostile_files import (  # noqa: E402
    PARTNER_HEADER,
    REGISTRY_HEADER,
    csv_text,
    partner_rows,
    registry_rows,
    run_cli,
    write,
)

from linkage.derive.golden import golden_records  # noqa: E402
from linkage.intake.io import MAX_FIELD_CHARS, read_raw, read_table  # noqa: E402
from linkage.intake.partner_check import check_partner_file  # noqa: E402
from linkage.intake.validate import REASON_NOTHING_TO_MATCH, validate_rows  # noqa: E402
from linkage.standardise import standardise, standardise_cnic, standardise_dob  # noqa: E402

NUL_NAME = "Zarnigar\x00 Qudsiyah"


def summary(out: Path) -> dict:
    import json

    return json.loads((out / "summary.json").read_text())


def rejected(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "rejected.parquet").sort_values("input_row").reset_index(drop=True)


@pytest.fixture(scope="module")
def model(first_run) -> Path:
    return first_run[0] / "model.json"


# --- a hostile registry wave, read by both backends ---------------------------------------


def hostile_wave() -> str:
    """A wave with every kind of damage the reader must survive, each on a known line.

    Lines (as Excel numbers them): 1 header; 2-101 good rows (more than 4 KB before the
    NUL); 102 a NUL inside a name; 103 one field too many; 104 blank; 105 only spaces;
    106 three fields too few; 107 an empty last field (not ragged); 108 a duplicate id of
    line 2; 109 a field of 200,000 characters; 110 good.
    """
    rows = registry_rows("g", times=17)[:100]
    lines = [csv_text(REGISTRY_HEADER, rows).rstrip("\n")]
    good = rows[0]
    nul = ["n1", "hn1", "survey_2021", NUL_NAME, *good[4:]]
    lines.append(",".join(nul))
    lines.append(",".join(["x1", "hx1", "survey_2021", "Khan", "Ali", *good[4:]]))  # 14
    lines += ["", "   "]
    lines.append(",".join(["s1", "hs1", "survey_2021", "Shahzeb Farrukhzad", *good[4:10]]))
    lines.append(",".join(["e1", "he1", "survey_2021", "Gulrukhsar Bibi", *good[4:12], ""]))
    lines.append(",".join([good[0], "hd1", "survey_2021", "Tabassumara", *good[4:]]))
    lines.append(",".join(["b1", "hb1", "survey_2021", "A" * 200_000, *good[4:]]))
    lines.append(",".join(["z1", "hz1", "survey_2021", "Mehrunnisaia Zaibunnisa", *good[4:]]))
    return "\n".join(lines) + "\n"


EXPECTED_REJECTED = {  # input_row: reason (blank lines are not rows)
    1: "record_id also on Excel row 108",
    101: "contains a NUL byte",
    102: "has 14 fields, the header has 13",
    103: "has 10 fields, the header has 13",
    105: "record_id also on Excel row 2",
    106: f"has a field longer than {MAX_FIELD_CHARS:,} characters",
}


@pytest.fixture(scope="module")
def wave(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("hostile") / "wave.csv", hostile_wave())


def test_duckdb_rejects_each_damaged_row_with_its_reason(wave):
    v = validate_rows(read_table(wave), kind="registry", file=str(wave))
    got = dict(zip(v.rejected["input_row"], v.rejected["reason"], strict=True))
    assert got == EXPECTED_REJECTED
    assert len(v.rows) + len(v.rejected) == 107  # 108 records after the header, 2 blank
    assert v.rows["input_row"].tolist() == [r for r in range(1, 108) if r not in EXPECTED_REJECTED]


def test_nothing_is_cut_or_padded(wave):
    v = validate_rows(read_table(wave), kind="registry", file=str(wave))
    by_row = v.rejected.set_index("input_row")
    assert by_row.loc[101, "full_name"] == NUL_NAME  # not "Zarnigar"
    assert len(by_row.loc[106, "full_name"]) == 200_000
    assert by_row.loc[103, "phone"] is None  # the missing fields, not invented ones
    # a row whose last field is empty has all its fields: it is not ragged
    last = v.rows.set_index("input_row").loc[104]
    assert last["phone"] is None and last["full_name"] == "Gulrukhsar Bibi"


def test_dedupe_keeps_every_row_and_never_uses_a_cut_name(wave, model, tmp_path):
    run = run_cli("dedupe", wave, "--out", tmp_path / "out", "--model", model)
    assert run.code == 0 and "Traceback" not in run.text, run.text
    s = summary(tmp_path / "out")["input"]
    assert s["rows_read"] == 107 == s["rows_used"] + s["rows_rejected"]
    assert s["rows_rejected"] == len(EXPECTED_REJECTED)
    assert s["rejected_by_reason"]["record_id also on another row"] == 2
    golden = pd.read_parquet(tmp_path / "out" / "golden_records.parquet")
    assert not golden["full_name"].isin(["Zarnigar", "Zarnigar\x00"]).any()
    assert not golden["full_name"].fillna("").str.contains("\x00").any()


def test_a_plain_read_of_a_ragged_file_names_the_excel_row(wave):
    from linkage.errors import InputError

    with pytest.raises(InputError, match=r"row 103 has 14 fields, the header has 13"):
        read_raw(wave)


def test_header_less_long_field_is_no_traceback(tmp_path):
    path = write(tmp_path / "w.csv", "A" * 200_000 + ",h1\nr1,h1\n")
    run = run_cli("dedupe", path, "--out", tmp_path / "out")
    assert run.code == 2 and "Traceback" not in run.text, run.text
    assert "A" * 100 not in run.text


@pytest.fixture(scope="module")
def needs_spark() -> None:
    pytest.importorskip("pyspark")
    from linkage.engines.spark import java_major_version

    if (java_major_version() or 0) < 17:
        pytest.skip("Java 17 is not installed")


@pytest.fixture(scope="module")
def spark(needs_spark):
    from linkage.config import BackendConfig
    from linkage.engines import engine_for

    return engine_for(
        BackendConfig(name="spark", spark_master="local[2]", spark_shuffle_partitions=2)
    ).spark


def _spark_rejected(spark, path: Path) -> pd.DataFrame:
    from linkage.engines import spark_frames as sf

    checked = sf.with_reasons(
        sf.read_records(spark, str(path), mapping=None, kind="registry"), kind="registry"
    )
    return checked.where("reason is not null").toPandas().sort_values("input_row").reset_index(
        drop=True
    ), checked.count()


@pytest.mark.spark
def test_spark_rejects_the_same_rows_for_the_same_reasons(spark, wave, capfd):
    bad, n = _spark_rejected(spark, wave)
    duck = validate_rows(read_table(wave), kind="registry", file=str(wave)).rejected
    assert n == 107
    assert dict(zip(bad["input_row"], bad["reason"], strict=True)) == EXPECTED_REJECTED
    # the same values too: a NUL kept, missing fields null, the first fields in place
    columns = list(duck.columns)
    pd.testing.assert_frame_equal(
        bad[columns].astype(object).where(bad[columns].notna(), None),
        duck[columns].astype(object).where(duck[columns].notna(), None),
        check_dtype=False,
    )
    assert "BrokenPipeError" not in capfd.readouterr().err


@pytest.mark.spark
def test_spark_numbers_rows_as_duckdb_around_rejected_rows(spark, tmp_path, capfd):
    """Rows around ragged and blank lines keep their numbers on both backends, and Spark
    leaves no BrokenPipeError on stderr."""
    text = csv_text(REGISTRY_HEADER, registry_rows("a"))
    lines = text.splitlines()
    lines.insert(3, "a9,h9,survey_2021")  # too few
    lines.insert(5, "")
    lines.insert(6, lines[1] + ",x,y")  # too many, and a duplicate id of line 2
    path = write(tmp_path / "w.csv", "\n".join(lines) + "\n")
    bad, n = _spark_rejected(spark, path)
    duck = validate_rows(read_table(path), kind="registry", file=str(path))
    assert n == len(duck.rows) + len(duck.rejected) == 8
    assert bad["input_row"].tolist() == duck.rejected["input_row"].tolist() == [1, 3, 5]
    assert (
        bad["reason"].tolist()
        == duck.rejected["reason"].tolist()
        == [
            "record_id also on Excel row 7",
            f"has 3 fields, the header has 13; {REASON_NOTHING_TO_MATCH}",
            "has 15 fields, the header has 13; record_id also on Excel row 2",
        ]
    )
    assert "BrokenPipeError" not in capfd.readouterr().err


# --- partner lists: huge fields, duplicate ids named as Excel does ------------------------


@pytest.fixture(scope="module")
def partner_list(tmp_path_factory) -> Path:
    """Excel rows: 1 header, 2-7 people, 8 blank, 9 a repeat of row 3's id, 10 an
    address of 200 KB (past Python's csv field limit), 11 a third use of row 3's id."""
    rows = partner_rows()
    header = [*PARTNER_HEADER, "Address"]
    body = [[*r, "Street 1"] for r in rows]
    lines = csv_text(header, body).splitlines()
    lines.append("")
    lines.append(
        ",".join([rows[1][0], "Bilquees Ara", "", "", "F", "1990", "Lahore", "", "Street 2"])
    )
    lines.append(
        ",".join(["P900", "Nazakat Ali", "", "", "M", "1970", "Lahore", "", "B" * 200_000])
    )
    lines.append(",".join([rows[1][0], "Rafia Noor", "", "", "F", "1991", "Lahore", "", "x"]))
    return write(tmp_path_factory.mktemp("partner") / "list.csv", "\n".join(lines) + "\n")


DUPLICATE_REASONS = {  # Excel row: reason
    3: "record_id also on Excel rows 9, 11",
    9: "record_id also on Excel rows 3, 11",
    11: "record_id also on Excel rows 3, 9",
}


def test_validate_partner_and_match_partner_name_the_same_rows(partner_list, model, tmp_path):
    check = check_partner_file(partner_list)
    dup = check.problems[check.problems["kind"] == "duplicate record_id"]
    assert dict(zip(dup["row"], dup["problem"], strict=True)) == DUPLICATE_REASONS
    long = check.problems[check.problems["kind"] == "field too long"]
    assert long["row"].tolist() == [10]

    registry = write(
        tmp_path / "registry.csv", csv_text(REGISTRY_HEADER, registry_rows("r", times=2))
    )
    run = run_cli(
        "match-partner",
        "--registry",
        registry,
        "--partner",
        partner_list,
        "--out",
        tmp_path / "out",
        "--model",
        model,
    )
    assert run.code == 0 and "Traceback" not in run.text, run.text
    rej = rejected(tmp_path / "out")
    # input_row skips the blank line 8, the reasons name the rows Excel shows
    assert dict(zip(rej["input_row"], rej["reason"], strict=True)) == {
        2: DUPLICATE_REASONS[3],
        7: DUPLICATE_REASONS[9],
        8: f"has a field longer than {MAX_FIELD_CHARS:,} characters",
        9: DUPLICATE_REASONS[11],
    }
    s = summary(tmp_path / "out")["input"]
    assert s["rows_read"] == 9 == s["rows_used"] + s["rows_rejected"]


def test_validate_partner_cli_reads_a_huge_field(partner_list, tmp_path):
    run = run_cli("validate-partner", partner_list, "--out", tmp_path / "r.csv")
    assert run.code == 0 and "Traceback" not in run.text, run.text
    assert "field too long" in run.out


# --- placeholders ---------------------------------------------------------------------------


PLACEHOLDER_NAMES = ["N/A", "n.a.", "-", "xxx", "XXXX", "Unknown", "#N/A", "0", "?", "نامعلوم"]


@pytest.mark.parametrize("name", PLACEHOLDER_NAMES)
def test_a_placeholder_name_without_a_cnic_is_rejected(name):
    df = pd.DataFrame(
        {
            "record_id": ["r1", "r2"],
            "household_id": ["h", "h"],
            "full_name": [name, "Ali Raza"],
            "cnic": ["-", "00000-0000000-0"],
        },
        dtype=object,
    )
    v = validate_rows(df, kind="registry", file="w.csv")
    assert v.rejected["reason"].tolist() == [REASON_NOTHING_TO_MATCH]
    assert v.rows["record_id"].tolist() == ["r2"]


def test_standardisation_treats_placeholders_as_blanks():
    df = pd.DataFrame(
        {
            "full_name": ["N/A", "xxx", "Ali Raza"],
            "guardian_name": ["Unknown", "-", "N/A"],
            "cnic": ["-", "00000-0000000-0", "N/A"],
            "date_of_birth": ["0000-00-00", "00/00/0000", "N/A"],
            "relation_to_head": ["N/A", "-", "Head"],
            "phone": ["0000-0000000", "N/A", "-"],
            "district": ["N/A", "-", "Lahore"],
            "gender": ["N/A", "-", "M"],
        },
        dtype=object,
    )
    std = standardise(df)
    assert std["name_std"].isna().tolist() == [True, True, False]
    assert std["guardian_std"].isna().all()
    assert std["cnic_status"].tolist() == ["missing"] * 3
    assert std["dob_year"].isna().all() and std["dob"].isna().all()
    assert std["relation_std"].isna().tolist() == [True, True, False]
    assert std["phone_std"].isna().all()
    assert std["district_std"].isna().tolist() == [True, True, False]


def test_golden_records_never_pick_a_placeholder():
    records = pd.DataFrame(
        {
            "cluster_id": ["c1", "c1", "c2"],
            "record_id": ["a", "b", "c"],
            "source": ["survey_2021", "dynamic_2024", "survey_2021"],
            "full_name": ["N/A", "Zarnigar Qudsiyah", "xxx"],
            "name_std": [None, "zarnigar qudsiyah", None],
            "date_of_birth": ["0000-00-00", "1987-03-14", "00/00/0000"],
            "dob": [None, "1987-03-14", None],
            "dob_precision": [None, "day", None],
            "address": ["-", "Mohalla Qasurpura", "N/A"],
            "address_tokens": [None, "qasurpura", None],
        }
    )
    g = golden_records(records, source_priority=["survey", "dynamic"]).set_index("cluster_id")
    # the survey is trusted more, but its values are placeholders
    assert g.loc["c1", "full_name"] == "Zarnigar Qudsiyah"
    assert g.loc["c1", "date_of_birth"] == "1987-03-14"
    assert g.loc["c1", "address"] == "Mohalla Qasurpura"
    # a person registered once with placeholders has blanks, not placeholders
    assert pd.isna(g.loc["c2", "full_name"]) and pd.isna(g.loc["c2", "date_of_birth"])
    assert pd.isna(g.loc["c2", "full_name_source"])


def test_placeholder_names_never_become_golden_in_a_real_run(model, tmp_path):
    rows = registry_rows("p", times=2)
    rows[0][3] = "N/A"  # the survey record of a person registered twice
    rows[1][3] = "xxx"
    path = write(tmp_path / "w.csv", csv_text(REGISTRY_HEADER, rows))
    run = run_cli("dedupe", path, "--out", tmp_path / "out", "--model", model)
    assert run.code == 0, run.text
    golden = pd.read_parquet(tmp_path / "out" / "golden_records.parquet")
    assert not golden["full_name"].isin(["N/A", "xxx"]).any()


@pytest.mark.parametrize("value", ["0000-00-00", "00/00/0000", "00-00-00", "0000"])
def test_a_zero_date_is_no_date_not_the_year_2000(value):
    out = standardise_dob(pd.Series([value, "14/03/87"], dtype=object))
    assert out["dob_year"].tolist()[0] is pd.NA
    assert out["dob_year"].tolist()[1] == 1987  # a real two-digit year still expands


# --- CNICs as people type them --------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "35202–1234567–1",  # en dash
        "35202—1234567—1",  # em dash
        "35202−1234567−1",  # minus sign
        "35202‐1234567‐1",  # hyphen
        "３５２０２-１２３４５６７-１",  # fullwidth digits
        "３５２０２－１２３４５６７－１",  # fullwidth digits and hyphen-minus
        "٣٥٢٠٢-١٢٣٤٥٦٧-١",  # Arabic-Indic digits, as before
    ],
)
def test_cnics_with_dash_variants_and_fullwidth_digits_are_valid(written):
    out = standardise_cnic(pd.Series([written], dtype=object))
    assert out["cnic_status"].iloc[0] == "valid"
    assert out["cnic_std"].iloc[0] == "3520212345671"


def test_validate_partner_does_not_call_them_malformed(tmp_path):
    path = write(
        tmp_path / "l.csv",
        "ID,Name,CNIC\nA1,Ali,35202–1234567–1\nA2,Sana,３５２０２-１２３４５６７-２\n",
    )
    check = check_partner_file(path)
    assert "CNIC malformed" not in set(check.problems["kind"])


@pytest.mark.spark
def test_spark_dedupe_cli_on_a_ragged_wave_is_clean(needs_spark, model, tmp_path):
    """The real command in its own process, so that stderr is all of it, the Python
    workers' included: no BrokenPipeError, no traceback, every row accounted for."""
    import os
    import subprocess

    lines = csv_text(REGISTRY_HEADER, registry_rows("c", times=2)).splitlines()
    lines[2] += ",one too many"
    lines[4] = lines[4].rsplit(",", 3)[0]
    # registered once, under placeholders: its golden record has blanks (Spark's own rule)
    lines.append(
        "c9,hc9,survey_2021,N/A,xxx,61101-9993028-5,F,0000-00-00,Head,Sindh,"
        "Karachi East,-,0300-5559876"
    )
    path = write(tmp_path / "w.csv", "\n".join(lines) + "\n")
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from linkage.cli import main; main()",
            "dedupe",
            str(path),
            "--out",
            str(tmp_path / "out"),
            "--backend",
            "spark",
            "--model",
            str(model),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "BrokenPipeError" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    s = summary(tmp_path / "out")["input"]
    assert s["rows_read"] == 13 == s["rows_used"] + s["rows_rejected"]
    assert s["rejected_by_reason"] == {
        "has 10 fields, the header has 13": 1,
        "has 14 fields, the header has 13": 1,
    }
    golden = pd.read_parquet(tmp_path / "out" / "golden_records.parquet")
    single = golden.set_index("record_ids").loc["c9"]
    assert single[["full_name", "guardian_name", "date_of_birth", "address"]].isna().all()
    assert single["cnic"] == "6110199930285"
