"""Recording-error model for synthetic NSER records.

Each kind of error is one small function with its own rate, so a test or a benchmark can
switch errors on and off one at a time (``dataclasses.replace(rates, name_typo=0)``).
Every function takes the clean values and a generator and returns new values; it never
mutates its input.  Rates differ by source (:data:`DEFAULT_RATES`): the enumerated
survey is the cleanest, self-reported dynamic registration worse, partner lists worst.

Each error draws from its own random stream, seeded from (seed, source, error name) with
``zlib.crc32`` (stable across runs, unlike ``hash``), so turning one error off leaves
the others' choices unchanged.

Errors that an enumerator makes once per household (address, district, province, union
council, "year only" birth dates for the whole household) are drawn per household and
copied to every member, as in real data where members of a household look alike.

Name errors loop in Python over the *selected* records only (a few percent of rows);
everything else is numpy.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from evaluation.synthetic_vocab import DISTRICT_VARIANTS, MUHAMMAD_FORMS, PROVINCE_VARIANTS

# precision codes of a date of birth
DAY, YEAR_ONLY, JAN1 = 0, 1, 2
#: phone formats: 0300-1234567, 03001234567, +92 300 1234567, 923001234567, +923001234567, 0300 1234567
PHONE_FORMATS = 6
GENDER_LABELS: tuple[tuple[str, str], ...] = (
    ("M", "F"), ("Male", "Female"), ("m", "f"), ("MALE", "FEMALE"), ("مرد", "عورت"),
)


@dataclass(frozen=True)
class ErrorRates:
    """Per-record probability of each error for one source (0 switches it off)."""

    name_variant: float = 0.0  # transliteration variant of one token (Yousaf -> Yusuf)
    name_muhammad: float = 0.0  # "Muhammad" dropped or added (men)
    name_honorific: float = 0.0  # "Bibi"/"Begum" dropped or added (women)
    name_order: float = 0.0  # tokens swapped / family name first
    name_typo: float = 0.0  # one letter dropped, doubled, swapped or substituted
    name_case: float = 0.0  # upper/lower case, stray spaces
    name_urdu: float = 0.0  # written in Urdu script
    guardian_factor: float = 0.8  # guardian names get the name errors at this share of the rate
    guardian_prefix: float = 0.0  # "S/O", "D/O", "W/O" written into the guardian name
    cnic_missing: float = 0.0  # blank CNIC (x cnic_missing_female for women)
    cnic_missing_female: float = 2.5
    cnic_digit: float = 0.0  # one wrong digit
    cnic_transpose: float = 0.0  # two adjacent digits swapped
    cnic_husband: float = 0.0  # a married woman listed with her husband's CNIC
    dob_year_only: float = 0.0  # "1987"
    dob_year_only_household: float = 0.0  # whole household entered with years only
    dob_jan1: float = 0.0  # "1987-01-01" default date
    dob_year_off: float = 0.0  # birth year off by one
    dob_day_month: float = 0.0  # day and month swapped (day <= 12)
    address_reword: float = 0.0  # per household: abbreviations, order, dropped parts
    district_variant: float = 0.0  # per household: Larkano, D.G. Khan, case, spaces
    province_variant: float = 0.0  # per household: NWFP, Sind, Baluchistan
    uc_variant: float = 0.0  # per household: "UC-17" -> "Uc No. 17"
    phone_format: float = 0.0  # written in another format
    phone_missing: float = 0.0  # left blank
    gender_variant: float = 0.0  # missing or written another way (m, Male, مرد)

    @classmethod
    def none(cls) -> ErrorRates:
        """All errors off (clean views of the world)."""
        return cls(**{f.name: 0.0 for f in fields(cls)})


DEFAULT_RATES: dict[str, ErrorRates] = {
    "survey_2011": ErrorRates(
        name_variant=0.07, name_muhammad=0.04, name_honorific=0.05, name_order=0.01,
        name_typo=0.04, name_case=0.01, name_urdu=0.005, guardian_prefix=0.02,
        cnic_missing=0.02, cnic_digit=0.012, cnic_transpose=0.006,
        dob_year_only=0.05, dob_year_only_household=0.12, dob_jan1=0.05, dob_year_off=0.04,
        dob_day_month=0.015, address_reword=0.15, district_variant=0.06, province_variant=0.05,
        uc_variant=0.05, phone_format=0.08, phone_missing=0.05, gender_variant=0.01,
    ),
    "survey_2021": ErrorRates(
        name_variant=0.05, name_muhammad=0.03, name_honorific=0.04, name_order=0.01,
        name_typo=0.03, name_case=0.01, name_urdu=0.005, guardian_prefix=0.02,
        cnic_missing=0.015, cnic_digit=0.008, cnic_transpose=0.004,
        dob_year_only=0.04, dob_year_only_household=0.08, dob_jan1=0.04, dob_year_off=0.03,
        dob_day_month=0.01, address_reword=0.12, district_variant=0.04, province_variant=0.04,
        uc_variant=0.04, phone_format=0.06, phone_missing=0.04, gender_variant=0.01,
    ),
    "dynamic": ErrorRates(
        name_variant=0.15, name_muhammad=0.08, name_honorific=0.10, name_order=0.03,
        name_typo=0.07, name_case=0.06, name_urdu=0.02, guardian_prefix=0.08,
        cnic_missing=0.05, cnic_missing_female=3.0, cnic_digit=0.03, cnic_transpose=0.015,
        cnic_husband=0.02, dob_year_only=0.15, dob_year_only_household=0.15, dob_jan1=0.08,
        dob_year_off=0.08, dob_day_month=0.03, address_reword=0.7, district_variant=0.3,
        province_variant=0.2, uc_variant=0.3, phone_format=0.4, phone_missing=0.12,
        gender_variant=0.05,
    ),
    "partner": ErrorRates(
        name_variant=0.20, name_muhammad=0.10, name_honorific=0.12, name_order=0.05,
        name_typo=0.10, name_case=0.0, name_urdu=0.0, guardian_factor=0.9, guardian_prefix=0.15,
        cnic_missing=0.06, cnic_missing_female=2.0, cnic_digit=0.04, cnic_transpose=0.03,
        cnic_husband=0.12, dob_year_only=0.08, dob_jan1=0.12, dob_year_off=0.10,
        dob_day_month=0.05, address_reword=0.6, district_variant=0.35, phone_format=0.3,
        phone_missing=0.25, gender_variant=0.03,
    ),
}


def rng_for(seed: int, source: str, error: str) -> np.random.Generator:
    """An independent, reproducible stream for one error of one source."""
    return np.random.default_rng([seed, zlib.crc32(source.encode()), zlib.crc32(error.encode())])


def _pick(rng: np.random.Generator, n: int, rate: float | np.ndarray) -> np.ndarray:
    return rng.random(n) < rate


# --- names -----------------------------------------------------------------------------------

_MUHAMMAD = {x.lower() for x in (*MUHAMMAD_FORMS, "Muhammad")}
_HONORIFIC = {"bibi", "begum", "khatoon", "bi", "bebe", "begam", "khatun"}
_VOWELS = "aeiou"
_CONSONANTS = "bcdfghjklmnpqrstvwxyz"


def name_variant(names: np.ndarray, rng: np.random.Generator, rate: float,
                 variants: dict[str, tuple[str, ...]]) -> np.ndarray:
    """Replace one token by an attested alternative spelling (Naveed -> Navid)."""
    out = names.copy()
    idx = np.flatnonzero(_pick(rng, len(names), rate))
    u = rng.random((len(idx), 2))
    for j, i in enumerate(idx):
        toks = out[i].split(" ")
        cand = [k for k, t in enumerate(toks) if t.lower() in variants]
        if cand:
            k = cand[int(u[j, 0] * len(cand))]
            opts = variants[toks[k].lower()]
            toks[k] = opts[int(u[j, 1] * len(opts))]
            out[i] = " ".join(toks)
    return out


def toggle_muhammad(names: np.ndarray, male: np.ndarray, rng: np.random.Generator,
                    rate: float) -> np.ndarray:
    """Drop a leading Muhammad (or Mohd, M.) or add one: both happen between registrations."""
    out = names.copy()
    idx = np.flatnonzero(_pick(rng, len(names), rate) & male)
    add_form = rng.choice(np.array(["Muhammad", "Muhammad", "Mohammad", "M."], dtype=object), len(idx))
    for j, i in enumerate(idx):
        toks = out[i].split(" ")
        if toks[0].lower() in _MUHAMMAD:
            if len(toks) > 1:
                out[i] = " ".join(toks[1:])
        else:
            out[i] = add_form[j] + " " + out[i]
    return out


def toggle_honorific(names: np.ndarray, female: np.ndarray, rng: np.random.Generator,
                     rate: float) -> np.ndarray:
    """Drop a trailing Bibi/Begum/Khatoon, or add Bibi/Begum (replacing a family name half the time)."""
    out = names.copy()
    idx = np.flatnonzero(_pick(rng, len(names), rate) & female)
    add = rng.choice(np.array(["Bibi", "Bibi", "Begum", "Bi Bi"], dtype=object), len(idx))
    replace = rng.random(len(idx)) < 0.5
    for j, i in enumerate(idx):
        toks = out[i].split(" ")
        if toks[-1].lower() in _HONORIFIC and len(toks) > 1:
            out[i] = " ".join(toks[:-1])
        elif replace[j] and len(toks) > 1:
            out[i] = " ".join([*toks[:-1], add[j]])
        else:
            out[i] = out[i] + " " + add[j]
    return out


def swap_name_order(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Family name written first ("Khan Imran") or the first two tokens swapped."""
    out = names.copy()
    idx = np.flatnonzero(_pick(rng, len(names), rate))
    last_first = rng.random(len(idx)) < 0.5
    for j, i in enumerate(idx):
        toks = out[i].split(" ")
        if len(toks) < 2:
            continue
        toks = [toks[-1], *toks[:-1]] if last_first[j] else [toks[1], toks[0], *toks[2:]]
        out[i] = " ".join(toks)
    return out


def _typo_token(tok: str, op: int, u: float, v: float) -> str:
    k = int(u * (len(tok) - 1))  # never the last position for swaps
    if op == 0:  # dropped letter
        return tok[:k] + tok[k + 1:]
    if op == 1:  # doubled letter
        return tok[: k + 1] + tok[k] + tok[k + 1:]
    if op == 2:  # adjacent letters swapped
        return tok[:k] + tok[k + 1] + tok[k] + tok[k + 2:]
    pool = _VOWELS if tok[k].lower() in _VOWELS else _CONSONANTS  # a/e, s/z style slips
    c = pool[int(v * len(pool))]
    return tok[:k] + (c.upper() if tok[k].isupper() else c) + tok[k + 1:]


def typo(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """One keying slip in one token of at least three letters."""
    out = names.copy()
    idx = np.flatnonzero(_pick(rng, len(names), rate))
    u = rng.random((len(idx), 4))
    for j, i in enumerate(idx):
        toks = out[i].split(" ")
        cand = [k for k, t in enumerate(toks) if len(t) >= 3 and t.isalpha()]
        if cand:
            k = cand[int(u[j, 0] * len(cand))]
            toks[k] = _typo_token(toks[k], int(u[j, 1] * 4), u[j, 2], u[j, 3])
            out[i] = " ".join(toks)
    return out


def change_case(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """All upper, all lower, or stray spaces (double or trailing)."""
    out = names.copy()
    idx = np.flatnonzero(_pick(rng, len(names), rate))
    how = rng.integers(0, 4, len(idx))
    for j, i in enumerate(idx):
        s = out[i]
        out[i] = (s.upper(), s.lower(), s.replace(" ", "  ", 1), s + " ")[how[j]]
    return out


def to_urdu_script(names: np.ndarray, rng: np.random.Generator, rate: float,
                   urdu: dict[str, str]) -> np.ndarray:
    """Whole name in Urdu script, when every token has a known Urdu spelling."""
    out = names.copy()
    for i in np.flatnonzero(_pick(rng, len(names), rate)):
        toks = out[i].lower().split()
        if toks and all(t in urdu for t in toks):
            out[i] = " ".join(urdu[t] for t in toks)
    return out


def guardian_prefix(guardians: np.ndarray, female: np.ndarray, married: np.ndarray,
                    rng: np.random.Generator, rate: float) -> np.ndarray:
    """The relation written into the guardian field: "S/O ...", "D/O ...", "W/O ..."."""
    pick = _pick(rng, len(guardians), rate) & (guardians != "")
    kind = np.where(female, np.where(married, 2, 1), 0)
    lower = rng.random(len(guardians)) < 0.3
    rel = np.array([["S/O ", "s/o "], ["D/O ", "d/o "], ["W/O ", "w/o "]], dtype=object)[kind, lower.astype(int)]
    return np.where(pick, rel + guardians, guardians).astype(object)


# --- CNIC ------------------------------------------------------------------------------------


def _digits(cnic: np.ndarray) -> np.ndarray:
    return np.frombuffer("".join(cnic).encode("ascii"), dtype=np.uint8).reshape(-1, 13).copy()


def _undigits(mat: np.ndarray) -> np.ndarray:
    return np.array([bytes(r).decode("ascii") for r in mat], dtype=object)


def cnic_missing(cnic: np.ndarray, female: np.ndarray, rng: np.random.Generator, rate: float,
                 female_factor: float) -> np.ndarray:
    """Blank CNIC; women's are left out more often (card at home, held by husband)."""
    pick = _pick(rng, len(cnic), np.where(female, rate * female_factor, rate))
    return np.where(pick, "", cnic).astype(object)


def cnic_wrong_digit(cnic: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """One digit replaced by another digit."""
    out = cnic.copy()
    idx = np.flatnonzero(_pick(rng, len(cnic), rate) & (cnic != ""))
    if len(idx):
        mat = _digits(cnic[idx])
        pos = rng.integers(0, 13, len(idx))
        rows = np.arange(len(idx))
        mat[rows, pos] = 48 + (mat[rows, pos] - 48 + rng.integers(1, 10, len(idx))) % 10
        out[idx] = _undigits(mat)
    return out


def cnic_transpose(cnic: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Two adjacent digits swapped (a no-op when they are equal)."""
    out = cnic.copy()
    idx = np.flatnonzero(_pick(rng, len(cnic), rate) & (cnic != ""))
    if len(idx):
        mat = _digits(cnic[idx])
        pos = rng.integers(0, 12, len(idx))
        rows = np.arange(len(idx))
        a, b = mat[rows, pos].copy(), mat[rows, pos + 1].copy()
        mat[rows, pos], mat[rows, pos + 1] = b, a
        out[idx] = _undigits(mat)
    return out


def cnic_of_husband(cnic: np.ndarray, husband_cnic: np.ndarray, married_female: np.ndarray,
                    rng: np.random.Generator, rate: float) -> np.ndarray:
    """A wife listed under her husband's CNIC (common in beneficiary lists)."""
    pick = _pick(rng, len(cnic), rate) & married_female & (husband_cnic != "")
    return np.where(pick, husband_cnic, cnic).astype(object)


# --- dates of birth --------------------------------------------------------------------------


def dob_year_only(prec: np.ndarray, household: np.ndarray, rng: np.random.Generator,
                  rate: float, household_rate: float) -> np.ndarray:
    """Only the year is known: for single people, or for a whole household at once."""
    per_hh = rng.random(int(household.max()) + 1 if len(household) else 0) < household_rate
    pick = _pick(rng, len(prec), rate) | per_hh[household]
    return np.where(pick, YEAR_ONLY, prec).astype(np.int8)


def dob_jan1(prec: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Unknown day and month written as 1 January."""
    return np.where(_pick(rng, len(prec), rate) & (prec == DAY), JAN1, prec).astype(np.int8)


def dob_year_off(year: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Birth year one too high or too low (age rounded when converted to a year)."""
    shift = rng.choice([-1, 1], len(year))
    return np.where(_pick(rng, len(year), rate), year + shift, year)


def dob_day_month(month: np.ndarray, day: np.ndarray, rng: np.random.Generator,
                  rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Day and month swapped (only possible when the day is 12 or less)."""
    pick = _pick(rng, len(day), rate) & (day <= 12) & (day != month)
    return np.where(pick, day, month), np.where(pick, month, day)


# --- places ----------------------------------------------------------------------------------

_ADDRESS_WORDS: dict[str, tuple[str, ...]] = {
    "House No.": ("H.No.", "H No", "H #", "Makan No."),
    "House": ("H.No.", "H #", "Makan", "H"),
    "Street": ("St.", "St", "Gali", "Street No."),
    "Mohalla": ("Mohallah", "Muhallah", "Mohala", "Mohalah", "Mohalla"),
    "Mohallah": ("Mohalla", "Muhallah", "Mohala"),
    "Colony": ("Coloney", "Colony", "Clny"),
    "near": ("nr.", "Near", "qareeb", "nearby"),
    "Tehsil": ("Teh.", "Th.", "Tehseel"),
    "Village": ("Vill.", "Gaon", "Moza"),
    "Goth": ("Goth", "Ghot", "Village"),
    "Chak": ("Chak No.", "Ch."),
    "Basti": ("Basti", "Bsti"),
}
_WORD_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(_ADDRESS_WORDS, key=len, reverse=True)) + r")(?=[\s,]|$)")


def _reword(addr: str, u: np.ndarray) -> str:
    """Apply 1-3 rephrasings to one address; ``u`` holds the random numbers to use."""
    out = _WORD_RE.sub(lambda m: _ADDRESS_WORDS[m.group(1)][int(u[0] * len(_ADDRESS_WORDS[m.group(1)]))]
                       if u[1] < 0.8 else m.group(1), addr)
    parts = [p.strip() for p in out.split(",") if p.strip()]
    if len(parts) > 1 and u[2] < 0.35:  # token order
        parts = parts[::-1] if u[3] < 0.5 else parts[1:] + parts[:1]
    if len(parts) > 1 and u[4] < 0.35:  # a dropped part
        del parts[int(u[5] * len(parts))]
    return ", ".join(parts) if u[6] < 0.8 else " ".join(parts)


def reword_address(addresses: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Addresses rephrased: St./Street, Mohalla/Mohallah/Muhallah, order, dropped parts."""
    out = addresses.copy()
    idx = np.flatnonzero(_pick(rng, len(addresses), rate))
    u = rng.random((len(idx), 7))
    for j, i in enumerate(idx):
        out[i] = _reword(out[i], u[j])
    return out


def _respell(value: str, table: dict[str, tuple[str, ...]], u: np.ndarray) -> str:
    options = table.get(value, ())
    if options and u[0] < 0.7:
        return options[int(u[1] * len(options))]
    k = int(u[2] * 5)
    return (value.upper(), value.lower(), value.replace(" ", "  ") + " ",
            "Distt. " + value, value + " District")[k]


def district_variant(districts: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """District spelled as registries do: Larkano, D.G. Khan, Lyallpur, case, spacing."""
    out = districts.copy()
    idx = np.flatnonzero(_pick(rng, len(districts), rate))
    u = rng.random((len(idx), 3))
    for j, i in enumerate(idx):
        out[i] = _respell(out[i], DISTRICT_VARIANTS, u[j])
    return out


def province_variant(provinces: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Province as written: NWFP/KPK/KP, Sind, Baluchistan."""
    out = provinces.copy()
    idx = np.flatnonzero(_pick(rng, len(provinces), rate))
    u = rng.random(len(idx))
    for j, i in enumerate(idx):
        opts = PROVINCE_VARIANTS.get(out[i], (out[i].upper(),))
        out[i] = opts[int(u[j] * len(opts))]
    return out


def uc_variant(ucs: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Union council written another way: "UC-17" -> "UC 17", "Uc No. 17", "17"."""
    out = ucs.copy()
    idx = np.flatnonzero(_pick(rng, len(ucs), rate))
    k = rng.integers(0, 4, len(idx))
    for j, i in enumerate(idx):
        v = out[i]
        if v.startswith("UC-"):
            num = v[3:]
            out[i] = ("UC " + num, "Uc No. " + num, num, "U.C. " + num)[k[j]]
        else:
            out[i] = (v.upper(), v.lower(), "UC " + v, "Union Council " + v)[k[j]]
    return out


# --- phone and gender ------------------------------------------------------------------------


def phone_format(fmt: np.ndarray, phone: np.ndarray, rng: np.random.Generator,
                 rate: float) -> np.ndarray:
    """Another of the six ways a mobile number gets written (for records with a number)."""
    other = (fmt + rng.integers(1, PHONE_FORMATS, len(fmt))) % PHONE_FORMATS
    return np.where(_pick(rng, len(fmt), rate) & (phone != ""), other, fmt)


def phone_missing(phone: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Number not given."""
    return np.where(_pick(rng, len(phone), rate), "", phone).astype(object)


def gender_variant(gender: np.ndarray, female: np.ndarray, rng: np.random.Generator,
                   rate: float) -> np.ndarray:
    """Gender blank (a third of cases) or written in another convention, incl. Urdu."""
    pick = _pick(rng, len(gender), rate)
    style = rng.integers(0, len(GENDER_LABELS), len(gender))
    labels = np.array(GENDER_LABELS, dtype=object)[style, female.astype(int)]
    labels = np.where(rng.random(len(gender)) < 1 / 3, "", labels)
    return np.where(pick, labels, gender).astype(object)


# --- orchestration ---------------------------------------------------------------------------


def _per_household(fn: Callable[[np.ndarray], np.ndarray], values: np.ndarray,
                   household: np.ndarray) -> np.ndarray:
    """Apply ``fn`` to one value per household and copy the result to all members."""
    _, first, inverse = np.unique(household, return_index=True, return_inverse=True)
    return fn(values[first])[inverse]


def apply_errors(rec: dict[str, np.ndarray], rates: ErrorRates, seed: int, source: str,
                 variants: dict[str, tuple[str, ...]], urdu: dict[str, str],
                 log: dict[str, dict[str, int]] | None = None) -> dict[str, np.ndarray]:
    """Return a copy of the record columns ``rec`` with this source's errors applied.

    ``rec`` holds clean structured values: ``full_name``, ``guardian_name``, ``cnic``
    (13 digits or ""), ``husband_cnic``, ``female``, ``married``, ``year``/``month``/
    ``day``/``precision``, ``household`` (codes 0..k-1), ``address``, ``district``,
    ``province``, ``union_council``, ``phone`` (10 digits or ""), ``phone_fmt``,
    ``gender``.  ``log[source][error]`` counts records each error changed.
    """
    out = {k: v.copy() for k, v in rec.items()}
    counts = log.setdefault(source, {}) if log is not None else {}
    counts["records"] = counts.get("records", 0) + len(rec["female"])
    female, married, hh = rec["female"], rec["married"], rec["household"]
    r = rates

    def run(error: str, column: str, fn: Callable[[np.ndarray, np.random.Generator], np.ndarray]) -> None:
        new = fn(out[column], rng_for(seed, source, error))
        counts[error] = counts.get(error, 0) + int((new != out[column]).sum())
        out[column] = new

    def name_errors(scale: float, male: np.ndarray, fem: np.ndarray) -> list[tuple[str, Callable]]:
        return [
            ("name_variant", lambda v, g: name_variant(v, g, r.name_variant * scale, variants)),
            ("name_muhammad", lambda v, g: toggle_muhammad(v, male, g, r.name_muhammad * scale)),
            ("name_honorific", lambda v, g: toggle_honorific(v, fem, g, r.name_honorific * scale)),
            ("name_order", lambda v, g: swap_name_order(v, g, r.name_order * scale)),
            ("name_typo", lambda v, g: typo(v, g, r.name_typo * scale)),
            ("name_case", lambda v, g: change_case(v, g, r.name_case * scale)),
            ("name_urdu", lambda v, g: to_urdu_script(v, g, r.name_urdu * scale, urdu)),
        ]

    for error, fn in name_errors(1.0, ~female, female):
        run(error, "full_name", fn)
    everyone, nobody = np.ones(len(female), bool), np.zeros(len(female), bool)
    for error, fn in name_errors(r.guardian_factor, everyone, nobody):
        if error != "name_honorific":  # guardians are men
            run("guardian_" + error, "guardian_name", fn)
    run("guardian_prefix", "guardian_name", lambda v, g: guardian_prefix(v, female, married, g, r.guardian_prefix))

    run("cnic_husband", "cnic", lambda v, g: cnic_of_husband(v, rec["husband_cnic"], female & married, g, r.cnic_husband))
    run("cnic_missing", "cnic", lambda v, g: cnic_missing(v, female, g, r.cnic_missing, r.cnic_missing_female))
    run("cnic_digit", "cnic", lambda v, g: cnic_wrong_digit(v, g, r.cnic_digit))
    run("cnic_transpose", "cnic", lambda v, g: cnic_transpose(v, g, r.cnic_transpose))

    run("dob_year_only", "precision", lambda v, g: dob_year_only(v, hh, g, r.dob_year_only, r.dob_year_only_household))
    run("dob_jan1", "precision", lambda v, g: dob_jan1(v, g, r.dob_jan1))
    run("dob_year_off", "year", lambda v, g: dob_year_off(v, g, r.dob_year_off))
    month, day = dob_day_month(out["month"], out["day"], rng_for(seed, source, "dob_day_month"), r.dob_day_month)
    counts["dob_day_month"] = counts.get("dob_day_month", 0) + int((day != out["day"]).sum())
    out["month"], out["day"] = month, day

    household_errors = (
        ("address", "address_reword", lambda v, g: reword_address(v, g, r.address_reword)),
        ("district", "district_variant", lambda v, g: district_variant(v, g, r.district_variant)),
        ("province", "province_variant", lambda v, g: province_variant(v, g, r.province_variant)),
        ("union_council", "uc_variant", lambda v, g: uc_variant(v, g, r.uc_variant)),
    )
    for col, error, fn in household_errors:
        if col in out:
            run(error, col, lambda v, g, f=fn: _per_household(lambda x: f(x, g), v, hh))

    run("phone_missing", "phone", lambda v, g: phone_missing(v, g, r.phone_missing))
    run("phone_format", "phone_fmt", lambda v, g: phone_format(v, out["phone"], g, r.phone_format))
    run("gender_variant", "gender", lambda v, g: gender_variant(v, female, g, r.gender_variant))
    return out
