"""Column mapping: YAML loading, applying, and guessing from a header."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from linkage.errors import ConfigError
from linkage.intake.mapping import (
    ColumnMapping,
    apply_mapping,
    fill_blank,
    guess_mapping,
    normalise_header,
    suggest_column,
)


def write(tmp_path, text: str, name: str = "mapping.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- from_yaml -------------------------------------------------------------------------


def test_from_yaml_reads_every_field(tmp_path):
    path = write(
        tmp_path,
        """
rename: {"CNIC No.": cnic, DOB: date_of_birth, Sex: gender}
join: {full_name: [Given Name, Surname]}
date_format: "%d/%m/%Y"
values: {gender: {Female: F, Male: M}}
source: partner_flood_2022
""",
    )
    m = ColumnMapping.from_yaml(path)
    assert m.rename == {"CNIC No.": "cnic", "DOB": "date_of_birth", "Sex": "gender"}
    assert m.join == {"full_name": ["Given Name", "Surname"]}
    assert m.date_format == "%d/%m/%Y"
    assert m.values == {"gender": {"Female": "F", "Male": "M"}}
    assert m.source == "partner_flood_2022"


def test_from_yaml_keeps_yaml11_lookalikes_as_text(tmp_path):
    # Plain YAML would give {True: 1, False: 0} and turn 0300 into the octal number 192.
    path = write(tmp_path, "values: {poverty_flag: {Yes: 1, No: 0}}\nsource: 0300\n")
    m = ColumnMapping.from_yaml(path)
    assert m.values == {"poverty_flag": {"Yes": "1", "No": "0"}}
    assert m.source == "0300"


def test_bad_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "rename:\n  a: cnic\n  b: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        ColumnMapping.from_yaml(path)
    msg = str(err.value)
    assert str(path) in msg and "not valid YAML" in msg and "line" in msg


def test_unknown_key_lists_the_allowed_keys(tmp_path):
    path = write(tmp_path, "renames: {a: cnic}\n")
    with pytest.raises(ConfigError) as err:
        ColumnMapping.from_yaml(path)
    msg = str(err.value)
    assert "unknown key 'renames'" in msg and "rename, join" in msg and str(path) in msg


def test_unknown_contract_column_suggests_the_right_one(tmp_path):
    path = write(tmp_path, "rename: {Name: fullname}\n")
    with pytest.raises(ConfigError) as err:
        ColumnMapping.from_yaml(path)
    assert "'fullname' is not a contract column (did you mean 'full_name'?)" in str(err.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "is empty"),
        ("- a\n- b\n", "must be a YAML mapping"),
        ("date_format: dd/mm/yyyy\n", "does not describe a full date"),
        ("rename: {A: cnic, B: cnic}\n", "maps both 'A' and 'B' to 'cnic'"),
        ("rename: {A: full_name}\njoin: {full_name: [B, C]}\n", "both rename and join"),
        ("join: {full_name: []}\n", "lists no columns"),
        ("values: {sexx: {Female: F}}\n", "'sexx' is not a contract column"),
    ],
)
def test_invalid_mappings_are_config_errors(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        ColumnMapping.from_yaml(path)
    assert expected in str(err.value)
    assert err.value.file == str(path)


def test_missing_mapping_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        ColumnMapping.from_yaml(tmp_path / "nope.yaml")


def test_building_in_python_validates_too():
    with pytest.raises(ValidationError):
        ColumnMapping(rename={"x": "not_a_column"})


# --- apply_mapping ---------------------------------------------------------------------


def frame(**columns):
    return pd.DataFrame(columns, dtype=object)


def test_join_given_name_and_surname_skips_blanks_and_keeps_extras():
    df = frame(
        ID=["1", "2", "3"],
        Given=["Ayesha", "Bilal", None],
        Surname=["Khan", None, None],
        Extra=["x", "y", "z"],
    )
    m = ColumnMapping(rename={"ID": "record_id"}, join={"full_name": ["Given", "Surname"]})
    out = apply_mapping(df, m, "partner.csv")
    assert out["full_name"].tolist() == ["Ayesha Khan", "Bilal", None]
    assert out["record_id"].tolist() == ["1", "2", "3"]
    assert out["Extra"].tolist() == ["x", "y", "z"]  # unknown columns carried through
    assert "Given" in out.columns and "Surname" in out.columns  # join inputs kept
    assert "ID" in df.columns and "full_name" not in df.columns  # input not modified


def test_mapping_naming_a_missing_column_lists_the_file_columns():
    df = frame(**{"CNIC No": ["1"], "Name": ["a"]})
    m = ColumnMapping(rename={"CNIC No.": "cnic"})
    with pytest.raises(ConfigError) as err:
        apply_mapping(df, m, "partner.csv")
    msg = str(err.value)
    assert msg.startswith("partner.csv:")
    assert "'CNIC No.'" in msg and "Columns in the file: 'CNIC No', 'Name'" in msg
    assert "Did you mean 'CNIC No'?" in msg
    assert err.value.column == "CNIC No."


def test_join_naming_a_missing_column_is_an_error():
    df = frame(First=["a"])
    m = ColumnMapping(join={"full_name": ["First", "Last"]})
    with pytest.raises(ConfigError, match="'Last'"):
        apply_mapping(df, m, "f.csv")


def test_rename_onto_an_existing_column_would_lose_data():
    df = frame(cnic=["1"], **{"CNIC No.": ["2"]})
    with pytest.raises(ConfigError, match="already has a column 'cnic'"):
        apply_mapping(df, ColumnMapping(rename={"CNIC No.": "cnic"}), "f.csv")


def test_swapping_two_names_is_allowed():
    df = frame(full_name=["Bibi"], guardian_name=["Ali"])
    m = ColumnMapping(rename={"full_name": "guardian_name", "guardian_name": "full_name"})
    out = apply_mapping(df, m, "f.csv")
    assert out["full_name"].tolist() == ["Ali"] and out["guardian_name"].tolist() == ["Bibi"]


def test_value_map_ignores_case_and_spaces_and_leaves_unknowns():
    df = frame(Sex=["Female", "male ", "F", None, "khwaja sira"])
    m = ColumnMapping(rename={"Sex": "gender"}, values={"gender": {"Female": "F", "Male": "M"}})
    out = apply_mapping(df, m, "f.csv")
    assert out["gender"].tolist() == ["F", "M", "F", None, "khwaja sira"]


def test_value_map_on_a_column_the_file_lacks():
    with pytest.raises(ConfigError, match="value map for 'gender'"):
        apply_mapping(frame(a=["1"]), ColumnMapping(values={"gender": {"f": "F"}}), "f.csv")


def test_date_format_rewrites_to_iso_and_keeps_the_rest():
    dob = ["23/11/1987", "1987", "31/02/1987", "not a date", None, "1987-11-23", " 5/1/2001 "]
    out = apply_mapping(frame(date_of_birth=dob), ColumnMapping(date_format="%d/%m/%Y"), "f")
    assert out["date_of_birth"].tolist() == [
        "1987-11-23",
        "1987",
        "31/02/1987",
        "not a date",
        None,
        "1987-11-23",
        "2001-01-05",
    ]


def test_source_fills_only_blank_rows():
    df = frame(source=["survey_2011", None, "  "])
    out = apply_mapping(df, ColumnMapping(source="partner_x"), "f.csv")
    assert out["source"].tolist() == ["survey_2011", "partner_x", "partner_x"]


def test_fill_blank_leaves_the_given_frame_as_it_was():
    df = frame(source=["survey_2011", None])
    before = df.copy()
    out = fill_blank(df, "source", "partner_x")
    assert out["source"].tolist() == ["survey_2011", "partner_x"]
    pd.testing.assert_frame_equal(df, before)
    assert fill_blank(df, "programme", "x")["programme"].tolist() == ["x", "x"]
    assert "programme" not in df.columns


def test_no_mapping_returns_an_equal_copy():
    df = frame(a=["1"])
    out = apply_mapping(df, None, "f.csv")
    assert out.equals(df) and out is not df


# --- guess_mapping ---------------------------------------------------------------------


def test_guess_for_a_typical_partner_header():
    m = guess_mapping(["Sr No", "NAME", "Father/Husband Name", "CNIC No.", "DOB", "District"])
    assert m.rename == {
        "Sr No": "record_id",
        "NAME": "full_name",
        "Father/Husband Name": "guardian_name",
        "CNIC No.": "cnic",
        "DOB": "date_of_birth",
        "District": "district",
    }
    assert m.join == {}


@pytest.mark.parametrize(
    "header, target",
    [
        ("CNIC", "cnic"),
        ("NIC", "cnic"),
        (" cnic-no ", "cnic"),
        ("Full Name", "full_name"),
        ("Father Name", "guardian_name"),
        ("Guardian", "guardian_name"),
        ("Date of Birth", "date_of_birth"),
        ("D.O.B", "date_of_birth"),
        ("Tehsil", "tehsil"),
        ("UC", "union_council"),
        ("Union Council", "union_council"),
        ("Mobile", "phone"),
        ("Phone No", "phone"),
        ("Gender", "gender"),
        ("SEX", "gender"),
        ("Address", "address"),
        ("HH ID", "household_id"),
        ("Household ID", "household_id"),
        ("ID", "record_id"),
    ],
)
def test_guess_recognises_common_spellings(header, target):
    assert guess_mapping([header, "unrelated column"]).rename == {header: target}


def test_guess_never_makes_two_columns_collide():
    m = guess_mapping(["record_id", "ID", "Mobile", "Phone No", "Sr No"])
    assert m.rename == {"Mobile": "phone"}  # record_id already there; one phone only


def test_guess_prefers_id_over_serial_number():
    assert guess_mapping(["Sr No", "ID"]).rename == {"ID": "record_id"}


def test_guess_joins_first_and_last_name_when_no_full_name():
    m = guess_mapping(["First Name", "Last Name", "CNIC"])
    assert m.join == {"full_name": ["First Name", "Last Name"]}
    assert guess_mapping(["Name", "First Name", "Last Name"]).join == {}


def test_normalise_and_suggest():
    assert normalise_header("Father/Husband Name") == "fatherhusbandname"
    assert suggest_column("record_id", ["Record ID", "x"]) == "Record ID"
    assert suggest_column("household_id", ["HH ID"]) == "HH ID"
    assert suggest_column("household_id", ["recordid", "name"]) is None


def test_serial_hash_and_distt_headers_are_recognised():
    from linkage.intake.mapping import guess_mapping

    rename = guess_mapping(["S#", "Beneficiary Name", "Distt", "F/H Name"]).rename
    assert rename == {
        "S#": "record_id",
        "Beneficiary Name": "full_name",
        "Distt": "district",
        "F/H Name": "guardian_name",
    }


# --- dropping and replacing columns (issue 12) ------------------------------------------


def test_a_mapping_drops_a_column_and_replaces_it():
    df = pd.DataFrame(
        {
            "id": ["1", "2"],
            "household_id": ["junk", "junk"],
            "family": ["F1", "F2"],
            "first": ["Ali", "Sana"],
            "last": ["Khan", "Bibi"],
        }
    )
    mapping = ColumnMapping(
        rename={"id": "record_id", "family": "household_id"},
        join={"full_name": ["first", "last"]},
        drop=["household_id", "first"],
    )
    out = apply_mapping(df, mapping, "f.csv")
    assert out["household_id"].tolist() == ["F1", "F2"]  # theirs replaced ours
    assert "first" not in out.columns and "last" in out.columns
    assert out["full_name"].tolist() == ["Ali Khan", "Sana Bibi"]  # joins read before drop


def test_dropping_a_missing_or_renamed_column_is_refused():
    df = pd.DataFrame({"id": ["1"], "name": ["Ali"]})
    with pytest.raises(ConfigError, match="drops column 'nope'"):
        apply_mapping(df, ColumnMapping(drop=["nope"]), "f.csv")
    with pytest.raises(ConfigError, match="both drops and renames 'id'"):
        apply_mapping(df, ColumnMapping(rename={"id": "record_id"}, drop=["id"]), "f.csv")


def test_drop_loads_from_yaml(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("rename: {rec_id: record_id}\ndrop: [soc_sec_id]\n", encoding="utf-8")
    assert ColumnMapping.from_yaml(path).drop == ["soc_sec_id"]
