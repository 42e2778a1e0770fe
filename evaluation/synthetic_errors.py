"""Recording-error model for synthetic NSER records.

Each kind of error is one small function with its own rate, so a test or a benchmark can
switch errors on and off one at a time (``dataclasses.replace(rates, name_typo=0)``).
Every function takes the clean values and a generator and returns new values; it never
mutates its input.  Rates differ by source (:data:`DEFAULT_RATES`): the enumerated
survey is the cleanest, self-reported dynamic registration worse, partner lists worst.

Each error draws from its own random stream, seeded from (seed, source, error name) with
``zlib.crc32`` (stable across runs, unlike ``hash``), so turning one error off leaves
the others' choices unchanged.

The errors must not come from the engine's own tables, or the benchmark measures the
tables: attested spelling variants are drawn only from the held-out part of the
reference lists (``linkage.reference.holdout``, via ``synthetic_vocab``), the
generator's hand lists are disjoint from the engine's, and most variation is made
procedurally, the way hands and machines make it: phonetic respellings (ee/i, oo/u,
ai/e, doubled letters, q/k, z/s, w/v, final h), keyboard slips on a QWERTY layout, OCR
confusions (rn/m, l/1/I, O/0, cl/d, vv/w), tokens dropped, joined or split,
abbreviated to an initial or a stem, honorifics moved or misspelt, order swapped, the
given name alone; for places words joined or split, initials (R.Y. Khan), typos, case,
and the tehsil written for the district.  ``evaluation.variant_audit`` measures how many
variants the engine's standardisation still maps back by itself.

Errors that an enumerator makes once per household (address, district, tehsil,
province, union council, "year only" birth dates for the whole household) are drawn per
household and copied to every member, as in real data where members of a household
look alike.

Name errors loop in Python over the *selected* records only (a few percent of rows);
everything else is numpy.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cache

import numpy as np

from evaluation.synthetic_vocab import (
    DISTRICT_VARIANTS,
    MUHAMMAD_FORMS,
    PROVINCE_VARIANTS,
    generator_may_write_place,
)

# precision codes of a date of birth
DAY, YEAR_ONLY, JAN1 = 0, 1, 2
#: phone formats: 0300-1234567, 03001234567, +92 300 1234567, 923001234567, +923001234567,
#: 0300 1234567
PHONE_FORMATS = 6
GENDER_LABELS: tuple[tuple[str, str], ...] = (
    ("M", "F"),
    ("Male", "Female"),
    ("m", "f"),
    ("MALE", "FEMALE"),
    ("مرد", "عورت"),
)


@dataclass(frozen=True)
class ErrorRates:
    """Per-record probability of each error for one source (0 switches it off)."""

    name_variant: float = 0.0  # held-out attested spelling of one token (Ayesha -> Aisha)
    name_muhammad: float = 0.0  # "Muhammad" dropped or added (men)
    name_honorific: float = 0.0  # "Bibi"/"Begum" dropped or added (women)
    name_honorific_form: float = 0.0  # honorific moved first, split (Bi Bi) or misspelt
    name_phonetic: float = 0.0  # respelt by ear: ee/i, oo/u, ai/e, doubled letters, q/k...
    name_typo: float = 0.0  # one letter dropped, doubled, swapped or substituted
    name_keyboard: float = 0.0  # a neighbouring QWERTY key hit instead or as well
    name_abbreviation: float = 0.0  # a leading token as initial or stem: M., Muh., Ghlm
    name_join_split: float = 0.0  # two tokens run together or one split (Abdulrehman, Gul Naz)
    name_drop: float = 0.0  # a middle or last token left out (three tokens or more)
    name_given_only: float = 0.0  # only the given name written
    name_order: float = 0.0  # tokens swapped / family name first
    name_ocr: float = 0.0  # scanned list: rn/m, l/1/I, O/0, cl/d, vv/w
    name_case: float = 0.0  # upper/lower case, stray spaces
    name_urdu: float = 0.0  # written in Urdu script (by ear)
    guardian_factor: float = 0.8  # guardian names get the name errors at this share of the rate
    guardian_missing: float = 0.0  # guardian name left blank
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
    district_variant: float = 0.0  # per household: misspelt (own list), case, "Distt. X"
    district_join_split: float = 0.0  # per household: Rahimyar Khan, Gujran Wala
    district_abbreviation: float = 0.0  # per household: R.Y. Khan, T.T. Singh, LHR
    district_typo: float = 0.0  # per household: a letter transposed, doubled or dropped
    district_as_tehsil: float = 0.0  # per household: the tehsil (town) written as district
    tehsil_variant: float = 0.0  # per household: case, "Tehsil X", "Teh. X"
    tehsil_join_split: float = 0.0  # per household: words joined or split
    tehsil_typo: float = 0.0  # per household: a letter transposed, doubled or dropped
    province_variant: float = 0.0  # per household: misspelt, initials (K.P.), case
    uc_variant: float = 0.0  # per household: "UC-17" -> "Uc No. 17"
    phone_format: float = 0.0  # written in another format
    phone_missing: float = 0.0  # left blank
    gender_variant: float = 0.0  # missing or written another way (m, Male, مرد)

    @classmethod
    def none(cls) -> ErrorRates:
        """All errors off (clean views of the world)."""
        return cls(**{f.name: 0.0 for f in fields(cls)})


DEFAULT_RATES: dict[str, ErrorRates] = {
    # paper questionnaires keyed in afterwards
    "survey_2011": ErrorRates(
        name_variant=0.03,
        name_muhammad=0.04,
        name_honorific=0.04,
        name_honorific_form=0.02,
        name_phonetic=0.05,
        name_typo=0.025,
        name_keyboard=0.01,
        name_abbreviation=0.01,
        name_join_split=0.02,
        name_drop=0.01,
        name_given_only=0.01,
        name_order=0.01,
        name_ocr=0.004,
        name_case=0.01,
        name_urdu=0.005,
        guardian_missing=0.01,
        guardian_prefix=0.02,
        cnic_missing=0.02,
        cnic_digit=0.012,
        cnic_transpose=0.006,
        dob_year_only=0.05,
        dob_year_only_household=0.12,
        dob_jan1=0.05,
        dob_year_off=0.04,
        dob_day_month=0.015,
        address_reword=0.15,
        district_variant=0.03,
        district_join_split=0.01,
        district_abbreviation=0.01,
        district_typo=0.01,
        district_as_tehsil=0.005,
        tehsil_variant=0.03,
        tehsil_join_split=0.01,
        tehsil_typo=0.01,
        province_variant=0.05,
        uc_variant=0.05,
        phone_format=0.08,
        phone_missing=0.05,
        gender_variant=0.01,
    ),
    # tablets: fewer illegible hands, more keying slips
    "survey_2021": ErrorRates(
        name_variant=0.025,
        name_muhammad=0.03,
        name_honorific=0.03,
        name_honorific_form=0.02,
        name_phonetic=0.04,
        name_typo=0.02,
        name_keyboard=0.015,
        name_abbreviation=0.008,
        name_join_split=0.015,
        name_drop=0.008,
        name_given_only=0.008,
        name_order=0.01,
        name_case=0.01,
        name_urdu=0.005,
        guardian_missing=0.01,
        guardian_prefix=0.02,
        cnic_missing=0.015,
        cnic_digit=0.008,
        cnic_transpose=0.004,
        dob_year_only=0.04,
        dob_year_only_household=0.08,
        dob_jan1=0.04,
        dob_year_off=0.03,
        dob_day_month=0.01,
        address_reword=0.12,
        district_variant=0.02,
        district_join_split=0.008,
        district_abbreviation=0.008,
        district_typo=0.008,
        district_as_tehsil=0.004,
        tehsil_variant=0.02,
        tehsil_join_split=0.008,
        tehsil_typo=0.008,
        province_variant=0.04,
        uc_variant=0.04,
        phone_format=0.06,
        phone_missing=0.04,
        gender_variant=0.01,
    ),
    # self-reported at a desk, typed by a clerk from speech
    "dynamic": ErrorRates(
        name_variant=0.06,
        name_muhammad=0.08,
        name_honorific=0.08,
        name_honorific_form=0.05,
        name_phonetic=0.08,
        name_typo=0.04,
        name_keyboard=0.03,
        name_abbreviation=0.03,
        name_join_split=0.04,
        name_drop=0.03,
        name_given_only=0.03,
        name_order=0.03,
        name_case=0.06,
        name_urdu=0.02,
        guardian_missing=0.08,
        guardian_prefix=0.08,
        cnic_missing=0.05,
        cnic_missing_female=3.0,
        cnic_digit=0.03,
        cnic_transpose=0.015,
        cnic_husband=0.02,
        dob_year_only=0.15,
        dob_year_only_household=0.15,
        dob_jan1=0.08,
        dob_year_off=0.08,
        dob_day_month=0.03,
        address_reword=0.7,
        district_variant=0.12,
        district_join_split=0.05,
        district_abbreviation=0.05,
        district_typo=0.05,
        district_as_tehsil=0.03,
        tehsil_variant=0.1,
        tehsil_join_split=0.05,
        tehsil_typo=0.05,
        province_variant=0.2,
        uc_variant=0.3,
        phone_format=0.4,
        phone_missing=0.12,
        gender_variant=0.05,
    ),
    # another organisation's spreadsheet, sometimes re-typed from scans
    "partner": ErrorRates(
        name_variant=0.08,
        name_muhammad=0.10,
        name_honorific=0.10,
        name_honorific_form=0.05,
        name_phonetic=0.10,
        name_typo=0.05,
        name_keyboard=0.04,
        name_abbreviation=0.05,
        name_join_split=0.05,
        name_drop=0.04,
        name_given_only=0.03,
        name_order=0.05,
        name_ocr=0.02,
        name_case=0.0,
        name_urdu=0.0,
        guardian_factor=0.9,
        guardian_missing=0.06,
        guardian_prefix=0.15,
        cnic_missing=0.06,
        cnic_missing_female=2.0,
        cnic_digit=0.04,
        cnic_transpose=0.03,
        cnic_husband=0.12,
        dob_year_only=0.08,
        dob_jan1=0.12,
        dob_year_off=0.10,
        dob_day_month=0.05,
        address_reword=0.6,
        district_variant=0.14,
        district_join_split=0.06,
        district_abbreviation=0.06,
        district_typo=0.06,
        district_as_tehsil=0.03,
        phone_format=0.3,
        phone_missing=0.25,
        gender_variant=0.03,
    ),
}


def rng_for(seed: int, source: str, error: str) -> np.random.Generator:
    """An independent, reproducible stream for one error of one source."""
    return np.random.default_rng([seed, zlib.crc32(source.encode()), zlib.crc32(error.encode())])


def _pick(rng: np.random.Generator, n: int, rate: float | np.ndarray) -> np.ndarray:
    return rng.random(n) < rate


# --- names -----------------------------------------------------------------------------------

_MUHAMMAD = {x.lower() for x in (*MUHAMMAD_FORMS, "Muhammad")}
_HONORIFIC = {"bibi", "begum", "khatoon", "bano", "mai", "bi"}
_VOWELS = "aeiou"
_CONSONANTS = "bcdfghjklmnpqrstvwxyz"
_DIGRAPHS = {"kh", "gh", "sh", "ch", "th", "ph", "bh", "dh", "jh", "zh", "rh"}
_ALPHA = re.compile(r"[A-Za-z]+")


def _like(src: str, new: str) -> str:
    """``new`` written in the case style of ``src`` (UPPER, lower or Title)."""
    if len(src) > 1 and src.isupper():
        return new.upper()
    if src.islower():
        return new.lower()
    return new[:1].upper() + new[1:].lower()


def _each(
    names: np.ndarray,
    rng: np.random.Generator,
    rate: float,
    draws: int,
    edit: Callable[[str, np.ndarray], str],
    among: np.ndarray | None = None,
) -> np.ndarray:
    """Apply ``edit(name, uniforms)`` to each record picked at ``rate`` (within ``among``)."""
    out = names.copy()
    pick = _pick(rng, len(names), rate)
    if among is not None:
        pick &= among
    idx = np.flatnonzero(pick)
    u = rng.random((len(idx), draws))
    for j, i in enumerate(idx):
        out[i] = edit(out[i], u[j])
    return out


def _on_token(
    name: str,
    u: float,
    edit: Callable[[str], str | None],
    ok: Callable[[str], bool] = lambda t: len(t) >= 3 and t.isalpha(),
) -> str:
    """Replace one token (chosen by ``u`` among those ``ok`` accepts) by ``edit(token)``."""
    toks = name.split(" ")
    cand = [k for k, t in enumerate(toks) if ok(t)]
    if not cand:
        return name
    k = cand[int(u * len(cand))]
    new = edit(toks[k])
    if new is None:
        return name
    toks[k] = new
    return " ".join(toks)


def name_variant(
    names: np.ndarray, rng: np.random.Generator, rate: float, variants: dict[str, tuple[str, ...]]
) -> np.ndarray:
    """Replace one token by an attested spelling the engine does not know (held out)."""
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


def toggle_muhammad(
    names: np.ndarray, male: np.ndarray, rng: np.random.Generator, rate: float
) -> np.ndarray:
    """Drop a leading Muhammad (in any form) or add one: both happen between registrations."""
    out = names.copy()
    idx = np.flatnonzero(_pick(rng, len(names), rate) & male)
    forms = np.array(["Muhammad"] * 6 + list(MUHAMMAD_FORMS[:2]), dtype=object)
    add_form = rng.choice(forms, len(idx))
    for j, i in enumerate(idx):
        toks = out[i].split(" ")
        if toks[0].lower() in _MUHAMMAD:
            if len(toks) > 1:
                out[i] = " ".join(toks[1:])
        else:
            out[i] = add_form[j] + " " + out[i]
    return out


def toggle_honorific(
    names: np.ndarray, female: np.ndarray, rng: np.random.Generator, rate: float
) -> np.ndarray:
    """Drop a trailing Bibi/Begum/Khatoon, or add Bibi/Begum (replacing a family name half
    the time)."""
    out = names.copy()
    idx = np.flatnonzero(_pick(rng, len(names), rate) & female)
    add = rng.choice(np.array(["Bibi", "Bibi", "Begum"], dtype=object), len(idx))
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


def _honorific_form(name: str, u: np.ndarray) -> str:
    toks = name.split(" ")
    at = [k for k, t in enumerate(toks) if t.lower() in _HONORIFIC]
    if not at:
        return name
    k = at[-1]
    word = toks[k]
    how = int(u[0] * 3)
    if how == 0 and len(toks) > 1:  # placed first: "Bibi Zainab"
        return " ".join([word, *toks[:k], *toks[k + 1 :]])
    if how == 1 and word.lower() == "bibi":  # split: "Bi Bi"
        toks[k] = _like(word, "bi") + " " + _like(word, "bi")
        return " ".join(toks)
    toks[k] = _respell(word, u[1]) if u[2] < 0.6 else _double_letter(word, u[1])
    return " ".join(toks)


def honorific_form(
    names: np.ndarray, female: np.ndarray, rng: np.random.Generator, rate: float
) -> np.ndarray:
    """A woman's honorific written first ("Bibi Zainab"), split ("Bi Bi") or misspelt
    by ear ("Bibbi", "Beebi", "Begam"); names without one are left alone."""
    return _each(names, rng, rate, 3, _honorific_form, among=female)


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
        return tok[:k] + tok[k + 1 :]
    if op == 1:  # doubled letter
        return tok[: k + 1] + tok[k] + tok[k + 1 :]
    if op == 2:  # adjacent letters swapped
        return tok[:k] + tok[k + 1] + tok[k] + tok[k + 2 :]
    pool = _VOWELS if tok[k].lower() in _VOWELS else _CONSONANTS  # a/e, s/z style slips
    c = pool[int(v * len(pool))]
    return tok[:k] + (c.upper() if tok[k].isupper() else c) + tok[k + 1 :]


def typo(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """One keying slip in one token of at least three letters."""
    return _each(
        names,
        rng,
        rate,
        4,
        lambda s, u: _on_token(s, u[0], lambda t: _typo_token(t, int(u[1] * 4), u[2], u[3])),
    )


# Phonetic respellings: how one sound gets written by different hands (regex, replacement).
_PHONETIC: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        ("ee", "i"),
        ("(?<=[^aeiou])i(?=[^aeiou])", "ee"),  # Naveed / Navid
        ("oo", "u"),
        ("(?<=[^aeiou])u(?=[^aeiou])", "oo"),  # Noor / Nur
        ("ou", "u"),
        ("(?<=.)o(?=[^aeiou])", "u"),
        ("^u", "o"),
        ("^o", "u"),  # Yousaf, Usman
        ("ai", "e"),
        ("(?<=[^aeiou])e(?=[^aeiou])", "ai"),  # Zainab / Zenab, Rehana / Raihana
        ("(?<=[^aeiou])a(?=h[^aeiou])", "e"),
        ("(?<=[^aeiou])e(?=h[^aeiou])", "a"),  # Rahman
        (r"([bdfgjklmnprstz])\1", r"\1"),
        (r"(?<=[aeiou])([bdjklmnrst])(?=[aeiou])", r"\1\1"),
        ("q(?!u)", "k"),
        ("qu", "q"),
        ("k(?!h)", "q"),  # Qasim / Kasim, Siddiqui / Siddiqi
        ("(?<=.)z", "s"),
        ("(?<=[aeiou])s(?=[aeiou])", "z"),  # Aziz / Azis, Nasir / Nazir
        ("w", "v"),
        ("v", "w"),  # Waqas / Vaqas, Naveed / Naweed
        ("(?<=[aeiou])h$", ""),
        ("a$", "ah"),  # Sarah / Sara, Ayesha / Ayeshah
        ("iya", "ia"),
        ("(?<=[^aeiou])ia", "iya"),  # Riyaz / Riaz, Zakia / Zakiya
    )
)


@cache
def _respellings(low: str) -> tuple[str, ...]:
    """Every single phonetic respelling of a lower-case token (names repeat: cached)."""
    out = []
    for pattern, repl in _PHONETIC:
        for m in pattern.finditer(low):
            out.append(low[: m.start()] + m.expand(repl) + low[m.end() :])
    return tuple(x for x in out if x and x != low)


def _respell(tok: str, u: float) -> str:
    """One phonetic respelling (chosen by ``u`` among those that apply) of ``tok``."""
    options = _respellings(tok.lower())
    return _like(tok, options[int(u * len(options))]) if options else tok


def _double_letter(tok: str, u: float) -> str:
    k = int(u * len(tok))
    return tok[: k + 1] + tok[k].lower() + tok[k + 1 :]


def phonetic_respelling(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """One token respelt by ear: ee/i, oo/u, ou/u, ai/e, a/e before h, doubled or single
    consonants, q/k, z/s, w/v, final h, iya/ia (Naveed -> Navid, Hassan -> Hasan)."""
    return _each(names, rng, rate, 2, lambda s, u: _on_token(s, u[0], lambda t: _respell(t, u[1])))


_QWERTY = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _qwerty_neighbours() -> dict[str, str]:
    """Keys next to each letter on a QWERTY keyboard (rows staggered by half a key)."""
    pos = {c: (r, i + 0.5 * r) for r, row in enumerate(_QWERTY) for i, c in enumerate(row)}
    return {
        c: "".join(
            d for d, (r2, x2) in pos.items() if d != c and abs(r2 - r) <= 1 and abs(x2 - x) <= 1.0
        )
        for c, (r, x) in pos.items()
    }


_NEIGHBOURS = _qwerty_neighbours()


def _keyboard_token(tok: str, u: np.ndarray) -> str:
    k = int(u[0] * len(tok))
    near = _NEIGHBOURS.get(tok[k].lower(), "")
    if not near:
        return tok
    c = near[int(u[1] * len(near))]
    if u[2] < 0.65:  # the neighbour instead of the letter
        return tok[:k] + (c.upper() if tok[k].isupper() else c) + tok[k + 1 :]
    return tok[: k + 1] + (c.upper() if tok.isupper() else c) + tok[k + 1 :]  # and as well


def keyboard_typo(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """A neighbouring key hit instead of a letter, or as well ("Zubaida" -> "Xubaida",
    "Zubaisda"): keying slips no variant list holds."""
    return _each(
        names, rng, rate, 4, lambda s, u: _on_token(s, u[0], lambda t: _keyboard_token(t, u[1:]))
    )


_OCR: tuple[tuple[str, str], ...] = (
    ("rn", "m"),
    ("m", "rn"),
    ("cl", "d"),
    ("d", "cl"),
    ("vv", "w"),
    ("w", "vv"),
    ("l", "1"),
    ("l", "I"),
    ("I", "l"),
    ("O", "0"),
    ("o", "0"),
)


def _ocr_token(tok: str, u: float) -> str:
    spots = [(a, b, m.start()) for a, b in _OCR for m in re.finditer(re.escape(a), tok)]
    if not spots:
        return tok
    a, b, at = spots[int(u * len(spots))]
    return tok[:at] + b + tok[at + len(a) :]


def ocr_confusion(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """A scanned list read by OCR: rn/m, cl/d, vv/w, l/1/I, O/0 confused in one token."""
    return _each(
        names,
        rng,
        rate,
        2,
        lambda s, u: _on_token(s, u[0], lambda t: _ocr_token(t, u[1]), ok=lambda t: len(t) >= 2),
    )


#: Leading words that get shortened on forms (Muhammad -> M., Ghulam -> Gh.).
_SHORTENED_LEADS = {
    "muhammad",
    "ghulam",
    "abdul",
    "syed",
    "syeda",
    "malik",
    "mian",
    "hafiz",
    "chaudhry",
    "sheikh",
    "allah",
    "noor",
    "mir",
    "rana",
    "raja",
    "sardar",
}


def _abbreviate(name: str, u: np.ndarray) -> str:
    toks = name.split(" ")
    if toks[0].lower() in _SHORTENED_LEADS and len(toks) >= 2:
        k = 0
    elif len(toks) >= 3:  # a middle name: "Shahid I. Anjum"
        k = 1 + int(u[1] * (len(toks) - 2))
    else:
        return name
    tok = toks[k]
    if len(tok) < 4 or not tok.isalpha():
        return name
    style = int(u[2] * 4)
    if style == 0:
        toks[k] = tok[0].upper() + "."
    elif style == 1:
        toks[k] = tok[0].upper()
    elif style == 2:
        toks[k] = tok[:3] + "."
    else:  # consonant stem: Muhammad -> Mhmd, Ghulam -> Ghlm
        stem = tok[0] + "".join(c for c in tok[1:] if c.lower() not in _VOWELS)
        toks[k] = _like(tok, re.sub(r"(.)\1+", r"\1", stem)[:4])
    return " ".join(toks)


def abbreviate(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """A leading word (Muhammad, Ghulam, Syed...) or a middle name written as an initial
    ("M.", "M"), a stem ("Muh.") or its consonants ("Mhmd"); given names stay whole."""
    return _each(names, rng, rate, 3, _abbreviate)


#: Where names come apart when written as two words (Saif Ullah, Gul Naz, Gujran Wala).
_SPLIT_SUFFIXES = (
    "ullah",
    "uddin",
    "uddeen",
    "ud",
    "ur",
    "ul",
    "bakhsh",
    "bux",
    "nawaz",
    "naz",
    "jan",
    "gul",
    "bano",
    "khan",
    "deen",
    "din",
    "zada",
    "zadi",
    "abad",
    "pur",
    "wala",
    "wali",
    "garh",
    "kot",
    "nagar",
    "pura",
    "khel",
    "shah",
    "pindi",
    "gram",
    "ara",
    "zeb",
    "yar",
    "sher",
    "bibi",
    "begum",
    "noor",
    "ali",
)
_SPLIT_PREFIXES = (
    "abdul",
    "abdur",
    "abdus",
    "ghulam",
    "allah",
    "khuda",
    "muhammad",
    "noor",
    "gul",
    "shah",
    "mir",
)


def _split_points(tok: str) -> list[int]:
    low = tok.lower()
    cuts = [len(low) - len(s) for s in _SPLIT_SUFFIXES if low.endswith(s)]
    cuts += [len(p) for p in _SPLIT_PREFIXES if low.startswith(p)]
    cuts = sorted({c for c in cuts if 3 <= c <= len(low) - 2})
    if cuts:
        return cuts
    if len(low) < 7:
        return []
    return [
        k
        for k in range(3, len(low) - 2)  # between two consonants, not inside kh/sh...
        if low[k - 1] not in _VOWELS
        and low[k] not in _VOWELS
        and low[k - 1] != low[k]
        and low[k - 1 : k + 1] not in _DIGRAPHS
    ]


def _split_token(tok: str, u: float) -> str | None:
    cuts = _split_points(tok)
    if not cuts:
        return None
    k = cuts[int(u * len(cuts))]
    return tok[:k] + " " + _like(tok, tok[k:]) if not tok.islower() else tok[:k] + " " + tok[k:]


def _join_split(value: str, u: np.ndarray) -> str:
    toks = value.split(" ")
    if len(toks) >= 2 and (u[0] < 0.5 or not any(_split_points(t) for t in toks)):
        k = int(u[1] * (len(toks) - 1))
        second = toks[k + 1] if toks[k + 1].isupper() else toks[k + 1].lower()
        return " ".join([*toks[:k], toks[k] + second, *toks[k + 2 :]])
    return _on_token(
        value, u[1], lambda t: _split_token(t, u[2]), ok=lambda t: t.isalpha() and len(t) >= 6
    )


def join_split(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Two tokens run together ("Abdulrehman", "Muhammadali") or one long token split
    where it comes apart ("Saif Ullah", "Gul Naz", "Shah Zaib")."""
    return _each(names, rng, rate, 3, _join_split)


def _drop_token(name: str, u: np.ndarray) -> str:
    toks = name.split(" ")
    if len(toks) < 3:
        return name
    k = 1 + int(u[0] * (len(toks) - 1))
    return " ".join(toks[:k] + toks[k + 1 :])


def drop_token(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """A middle or last token of a name of three or more tokens left out."""
    return _each(names, rng, rate, 1, _drop_token)


def _given_only(name: str, u: np.ndarray) -> str:
    toks = name.split(" ")
    start = 1 if len(toks) > 1 and toks[0].lower() in _MUHAMMAD else 0
    return toks[start] if len(toks) > 1 else name


def given_only(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Only the given name written ("Muhammad Naveed Akhtar" -> "Naveed")."""
    return _each(names, rng, rate, 1, _given_only)


def change_case(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """All upper, all lower, or stray spaces (double or trailing)."""
    out = names.copy()
    idx = np.flatnonzero(_pick(rng, len(names), rate))
    how = rng.integers(0, 4, len(idx))
    for j, i in enumerate(idx):
        s = out[i]
        out[i] = (s.upper(), s.lower(), s.replace(" ", "  ", 1), s + " ")[how[j]]
    return out


def to_urdu_script(
    names: np.ndarray, rng: np.random.Generator, rate: float, write: Callable[[str], str]
) -> np.ndarray:
    """Whole name in Urdu script, written by ear (``write`` spells one Latin word)."""
    out = names.copy()
    for i in np.flatnonzero(_pick(rng, len(names), rate)):
        toks = out[i].split()
        if toks and all(_ALPHA.fullmatch(t) for t in toks):
            out[i] = " ".join(write(t) for t in toks)
    return out


def guardian_missing(guardians: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Guardian name left blank (not asked, or the desk form skipped it)."""
    return np.where(_pick(rng, len(guardians), rate), "", guardians).astype(object)


def guardian_prefix(
    guardians: np.ndarray,
    female: np.ndarray,
    married: np.ndarray,
    rng: np.random.Generator,
    rate: float,
) -> np.ndarray:
    """The relation written into the guardian field: "S/O ...", "D/O ...", "W/O ..."."""
    pick = _pick(rng, len(guardians), rate) & (guardians != "")
    kind = np.where(female, np.where(married, 2, 1), 0)
    lower = rng.random(len(guardians)) < 0.3
    rel = np.array([["S/O ", "s/o "], ["D/O ", "d/o "], ["W/O ", "w/o "]], dtype=object)[
        kind, lower.astype(int)
    ]
    return np.where(pick, rel + guardians, guardians).astype(object)


# --- CNIC ------------------------------------------------------------------------------------


def _digits(cnic: np.ndarray) -> np.ndarray:
    return np.frombuffer("".join(cnic).encode("ascii"), dtype=np.uint8).reshape(-1, 13).copy()


def _undigits(mat: np.ndarray) -> np.ndarray:
    return np.array([bytes(r).decode("ascii") for r in mat], dtype=object)


def cnic_missing(
    cnic: np.ndarray,
    female: np.ndarray,
    rng: np.random.Generator,
    rate: float,
    female_factor: float,
) -> np.ndarray:
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


def cnic_of_husband(
    cnic: np.ndarray,
    husband_cnic: np.ndarray,
    married_female: np.ndarray,
    rng: np.random.Generator,
    rate: float,
) -> np.ndarray:
    """A wife listed under her husband's CNIC (common in beneficiary lists)."""
    pick = _pick(rng, len(cnic), rate) & married_female & (husband_cnic != "")
    return np.where(pick, husband_cnic, cnic).astype(object)


# --- dates of birth --------------------------------------------------------------------------


def dob_year_only(
    prec: np.ndarray,
    household: np.ndarray,
    rng: np.random.Generator,
    rate: float,
    household_rate: float,
) -> np.ndarray:
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


def dob_day_month(
    month: np.ndarray, day: np.ndarray, rng: np.random.Generator, rate: float
) -> tuple[np.ndarray, np.ndarray]:
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
_WORD_RE = re.compile(
    r"\b("
    + "|".join(re.escape(w) for w in sorted(_ADDRESS_WORDS, key=len, reverse=True))
    + r")(?=[\s,]|$)"
)


def _reword(addr: str, u: np.ndarray) -> str:
    """Apply 1-3 rephrasings to one address; ``u`` holds the random numbers to use."""
    out = _WORD_RE.sub(
        lambda m: (
            _ADDRESS_WORDS[m.group(1)][int(u[0] * len(_ADDRESS_WORDS[m.group(1)]))]
            if u[1] < 0.8
            else m.group(1)
        ),
        addr,
    )
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


def _respell_place(value: str, table: dict[str, tuple[str, ...]], u: np.ndarray) -> str:
    options = table.get(value, ())
    if options and u[0] < 0.7:
        return options[int(u[1] * len(options))]
    k = int(u[2] * 5)
    return (
        value.upper(),
        value.lower(),
        value.replace(" ", "  ") + " ",
        "Distt. " + value,
        value + " District",
    )[k]


def district_variant(districts: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """District misspelt from the generator's own list (Larkhana, Multaan), or written in
    upper or lower case, with stray spaces, "Distt. X" or "X District"."""
    out = districts.copy()
    idx = np.flatnonzero(_pick(rng, len(districts), rate))
    u = rng.random((len(idx), 3))
    for j, i in enumerate(idx):
        out[i] = _respell_place(out[i], DISTRICT_VARIANTS, u[j])
    return out


def place_join_split(values: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Words of a place run together ("Rahimyar Khan", "TobaTek Singh") or one word split
    where it comes apart ("Gujran Wala", "Faisal Abad", "Muzaffar Garh")."""
    return _each(values, rng, rate, 3, _join_split)


def _initials(value: str, u: np.ndarray) -> str:
    """The place's initials or code, unless the engine's hand alias list has it."""
    code = _initials_of(value, u)
    return code if generator_may_write_place(code) else value


def _initials_of(value: str, u: np.ndarray) -> str:
    words = value.split()
    if len(words) == 1:  # a three-letter code: Lahore -> LHR, Hyderabad -> HYD
        w = words[0]
        code = w[0] + "".join(c for c in w[1:] if c.lower() not in _VOWELS)
        return code[:3].upper() if len(w) >= 6 and len(code) >= 3 else value
    heads = [w[0].upper() for w in words[:-1]]
    if len(words) >= 3 and u[0] < 0.2:  # all initials: RYK, DGK
        return "".join(heads) + words[-1][0].upper()
    style = int(u[1] * 4)  # R.Y. Khan, RY Khan, R Y Khan, R.Y.Khan
    lead = (".".join(heads) + ".", "".join(heads), " ".join(heads), ".".join(heads) + ".")[style]
    return lead + ("" if style == 3 else " ") + words[-1]


def place_abbreviation(values: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """A place written with initials for its leading words ("R.Y. Khan", "D G Khan",
    "T.T. Singh", "RYK"), or a one-word place as a three-letter code ("LHR")."""
    return _each(values, rng, rate, 2, _initials)


def _place_typo(value: str, u: np.ndarray) -> str:
    return _on_token(
        value,
        u[0],
        lambda t: _typo_token(t, int(u[1] * 3), u[2], u[3]),
        ok=lambda t: len(t) >= 4 and t.isalpha(),
    )


def place_typo(values: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """One letter dropped, doubled or transposed in one word of a place ("Sailkot")."""
    return _each(values, rng, rate, 4, _place_typo)


def district_as_tehsil(
    districts: np.ndarray, tehsils: np.ndarray, rng: np.random.Generator, rate: float
) -> np.ndarray:
    """The tehsil (the town people name) written where the district should be."""
    return np.where(_pick(rng, len(districts), rate), tehsils, districts).astype(object)


def tehsil_variant(tehsils: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Tehsil in upper or lower case, or with the word: "Tehsil X", "X Tehsil", "Teh. X"."""
    out = tehsils.copy()
    idx = np.flatnonzero(_pick(rng, len(tehsils), rate))
    how = rng.integers(0, 5, len(idx))
    for j, i in enumerate(idx):
        v = out[i]
        out[i] = (v.upper(), v.lower(), "Tehsil " + v, v + " Tehsil", "Teh. " + v)[how[j]]
    return out


def province_variant(provinces: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Province misspelt from the generator's own list, as initials ("K.P.", "ICT") or in
    capitals."""
    out = provinces.copy()
    idx = np.flatnonzero(_pick(rng, len(provinces), rate))
    u = rng.random((len(idx), 2))
    for j, i in enumerate(idx):
        v = out[i]
        opts = PROVINCE_VARIANTS.get(v, ())
        words = v.split()
        if opts and u[j, 0] < 0.6:
            out[i] = opts[int(u[j, 1] * len(opts))]
        elif len(words) > 1 and u[j, 0] < 0.8:
            initials = [w[0].upper() for w in words]
            out[i] = ".".join(initials) + "." if u[j, 1] < 0.5 else "".join(initials)
        else:
            out[i] = v.upper()
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


def phone_format(
    fmt: np.ndarray, phone: np.ndarray, rng: np.random.Generator, rate: float
) -> np.ndarray:
    """Another of the six ways a mobile number gets written (for records with a number)."""
    other = (fmt + rng.integers(1, PHONE_FORMATS, len(fmt))) % PHONE_FORMATS
    return np.where(_pick(rng, len(fmt), rate) & (phone != ""), other, fmt)


def phone_missing(phone: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Number not given."""
    return np.where(_pick(rng, len(phone), rate), "", phone).astype(object)


def gender_variant(
    gender: np.ndarray, female: np.ndarray, rng: np.random.Generator, rate: float
) -> np.ndarray:
    """Gender blank (a third of cases) or written in another convention, incl. Urdu."""
    pick = _pick(rng, len(gender), rate)
    style = rng.integers(0, len(GENDER_LABELS), len(gender))
    labels = np.array(GENDER_LABELS, dtype=object)[style, female.astype(int)]
    labels = np.where(rng.random(len(gender)) < 1 / 3, "", labels)
    return np.where(pick, labels, gender).astype(object)


# --- orchestration ---------------------------------------------------------------------------


def _per_household(
    fn: Callable[..., np.ndarray], values: np.ndarray, household: np.ndarray, *others: np.ndarray
) -> np.ndarray:
    """Apply ``fn`` to one value per household (and the household's ``others``) and copy
    the result to all members."""
    _, first, inverse = np.unique(household, return_index=True, return_inverse=True)
    return fn(values[first], *(o[first] for o in others))[inverse]


def apply_errors(
    rec: dict[str, np.ndarray],
    rates: ErrorRates,
    seed: int,
    source: str,
    variants: dict[str, tuple[str, ...]],
    urdu: Callable[[str], str],
    log: dict[str, dict[str, int]] | None = None,
) -> dict[str, np.ndarray]:
    """Return a copy of the record columns ``rec`` with this source's errors applied.

    ``rec`` holds clean structured values: ``full_name``, ``guardian_name``, ``cnic``
    (13 digits or ""), ``husband_cnic``, ``female``, ``married``, ``year``/``month``/
    ``day``/``precision``, ``household`` (codes 0..k-1), ``address``, ``district``,
    ``tehsil``, ``province``, ``union_council``, ``phone`` (10 digits or ""),
    ``phone_fmt``, ``gender``.  ``variants`` are the held-out attested spellings per
    token, ``urdu`` writes one Latin word in Urdu script.  ``log[source][error]`` counts
    records each error changed.
    """
    out = {k: v.copy() for k, v in rec.items()}
    counts = log.setdefault(source, {}) if log is not None else {}
    counts["records"] = counts.get("records", 0) + len(rec["female"])
    female, married, hh = rec["female"], rec["married"], rec["household"]
    r = rates

    def run(
        error: str, column: str, fn: Callable[[np.ndarray, np.random.Generator], np.ndarray]
    ) -> None:
        new = fn(out[column], rng_for(seed, source, error))
        counts[error] = counts.get(error, 0) + int((new != out[column]).sum())
        out[column] = new

    def name_errors(scale: float, male: np.ndarray, fem: np.ndarray) -> list[tuple[str, Callable]]:
        return [
            ("name_variant", lambda v, g: name_variant(v, g, r.name_variant * scale, variants)),
            ("name_muhammad", lambda v, g: toggle_muhammad(v, male, g, r.name_muhammad * scale)),
            ("name_honorific", lambda v, g: toggle_honorific(v, fem, g, r.name_honorific * scale)),
            (
                "name_honorific_form",
                lambda v, g: honorific_form(v, fem, g, r.name_honorific_form * scale),
            ),
            ("name_phonetic", lambda v, g: phonetic_respelling(v, g, r.name_phonetic * scale)),
            ("name_typo", lambda v, g: typo(v, g, r.name_typo * scale)),
            ("name_keyboard", lambda v, g: keyboard_typo(v, g, r.name_keyboard * scale)),
            ("name_abbreviation", lambda v, g: abbreviate(v, g, r.name_abbreviation * scale)),
            ("name_join_split", lambda v, g: join_split(v, g, r.name_join_split * scale)),
            ("name_drop", lambda v, g: drop_token(v, g, r.name_drop * scale)),
            ("name_given_only", lambda v, g: given_only(v, g, r.name_given_only * scale)),
            ("name_order", lambda v, g: swap_name_order(v, g, r.name_order * scale)),
            ("name_ocr", lambda v, g: ocr_confusion(v, g, r.name_ocr * scale)),
            ("name_case", lambda v, g: change_case(v, g, r.name_case * scale)),
            ("name_urdu", lambda v, g: to_urdu_script(v, g, r.name_urdu * scale, urdu)),
        ]

    for error, fn in name_errors(1.0, ~female, female):
        run(error, "full_name", fn)
    everyone, nobody = np.ones(len(female), bool), np.zeros(len(female), bool)
    run(
        "guardian_missing", "guardian_name", lambda v, g: guardian_missing(v, g, r.guardian_missing)
    )
    for error, fn in name_errors(r.guardian_factor, everyone, nobody):
        if "honorific" not in error:  # guardians are men
            run("guardian_" + error, "guardian_name", fn)
    run(
        "guardian_prefix",
        "guardian_name",
        lambda v, g: guardian_prefix(v, female, married, g, r.guardian_prefix),
    )

    run(
        "cnic_husband",
        "cnic",
        lambda v, g: cnic_of_husband(v, rec["husband_cnic"], female & married, g, r.cnic_husband),
    )
    run(
        "cnic_missing",
        "cnic",
        lambda v, g: cnic_missing(v, female, g, r.cnic_missing, r.cnic_missing_female),
    )
    run("cnic_digit", "cnic", lambda v, g: cnic_wrong_digit(v, g, r.cnic_digit))
    run("cnic_transpose", "cnic", lambda v, g: cnic_transpose(v, g, r.cnic_transpose))

    run(
        "dob_year_only",
        "precision",
        lambda v, g: dob_year_only(v, hh, g, r.dob_year_only, r.dob_year_only_household),
    )
    run("dob_jan1", "precision", lambda v, g: dob_jan1(v, g, r.dob_jan1))
    run("dob_year_off", "year", lambda v, g: dob_year_off(v, g, r.dob_year_off))
    month, day = dob_day_month(
        out["month"], out["day"], rng_for(seed, source, "dob_day_month"), r.dob_day_month
    )
    counts["dob_day_month"] = counts.get("dob_day_month", 0) + int((day != out["day"]).sum())
    out["month"], out["day"] = month, day

    tehsil = rec.get("tehsil")
    household_errors = (
        ("address", "address_reword", lambda v, g: reword_address(v, g, r.address_reword)),
        ("district", "district_variant", lambda v, g: district_variant(v, g, r.district_variant)),
        (
            "district",
            "district_join_split",
            lambda v, g: place_join_split(v, g, r.district_join_split),
        ),
        (
            "district",
            "district_abbreviation",
            lambda v, g: place_abbreviation(v, g, r.district_abbreviation),
        ),
        ("district", "district_typo", lambda v, g: place_typo(v, g, r.district_typo)),
        ("tehsil", "tehsil_variant", lambda v, g: tehsil_variant(v, g, r.tehsil_variant)),
        ("tehsil", "tehsil_join_split", lambda v, g: place_join_split(v, g, r.tehsil_join_split)),
        ("tehsil", "tehsil_typo", lambda v, g: place_typo(v, g, r.tehsil_typo)),
        ("province", "province_variant", lambda v, g: province_variant(v, g, r.province_variant)),
        ("union_council", "uc_variant", lambda v, g: uc_variant(v, g, r.uc_variant)),
    )
    if tehsil is not None:  # before the district's own errors: the clean tehsil, as said
        run(
            "district_as_tehsil",
            "district",
            lambda v, g: _per_household(
                lambda d, t: district_as_tehsil(d, t, g, r.district_as_tehsil), v, hh, tehsil
            ),
        )
    for col, error, fn in household_errors:
        if col in out:
            run(error, col, lambda v, g, f=fn: _per_household(lambda x: f(x, g), v, hh))

    run("phone_missing", "phone", lambda v, g: phone_missing(v, g, r.phone_missing))
    run("phone_format", "phone_fmt", lambda v, g: phone_format(v, out["phone"], g, r.phone_format))
    run("gender_variant", "gender", lambda v, g: gender_variant(v, female, g, r.gender_variant))
    return out
