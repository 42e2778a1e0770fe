"""Deterministic synthetic NSER data with ground truth: the benchmark the engine is scored on.

``generate_frames(households, seed)`` simulates a population (``synthetic_world``), then
writes what each source would have recorded about it, with that source's recording
errors (``errors``):

* ``wave_2011`` - the 2010-11 survey (source ``survey_2011``), ``households`` households;
* ``wave_2021`` - the 2019-21 survey (``survey_2021``) ten years on - deaths, births,
  small elderly households merged into another,
  daughters married into other households (guardian W/O husband, maybe his family name),
  sons' households split off, migrations, ~10% of households not re-surveyed, new ones
  added - plus ~4% of households registered a second time by dynamic registration
  (``dynamic_2023``/``dynamic_2024``; a quarter of them by another adult of the
  household, so relations are re-expressed) and a few people registered twice alone;
* ``partner_flood_2022`` - a beneficiary list formatted the partner's way (upper case,
  dashed CNICs, dd/mm/yyyy, no household id, ``poverty_flag``); ~20% of its people are
  in no registry wave;
* ``truth`` - one row per record: ``record_id``, ``file``, ``person_id``,
  ``household_true_id`` (the household the person truly lived in at the time; a 2011
  household that continues keeps its id in 2021) and ``household_head`` (1 for its
  true head).

Recording errors never come from the engine's own tables (``errors``,
``synthetic_vocab``); ``evaluation.variant_audit`` measures how many variants the
engine's standardisation still maps back by itself.

Same seed gives byte-identical files: all randomness comes from
``numpy.random.default_rng(seed)`` (world) and streams derived from the seed (errors).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.synthetic_errors import (
    DAY,
    DEFAULT_RATES,
    JAN1,
    YEAR_ONLY,
    ErrorRates,
    apply_errors,
)
from evaluation.synthetic_vocab import geography, name_pools, urdu_spelling
from evaluation.synthetic_world import (
    F_BEGUM,
    F_BIBI,
    F_FAMILY,
    F_KHATOON,
    F_SECOND,
    M_FAMILY,
    M_FATHER_GIVEN,
    M_SECOND,
    NEVER,
    REF_2011,
    REF_2021,
    People,
    World,
    age_at,
    phone_numbers,
    simulate,
    take,
)
from linkage.contract import PERSON_COLUMNS

FILES = ("wave_2011", "wave_2021", "partner_flood_2022", "truth")
PARTNER_SOURCE = "partner_flood_2022"
PARTNER_COLUMNS: tuple[str, ...] = (
    "record_id",
    "source",
    "full_name",
    "guardian_name",
    "cnic",
    "gender",
    "date_of_birth",
    "district",
    "address",
    "phone",
    "poverty_flag",
)
TRUTH_COLUMNS: tuple[str, ...] = (
    "record_id",
    "file",
    "person_id",
    "household_true_id",
    "household_head",
)
REF_PARTNER = np.datetime64("2022-09-15")
DYNAMIC_DATES = {
    "dynamic_2023": np.datetime64("2023-06-01"),
    "dynamic_2024": np.datetime64("2024-06-01"),
}
#: share of 2021 survey households registered again, and of single people registered again
DYNAMIC_HOUSEHOLD_SHARE = 0.04
DYNAMIC_PERSON_SHARE = 0.001
#: share of re-registered households in which another adult registers as head
DYNAMIC_OTHER_REGISTRANT = 0.25
PARTNER_SHARE = 0.03  # partner rows per wave-2021 row
PARTNER_UNREGISTERED = 0.2

RELATIONS = np.array(
    [
        "Head",
        "Spouse",
        "Son",
        "Daughter",
        "Father",
        "Mother",
        "Son-in-law",
        "Daughter-in-law",
        "Grandson",
        "Granddaughter",
        "Brother",
        "Sister",
        "Father-in-law",
        "Mother-in-law",
        "Other relative",
    ],
    dtype=object,
)
#: listing order of relations in a household roster
_RELATION_RANK = np.array([0, 1, 2, 2, 5, 5, 3, 3, 4, 4, 6, 6, 7, 7, 8])

_TWO = np.array([f"{i:02d}" for i in range(100)], dtype=object)


# --- clean values from the world -----------------------------------------------------------


def married_at(P: People, pids: np.ndarray, when: np.datetime64) -> np.ndarray:
    """Married (or widowed) on ``when``."""
    return (P["spouse"][pids] >= 0) & (P["marriage"][pids] <= when)


def compose_names(P: People, pids: np.ndarray, when: np.datetime64) -> np.ndarray:
    """Full names as correctly written on ``when``.

    Men: "[Muhammad] <given> <family | second given | father's given>".  Women:
    "<given> <family | Bibi | Begum | Khatoon | second given>"; a married woman who
    took her husband's family name uses it from her wedding on.
    """
    female = P["female"][pids]
    given = P["given"][pids]
    core = np.where(P["muhammad"][pids], "Muhammad " + given, given)
    husband = P["spouse"][pids]
    takes = female & married_at(P, pids, when) & P["takes_husband_family"][pids]
    family = np.where(takes, take(P["family"], husband, ""), P["family"][pids])
    style, second = P["style"][pids], P["second"][pids]
    father_given = take(P["given"], P["father"][pids], "")
    tail_f = np.select(
        [
            style == F_FAMILY,
            style == F_BIBI,
            style == F_BEGUM,
            style == F_KHATOON,
            style == F_SECOND,
        ],
        [family, "Bibi", "Begum", "Khatoon", second],
        "",
    )
    tail_m = np.select(
        [style == M_FAMILY, style == M_SECOND, style == M_FATHER_GIVEN],
        [family, second, father_given],
        "",
    )
    tail = np.where(female, tail_f, tail_m)
    return np.where(tail != "", core + " " + tail, core).astype(object)


def guardians(P: People, pids: np.ndarray, when: np.datetime64) -> np.ndarray:
    """The guardian's person id: the husband for married/widowed women, else the father."""
    wife = P["female"][pids] & married_at(P, pids, when)
    return np.where(wife, P["spouse"][pids], P["father"][pids])


def relations(P: People, pids: np.ndarray, head: np.ndarray, when: np.datetime64) -> np.ndarray:
    """Index into :data:`RELATIONS` of each member's relation to the household head."""
    female = P["female"][pids].astype(int)
    fa, mo, sp = P["father"][pids], P["mother"][pids], P["spouse"][pids]
    h_fa, h_mo, h_sp = P["father"][head], P["mother"][head], P["spouse"][head]

    def child_of(parent_f, parent_m, who):
        return (parent_f == who) | (parent_m == who)

    sp_fa, sp_mo = take(P["father"], sp, -2), take(P["mother"], sp, -2)
    fa_fa, fa_mo = take(P["father"], fa, -2), take(P["mother"], fa, -2)
    mo_fa, mo_mo = take(P["father"], mo, -2), take(P["mother"], mo, -2)
    hs_fa, hs_mo = take(P["father"], h_sp, -2), take(P["mother"], h_sp, -2)
    conds = [
        pids == head,
        (h_sp == pids) & married_at(P, pids, when),
        child_of(fa, mo, head),
        (h_fa == pids) | (h_mo == pids),
        child_of(sp_fa, sp_mo, head) & married_at(P, pids, when),
        child_of(fa_fa, fa_mo, head) | child_of(mo_fa, mo_mo, head),
        ((fa == h_fa) & (fa >= 0)) | ((mo == h_mo) & (mo >= 0)),
        (hs_fa == pids) | (hs_mo == pids),
    ]
    kind = np.select(conds, [0, 1, 2, 4, 6, 8, 10, 12], 14)
    paired = (kind >= 2) & (kind < 14)  # male/female pairs follow each other
    return np.where(paired, kind + female, kind)


def _household_columns(world: World, table: pd.DataFrame, hh: np.ndarray) -> dict[str, np.ndarray]:
    """Geography, address, PMT and size of each record's household."""
    geo, ucs = world.geo, world.ucs

    def col(name: str) -> np.ndarray:  # household ids are the table's positions
        return table[name].to_numpy()[hh]

    d = col("district")
    return {
        "province": geo.province[d],
        "district": geo.district[d],
        "tehsil": geo.tehsil[col("tehsil")],
        "union_council": ucs.label[col("uc")],
        "address": col("address").astype(object),
        "urban_rural": np.where(col("urban").astype(bool), "Urban", "Rural").astype(object),
        "pmt_score": col("pmt").astype(float),
        "household_size": col("size").astype(np.int64),
    }


def clean_records(
    world: World,
    pids: np.ndarray,
    hh: np.ndarray,
    table: pd.DataFrame,
    when: np.datetime64,
    cnic_when: np.datetime64,
    phone_col: str,
) -> dict[str, np.ndarray]:
    """Correct structured values of the given people as a source would see them on ``when``."""
    P = world.people
    female = P["female"][pids]
    married = married_at(P, pids, when)
    birth = pd.DatetimeIndex(P["birth"][pids])
    has_card = P["cnic_date"][pids] <= cnic_when
    husband = np.where(female & married, P["spouse"][pids], -1)
    husband_cnic = np.where(
        take(P["cnic_date"], husband, NEVER) <= cnic_when, take(P["cnic"], husband, ""), ""
    )
    guardian = guardians(P, pids, when)
    guardian_name = np.full(len(pids), "", dtype=object)
    known = guardian >= 0  # always true for simulated residents; guards P[-1]
    guardian_name[known] = compose_names(P, guardian[known], when)
    rec = {
        "person": pids,
        "true_household": hh,
        "full_name": compose_names(P, pids, when),
        "guardian_name": guardian_name,
        "female": female,
        "married": married,
        "cnic": np.where(has_card, P["cnic"][pids], "").astype(object),
        "husband_cnic": husband_cnic.astype(object),
        "year": birth.year.to_numpy(dtype=np.int64),
        "month": birth.month.to_numpy(dtype=np.int64),
        "day": birth.day.to_numpy(dtype=np.int64),
        "precision": np.full(len(pids), DAY, dtype=np.int8),
        "phone": P[phone_col][pids].copy(),
        "phone_fmt": np.zeros(len(pids), dtype=np.int64),
        "relation": relations(P, pids, table["head"].to_numpy()[hh], when),
        "birth": P["birth"][pids],
    }
    return rec | _household_columns(world, table, hh)


# --- formatting ------------------------------------------------------------------------------


def format_dates(
    y: np.ndarray, m: np.ndarray, d: np.ndarray, prec: np.ndarray, dmy: bool
) -> np.ndarray:
    """ISO dates (registry) or dd/mm/yyyy (partners); "1987" when only the year is known."""
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    d = np.where((m == 2) & (d == 29) & ~leap, 28, d)  # a year shifted off a 29 February
    m = np.where(prec == JAN1, 1, m)
    d = np.where(prec == JAN1, 1, d)
    ys = y.astype(str).astype(object)
    full = _TWO[d] + "/" + _TWO[m] + "/" + ys if dmy else ys + "-" + _TWO[m] + "-" + _TWO[d]
    return np.where(prec == YEAR_ONLY, ys, full).astype(object)


def format_cnic(cnic: np.ndarray, dashed: np.ndarray) -> np.ndarray:
    """13 digits, or 5-7-1 with dashes (35202-1234567-1)."""
    s = pd.Series(cnic, dtype=object)
    dash = s.str[:5] + "-" + s.str[5:12] + "-" + s.str[12:]
    return np.where(dashed & (cnic != ""), dash.to_numpy(dtype=object), cnic).astype(object)


def format_phones(phone: np.ndarray, fmt: np.ndarray) -> np.ndarray:
    """Mobile numbers in the format chosen per record (see ``errors.PHONE_FORMATS``)."""
    s = pd.Series(phone, dtype=object)
    op, rest = s.str[:3].to_numpy(dtype=object), s.str[3:].to_numpy(dtype=object)
    forms = [
        "0" + op + "-" + rest,
        "0" + phone,
        "+92 " + op + " " + rest,
        "92" + phone,
        "+92" + phone,
        "0" + op + " " + rest,
    ]
    return np.where(phone == "", "", np.choose(fmt, forms)).astype(object)


def _relabel_households(
    rng: np.random.Generator, hh: np.ndarray, prefix: str, shuffle: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Household ids as written (``H21-000001``) and 0..k-1 codes, optionally in random order.

    Shuffling keeps the 2021 numbering from mirroring the 2011 numbering.
    """
    uniq, code = np.unique(hh, return_inverse=True)
    order = rng.permutation(len(uniq)) if shuffle else np.arange(len(uniq))
    labels = np.array([f"{prefix}{i + 1:06d}" for i in range(len(uniq))], dtype=object)
    return labels[order][code], order[code]


def _frame(
    rec: dict[str, np.ndarray],
    source: np.ndarray,
    household_id: np.ndarray,
    record_prefix: str,
    gender_labels: tuple[str, str],
    dmy: bool,
    dashed: np.ndarray,
    upper: bool,
) -> pd.DataFrame:
    """Assemble formatted contract columns from (noisy) structured record values."""
    n = len(source)
    names = rec["full_name"]
    guardian = rec["guardian_name"]
    if upper:
        names = pd.Series(names, dtype=object).str.upper().to_numpy(dtype=object)
        guardian = pd.Series(guardian, dtype=object).str.upper().to_numpy(dtype=object)
    marker = rec["gender"]  # "_M"/"_F" unless an error rewrote it
    gender = np.where(
        marker == "_F", gender_labels[1], np.where(marker == "_M", gender_labels[0], marker)
    )
    return pd.DataFrame(
        {
            "record_id": [f"{record_prefix}{i + 1:06d}" for i in range(n)],
            "household_id": household_id,
            "source": source,
            "full_name": names,
            "guardian_name": guardian,
            "cnic": format_cnic(rec["cnic"], dashed),
            "gender": gender,
            "date_of_birth": format_dates(
                rec["year"], rec["month"], rec["day"], rec["precision"], dmy
            ),
            "relation_to_head": RELATIONS[rec["relation"]],
            "province": rec["province"],
            "district": rec["district"],
            "tehsil": rec["tehsil"],
            "union_council": rec["union_council"],
            "address": rec["address"],
            "phone": format_phones(rec["phone"], rec["phone_fmt"]),
            "household_size": rec["household_size"],
            "pmt_score": rec["pmt_score"],
            "urban_rural": rec["urban_rural"],
        }
    )


# --- the files -------------------------------------------------------------------------------


def _roster_order(
    world: World, pids: np.ndarray, household: np.ndarray, head: np.ndarray, when: np.datetime64
) -> np.ndarray:
    """Row order of a wave: by household, then head, spouse, children, ... oldest first."""
    rel = relations(world.people, pids, head, when)
    return np.lexsort((pids, world.people["birth"][pids], _RELATION_RANK[rel], household))


def _noisy(
    world: World,
    rec: dict[str, np.ndarray],
    household: np.ndarray,
    rates: ErrorRates,
    seed: int,
    source: str,
    log: dict | None,
) -> dict[str, np.ndarray]:
    """Apply the source's errors.  Gender enters as the markers "_M"/"_F" so ``_frame`` can
    write untouched values in the source's own labels (M/F or Male/Female)."""
    rec = rec | {
        "household": household,
        "gender": np.where(rec["female"], "_F", "_M").astype(object),
    }
    pools = world.pools
    return apply_errors(rec, rates, seed, source, pools.variants, urdu_spelling, log)


def _wave(
    world: World,
    rng: np.random.Generator,
    year: int,
    rates: ErrorRates,
    seed: int,
    log: dict | None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """One survey wave: every member of every surveyed household on the reference date."""
    P = world.people
    col, when = f"hh_{year}", (REF_2011 if year == 2011 else REF_2021)
    table = world.hh11 if year == 2011 else world.hh21
    surveyed = table["surveyed"].to_numpy()
    pids = np.flatnonzero(P[col] >= 0)
    pids = pids[surveyed[P[col][pids]]]
    hh = P[col][pids]
    label, code = _relabel_households(rng, hh, f"H{year % 100}-", shuffle=year != 2011)
    order = _roster_order(world, pids, code, table["head"].to_numpy()[hh], when)
    pids, hh, label, code = pids[order], hh[order], label[order], code[order]
    clean = clean_records(world, pids, hh, table, when, when, f"phone_{year}")
    source = f"survey_{year}"
    rec = _noisy(world, clean, code, rates, seed, source, log)
    frame = _frame(
        rec,
        np.full(len(pids), source, dtype=object),
        label,
        f"w{year % 100}-",
        ("M", "F"),
        dmy=False,
        dashed=np.zeros(len(pids), bool),
        upper=False,
    )
    return frame, clean


def _registrant_relations(
    world: World,
    rng: np.random.Generator,
    pids: np.ndarray,
    code: np.ndarray,
    lone: np.ndarray,
    relation: np.ndarray,
) -> np.ndarray:
    """Relations as a desk records them: in ``DYNAMIC_OTHER_REGISTRANT`` of re-registered
    households another adult (the wife, a grown son) comes to the desk and is written
    as head, and everyone is listed relative to them (the old head becomes Father or
    Spouse, brothers appear as Brother)."""
    P = world.people
    adult = age_at(P["birth"][pids], REF_2021) >= 18
    n_hh = int(code.max()) + 1 if len(code) else 0
    # one candidate per household: the adult non-head member with the highest draw
    draw = np.where(adult & (relation != 0) & ~lone, rng.random(len(pids)), -1.0)
    order = np.lexsort((draw, code))
    last = np.r_[code[order][1:] != code[order][:-1], True] if len(code) else np.zeros(0, bool)
    best = np.full(n_hh, -1, dtype=np.int64)
    best_draw = np.full(n_hh, -1.0)
    best[code[order][last]] = pids[order][last]
    best_draw[code[order][last]] = draw[order][last]
    switch = (best_draw >= 0) & (rng.random(n_hh) < DYNAMIC_OTHER_REGISTRANT)
    rows = switch[code] if len(code) else np.zeros(0, bool)
    out = relation.copy()
    if rows.any():
        out[rows] = relations(P, pids[rows], best[code[rows]], REF_2021)
    return out


def _dynamic(
    world: World,
    rng: np.random.Generator,
    wave21: dict[str, np.ndarray],
    rates: ErrorRates,
    seed: int,
    log: dict | None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Second registrations through dynamic registration desks (2023-24).

    ~4% of surveyed 2021 households again (all members, or some left out), plus a few
    adults registering alone; new household and record ids, self-reported values. A
    quarter of the households are registered by another adult, so relations are
    given relative to them; the desk's errors (``DEFAULT_RATES["dynamic"]``: guardians
    left out, years for dates, typos) make members weak one by one while the household
    (address, tehsil, size, most members) is plainly the same.
    """
    P = world.people
    hh_all = wave21["true_household"]
    households = np.unique(hh_all)
    again = households[rng.random(len(households)) < DYNAMIC_HOUSEHOLD_SHARE]
    in_again = np.isin(hh_all, again)
    is_head = wave21["relation"] == 0
    partial = np.isin(hh_all, again[rng.random(len(again)) < 0.2])
    keep = in_again & (~partial | is_head | (rng.random(len(hh_all)) < 0.65))
    adult = age_at(wave21["birth"], REF_2021) >= 18
    alone = ~in_again & adult & (rng.random(len(hh_all)) < DYNAMIC_PERSON_SHARE)
    rows = np.flatnonzero(keep | alone)
    pids, hh = wave21["person"][rows], hh_all[rows]

    group = np.where(
        alone[rows], -1 - np.arange(len(rows)), hh
    )  # a lone registrant is his own household
    label, code = _relabel_households(rng, group, "D-", shuffle=True)
    order = np.lexsort((np.arange(len(rows)), code))
    pids, hh, label, code, lone = (
        pids[order],
        hh[order],
        label[order],
        code[order],
        alone[rows][order],
    )
    year_of = np.where(
        rng.random(int(code.max()) + 1 if len(code) else 0) < 0.5, "dynamic_2023", "dynamic_2024"
    )[code]
    cnic_when = np.where(
        year_of == "dynamic_2023", DYNAMIC_DATES["dynamic_2023"], DYNAMIC_DATES["dynamic_2024"]
    )
    clean = clean_records(world, pids, hh, world.hh21, REF_2021, REF_2021, "phone_2021")
    clean["cnic"] = np.where(P["cnic_date"][pids] <= cnic_when, P["cnic"][pids], "").astype(object)
    clean["relation"] = _registrant_relations(world, rng, pids, code, lone, clean["relation"])
    # self-reported: the registrant's phone (required at the desk, often a new number),
    # a poorer PMT, lone registrants as heads of a one-person household
    registrant = (clean["relation"] == 0) | lone
    new_phone = registrant & ((rng.random(len(pids)) < 0.25) | (clean["phone"] == ""))
    clean["phone"] = np.where(new_phone, phone_numbers(rng, len(pids)), clean["phone"]).astype(
        object
    )
    understated = rng.uniform(0, 10, int(code.max()) + 1)[code]  # one answer per household
    clean["pmt_score"] = np.round(np.clip(clean["pmt_score"] - understated, 0.5, 99.5), 2)
    clean["relation"] = np.where(lone, 0, clean["relation"])
    clean["household_size"] = np.where(lone, 1, clean["household_size"])
    rec = _noisy(world, clean, code, rates, seed, "dynamic", log)
    frame = _frame(
        rec,
        year_of.astype(object),
        label,
        "dyn-",
        ("M", "F"),
        dmy=False,
        dashed=rng.random(len(pids)) < 0.4,
        upper=False,
    )
    return frame, clean


def _partner(
    world: World,
    rng: np.random.Generator,
    registered: np.ndarray,
    n_rows: int,
    rates: ErrorRates,
    seed: int,
    log: dict | None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A flood-relief beneficiary list: mostly poor adult registrants, women first, plus
    ~20% people in no registry wave; formatted the partner's way."""
    P = world.people
    live = np.flatnonzero(
        (P["hh_2021"] >= 0) & (P["death"] > REF_PARTNER) & (age_at(P["birth"], REF_PARTNER) >= 18)
    )
    pmt = world.hh21["pmt"].to_numpy()[P["hh_2021"][live]]
    weight = np.exp(-pmt / 15.0) * np.where(P["female"][live], 1.8, 1.0)
    known = np.isin(live, registered)
    n_unreg = min(int(round(PARTNER_UNREGISTERED * n_rows)), int((~known).sum()))
    n_reg = min(n_rows - n_unreg, int(known.sum()))

    def draw(mask: np.ndarray, k: int) -> np.ndarray:
        w = weight[mask]
        return rng.choice(live[mask], size=k, replace=False, p=w / w.sum())

    pids = np.concatenate([draw(known, n_reg), draw(~known, n_unreg)])
    pids = np.concatenate([pids, rng.choice(pids, int(0.015 * len(pids)))])  # listed twice
    pids = pids[rng.permutation(len(pids))]
    hh = P["hh_2021"][pids]
    clean = clean_records(world, pids, hh, world.hh21, REF_PARTNER, REF_PARTNER, "phone_2021")
    parts = pd.Series(clean["address"], dtype=object).str.split(", ")
    clean["address"] = parts.str[-2:].str.join(", ").to_numpy(dtype=object)  # short address
    clean["phone_fmt"] = np.zeros(len(pids), dtype=np.int64)
    rec = _noisy(world, clean, np.arange(len(pids)), rates, seed, "partner", log)
    frame = _frame(
        rec,
        np.full(len(pids), PARTNER_SOURCE, dtype=object),
        np.full(len(pids), ""),
        "p-",
        ("Male", "Female"),
        dmy=True,
        dashed=rng.random(len(pids)) < 0.9,
        upper=True,
    )
    poor = (clean["pmt_score"] + rng.normal(0, 6, len(pids))) < 35
    frame["poverty_flag"] = poor.astype(np.int64)
    return frame[list(PARTNER_COLUMNS)], clean


def _truth(
    frame: pd.DataFrame, file: str, clean: dict[str, np.ndarray], table: pd.DataFrame
) -> pd.DataFrame:
    """``household_head`` is 1 for the true head of the true household (whatever the
    record says): the anchor of household lineage (``evaluation.lineage_truth``)."""
    head = table["head"].to_numpy()[clean["true_household"]] == clean["person"]
    return pd.DataFrame(
        {
            "record_id": frame["record_id"].to_numpy(),
            "file": file,
            "person_id": [f"P{p:08d}" for p in clean["person"]],
            "household_true_id": [f"T{h:07d}" for h in clean["true_household"]],
            "household_head": head.astype(np.int64),
        }
    )


def generate_frames(
    households: int,
    seed: int,
    *,
    error_rates: Mapping[str, ErrorRates] | None = None,
    error_log: dict[str, dict[str, int]] | None = None,
) -> dict[str, pd.DataFrame]:
    """Simulate ``households`` households from 2011 to 2022 and return the four tables.

    ``error_rates`` maps ``survey_2011``/``survey_2021``/``dynamic``/``partner`` to
    :class:`~evaluation.synthetic_errors.ErrorRates` (default
    :data:`~evaluation.synthetic_errors.DEFAULT_RATES`;
    ``ErrorRates.none()`` gives clean views of the same world).  If ``error_log`` is a
    dict, it receives per source the number of records each error changed (and
    ``records``); see :func:`realised_error_rates`.
    """
    if households < 1:
        raise ValueError("households must be at least 1")
    rates = dict(DEFAULT_RATES) | dict(error_rates or {})
    rng = np.random.default_rng(seed)
    partner_rows = max(300, int(round(PARTNER_SHARE * 5.8 * households)))
    unreg_households = max(40, int(np.ceil(PARTNER_UNREGISTERED * partner_rows / 2)))
    world = simulate(households, rng, geography(), name_pools(), unregistered=unreg_households)

    w11, c11 = _wave(world, rng, 2011, rates["survey_2011"], seed, error_log)
    w21, c21 = _wave(world, rng, 2021, rates["survey_2021"], seed, error_log)
    dyn, cdyn = _dynamic(world, rng, c21, rates["dynamic"], seed, error_log)
    registered = np.union1d(c11["person"], c21["person"])
    partner_rows = max(300, int(round(PARTNER_SHARE * len(w21))))
    part, cpart = _partner(world, rng, registered, partner_rows, rates["partner"], seed, error_log)

    wave_2021 = pd.concat([w21, dyn], ignore_index=True)[list(PERSON_COLUMNS)]
    truth = pd.concat(
        [
            _truth(w11, "wave_2011", c11, world.hh11),
            _truth(w21, "wave_2021", c21, world.hh21),
            _truth(dyn, "wave_2021", cdyn, world.hh21),
            _truth(part, PARTNER_SOURCE, cpart, world.hh21),
        ],
        ignore_index=True,
    )
    return {
        "wave_2011": w11[list(PERSON_COLUMNS)],
        "wave_2021": wave_2021,
        PARTNER_SOURCE: part,
        "truth": truth[list(TRUTH_COLUMNS)],
    }


def realised_error_rates(error_log: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, float]]:
    """Share of each source's records that each error actually changed."""
    return {
        src: {k: v / max(c["records"], 1) for k, v in c.items() if k != "records"}
        for src, c in error_log.items()
    }


def generate(households: int, seed: int, out: Path) -> dict[str, int]:
    """Write ``wave_2011.csv``, ``wave_2021.csv``, ``partner_flood_2022.csv`` and
    ``truth.csv`` (UTF-8, no index) into ``out`` and return the row count of each."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frames = generate_frames(households, seed)
    for name, frame in frames.items():
        frame.to_csv(out / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
    return {name: len(frame) for name, frame in frames.items()}
