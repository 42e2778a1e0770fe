"""Encodings and Excel: what partners send, read as the contract's text columns."""

import pandas as pd
import pytest

from linkage.errors import ConfigError, InputError
from linkage.intake.io import read_table

ROWS = "record_id,full_name,district\np1,MUHAMMAD NAVEED,Lahore\np2,Ayesha Bibi,{place}\n"


def _written(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "codec, place",
    [
        ("utf-16", "ملتان"),
        ("utf-16-le", "Multān"),
        ("cp1252", "Multàn"),
    ],
)
def test_partner_lists_in_legacy_encodings_are_detected(tmp_path, codec, place):
    path = _written(tmp_path, f"list-{codec}.csv", ROWS.format(place=place).encode(codec))
    df = read_table(path, kind="partner")
    assert list(df["record_id"]) == ["p1", "p2"]
    assert df.loc[1, "district"] == place


def test_cp1252_keeps_its_accented_letters(tmp_path):
    path = _written(tmp_path, "list.csv", "record_id,full_name\np1,Zoë Café\n".encode("cp1252"))
    assert read_table(path, kind="partner").loc[0, "full_name"] == "Zoë Café"


def test_a_registry_wave_states_its_encoding_or_is_refused(tmp_path):
    data = "record_id,household_id,full_name\nr1,h1,Zoë\n".encode("cp1252")
    path = _written(tmp_path, "wave.csv", data)
    with pytest.raises(InputError, match="not valid UTF-8"):
        read_table(path)
    assert read_table(path, encoding="cp1252").loc[0, "full_name"] == "Zoë"


def test_a_wrong_stated_encoding_names_the_byte(tmp_path):
    path = _written(tmp_path, "wave.csv", "record_id,household_id\nr1,h\xe9\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"not valid UTF-8.*byte 0xE9.*line 2"):
        read_table(path, encoding="utf-8")
    with pytest.raises(ConfigError, match="not one Python knows"):
        read_table(path, encoding="klingon")


def _workbook(tmp_path, sheets: dict[str, pd.DataFrame]):
    path = tmp_path / "list.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def test_xlsx_first_sheet_or_the_named_one(tmp_path):
    first = pd.DataFrame({"record_id": ["a1"], "full_name": ["Ali"], "cnic": [3520212345671]})
    second = pd.DataFrame({"record_id": ["b1", "b2"], "full_name": ["Zainab", "Sana"]})
    path = _workbook(tmp_path, {"Beneficiaries": first, "Second round": second})
    df = read_table(path, kind="partner")
    assert list(df["record_id"]) == ["a1"]
    assert df.loc[0, "cnic"] == "3520212345671"  # a number cell keeps every digit
    assert list(read_table(path, kind="partner", sheet="Second round")["record_id"]) == ["b1", "b2"]


def test_xlsx_missing_sheet_and_broken_file_are_clear(tmp_path):
    path = _workbook(tmp_path, {"Only": pd.DataFrame({"record_id": ["a"]})})
    with pytest.raises(InputError, match="has no sheet 'Other'; its sheets are: 'Only'"):
        read_table(path, kind="partner", sheet="Other")
    broken = _written(tmp_path, "broken.xlsx", b"not a zip file")
    with pytest.raises(InputError, match="not a readable Excel"):
        read_table(broken, kind="partner")
