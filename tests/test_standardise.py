"""Tests for ``linkage.standardise``: each standardiser on real Pakistani examples, edge
cases that must never raise, and the ``standardise()`` frame contract."""

from __future__ import annotations

import doctest
import importlib
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.pk import cnic as stdnum_cnic

from linkage.contract import PERSON_COLUMNS, STANDARDISED_COLUMNS
from linkage.standardise import (
    OUTPUT_DTYPES,
    address_tokens,
    name_key,
    parse_gender,
    parse_name,
    standardise,
    standardise_cnic,
    standardise_district,
    standardise_dob,
    standardise_gender,
    standardise_names,
    standardise_phone,
    standardise_province,
    standardise_tehsil,
    standardise_uc,
)
from linkage.standardise.cnic import stdnum_accepts
from linkage.standardise.name_variants import canonical_map, urdu_map

S = pd.Series


def values(series: pd.Series) -> list:
    """Values with every kind of null as None, for plain list comparisons."""
    return [None if pd.isna(v) else v for v in series.tolist()]


# --- docstring examples ------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [
        "_common",
        "addresses",
        "cnic",
        "dates",
        "gender",
        "name_rules",
        "name_variants",
        "names",
        "phones",
        "phonetic",
        "places",
        "__init__",
    ],
)
def test_docstring_examples_hold(module):
    name = "linkage.standardise" + ("" if module == "__init__" else f".{module}")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# --- CNIC ---------------------------------------------------------------------------------


def test_cnic_formats_give_the_same_13_digits():
    out = standardise_cnic(
        S(
            [
                "35202-1234567-1",
                "35202 1234567 1",
                "35202.1234567.1",
                "3520212345671",
                "3520212345671.0",
                " 35202-1234567-1 ",
            ]
        )
    )
    assert set(out["cnic_std"]) == {"3520212345671"}
    assert set(out["cnic_status"]) == {"valid"}
    assert set(out["cnic_province"]) == {"Punjab"}
    assert set(out["cnic_gender"]) == {"M"}


def test_cnic_province_and_gender_digits():
    out = standardise_cnic(S(["4210112345678", "17301-6282183-4", "61101-1111112-3"]))
    assert values(out["cnic_province"]) == ["Sindh", "Khyber Pakhtunkhwa", "Islamabad"]
    assert values(out["cnic_gender"]) == ["F", "F", "M"]


def test_cnic_kept_but_unverified_where_stdnum_is_stricter():
    """First digit 8 (Azad Kashmir) and a final 0 are rejected by stdnum but usable."""
    out = standardise_cnic(S(["81102-1234567-3", "35202-1234567-0"]))
    assert values(out["cnic_std"]) == ["8110212345673", "3520212345670"]
    assert values(out["cnic_status"]) == ["unverified", "unverified"]
    assert values(out["cnic_province"]) == ["Azad Kashmir", "Punjab"]
    assert values(out["cnic_gender"]) == ["M", "F"]


@pytest.mark.parametrize(
    "raw",
    [
        "1111111111111",
        "1234567890123",
        "35202-0000000-1",
        "123",
        "35202-1234567",
        "ABCDE-1234567-1",
        "95202-1234567-1",
        "05202-1234567-1",
        "35202-1234567-12",
        "3.52021E+12",
    ],
)
def test_cnic_junk_is_malformed_not_fatal(raw):
    out = standardise_cnic(S([raw]))
    assert out["cnic_status"].iloc[0] == "malformed"
    assert out[["cnic_std", "cnic_province", "cnic_gender"]].isna().all(axis=None)


@pytest.mark.parametrize("raw", [None, np.nan, "", "   ", "N/A", "nil", "-"])
def test_cnic_empty_is_missing(raw):
    out = standardise_cnic(S([raw], dtype=object))
    assert out["cnic_status"].iloc[0] == "missing"
    assert pd.isna(out["cnic_std"].iloc[0])


@given(st.text(alphabet=string.digits, min_size=13, max_size=13))
@settings(max_examples=200, deadline=None)
def test_vectorised_verdict_equals_stdnum(number):
    assert stdnum_accepts(S([number], dtype="string[pyarrow]")).iloc[0] == (
        stdnum_cnic.is_valid(number)
    )


# --- gender -------------------------------------------------------------------------------


def test_gender_words_in_english_roman_urdu_and_urdu():
    raw = [
        "M",
        "F",
        "male",
        "Female",
        "MALE",
        "mard",
        "aurat",
        "khatoon",
        "مرد",
        "عورت",
        "خاتون",
        "آدمی",
        "لڑکی",
        "",
        None,
        "??",
        "3",
    ]
    assert values(parse_gender(S(raw))) == [
        "M",
        "F",
        "M",
        "F",
        "M",
        "M",
        "F",
        "F",
        "M",
        "F",
        "F",
        "M",
        "F",
        None,
        None,
        None,
        None,
    ]


def test_gender_falls_back_to_cnic_and_flags_conflicts():
    out = standardise_gender(
        S(["M", None, "F", "female", None, "khawaja sira"]), S(["M", "F", "M", None, None, "M"])
    )
    assert values(out["gender_std"]) == ["M", "F", "F", "F", None, None]
    assert values(out["gender_conflict"]) == [False, None, True, None, None, None]
    assert out["gender_conflict"].dtype == "boolean"


# --- names --------------------------------------------------------------------------------


def test_one_person_written_three_ways_gets_one_standard_name():
    a, b, c = (
        parse_name(n) for n in ("Mohd. Naveed Akhter", "MUHAMMAD NAVEED AKHTER", "Navid Akhter")
    )
    assert a.name_std == b.name_std == "muhammad naveed akhter"
    assert a.given_name == b.given_name == c.given_name == "naveed"
    assert a.family_name == c.family_name == "akhter"
    assert a.given_name_key == c.given_name_key
    assert a.name_tokens_key == b.name_tokens_key == c.name_tokens_key


def test_female_fillers_stay_in_name_but_are_not_given_or_family_name():
    syeda = parse_name("Syeda Fatima Bibi")
    assert syeda.name_std == "syeda fatima bibi"
    assert (syeda.given_name, syeda.family_name) == ("fatima", None)
    assert parse_name("Zainab Begum").given_name == parse_name("ZAINAB").given_name == "zainab"
    assert parse_name("Bibi").given_name == "bibi"  # nothing else left: first token


def test_compound_names_join_and_transliterations_agree():
    assert parse_name("Abdul Rehman").name_std == parse_name("Abdur Rahman").name_std
    assert parse_name("Abdul-Rehman").given_name == parse_name("abdur rahman").given_name
    assert parse_name("Zain ul Abidin Shah")[:3] == ("zainulabidin shah", "zainulabidin", "shah")
    assert parse_name("Ghulam Rasool").given_name == "ghulamrasool"
    assert parse_name("Saif Ullah Khan").given_name == parse_name("Saifullah Khan").given_name
    assert parse_name("Allah Ditta").given_name == "allahditta"


def test_urdu_script_names_read_to_the_same_latin_form():
    urdu, latin = parse_name("محمد علی"), parse_name("Muhammad Ali")
    assert urdu.name_std == latin.name_std == "muhammad ali"
    assert urdu.given_name == "ali"
    assert parse_name("عبد الرحمن").name_std == parse_name("Abdul Rehman").name_std
    assert parse_name("سیدہ فاطمہ بی بی").name_std == "syeda fatima bibi"
    assert parse_name("نوید اختر")[:3] == parse_name("Naveed Akhter")[:3]
    assert (
        parse_name("عذرا خاتون")[:3]
        == parse_name("Azra Khatoon")[:3]
        == ("azra khatoon", "azra", None)
    )
    assert parse_name("ملک ریاض حسین")[:3] == parse_name("Malik Riaz Hussain")[:3]
    unknown = parse_name("ژغپک")  # not in any name list: letter-by-letter reading
    assert unknown.name_std and unknown.name_std.isascii()


def test_honorifics_dropped_titles_skipped_for_given_name():
    assert parse_name("Dr. Haji Muhammad Aslam (Late)").name_std == "muhammad aslam"
    ch = parse_name("Ch. Muhammad Aslam Chaudhary")
    assert ch.name_std == "chaudhry muhammad aslam chaudhry"
    assert (ch.given_name, ch.family_name) == ("aslam", "chaudhry")
    assert parse_name("Mst. Zainab w/o Ahmed").name_std == "zainab"
    assert parse_name("Malik Riaz Hussain").given_name == "riaz"
    assert parse_name("Muhammad").given_name == "muhammad"


def test_syed_and_saeed_stay_different_names():
    """The Arabic variant list merges them; on a Pakistani register they are not one."""
    assert parse_name("Sayed Ali").given_name == "ali"  # Syed is a title
    assert parse_name("Said Ali").given_name == "saeed"
    assert canonical_map()["sayyid"] == "syed"


def test_mistyped_muhammad_is_still_skipped():
    assert parse_name("Muhamamd Tahir Khan").given_name == "tahir"
    assert parse_name("Mhuammad Tahir").name_std == "muhammad tahir"
    assert parse_name("Mahmood Tahir").given_name == "mahmud"  # a name, not a typo


def test_muhammad_cut_short_run_in_or_with_the_m_moved_is_still_skipped():
    # shortened on a form: no list holds every such spelling
    assert parse_name("Mohmd Farid Tauseef").given_name == "farid"
    assert parse_name("MUHMD Bilal").given_name == "bilal"
    assert parse_name("MUH. KHALID KHOSA")[1:] == parse_name("Khalid Khosa")[1:]
    # the space after it lost: the given name is what follows
    assert parse_name("MUHAMMADUMAR BASHIR")[:3] == parse_name("Muhammad Umar Bashir")[:3]
    assert parse_name("Mohammadali Khan").given_name == "ali"
    assert parse_name("uMhammad Asad Abid").given_name == "asad"
    # names of their own stay whole
    assert parse_name("Mohammadzai Khan").given_name == "mohammadzai"
    assert parse_name("Muhammadi Begum").given_name == "muhammadi"
    for name in ("Mohid Ali", "Mahdi Hasan", "Mahad Khan", "Mahmood Ali", "Uhmed Ali"):
        assert parse_name(name).name_std.split()[0] != "muhammad", name


def test_the_guardian_run_together_without_its_title_is_compared():
    out = standardise_names(
        pd.Series(["Fatima Begum", "Fatima Begum"]),
        pd.Series(["MUHAMMAD GHAZANFAR ABDUL WASIT", "Ghazanfar Abdul Wasit"]),
    )
    assert out["guardian_compact"].tolist() == ["ghazanfarabdulwasit"] * 2
    assert out["guardian_std"].iloc[0] != out["guardian_std"].iloc[1]  # as written


def test_family_name_needs_two_core_tokens():
    assert parse_name("Imran Khan Niazi").family_name == "niazi"
    assert parse_name("Muhammad Ali").family_name is None
    assert parse_name("Ali").family_name is None


def test_guardian_from_relation_marker_or_column():
    out = standardise_names(
        S(["Ali Raza s/o Ghulam Abbas", "Ayesha d/o Ahmed", "Naveed Akhter S/O Ahmed"]),
        S([None, "", "Muhammad Akhter"]),
    )
    assert values(out["name_std"]) == ["ali raza", "ayesha", "naveed akhter"]
    assert values(out["guardian_std"]) == ["ghulamabbas", "ahmad", "muhammad akhter"]
    assert values(out["guardian_given"]) == ["ghulamabbas", "ahmad", "akhter"]
    assert out["guardian_key"].iloc[2] == name_key("akhter")


@pytest.mark.parametrize("raw", [None, "", "   ", "12345", "!!!", "Mr.", "N/A", "ज्ञान"])
def test_names_without_a_usable_token_are_null(raw):
    parts = parse_name(raw)
    assert parts.name_std is None and parts.given_name is None and parts.given_name_key is None


def test_canonical_forms_are_deterministic_and_not_over_merged():
    mapping = canonical_map()
    assert {mapping[v] for v in ("mohammed", "mohamad", "muhammed", "mohd", "md")} == {"muhammad"}
    assert mapping["navid"] == "naveed" and mapping["yusuf"] == mapping["yousuf"] == "yousaf"
    assert "bibi" not in mapping and "begum" not in mapping
    assert mapping.get("hassan", "hassan") != mapping.get("hussain", "hussain")
    assert urdu_map()["محمد"] == "muhammad"


# --- phonetic key -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("Naveed", "Navid"),
        ("Yousaf", "Yusuf"),
        ("Rehana", "Raihana"),
        ("Zubair", "Zubeir"),
        ("Siddiqui", "Siddiqi"),
        ("Qasim", "Kasim"),
        ("Ghulam", "Gulam"),
        ("Ayesha", "Aisha"),
        ("Fatimah", "Fatima"),
        ("Shaukat", "Showkat"),
        ("Mukhtar", "Moktar"),
        ("Ehsan", "Ihsan"),
        ("Abdur Rehman", "Abdulrahman"),
        ("Moin-ud-Din", "Moinuddin"),
    ],
)
def test_key_joins_spellings_of_one_name(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("Naveed", "Nadeem"),
        ("Zahid", "Shahid"),
        ("Fatima", "Fozia"),
        ("Khalid", "Waleed"),
        ("Hina", "Huma"),
        ("Asif", "Asim"),
    ],
)
def test_key_keeps_different_names_apart(a, b):
    assert name_key(a) != name_key(b)


@given(st.text(max_size=30))
@settings(max_examples=200, deadline=None)
def test_key_never_raises_and_ignores_case(text):
    key = name_key(text)
    assert key == name_key(text.upper()) or not text.isascii()
    assert set(key) <= set(string.ascii_letters)


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "1987-03-14",
        "14/03/1987",
        "14-03-1987",
        "14.03.1987",
        "1987-03-14 00:00:00",
        "1987-03-14T00:00:00",
        "14 Mar 1987",
        "14-March-1987",
        "March 14, 1987",
        "19870314",
        "03/14/1987",
        "14/03/87",
        "۱۴/۰۳/۱۹۸۷",
    ],
)
def test_dates_in_every_format(raw):
    out = standardise_dob(S([raw]))
    assert out["dob"].iloc[0] == pd.Timestamp("1987-03-14")
    assert out["dob_year"].iloc[0] == 1987
    assert out["dob_precision"].iloc[0] == "day"


def test_day_first_is_the_default():
    out = standardise_dob(S(["05/03/1987", "01/02/05"]))
    assert out["dob"].tolist() == [pd.Timestamp("1987-03-05"), pd.Timestamp("2005-02-01")]


@pytest.mark.parametrize("raw", ["1987", "1987-00-00", "00/00/1987", "03/1987"])
def test_year_only_dates(raw):
    out = standardise_dob(S([raw]))
    assert pd.isna(out["dob"].iloc[0])
    assert (out["dob_year"].iloc[0], out["dob_precision"].iloc[0]) == (1987, "year")


def test_first_of_january_is_flagged_but_kept():
    out = standardise_dob(S(["01/01/1990", "1990-01-01"]))
    assert set(out["dob_precision"]) == {"jan1"}
    assert set(out["dob"]) == {pd.Timestamp("1990-01-01")}


@pytest.mark.parametrize(
    "raw",
    [
        "31/02/1990",
        "1850",
        "1899-12-31",
        "2030-01-01",
        "abc",
        "",
        None,
        "14/14/1987",
        "32-01-1990",
        "0",
    ],
)
def test_impossible_dates_are_all_null(raw):
    out = standardise_dob(S([raw], dtype=object))
    assert out[["dob", "dob_year", "dob_precision"]].isna().all(axis=None)
    # a year that was read but is out of range is counted (issue 12), the rest are not
    flag = out["dob_out_of_range"].iloc[0]
    if raw in ("1850", "1899-12-31", "2030-01-01"):
        assert flag == True  # noqa: E712 (a NumPy bool)
    else:
        assert pd.isna(flag)


def test_the_earliest_birth_year_is_a_setting():
    out = standardise_dob(S(["1850-03-01", "1899"]), min_year=1800)
    assert out["dob_year"].tolist() == [1850, 1899]
    assert out["dob_out_of_range"].isna().all()


def test_date_dtypes():
    out = standardise_dob(S(["1987-03-14", None]))
    assert out["dob"].dtype == "datetime64[ns]"
    assert out["dob_year"].dtype == "Int64"
    assert out["dob_precision"].dtype == "string"
    assert out["dob_out_of_range"].dtype == "boolean"
    empty = standardise_dob(S([], dtype=object))
    assert empty.empty and list(empty.columns) == list(out.columns)
    assert (empty.dtypes == out.dtypes).all()


@pytest.mark.parametrize(
    ("raw", "dob", "precision"),
    [
        ("12/31/1990", "1990-12-31", "day"),  # month first only where day first is impossible
        ("13/12/1990", "1990-12-13", "day"),
        ("1990-12-31 10:20 pm", "1990-12-31", "day"),  # a time of day is dropped
        ("  N/A ", None, None),
        ("0000-00-00", None, None),  # placeholders
        ("3rd march 90", "1990-03-03", "day"),
        ("14 Foo 1987", None, None),  # not a month
        ("12/1987", None, "year"),
        ("13/1987", None, None),
        ("1/26", None, None),
        ("1/1/26", "2026-01-01", "jan1"),
        ("1/1/27", "1927-01-01", "jan1"),  # the pivot
        ("29/02/2000", "2000-02-29", "day"),
        ("29/02/1900", None, None),
    ],
)
def test_date_edge_cases(raw, dob, precision):
    out = standardise_dob(S([raw], dtype=object)).iloc[0]
    assert (None if pd.isna(out["dob"]) else out["dob"].strftime("%Y-%m-%d")) == dob
    assert (None if pd.isna(out["dob_precision"]) else out["dob_precision"]) == precision


# --- phones -------------------------------------------------------------------------------


def test_mobile_formats_become_ten_digits():
    raw = [
        "0300-1234567",
        "03001234567",
        "+92 300 1234567",
        "923001234567",
        "0092 300 1234567",
        "300 1234567",
        "0300-1234567 / 0321-7654321",
        "cell: 0300 1234567",
    ]
    assert set(standardise_phone(S(raw))) == {"3001234567"}


def test_landlines_keep_area_code_and_junk_is_null():
    out = standardise_phone(
        S(["042-35761234", "091-5701234", "12345", "0300-0000000", "1111111111", "abc", "", None])
    )
    assert values(out) == ["4235761234", "915701234", None, None, None, None, None, None]


# --- places -------------------------------------------------------------------------------


def test_provinces_to_reference_names():
    raw = [
        "NWFP",
        "KPK",
        "KP",
        "Khyber Pukhtunkhwa",
        "Sind",
        "SINDH",
        "Baluchistan",
        "ICT",
        "Islamabad Capital Territory",
        "AJK",
        "Azad Jammu and Kashmir",
        "GB",
        "Gilgit Baltistan",
        "Northern Areas",
        "FATA",
        "Tribal Areas",
        "Punjab",
        "پنجاب",
    ]
    assert (
        values(standardise_province(S(raw)))
        == ["Khyber Pakhtunkhwa"] * 4
        + ["Sindh"] * 2
        + ["Balochistan"]
        + ["Islamabad"] * 2
        + ["Azad Kashmir"] * 2
        + ["Gilgit-Baltistan"] * 3
        + ["FATA"] * 2
        + ["Punjab"] * 2
    )


def test_unknown_province_keeps_its_cleaned_text():
    assert values(standardise_province(S(["Some Place!", None]))) == ["some place", None]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("D.G. Khan", "dera ghazi khan"),
        ("DG Khan", "dera ghazi khan"),
        ("Dera Ghazi Khan District", "dera ghazi khan"),
        ("D.I. Khan", "dera ismail khan"),
        ("RY Khan", "rahim yar khan"),
        ("T.T. Singh", "toba tek singh"),
        ("Rawal Pindi", "rawalpindi"),
        ("Thar Parkar", "tharparkar"),
        ("Nowshehra", "nowshera"),
        ("Larkano", "larkana"),
        ("Hydrabad", "hyderabad"),
        ("Lyallpur", "faisalabad"),
        ("Muzafargarh", "muzaffargarh"),
        ("Shekhupura", "sheikhupura"),
        ("Nawabshah", "shaheed benazirabad"),
        ("Badeen", "badin"),
        ("Jhang Sadar", "jhang"),
        ("Karachi (East)", "karachi east"),
        ("Karachi Gharbi", "karachi west"),
        ("Turbat", "kech"),
        ("Muzaffarabad", "muzaffarabad"),
        ("Skardu", "baltistan"),
        ("Karachi", "karachi"),
        ("Some New Town", "some new town"),
    ],
)
def test_districts_to_reference_keys(raw, expected):
    assert standardise_district(S([raw])).iloc[0] == expected


def test_district_fuzzy_match_stays_in_the_stated_province():
    out = standardise_district(S(["Hyderabd", "Hyderabd"]), S(["Sindh", "Punjab"]))
    assert values(out) == ["hyderabad", "hyderabd"]


def test_tehsil_reference_spelling_only_within_district():
    out = standardise_tehsil(
        S(["Fort Abas", "Fort Abas", "Chishtian Tehsil", None]),
        S(["bahawalnagar", "lahore", "bahawalnagar", "lahore"]),
    )
    assert values(out) == ["fort abbas", "fort abas", "chishtian", None]


def test_union_council_keys():
    out = standardise_uc(S(["UC-012", "Union Council No. 12", "u.c. 12", "UC Chak 45/JB", ""]))
    assert values(out) == ["12", "12", "12", "chak 45 jb", None]


# --- addresses ----------------------------------------------------------------------------


def test_address_tokens_normalised_sorted_deduplicated():
    out = address_tokens(
        S(
            [
                "House No. 12, Gali 3, Mohallah Islamabad, Near Jamia Masjid",
                "H#12 St#3 muhallah islamabad opp. jamia masjid, islamabad",
                "Mohala Islamabad H No 12 Street 3 Jamia Mosque",
            ]
        )
    )
    assert out.nunique() == 1
    assert out.iloc[0] == "12 3 islamabad jamia"


def test_address_stop_words_and_empty():
    assert values(address_tokens(S(["near the bus stand", "   ", None]))) == [
        "bus stand",
        None,
        None,
    ]


# --- standardise() ------------------------------------------------------------------------


def _records() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_id": ["r1", "r2", "r3", "r4"],
            "household_id": ["h1", "h1", "h2", "h3"],
            "full_name": ["Mohd. Naveed Akhtar", "Syeda Fatima Bibi", "محمد علی", None],
            "guardian_name": ["Muhammad Akhtar", "W/O Naveed Akhtar", None, ""],
            "cnic": ["35202-1234567-1", "4210112345678", "junk", None],
            "gender": ["M", "Female", None, "mard"],
            "date_of_birth": ["14/03/1987", "1990", "01-01-1975", "garbage"],
            "province": ["Punjab", "Sind", "NWFP", None],
            "district": ["D.G. Khan", "Larkano", "Peshawer", "RY Khan"],
            "tehsil": ["Taunsa", None, None, None],
            "union_council": ["UC-7", None, None, None],
            "address": ["House 1, Gali 2", None, "Mohalla Ali", ""],
            "phone": ["0300-1234567", None, "+92 345 7654321", "x"],
        },
        index=[10, 5, 7, 3],
    )


def test_a_standardised_column_already_given_is_replaced_in_place_and_kept_in_the_input():
    df = _records().assign(gender_std="given")
    out = standardise(df)
    assert list(out.columns[: len(df.columns)]) == list(df.columns)  # where it was
    assert out["gender_std"].tolist()[:2] == ["M", "F"]
    assert df["gender_std"].eq("given").all()
    assert out.columns.is_unique


def test_standardise_adds_every_contract_column_and_keeps_rows():
    df = _records()
    raw = df.copy()
    out = standardise(df)
    assert list(out.columns) == list(df.columns) + list(STANDARDISED_COLUMNS)
    assert out.index.tolist() == [10, 5, 7, 3]
    pd.testing.assert_frame_equal(out[df.columns], raw)  # raw columns untouched
    pd.testing.assert_frame_equal(df, raw)  # input not modified
    assert dict(out[list(STANDARDISED_COLUMNS)].dtypes.astype(str)) == {
        c: ("string" if d.startswith("string") else d) for c, d in OUTPUT_DTYPES.items()
    }
    # text is Arrow-backed: engines and Parquet take it without converting each string
    assert all(
        out[c].dtype.storage == "pyarrow"
        for c, d in OUTPUT_DTYPES.items()
        if d.startswith("string")
    )
    row = out.loc[10]
    assert (row["given_name"], row["cnic_std"], row["gender_std"]) == (
        "naveed",
        "3520212345671",
        "M",
    )
    assert (row["district_std"], row["phone_std"], row["dob_year"]) == (
        "dera ghazi khan",
        "3001234567",
        1987,
    )
    assert out.loc[5, "guardian_given"] == "naveed" and out.loc[5, "gender_std"] == "F"
    assert out.loc[7, "given_name"] == "ali" and out.loc[7, "dob_precision"] == "jan1"
    assert out.loc[3, "gender_std"] == "M" and pd.isna(out.loc[3, "name_std"])


def test_standardise_with_missing_columns_and_no_rows():
    only_ids = pd.DataFrame({"record_id": ["a", "b"]})
    out = standardise(only_ids)
    assert set(STANDARDISED_COLUMNS) <= set(out.columns)
    assert out["cnic_status"].tolist() == ["missing", "missing"]
    assert out[[c for c in STANDARDISED_COLUMNS if c != "cnic_status"]].isna().all(axis=None)
    empty = standardise(pd.DataFrame(columns=list(PERSON_COLUMNS)))
    assert len(empty) == 0 and set(STANDARDISED_COLUMNS) <= set(empty.columns)


def test_standardise_is_batch_independent():
    """Spark's mapInPandas may split a frame anywhere: batches must not change results."""
    df = _records()
    whole = standardise(df)
    parts = pd.concat([standardise(df.iloc[:1]), standardise(df.iloc[1:])])
    pd.testing.assert_frame_equal(whole, parts)


def test_standardise_accepts_non_string_raw_values():
    df = pd.DataFrame(
        {
            "cnic": [3520212345671, np.nan],
            "phone": [3001234567.0, None],
            "date_of_birth": [1987, None],
            "full_name": [12, "Ali"],
        }
    )
    out = standardise(df)
    assert out["cnic_std"].iloc[0] == "3520212345671"
    assert out["phone_std"].iloc[0] == "3001234567"
    assert out["dob_year"].iloc[0] == 1987


_TEXT = st.one_of(
    st.none(),
    st.text(max_size=25),
    st.sampled_from(
        [
            "35202-1234567-1",
            "Mohd. Ali",
            "14/03/1987",
            "D.G. Khan",
            "0300-1234567",
            "محمد علی",
            "N/A",
            "  ",
        ]
    ),
)


@given(st.lists(st.fixed_dictionaries({c: _TEXT for c in PERSON_COLUMNS}), min_size=1, max_size=6))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_arbitrary_text_never_raises(rows):
    out = standardise(pd.DataFrame(rows, dtype=object))
    assert len(out) == len(rows)
    assert out["cnic_std"].dropna().str.fullmatch(r"[1-8]\d{12}").all()
    assert out["phone_std"].dropna().str.fullmatch(r"\d{9,10}").all()
    assert out["dob_year"].dropna().between(1900, 2026).all()
    assert set(out["gender_std"].dropna()) <= {"M", "F"}
    assert set(out["cnic_status"]) <= {"valid", "unverified", "missing", "malformed"}


def test_placeholder_column_test_agrees_with_the_value_test():
    """``placeholder_mask`` (one RE2 expression, in Arrow) is ``is_placeholder`` (Python)
    for a column: zeros of any script among separators, x's, listed tokens, and values
    that only look like them."""
    from linkage.standardise._common import is_placeholder, placeholder_mask

    values = [
        "",
        " ",
        "-",
        "--",
        "?",
        "...",
        "0",
        "00",
        "0-0",
        "0000-00-00",
        "00/00/0000",
        "٠٠٠",
        "۰-۰",
        "00000-0000000-0",
        "xx",
        "XXX",
        " xxxx ",
        "N/A",
        "n.a.",
        "NIL",
        "#N/A",
        "نامعلوم",
        " Null ",
        "x",
        "X",
        "0a",
        "a0",
        "01",
        "1",
        "٣",
        "10/00/0000",
        "Ali",
        "0300",
        "xxa",
        "ax",
        "n/a n/a",
        "_",
        "0_0",
        "\u00a00\u2003",
    ]
    column = placeholder_mask(pd.Series(values, dtype=object)).tolist()
    assert column == [is_placeholder(v) for v in values]
    assert sum(column) == 26  # both kinds present: the test compares something
