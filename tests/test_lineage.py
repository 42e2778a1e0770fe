"""Household lineage, golden records and updates on small hand-made households whose
right answer is obvious. People are linked by hand (``cluster_id`` = the person), so
these tests check the derivations, not the model; the end-to-end run is in
test_link_waves.py."""

import pandas as pd
import pytest

from linkage.config import LinkWavesConfig
from linkage.derive.lineage import classify, lineage_clusters, wave_units
from linkage.pipelines.link_waves import link_waves_records
from linkage.resolve.keys import roster_keys
from linkage.standardise import standardise

# person -> (name, gender, date of birth, CNIC)
PEOPLE = {
    "a1": ("Ghulam Rasool", "M", "1960-01-15", "3520212345671"),
    "a2": ("Zainab Bibi", "F", "1965-06-01", "3520212345672"),
    "a3": ("Imran Rasool", "M", "1985-03-03", "3520212345673"),
    "a4": ("Sana Imran", "F", "1988-09-09", None),
    "a5": ("Bilal Imran", "M", "2015-02-02", None),
    "a6": ("Hina Rasool", "F", "1992-12-12", None),
    "b1": ("Allah Ditta", "M", "1940-05-05", "3520298765431"),
    "b2": ("Rasheeda Begum", "F", "1945-07-07", None),
    "c1": ("Noor Khan", "M", "1970-01-01", "4210112345673"),
    "c2": ("Gul Bano", "F", "1975-02-02", None),
    "z1": ("Tariq Mehmood", "M", "1990-03-03", None),
    "z2": ("Asma Tariq", "F", "1994-04-04", None),
}
HOUSEHOLD = {
    "district": "Lahore",
    "tehsil": "Lahore City",
    "union_council": "UC-12",
    "urban_rural": "urban",
    "household_size": None,
    "pmt_score": "20",
}


def record(wave: int, person: str, hh: str, rel: str, **fields) -> dict:
    name, gender, dob, cnic = PEOPLE[person]
    return {
        "wave_order": wave,
        "person": person,
        "household_id": hh,
        "relation_to_head": rel,
        "full_name": name,
        "gender": gender,
        "date_of_birth": dob,
        "cnic": cnic,
        **HOUSEHOLD,
        **fields,
    }


def run(rows: list[dict], config: LinkWavesConfig | None = None):
    """Standardise hand-made rows, link people by hand, derive everything."""
    frame = pd.DataFrame(rows)
    frame["wave"] = frame["wave_order"].map({0: "w2011", 1: "w2021", 2: "w2024"})
    given = frame["source"] if "source" in frame else pd.Series(None, index=frame.index)
    frame["source"] = given.fillna(
        frame["wave_order"].map({0: "survey_2011", 1: "survey_2021", 2: "dynamic_2024"})
    )
    frame["record_id"] = [f"r{i}" for i in range(len(frame))]
    sizes = frame.groupby(["wave_order", "household_id"])["person"].transform("size")
    frame["household_size"] = frame["household_size"].fillna(sizes.astype(str))
    std = standardise(frame)
    std["roster_key"] = roster_keys(std)
    std["cluster_id"] = frame["person"]
    tables, summary = link_waves_records(std, config or LinkWavesConfig())
    return tables, summary


def link_of(tables, household_id_old):
    links = tables["household_links"]
    return links[links["household_id_old"] == household_id_old].sort_values("household_id_new")


FAMILY_2011 = [
    record(0, "a1", "A", "head"),
    record(0, "a2", "A", "spouse"),
    record(0, "a3", "A", "son"),
    record(0, "a4", "A", "daughter-in-law"),
    record(0, "a6", "A", "daughter"),
    record(0, "b1", "B", "head"),
    record(0, "b2", "B", "spouse"),
    record(0, "c1", "C", "head"),
    record(0, "c2", "C", "spouse"),
]


# --- lineage types ----------------------------------------------------------------------


def test_same_household_keeps_its_type_when_one_member_leaves_and_one_is_born():
    rows = FAMILY_2011 + [
        record(1, "a1", "X", "head"),
        record(1, "a2", "X", "spouse"),
        record(1, "a3", "X", "son"),
        record(1, "a4", "X", "daughter-in-law"),
        record(1, "a5", "X", "grandson"),  # born; a6 married out (not found)
    ]
    tables, _ = run(rows)
    a = link_of(tables, "A")
    assert list(a["link_type"]) == ["same"] and list(a["household_id_new"]) == ["X"]
    assert a["members_carried"].iloc[0] == 4 and a["carried_share"].iloc[0] == pytest.approx(0.8)


def test_split_when_a_son_sets_up_his_own_household():
    rows = FAMILY_2011 + [
        record(1, "a1", "X", "head"),
        record(1, "a2", "X", "spouse"),
        record(1, "a3", "Y", "head"),
        record(1, "a4", "Y", "spouse"),
        record(1, "a5", "Y", "son"),
    ]
    tables, _ = run(rows)
    a = link_of(tables, "A")
    assert list(a["link_type"]) == ["split", "split"]
    assert list(a["household_id_new"]) == ["X", "Y"]
    # the head's part continues the household: one household cluster across waves
    assert list(a["continues"]) == [True, False]
    clusters = tables["clusters"].set_index("record_id")
    hc = clusters.groupby("household_id")["household_cluster_id"].first()
    assert hc["A"] == hc["X"] != hc["Y"]


def test_merged_when_an_elderly_couple_moves_in_with_another_household():
    rows = FAMILY_2011 + [
        record(1, "a1", "X", "head"),
        record(1, "a2", "X", "spouse"),
        record(1, "a3", "X", "son"),
        record(1, "b1", "X", "other"),
        record(1, "b2", "X", "other"),
    ]
    tables, summary = run(rows)
    assert list(link_of(tables, "A")["link_type"]) == ["same"]
    b = link_of(tables, "B")
    assert list(b["link_type"]) == ["merged"] and list(b["household_id_new"]) == ["X"]
    assert summary["lineage"]["w2011->w2021"]["merged"] == 1
    golden = tables["household_golden_records"].set_index("household_id")
    assert golden.loc["B", "status"] == "merged" and golden.loc["X", "status"] == "current"


def test_dissolved_when_no_one_is_found_and_not_by_one_daughter_marrying_out():
    rows = FAMILY_2011 + [
        # C is not re-surveyed; A's daughter a6 married into Z, a new household
        record(1, "a1", "X", "head"),
        record(1, "a2", "X", "spouse"),
        record(1, "a3", "X", "son"),
        record(1, "z1", "Z", "head"),
        record(1, "z2", "Z", "sister"),
        record(1, "b1", "W", "head"),
        record(1, "b2", "W", "spouse"),
    ]
    tables, _ = run(rows)
    c = link_of(tables, "C")
    assert list(c["link_type"]) == ["dissolved"] and c["household_id_new"].isna().all()
    links = tables["household_links"]
    assert list(links.loc[links["link_type"] == "new", "household_id_new"]) == ["Z"]
    assert list(link_of(tables, "B")["link_type"]) == ["same"]


def test_new_households_and_every_unit_appears_in_a_link():
    rows = FAMILY_2011 + [record(1, "z1", "Z", "head"), record(1, "z2", "Z", "spouse")]
    tables, summary = run(rows)
    links = tables["household_links"]
    assert set(links["household_id_old"].dropna()) == {"A", "B", "C"}
    assert set(links["household_id_new"].dropna()) == {"Z"}
    assert summary["lineage"]["w2011->w2021"] == {
        "same": 0,
        "split": 0,
        "merged": 0,
        "dissolved": 3,
        "new": 1,
    }


def test_a_household_registered_twice_in_the_newer_wave_is_one_household():
    rows = FAMILY_2011 + [
        record(1, "a1", "X", "head"),
        record(1, "a2", "X", "spouse"),
        record(1, "a3", "X", "son"),
        # the same household again through a registration desk, under another id
        record(1, "a1", "D-9", "head", source="dynamic_2024"),
        record(1, "a2", "D-9", "spouse", source="dynamic_2024"),
    ]
    tables, _ = run(rows)
    a = link_of(tables, "A")
    assert list(a["link_type"]) == ["same"]
    assert a["household_ids_new"].iloc[0] == "X|D-9"


def test_classify_breaks_ties_by_the_head():
    # two old households of two people each end up in one: the head's household
    # continues, the other merged into it
    members = pd.DataFrame(
        {
            "wave": [0, 0, 0, 0, 1, 1, 1, 1],
            "unit": ["P", "P", "Q", "Q", "N", "N", "N", "N"],
            "person": ["p1", "p2", "q1", "q2", "p1", "p2", "q1", "q2"],
            "head": [True, False, True, False, False, False, True, False],
        }
    )
    links = classify(members, 0, 1).set_index("unit_old")
    assert links.loc["Q", "link_type"] == "same" and links.loc["P", "link_type"] == "merged"


def test_lineage_clusters_chain_three_waves():
    units = pd.Series(["a", "b", "c", "d"])
    links = pd.DataFrame(
        {"unit_old": ["a", "b"], "unit_new": ["b", "c"], "continues": [True, True]}
    )
    clusters = lineage_clusters(units, links)
    assert clusters["a"] == clusters["b"] == clusters["c"] != clusters["d"]


def test_wave_units_never_join_rosters_of_two_waves():
    units = wave_units(
        pd.Series(["w1", "w1", "w2", "w2"]),
        pd.Series(["w1|A", "w1|A", "w2|X", "w2|X"]),
        pd.Series(["p", "q", "p", "q"]),
        overlap=0.5,
    )
    assert units[0] == units[1] != units[2] == units[3]


# --- updates and their flags ------------------------------------------------------------


def updates_for(tables, field):
    u = tables["updates"]
    return u[u["field"] == field]


def test_household_size_jump_and_stale_size_are_flagged():
    rows = FAMILY_2011[:5] + [
        record(1, "a1", "X", "head", household_size="12"),
        record(1, "a2", "X", "spouse", household_size="12"),
        record(1, "a3", "X", "son", household_size="12"),
    ]
    tables, summary = run(rows)
    size = updates_for(tables, "household_size").iloc[0]
    assert (size["household_id"], size["old_value"], size["new_value"]) == ("A", "5", "12")
    assert set(size["flag"].split(";")) == {"size_jump", "size_disagrees_with_roster"}
    assert summary["updates"]["by_flag"]["size_jump"] == 1
    assert summary["updates"]["by_district"]["lahore"]["size_jump"] == 1


def test_a_small_size_change_is_an_update_without_a_flag():
    rows = FAMILY_2011[:5] + [
        record(1, p, "X", r)
        for p, r in [
            ("a1", "head"),
            ("a2", "spouse"),
            ("a3", "son"),
            ("a4", "daughter-in-law"),
            ("a5", "grandson"),
            ("a6", "daughter"),
        ]
    ]
    tables, _ = run(rows)
    size = updates_for(tables, "household_size").iloc[0]
    assert (size["old_value"], size["new_value"], size["flag"]) == ("5", "6", None)


def test_urban_rural_flip_is_flagged_only_without_a_move():
    stay = FAMILY_2011[:5] + [
        record(1, "a1", "X", "head", urban_rural="rural"),
        record(1, "a2", "X", "spouse", urban_rural="rural"),
    ]
    flip = updates_for(run(stay)[0], "urban_rural").iloc[0]
    assert (flip["old_value"], flip["new_value"]) == ("urban", "rural")
    assert flip["flag"] == "urban_rural_flip_without_move"

    moved = {
        "district": "Multan",
        "tehsil": "Multan City",
        "union_council": "UC-3",
        "urban_rural": "rural",
    }
    move = FAMILY_2011[:5] + [
        record(1, "a1", "X", "head", **moved),
        record(1, "a2", "X", "spouse", **moved),
    ]
    tables, _ = run(move)
    assert updates_for(tables, "urban_rural")["flag"].isna().all()
    district = updates_for(tables, "district").iloc[0]
    assert (district["old_value"], district["new_value"]) == ("lahore", "multan")


def test_date_of_birth_contradicting_the_earlier_wave_is_flagged_but_refining_it_is_not():
    rows = [
        record(0, "a1", "A", "head", date_of_birth="1960"),
        record(0, "a2", "A", "spouse"),
        record(1, "a1", "X", "head", date_of_birth="1960-01-15"),
        record(1, "a2", "X", "spouse", date_of_birth="1971-02-03"),
    ]
    dob = updates_for(run(rows)[0], "date_of_birth").set_index("record_id_old")
    assert dob.loc["r0", "flag"] is None  # 1960 -> 1960-01-15: more precise, same year
    assert dob.loc["r1", "flag"] == "dob_contradicts_earlier_wave"


def test_gender_contradicting_the_earlier_wave_and_the_cnic_are_flagged():
    rows = [
        record(0, "a1", "A", "head"),
        record(0, "a2", "A", "spouse"),
        record(1, "a1", "X", "head", gender="F"),  # CNIC ends odd: a man
        record(1, "a2", "X", "spouse"),
    ]
    gender = updates_for(run(rows)[0], "gender").iloc[0]
    assert set(gender["flag"].split(";")) == {
        "gender_contradicts_earlier_wave",
        "gender_contradicts_cnic",
    }


def test_cnic_changes_and_new_cnics():
    rows = [
        record(0, "a1", "A", "head"),
        record(0, "a3", "A", "son", cnic=None),
        record(1, "a1", "X", "head", cnic="3520298765431"),
        record(1, "a3", "X", "son"),
    ]
    cnic = updates_for(run(rows)[0], "cnic").set_index("record_id_old")
    assert cnic.loc["r0", "flag"] == "cnic_contradicts_earlier_wave"
    assert cnic.loc["r1", "flag"] is None  # a CNIC obtained since: an update, no flag
    assert cnic.loc["r1", "new_value"] == "3520212345673"


def test_a_cnic_holder_under_18_is_flagged():
    rows = [
        record(0, "a1", "A", "head"),
        record(0, "a3", "A", "son"),
        record(1, "a1", "X", "head"),
        record(1, "a3", "X", "son", date_of_birth="2010-03-03"),
    ]
    dob = updates_for(run(rows)[0], "date_of_birth").iloc[0]
    assert "dob_contradicts_cnic" in dob["flag"].split(";")


def test_head_under_15_is_flagged():
    rows = [
        record(0, "a1", "A", "head"),
        record(0, "a5", "A", "grandson", date_of_birth="2009-01-01"),
        record(1, "a5", "X", "head", date_of_birth="2009-01-01"),
    ]
    tables, summary = run(rows)
    rel = updates_for(tables, "relation_to_head").iloc[0]
    assert (rel["old_value"], rel["new_value"], rel["flag"]) == (
        "grandson",
        "head",
        "head_under_15",
    )
    assert summary["updates"]["by_flag"]["head_under_15"] == 1


def test_membership_rows_say_who_left_moved_or_joined():
    rows = FAMILY_2011[:5] + [
        record(1, "a1", "X", "head"),
        record(1, "a2", "X", "spouse"),
        record(1, "a5", "X", "grandson"),  # joined (born)
        record(1, "a3", "Y", "head"),
        record(1, "a4", "Y", "spouse"),  # moved: split
    ]  # a6: gone
    m = updates_for(run(rows)[0], "membership")
    by_person = {r.record_id_old or r.record_id: (r.old_value, r.new_value) for r in m.itertuples()}
    assert by_person["r2"] == ("A", "Y") and by_person["r3"] == ("A", "Y")
    assert by_person["r4"] == ("A", None)
    joined = m[m["old_value"].isna()]
    assert list(joined["new_value"]) == ["X"] and list(joined["household_id"]) == ["A"]


def test_flag_thresholds_come_from_config():
    rows = FAMILY_2011[:5] + [
        record(1, "a1", "X", "head", household_size="8"),
        record(1, "a2", "X", "spouse", household_size="8"),
    ]
    cfg = LinkWavesConfig.model_validate(
        {"updates": {"max_size_change": 2, "max_size_vs_roster": 10}}
    )
    assert updates_for(run(rows, cfg)[0], "household_size").iloc[0]["flag"] == "size_jump"
    cfg = LinkWavesConfig.model_validate(
        {"updates": {"max_size_change": 5, "max_size_vs_roster": 10}}
    )
    assert updates_for(run(rows, cfg)[0], "household_size").iloc[0]["flag"] is None


def test_golden_person_record_survives_across_waves():
    rows = [
        record(0, "a1", "A", "head", phone="0300-4567123"),
        record(1, "a1", "X", "head", phone="0301-7654321", date_of_birth="1960"),
        record(2, "a1", "D", "head", phone="0333-1234987", date_of_birth="1960"),
    ]
    tables, _ = run(rows)
    g = tables["golden_records"].iloc[0]
    assert g["n_records"] == 3
    assert (g["phone"], g["phone_source"], g["phone_year"]) == ("3017654321", "survey_2021", 2021)
    assert g["date_of_birth"] == "1960-01-15"  # the exact date, from 2011
    assert (
        g["household_cluster_id"]
        == tables["clusters"].set_index("record_id").loc["r2", "household_cluster_id"]
    )  # the latest household


def test_the_wave_name_dates_records_whose_source_has_no_year():
    rows = [
        record(0, "a1", "A", "head", source="survey"),
        record(0, "a5", "A", "grandson", source="survey", date_of_birth="2009-01-01"),
        record(1, "a5", "X", "head", source="survey", date_of_birth="2009-01-01"),
    ]
    tables, _ = run(rows)
    rel = updates_for(tables, "relation_to_head").iloc[0]
    assert rel["flag"] == "head_under_15"  # 2021 (from "w2021") - 2009 = 12
    assert (
        tables["golden_records"].set_index("cluster_id").loc["a5", "relation_to_head_year"] == 2021
    )
