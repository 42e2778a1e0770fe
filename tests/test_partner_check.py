"""validate-partner: per-row problems in the partner's own terms, and a report Excel opens
safely."""

import codecs
import csv
import io
import sys
from datetime import date

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import linkage.cli
from linkage.errors import ConfigError, InputError
from linkage.excel_safe import neutralise
from linkage.intake.mapping import ColumnMapping
from linkage.intake.partner_check import (
    ERROR,
    PROBLEM_KINDS,
    REPORT_COLUMNS,
    WARNING,
    check_partner_file,
    check_partner_rows,
    complete_mapping,
    mapping_yaml,
    report_table,
    write_excel_csv,
)

TODAY = date(2026, 6, 1)
HEADER = ["Ref", "Name", "CNIC No.", "Gender", "Date of Birth", "Province", "District", "Mobile No"]
#: One row per problem kind; the comment is the row number the partner sees in Excel.
ROWS = [
    [
        "P1",
        "Ali Khan",
        "35202-1234567-1",
        "M",
        "14/03/1985",
        "Punjab",
        "Lahore",
        "0300-1234567",
    ],  # 2
    ["P2", "Ayesha Bibi", "35202-1234567-1", "F", "1990", "", "", ""],  # 3 gender vs CNIC
    ["", "Sana Bibi", "", "", "", "", "", ""],  # 4 no id
    ["P4", "", "", "F", "", "", "", ""],  # 5 nothing to match on
    ["P5", "Bilal", "35202-123456-1", "", "", "", "", ""],  # 6 12-digit CNIC, id repeated
    ["P6", "Zahid", "8110112345670", "", "", "", "", ""],  # 7 unverified CNIC
    ["P7", "Noor", "", "Q", "", "", "", ""],  # 8 unknown gender
    ["P8", "Asif", "", "", "31/02/1985", "", "", ""],  # 9 impossible date
    ["P9", "Kiran", "", "", "15/12/2026", "", "", ""],  # 10 future date
    ["P10", "Rehmat", "", "", "1900", "", "", ""],  # 11 age 126
    ["P11", "Fazal", "", "", "", "", "", "12345"],  # 12 not a phone
    ["P12", "Saima", "", "", "", "Atlantis", "", ""],  # 13 unknown province
    ["P13", "Tariq", "", "", "", "", "Qwertyville", ""],  # 14 unknown district
    ["P5", "Bilal Ahmed", "", "", "", "", "", ""],  # 15 duplicate of row 6
    ["P14", "Usman", "", "", "", "", "", "", "Lahore"],  # 16 one field too many
    ["P15", "Ali\x00 Raza", "", "", "", "", "", ""],  # 17 a NUL byte
    ["P16", "Ali " * 10_000, "", "", "", "", "", ""],  # 18 a field no Excel cell holds
]
MAPPING = """\
rename:
  Ref: record_id
  Name: full_name
  CNIC No.: cnic
  Gender: gender
  Date of Birth: date_of_birth
  Province: province
  District: district
  Mobile No: phone
"""
EXPECTED = {
    (3, "Gender", "gender disagrees with CNIC"),
    (4, "Ref", "record_id missing"),
    (5, "Name / CNIC No.", "no name and no CNIC"),
    (6, "Ref", "duplicate record_id"),
    (6, "CNIC No.", "CNIC malformed"),
    (7, "CNIC No.", "CNIC unverified"),
    (8, "Gender", "gender not recognised"),
    (9, "Date of Birth", "date of birth not valid"),
    (10, "Date of Birth", "date of birth in the future"),
    (11, "Date of Birth", "age over 110"),
    (12, "Mobile No", "phone not recognised"),
    (13, "Province", "province not recognised"),
    (14, "District", "district not recognised"),
    (15, "Ref", "duplicate record_id"),
    (16, "", "wrong number of fields"),
    (17, "", "NUL byte"),
    (18, "", "field too long"),
}


def _csv_text(header=HEADER, rows=ROWS) -> str:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return "\n".join(lines) + "\n"


def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture
def listing(tmp_path):
    """(partner list, its mapping file) as a partner would send them."""
    return (
        _write(tmp_path, "list.csv", _csv_text().encode("utf-8")),
        _write(tmp_path, "mapping.yaml", MAPPING.encode("utf-8")),
    )


@pytest.fixture
def checked(listing):
    path, mapping = listing
    return check_partner_file(path, mapping=ColumnMapping.from_yaml(mapping), today=TODAY)


# --- the problems ------------------------------------------------------------------------


def test_every_problem_kind_appears_with_row_and_partner_column(checked):
    found = set(checked.problems[["row", "column", "kind"]].itertuples(index=False, name=None))
    assert found == EXPECTED
    assert {kind for _, _, kind in EXPECTED} == set(PROBLEM_KINDS)


def test_severity_says_whether_the_row_is_rejected(checked):
    p = checked.problems.set_index(["row", "kind"])["severity"]
    assert p[(4, "record_id missing")] == ERROR
    assert p[(5, "no name and no CNIC")] == ERROR
    assert p[(15, "duplicate record_id")] == ERROR
    assert p[(6, "CNIC malformed")] == WARNING
    assert p[(3, "gender disagrees with CNIC")] == WARNING
    assert p[(10, "date of birth in the future")] == WARNING


def test_problems_are_plain_words_with_the_value_as_given(checked):
    p = checked.problems.set_index(["row", "kind"])
    assert p.loc[(6, "CNIC malformed"), "problem"] == "CNIC has 12 digits, expected 13"
    assert p.loc[(6, "CNIC malformed"), "value"] == "35202-123456-1"
    assert p.loc[(9, "date of birth not valid"), "problem"].startswith(
        "date of birth 31/02/1985 is not a valid date"
    )
    assert p.loc[(6, "duplicate record_id"), "problem"] == "record_id also on Excel row 15"
    assert p.loc[(15, "duplicate record_id"), "problem"] == "record_id also on Excel row 6"
    assert p.loc[(16, "wrong number of fields"), "problem"].startswith(
        "the row has 9 fields, the header has 8"
    )
    assert (
        p.loc[(8, "gender not recognised"), "problem"] == "gender 'Q' not recognised (use M or F)"
    )
    assert p.loc[(4, "record_id missing"), "problem"].startswith("required value missing")
    assert p.loc[(3, "gender disagrees with CNIC"), "record_id"] == "P2"


def test_year_only_birth_dates_and_clean_rows_raise_nothing(checked):
    assert 2 not in set(checked.problems["row"])
    row3 = checked.problems[checked.problems["row"] == 3]
    assert list(row3["kind"]) == ["gender disagrees with CNIC"]  # "1990" alone is fine


def test_every_row_is_accounted_for(checked):
    s = checked.summary
    assert s["rows_read"] == len(ROWS) == 17
    assert s["rows_with_errors"] == 7  # rows 4, 5, 6, 15, 16, 17, 18
    assert s["rows_usable"] + s["rows_with_errors"] == s["rows_read"]
    assert s["rows_with_warnings"] == 9  # usable rows 3, 7-14 (row 6 is counted as an error)
    assert s["problems"]["duplicate record_id"] == 2


def test_errors_come_first_within_a_row(checked):
    row6 = checked.problems[checked.problems["row"] == 6]
    assert list(row6["severity"]) == [ERROR, WARNING]


def test_values_are_reported_as_written_before_value_maps_and_date_formats():
    raw = pd.DataFrame(
        {
            "Ref": ["a1", "a2"],
            "Given": ["Ayesha", "Ali"],
            "Family": ["Bibi", None],
            "CNIC": ["35202-1234567-1", None],
            "Sex": ["Female", "Male"],
            "DOB": ["01/01/1985", "30/02/1990"],
        }
    )
    mapping = ColumnMapping(
        rename={"Ref": "record_id", "CNIC": "cnic", "Sex": "gender", "DOB": "date_of_birth"},
        join={"full_name": ["Given", "Family"]},
        values={"gender": {"Female": "F", "Male": "M"}},
        date_format="%d/%m/%Y",
    )
    problems = check_partner_rows(raw, mapping, today=TODAY).problems
    got = problems.set_index("row")
    assert got.loc[2, "kind"] == "gender disagrees with CNIC"
    assert got.loc[2, "value"] == "Female"
    assert got.loc[3, "value"] == "30/02/1990"


def test_a_joined_name_points_at_both_columns():
    raw = pd.DataFrame({"Ref": ["a1"], "First Name": [None], "Last Name": [None]})
    mapping = ColumnMapping(
        rename={"Ref": "record_id"}, join={"full_name": ["First Name", "Last Name"]}
    )
    problems = check_partner_rows(raw, mapping).problems
    assert list(problems["column"]) == ["First Name + Last Name"]  # the file has no CNIC column


def test_blank_lines_and_multiline_cells_keep_the_rows_excel_shows(tmp_path):
    text = (
        "ID,Name,Address\n"
        'a1,Ali,"House 1\nStreet 2"\n'  # row 2, two lines in the file
        "\n"  # row 3: blank, skipped by the reader, still a row in Excel
        ",Sana,\n"
    )  # row 4: no id
    path = _write(tmp_path, "list.csv", text.encode("utf-8"))
    check = check_partner_file(path)
    assert check.summary["rows_read"] == 2
    assert list(check.problems["row"]) == [4]


def test_xlsx_rows_count_from_the_header_row(tmp_path):
    path = tmp_path / "list.xlsx"
    pd.DataFrame({"ID": ["a1", "", "a3"], "Name": ["Ali", "Sana", "Asif"]}).to_excel(
        path, index=False
    )
    assert list(check_partner_file(path).problems["row"]) == [3]


# --- mappings ------------------------------------------------------------------------------


def test_a_given_mapping_wins_and_guesses_fill_the_rest():
    given = ColumnMapping(rename={"Ref": "record_id", "Name": "guardian_name"})
    used, guessed = complete_mapping(given, ["Ref", "Name", "CNIC No.", "DOB", "Remarks"])
    assert used.rename == {
        "Ref": "record_id",
        "Name": "guardian_name",
        "CNIC No.": "cnic",
        "DOB": "date_of_birth",
    }
    assert guessed.rename == {"CNIC No.": "cnic", "DOB": "date_of_birth"}


def test_the_printed_mapping_loads_back(tmp_path):
    mapping = ColumnMapping(
        rename={"CNIC No.": "cnic", "نام": "full_name", "0300": "phone"},
        join={"guardian_name": ["Father", "Husband"]},
    )
    path = _write(tmp_path, "m.yaml", mapping_yaml(mapping).encode("utf-8"))
    assert ColumnMapping.from_yaml(path) == mapping


# --- encodings and Excel -------------------------------------------------------------------


ACCENTED = [
    ["P1", "Zoë Café", "35202-123456-1", "F", "31/02/1985", "", "Qwërtyvillé", ""],
    ["", "René", "", "", "", "", "", ""],
]


@pytest.mark.parametrize(
    "name, codec",
    [
        ("list.csv", "utf-8-sig"),
        ("list.csv", "utf-16"),
        ("list.csv", "cp1252"),
        ("list.xlsx", None),
    ],
)
def test_the_same_list_gives_the_same_report_in_any_encoding_or_excel(tmp_path, name, codec):
    mapping = ColumnMapping.model_validate(
        {"rename": {"Ref": "record_id", "Name": "full_name", "CNIC No.": "cnic"}}
    )
    if codec is None:
        path = tmp_path / name
        pd.DataFrame(ACCENTED, columns=HEADER).to_excel(path, index=False)
    else:
        path = _write(tmp_path, name, _csv_text(rows=ACCENTED).encode(codec))
    plain = _write(tmp_path, "plain.csv", _csv_text(rows=ACCENTED).encode("utf-8"))
    got = report_table(check_partner_file(path, mapping=mapping, today=TODAY))
    want = report_table(check_partner_file(plain, mapping=mapping, today=TODAY))
    pd.testing.assert_frame_equal(got, want)
    assert list(got["row"]) == [2, 2, 2, 3]
    assert list(got["value"]) == ["35202-123456-1", "31/02/1985", "Qwërtyvillé", None]


def _read_report(path):
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_report_cells_that_excel_would_run_get_a_quote(tmp_path):
    cells = [
        '=HYPERLINK("http://x","click")',
        "+92 300 1234567",
        "-5",
        "@SUM(A1:A9)",
        "\tcmd",
        "\rcmd",
        "Ali Khan",
        "35202-1234567-1",
        "علی",
        "a=b",
        None,
    ]
    path = write_excel_csv(pd.DataFrame({"value": cells}), tmp_path / "r.csv")
    read = [row[0] for row in _read_report(path)[1:]]
    assert read[:6] == ["'" + c for c in cells[:6]]
    assert read[6:] == ["Ali Khan", "35202-1234567-1", "علی", "a=b", ""]
    assert neutralise(12) == "12" and neutralise(-3) == "'-3"


def test_partner_values_reach_the_report_neutralised(tmp_path):
    rows = [["P1", "Ali", "-1234", "", "", "", '=HYPERLINK("http://x")', ""]]
    path = _write(tmp_path, "list.csv", _csv_text(rows=rows).encode("utf-8"))
    mapping = ColumnMapping(rename={"Ref": "record_id", "CNIC No.": "cnic", "Name": "full_name"})
    out = write_excel_csv(
        report_table(check_partner_file(path, mapping=mapping)), tmp_path / "report.csv"
    )
    header, *lines = _read_report(out)
    assert header == ["row", "record_id", "column", "problem", "value", "severity"]
    values = {line[2]: line[4] for line in lines}
    assert values == {"CNIC No.": "'-1234", "District": '\'=HYPERLINK("http://x")'}


# --- the command ---------------------------------------------------------------------------


def _app() -> typer.Typer:
    from linkage.cli.validate import register

    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _group() -> None:
        """Keeps validate-partner a subcommand, as in nser-link."""

    register(app)
    return app


def _run(*args):
    return CliRunner().invoke(_app(), ["validate-partner", *map(str, args)])


def test_cli_prints_the_guessed_mapping_and_writes_the_report(tmp_path, monkeypatch):
    rows = [
        ["7", "Ali Khan", "35202-123456-1", "M", "", "", "", ""],
        ["7", "Ayesha Bibi", "35202-1234567-1", "F", "", "", "", ""],
    ]
    header = ["Sr No", "Name", "CNIC No.", "Sex", "DOB", "Province", "District", "Remarks"]
    path = _write(tmp_path, "flood list.csv", _csv_text(header, rows).encode("utf-8"))
    monkeypatch.chdir(tmp_path)
    result = _run(path)
    assert result.exit_code == 0, result.output
    for line in ("Sr No: record_id", "Name: full_name", "CNIC No.: cnic", "Sex: gender"):
        assert line in result.output
    assert "Remarks" in result.output  # named as a column left unchecked
    report = _read_report(tmp_path / "flood list.problems.csv")
    assert {tuple(line[:3]) for line in report[1:]} >= {("2", "7", "Sr No"), ("3", "7", "Sr No")}
    # the console names rows and counts, never the list's names or CNICs
    for secret in ("Ali Khan", "Ayesha", "35202", "1234567"):
        assert secret not in result.output


def test_cli_prints_guesses_that_complete_a_given_mapping(tmp_path):
    path = _write(tmp_path, "list.csv", b"Ref,Name,DOB\nA1,Ali,1985\n")
    mapping = _write(tmp_path, "m.yaml", b"rename: {Ref: record_id}\n")
    result = _run(path, "--mapping", mapping, "--out", tmp_path / "r.csv")
    assert result.exit_code == 0, result.output
    assert "guessed" in result.output and "DOB: date_of_birth" in result.output
    quiet = _run(
        path,
        "--mapping",
        _write(
            tmp_path,
            "full.yaml",
            b"rename: {Ref: record_id, Name: full_name, DOB: date_of_birth}\n",
        ),
        "--out",
        tmp_path / "r.csv",
    )
    assert "guessed" not in quiet.output


def test_cli_no_show_values_leaves_ids_and_values_out(tmp_path):
    path = _write(tmp_path, "list.csv", b"ID,Name,Sex\nA1,Ali,Q\n")
    result = _run(path, "--out", tmp_path / "r.csv", "--no-show-values")
    assert result.exit_code == 0, result.output
    (line,) = _read_report(tmp_path / "r.csv")[1:]
    assert line == [
        "2",
        "",
        "Sex",
        "gender '(value not shown)' not recognised (use M or F)",
        "",
        "warning",
    ]


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing file", "file not found"),
        ("bad yaml", "is not valid YAML"),
        ("mapping names an absent column", "which the file does not have"),
        ("no id column", "missing required column"),
    ],
)
def test_cli_errors_are_one_paragraph_and_exit_2(tmp_path, monkeypatch, capsys, case, message):
    good = _write(tmp_path, "list.csv", b"Ref,Name\nA1,Ali\n")
    args = {
        "missing file": [tmp_path / "nope.csv"],
        "bad yaml": [good, "--mapping", _write(tmp_path, "bad.yaml", b"rename: [unclosed\n")],
        "mapping names an absent column": [
            good,
            "--mapping",
            _write(tmp_path, "m.yaml", b"rename: {Reff: record_id}\n"),
        ],
        "no id column": [_write(tmp_path, "x.csv", b"Name,Sex\nAli,M\n")],
    }[case]
    monkeypatch.setattr(linkage.cli, "app", _app())
    monkeypatch.setattr(
        sys,
        "argv",
        ["nser-link", "validate-partner", *map(str, args), "--out", str(tmp_path / "r.csv")],
    )
    with pytest.raises(SystemExit) as exit_:
        linkage.cli.main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "r.csv").exists()


def test_the_report_never_overwrites_the_list(tmp_path):
    path = _write(tmp_path, "list.csv", b"Ref,Name\nA1,Ali\n")
    result = _run(path, "--out", path)
    assert isinstance(result.exception, ConfigError)
    assert path.read_bytes() == b"Ref,Name\nA1,Ali\n"


def test_a_file_without_ids_is_refused_with_a_hint():
    raw = pd.DataFrame({"Name": ["Ali"]})
    with pytest.raises(InputError, match="record_id"):
        check_partner_rows(raw, ColumnMapping())


def test_a_header_without_ids_still_gets_its_guessed_mapping(tmp_path, monkeypatch, capsys):
    path = _write(tmp_path, "list.csv", b"Name,Sex\nAli,M\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(linkage.cli, "app", _app())
    monkeypatch.setattr(sys, "argv", ["nser-link", "validate-partner", str(path)])
    with pytest.raises(SystemExit) as exit_:
        linkage.cli.main()
    assert exit_.value.code == 2
    out = capsys.readouterr()
    assert "Name: full_name" in out.out and "missing required column(s): record_id" in out.err


def test_contract_named_columns_need_no_mapping(tmp_path):
    path = _write(tmp_path, "list.csv", b"record_id,full_name\nA1,Ali\n")
    result = _run(path, "--out", tmp_path / "r.csv")
    assert result.exit_code == 0, result.output
    assert "no mapping needed" in result.output and "No problems found" in result.output
    assert _read_report(tmp_path / "r.csv") == [list(REPORT_COLUMNS)]
