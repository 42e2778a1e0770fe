"""Province, district, tehsil and union council -> reference names and keys.

* **Province** -> one of ``PROVINCES`` (the names stdnum uses for CNIC digits, with
  Azad Kashmir added): NWFP/KPK/KP/Sarhad -> Khyber Pakhtunkhwa, Sind -> Sindh,
  Baluchistan -> Balochistan, ICT/Islamabad Capital Territory -> Islamabad, AJK/Azad
  Jammu and Kashmir -> Azad Kashmir, GB/Northern Areas -> Gilgit-Baltistan, Tribal
  Areas -> FATA; Urdu names too.
* **District** -> lower-case reference name: the 135 PBS 2017 census districts
  (``districts()``) plus the AJK and Gilgit-Baltistan districts of
  ``admin_hierarchy()``. Matching goes: exact key (case, dots, spacing and words like
  "District"/"Distt"/"Zila" ignored, so D.G. Khan = DG Khan) -> hand aliases (old and
  colloquial names and abbreviations: Lyallpur, Nawabshah, Larkano, RY Khan, Fsd...,
  plus the district seats admin_hierarchy names: Turbat -> Kech) -> rapidfuzz ratio
  >= 85 with a 5-point lead over the runner-up -> same phonetic key word by word
  (Badeen = Badin, Chaghi = Chagai; keys two districts share are not used) -> exact
  match with an end word dropped or the first word moved last (Jhang Sadar, Sahiwal
  Punjab, East Karachi). The fuzzy, phonetic and word-drop steps only consider the
  districts of the stated province when it is known. Anything else keeps its cleaned
  lower-case text ("karachi" is not guessed into one of Karachi's six districts).
* **Tehsil** -> cleaned lower-case key, replaced by the reference spelling
  (``tehsils()``, then ``admin_hierarchy()``) when the same or a close name
  (ratio >= 85) exists in the record's district.
* **Union council** -> cleaned lower-case key without "UC"/"Union Council"/"No." and
  without leading zeros in numbers: "UC-012" and "Union Council No. 12" -> "12".

Unknown values are never dropped: they come back cleaned.
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd
from rapidfuzz import fuzz, process

from linkage import reference
from linkage.standardise._common import STRING, on_unique_pairs, on_uniques, text_or_none
from linkage.standardise.name_rules import fold_urdu
from linkage.standardise.phonetic import name_key

__all__ = [
    "PROVINCES",
    "place_key",
    "standardise_district",
    "standardise_province",
    "standardise_tehsil",
    "standardise_uc",
]

PROVINCES = (
    "Punjab", "Sindh", "Khyber Pakhtunkhwa", "Balochistan", "FATA", "Islamabad",
    "Gilgit-Baltistan", "Azad Kashmir",
)
FUZZY_CUTOFF = 85
FUZZY_MARGIN = 5

_PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "Punjab": ("punjab", "panjab", "pb", "pjb", "punjab province", "پنجاب"),
    "Sindh": ("sindh", "sind", "sindh province", "سندھ"),
    "Khyber Pakhtunkhwa": (
        "khyber pakhtunkhwa", "khyber pakhtoonkhwa", "khyber pukhtunkhwa",
        "khyber pakhtunkhawa", "khyber pakhtunkha", "khyber pukhtoonkhwa", "pakhtunkhwa",
        "kp", "kpk", "nwfp", "north west frontier province", "sarhad", "frontier",
        "خیبر پختونخوا", "خیبر پختونخواہ", "سرحد",
    ),
    "Balochistan": ("balochistan", "baluchistan", "blochistan", "bolochistan", "بلوچستان"),
    "FATA": (
        "fata", "tribal areas", "federally administered tribal areas", "ex fata",
        "merged districts", "newly merged districts", "kp merged districts", "merged areas",
        "فاٹا", "قبائلی علاقہ جات",
    ),
    "Islamabad": (
        "islamabad", "ict", "islamabad capital territory", "federal capital territory",
        "capital territory", "federal capital", "federal", "fct", "اسلام آباد",
    ),
    "Gilgit-Baltistan": (
        "gilgit baltistan", "gb", "gilgit", "northern areas", "fana", "گلگت بلتستان",
    ),
    "Azad Kashmir": (
        "azad kashmir", "ajk", "ak", "azad jammu and kashmir", "azad jammu kashmir",
        "state of azad jammu and kashmir", "kashmir", "آزاد کشمیر", "آزاد جموں و کشمیر",
    ),
}

#: Old, colloquial and abbreviated district names -> reference district (lower case).
_DISTRICT_ALIASES: dict[str, str] = {
    **dict.fromkeys(("dg khan", "dgk", "dera ghazi", "dera gazi khan"), "dera ghazi khan"),
    **dict.fromkeys(("di khan", "dik", "dera ismail", "dera ismael khan"), "dera ismail khan"),
    **dict.fromkeys(("ry khan", "ryk", "rahimyar khan", "rahim yar"), "rahim yar khan"),
    **dict.fromkeys(("tt singh", "toba tek sing", "toba"), "toba tek singh"),
    **dict.fromkeys(("rawal pindi", "pindi", "rwp"), "rawalpindi"),
    **dict.fromkeys(("thar parkar", "thar", "tharparker", "mithi"), "tharparkar"),
    **dict.fromkeys(("nowshehra", "naushera", "noshera"), "nowshera"),
    **dict.fromkeys(("larkano",), "larkana"),
    **dict.fromkeys(("hydrabad", "hyderbad"), "hyderabad"),
    **dict.fromkeys(("lyallpur", "lyalpur", "faisal abad"), "faisalabad"),
    **dict.fromkeys(("muzafargarh", "muzaffar garh", "muzafar garh"), "muzaffargarh"),
    **dict.fromkeys(("shekhupura", "sheikhpura", "shaikhupura"), "sheikhupura"),
    **dict.fromkeys(
        ("nawabshah", "nawab shah", "benazirabad", "shaheed benazir abad", "sba"),
        "shaheed benazirabad",
    ),
    **dict.fromkeys(("mirpurkhas",), "mirpur khas"),
    **dict.fromkeys(("umerkot", "umarkot", "umar kot", "amarkot"), "umer kot"),
    **dict.fromkeys(
        ("kambar shahdadkot", "qambar shahdadkot", "qambar shahdad kot", "kambar", "qambar",
         "kamber", "shahdadkot"),
        "kambar shahdad kot",
    ),
    **dict.fromkeys(
        ("naushero feroz", "naushero feroze", "nausharo feroze", "noshero feroze", "noshero feroz",
         "nowshero feroze", "naushahro feroz"),
        "naushahro feroze",
    ),
    **dict.fromkeys(("tando allah yar",), "tando allahyar"),
    **dict.fromkeys(("tando mohammad khan", "tmk", "tm khan"), "tando muhammad khan"),
    **dict.fromkeys(("mandi baha ud din", "mb din", "mandi bahaudin"), "mandi bahauddin"),
    **dict.fromkeys(("nankana",), "nankana sahib"),
    **dict.fromkeys(("qasur",), "kasur"),
    **dict.fromkeys(("pak pattan",), "pakpattan"),
    **dict.fromkeys(("bolan", "kachhi bolan", "kachi"), "kachhi"),
    **dict.fromkeys(("jafarabad", "jaferabad"), "jaffarabad"),
    **dict.fromkeys(("qila abdullah", "qilla abdullah", "killa abdulla"), "killa abdullah"),
    **dict.fromkeys(("qila saifullah", "qilla saifullah"), "killa saifullah"),
    **dict.fromkeys(("musa khel",), "musakhel"),
    **dict.fromkeys(("las bela",), "lasbela"),
    **dict.fromkeys(("malakand", "malakand pa"), "malakand protected area"),
    **dict.fromkeys(("lakki",), "lakki marwat"),
    **dict.fromkeys(("abbotabad", "abottabad", "abbottabad"), "abbottabad"),
    **dict.fromkeys(("n waziristan",), "north waziristan"),
    **dict.fromkeys(("s waziristan",), "south waziristan"),
    **dict.fromkeys(("sheerani",), "sherani"),
    **dict.fromkeys(("fr di khan", "fr dera ismail khan"), "fr d.i. khan"),
    **dict.fromkeys(("ict", "isb", "isd", "islamabad capital territory"), "islamabad"),
    # common abbreviations and old or colloquial spellings
    **dict.fromkeys(("lhr",), "lahore"),
    **dict.fromkeys(("fsd", "faislabad"), "faisalabad"),
    **dict.fromkeys(("mzg", "mzgh"), "muzaffargarh"),
    **dict.fromkeys(("pesh", "psh", "peshawer"), "peshawar"),
    **dict.fromkeys(("bwn", "bahawal nagar"), "bahawalnagar"),
    **dict.fromkeys(("bwp", "bahawal pur"), "bahawalpur"),
    **dict.fromkeys(("mooltan", "mtn"), "multan"),
    **dict.fromkeys(("grw", "gujranwalla"), "gujranwala"),
    **dict.fromkeys(("skt", "sialkote"), "sialkot"),
    **dict.fromkeys(("sgd",), "sargodha"),
    **dict.fromkeys(("hyd", "haiderabad"), "hyderabad"),
    **dict.fromkeys(("qta",), "quetta"),
    **dict.fromkeys(("lucky marwat",), "lakki marwat"),
    **dict.fromkeys(("jekababad", "jacobabad"), "jacobabad"),
    **dict.fromkeys(("kandhkot",), "kashmore"),
    **dict.fromkeys(("maleer",), "malir"),
    **dict.fromkeys(("khaibar",), "khyber"),
}

#: Urdu words for the compass points in "Karachi Gharbi" (Karachi West) and the like.
_DIRECTION_WORDS = {
    "gharbi": "west", "sharqi": "east", "wasti": "central", "junubi": "south",
    "janubi": "south", "shumali": "north", "shimali": "north",
}

_SUFFIXES = re.compile(
    r"\b(?:district|distt|dist|zila|zilla|agency|tehsil|tahsil|taluka|taluqa|sub tehsil|"
    r"sub division|subdivision)\b"
)
_SEAT = re.compile(r"\(\s*at\b[^)]*\)", re.IGNORECASE)
_INITIALS = re.compile(r"\b([a-z])\s+(?=[a-z]\b)")


def place_key(text: str) -> str:
    """Lower case, dots closed up, other punctuation -> space, single letters joined.

    >>> place_key("D.G. Khan"), place_key("D. G.  Khan"), place_key("Rahim-Yar Khan")
    ('dg khan', 'dg khan', 'rahim yar khan')
    """
    text = fold_urdu(text.lower()).replace("&", " and ").replace(".", "")
    text = re.sub(r"[^\w\s]|_", " ", text)
    text = " ".join(text.split())
    return _INITIALS.sub(r"\1", text)


def admin_key(text: str) -> str:
    """``place_key`` without an "(AT seat)" note and words like District, Distt, Zila.

    >>> admin_key("UPPER DIR (AT DIR)"), admin_key("Lahore Distt."), admin_key("Tehsil")
    ('upper dir', 'lahore', 'tehsil')
    >>> admin_key("Karachi (East)")
    'karachi east'
    """
    key = place_key(text)
    stripped = " ".join(_SUFFIXES.sub(" ", place_key(_SEAT.sub(" ", text))).split())
    return stripped or key


def _compact(key: str) -> str:
    return key.replace(" ", "")


# --- provinces --------------------------------------------------------------------------


@cache
def _province_lookup() -> dict[str, str]:
    lookup = {}
    for province, aliases in _PROVINCE_ALIASES.items():
        for alias in (province, *aliases):
            key = place_key(alias)
            lookup[key] = province
            lookup[_compact(key)] = province
    return lookup


def _province_one(value: str | None) -> str | None:
    text = text_or_none(value)
    if text is None:
        return None
    key = place_key(text)
    key = re.sub(r"\bprovince\b", "", key).strip() or key
    lookup = _province_lookup()
    found = lookup.get(key) or lookup.get(_compact(key))
    if found is None and len(key) >= 5:
        match = process.extractOne(key, list(lookup), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        found = lookup[match[0]] if match else None
    return found or key or None


def standardise_province(province: pd.Series) -> pd.Series:
    """``province_std``: a name from ``PROVINCES``, else the cleaned lower-case text.

    >>> standardise_province(pd.Series(["NWFP", "Sind", "K.P.K", "baluchistan", "ICT",
    ...                                 "A.J.K", "Northern Areas", "Punjaab", None])).tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['Khyber Pakhtunkhwa', 'Sindh', 'Khyber Pakhtunkhwa', 'Balochistan', 'Islamabad',
     'Azad Kashmir', 'Gilgit-Baltistan', 'Punjab', <NA>]
    """
    return on_uniques(
        province, lambda d: pd.Series([_province_one(v) for v in d], dtype=STRING)
    )


# --- districts --------------------------------------------------------------------------


@cache
def district_reference() -> dict[str, str]:
    """Reference district (lower case) -> its province (one of ``PROVINCES``)."""
    table = reference.districts()
    out = {
        name.lower(): _province_one(province)
        for name, province in zip(table["district_name"], table["province"], strict=True)
    }
    admin = reference.admin_hierarchy()
    outside_census = admin[admin["province"].isin(["AZAD KASHMIR", "GILGIT BALTISTAN"])]
    for district, province in zip(outside_census["district"], outside_census["province"],
                                  strict=True):
        out.setdefault(admin_key(district), _province_one(province))
    return out


@cache
def _district_lookup() -> dict[str, str]:
    """Cleaned key (and its space-free form) -> reference district, for exact lookups.

    Holds the reference names, the hand aliases, and the district seats named in
    admin_hierarchy ("KECH (AT TURBAT)": Turbat -> kech) unless a seat's name is
    itself a district ("KHYBER (AT PESHAWAR)").
    """
    lookup = {admin_key(name): name for name in district_reference()}
    lookup.update({place_key(alias): name for alias, name in _DISTRICT_ALIASES.items()})
    lookup.update({_compact(k): v for k, v in list(lookup.items()) if _compact(k) not in lookup})
    for district in reference.admin_hierarchy()["district"].unique():
        seat = re.search(r"\(AT ([^)]*)\)", district)
        name = lookup.get(_compact(admin_key(district)))
        if seat and name:
            lookup.setdefault(place_key(seat.group(1)), name)
    return lookup


@cache
def _districts_by_province() -> dict[str | None, dict[str, str]]:
    """Fuzzy-match candidates (cleaned key -> name), per province and overall (None)."""
    groups: dict[str | None, dict[str, str]] = {None: {}}
    for name, province in district_reference().items():
        key = admin_key(name)
        groups[None][key] = name
        groups.setdefault(province, {})[key] = name
    return groups


def fuzzy_pick(key: str, choices: dict[str, str]) -> str | None:
    """The choice whose key is close to ``key`` (ratio >= 85, 5 points ahead), else None.

    >>> fuzzy_pick("muzafargarh", {"muzaffargarh": "muzaffargarh", "multan": "multan"})
    'muzaffargarh'
    >>> fuzzy_pick("karachi", {"karachi east": "karachi east", "karachi west": "karachi west"})
    """
    found = process.extract(key, list(choices), scorer=fuzz.ratio, limit=2,
                            score_cutoff=FUZZY_CUTOFF)
    if not found or (len(found) == 2 and found[0][1] - found[1][1] < FUZZY_MARGIN):
        return None
    return choices[found[0][0]]


def sound_key(key: str) -> str:
    """Phonetic key of a place name, word by word (``name_key``): Badeen = Badin.

    >>> sound_key("naseerabad") == sound_key("nasirabad"), sound_key("chaghi")
    (True, 'Cg')
    """
    return " ".join(name_key(word) for word in key.split())


@cache
def _districts_by_sound() -> dict[str | None, dict[str, str]]:
    """Phonetic key -> district, per province and overall; keys that two districts share
    are left out so that a sound-alike never picks one of them at random."""
    groups: dict[str | None, dict[str, str]] = {}
    for province, choices in _districts_by_province().items():
        names_by_key: dict[str, set[str]] = {}
        for key, name in choices.items():
            names_by_key.setdefault(sound_key(key), set()).add(name)
        groups[province] = {k: v.pop() for k, v in names_by_key.items() if len(v) == 1}
    return groups


def _exact(key: str) -> str | None:
    lookup = _district_lookup()
    return lookup.get(key) or lookup.get(_compact(key))


def _partial(key: str, province: str | None) -> str | None:
    """Exact match of the key with one end word dropped ("Jhang Sadar", "Sahiwal Punjab",
    "Karachi Malir") or the first word moved last ("East Karachi"); a match outside the
    stated province is refused."""
    words = key.split()
    if len(words) < 2:
        return None
    for candidate in (" ".join(words[1:] + words[:1]), " ".join(words[:-1]),
                      " ".join(words[1:])):
        found = _exact(candidate)
        if found and (province not in PROVINCES or district_reference().get(found) == province):
            return found
    return None


def _district_one(value: str | None, province: str | None) -> str | None:
    text = text_or_none(value)
    if text is None:
        return None
    key = " ".join(_DIRECTION_WORDS.get(w, w) for w in admin_key(text).split())
    found = _exact(key)
    if found is None and len(key) >= 4:
        groups = _districts_by_province()
        found = fuzzy_pick(key, groups.get(province) or groups[None])
    if found is None and len(key) >= 4:
        sounds = _districts_by_sound()
        found = (sounds.get(province) or sounds[None]).get(sound_key(key))
    if found is None:
        found = _partial(key, province)
    return found or key or None


def standardise_district(district: pd.Series, province_std: pd.Series | None = None) -> pd.Series:
    """``district_std``: reference district (lower case), else the cleaned text.

    ``province_std`` (output of ``standardise_province``) narrows the fuzzy match.

    >>> standardise_district(pd.Series(["D.G. Khan", "Larkano", "RY Khan", "T.T. Singh",
    ...                                 "Rawal Pindi", "Lyallpur", "Lahore Distt.", "Karachi",
    ...                                 "Muzafargarh", "Peshawer", None])).tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['dera ghazi khan', 'larkana', 'rahim yar khan', 'toba tek singh', 'rawalpindi',
     'faisalabad', 'lahore', 'karachi', 'muzaffargarh', 'peshawar', <NA>]
    """
    if province_std is None:
        province_std = pd.Series(None, index=district.index, dtype=object)

    def run(districts: pd.Series, provinces: pd.Series) -> pd.Series:
        return pd.Series(
            [_district_one(d, p) for d, p in zip(districts, provinces, strict=True)],
            dtype=STRING,
        )

    return on_unique_pairs(district, province_std, run)


# --- tehsils and union councils -----------------------------------------------------------


@cache
def _tehsils_by_district() -> dict[str, dict[str, str]]:
    """Reference district -> {cleaned tehsil key: reference tehsil name (lower case)}."""
    out: dict[str, dict[str, str]] = {}
    census = reference.tehsils()
    admin = reference.admin_hierarchy()
    rows = [
        *zip(census["district_pbs2017"], census["tehsil_name"], strict=True),
        *zip(admin["district"], admin["tehsil"], strict=True),
    ]
    for district, tehsil in rows:
        district_std = _district_one(district, None)
        key = admin_key(tehsil)
        if district_std and key:
            out.setdefault(district_std, {}).setdefault(key, key)
    for tehsils in out.values():
        tehsils.update({_compact(k): v for k, v in list(tehsils.items())})
    return out


def _tehsil_one(value: str | None, district: str | None) -> str | None:
    text = text_or_none(value)
    if text is None:
        return None
    key = admin_key(text)
    known = _tehsils_by_district().get(district or "", {})
    found = known.get(key) or known.get(_compact(key))
    if found is None and known and len(key) >= 4:
        found = fuzzy_pick(key, known)
    return found or key or None


def standardise_tehsil(tehsil: pd.Series, district_std: pd.Series | None = None) -> pd.Series:
    """``tehsil_std``: cleaned key, reference spelling when close within the district.

    >>> standardise_tehsil(pd.Series(["Fort Abas", "Chishtian Tehsil", "Sadar"]),
    ...                    pd.Series(["bahawalnagar"] * 3)).tolist()
    ['fort abbas', 'chishtian', 'sadar']
    """
    if district_std is None:
        district_std = pd.Series(None, index=tehsil.index, dtype=object)

    def run(tehsils: pd.Series, districts: pd.Series) -> pd.Series:
        return pd.Series(
            [_tehsil_one(t, d) for t, d in zip(tehsils, districts, strict=True)], dtype=STRING
        )

    return on_unique_pairs(tehsil, district_std, run)


_UC_WORDS = re.compile(r"\b(?:union council|unioncouncil|uc|u c|no|number|nmbr)\b")
_LEADING_ZEROS = re.compile(r"\b0+(?=\d)")


def _uc_one(value: str | None) -> str | None:
    text = text_or_none(value)
    if text is None:
        return None
    key = place_key(text.replace("#", " "))
    key = " ".join(_LEADING_ZEROS.sub("", _UC_WORDS.sub(" ", key)).split())
    return key or None


def standardise_uc(union_council: pd.Series) -> pd.Series:
    """``uc_std``: cleaned union-council key.

    >>> standardise_uc(pd.Series(["UC-012", "Union Council No. 12", "U.C. Chak 45 JB", ""])
    ...                ).tolist()
    ['12', '12', 'chak 45 jb', <NA>]
    """
    return on_uniques(
        union_council, lambda d: pd.Series([_uc_one(v) for v in d], dtype=STRING)
    )
