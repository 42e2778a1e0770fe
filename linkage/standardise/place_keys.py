"""Place names as text -> keys: cleaning, compact and phonetic forms, abbreviations, provinces.

Nothing here knows the gazetteer; ``gazetteer`` builds its indices from these keys and
looks a written name up by the same keys, so a name and its variants meet on:

* ``admin_key``: lower case, dots closed up, punctuation as spaces, single letters joined
  ("D. G. Khan" -> "dg khan"), words like District/Distt/Zila/Tehsil dropped, Urdu compass
  words in English (Karachi Gharbi -> karachi west);
* ``compact``: the key without spaces, so "Gujran Wala" = "Gujranwala" and
  "Dera Ismail Khan" = "Deraismailkhan";
* ``sound_key``: the phonetic key (``phonetic.name_key``) of the compact form, so
  Badeen = Badin and Jekababad = Jacobabad;
* ``abbreviations``: the forms a multi-word name takes when some of its words are cut to
  their initial ("Rahim Yar Khan" -> "rykhan", "ryarkhan", "ryk"; "Mandi Bahauddin",
  whose second word is the Arabic compound baha-ud-din, -> "mbdin"), so "R.Y. Khan",
  "RY Khan", "D.I.Khan", "T.T. Singh" and "M.B. Din" need no table.

Provinces are a closed list of eight names with their old and short forms (NWFP, Sind,
ICT, AJK...), resolved here by table and, for longer spellings, a close ratio.
"""

from __future__ import annotations

import itertools
import re
from functools import cache, lru_cache

from rapidfuzz import fuzz, process

from linkage.standardise._common import text_or_none, words
from linkage.standardise.name_rules import fold_urdu
from linkage.standardise.phonetic import name_key

__all__ = [
    "PROVINCES",
    "abbreviations",
    "admin_key",
    "compact",
    "noise_words",
    "place_key",
    "province_name",
    "sound_key",
]

PROVINCES = (
    "Punjab",
    "Sindh",
    "Khyber Pakhtunkhwa",
    "Balochistan",
    "FATA",
    "Islamabad",
    "Gilgit-Baltistan",
    "Azad Kashmir",
)
PROVINCE_CUTOFF = 85

_PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "Punjab": ("punjab", "panjab", "pb", "pjb", "punjab province", "پنجاب"),
    "Sindh": ("sindh", "sind", "sindh province", "سندھ"),
    "Khyber Pakhtunkhwa": (
        "khyber pakhtunkhwa",
        "khyber pakhtoonkhwa",
        "khyber pukhtunkhwa",
        "khyber pakhtunkhawa",
        "khyber pakhtunkha",
        "khyber pukhtoonkhwa",
        "pakhtunkhwa",
        "kp",
        "kpk",
        "nwfp",
        "north west frontier province",
        "sarhad",
        "frontier",
        "خیبر پختونخوا",
        "خیبر پختونخواہ",
        "سرحد",
    ),
    "Balochistan": ("balochistan", "baluchistan", "blochistan", "bolochistan", "بلوچستان"),
    "FATA": (
        "fata",
        "tribal areas",
        "federally administered tribal areas",
        "ex fata",
        "merged districts",
        "newly merged districts",
        "kp merged districts",
        "merged areas",
        "فاٹا",
        "قبائلی علاقہ جات",
    ),
    "Islamabad": (
        "islamabad",
        "ict",
        "islamabad capital territory",
        "federal capital territory",
        "capital territory",
        "federal capital",
        "federal",
        "fct",
        "اسلام آباد",
    ),
    "Gilgit-Baltistan": (
        "gilgit baltistan",
        "gb",
        "gilgit",
        "northern areas",
        "fana",
        "گلگت بلتستان",
    ),
    "Azad Kashmir": (
        "azad kashmir",
        "ajk",
        "ak",
        "azad jammu and kashmir",
        "azad jammu kashmir",
        "state of azad jammu and kashmir",
        "kashmir",
        "آزاد کشمیر",
        "آزاد جموں و کشمیر",
    ),
}

#: Urdu words for the compass points in "Karachi Gharbi" (Karachi West) and the like.
_DIRECTION_WORDS = {
    "gharbi": "west",
    "sharqi": "east",
    "wasti": "central",
    "junubi": "south",
    "janubi": "south",
    "shumali": "north",
    "shimali": "north",
}
#: Words that name no place of their own when they trail (or lead) a place name:
#: "Jhang Sadar", "Multan City", "Sahiwal Punjab" (province names are added to these).
_GENERIC_WORDS = frozenset(
    words("sadar saddar sadr city cantt cantonment town shehar shahar rural urban pakistan")
)

_SUFFIXES = re.compile(
    r"\b(?:district|distt|dist|zila|zilla|agency|tehsil|tahsil|taluka|taluqa|sub tehsil|"
    r"sub division|subdivision)\b"
)
_SEAT = re.compile(r"\(\s*at\b[^)]*\)", re.IGNORECASE)
_INITIALS = re.compile(r"\b([a-z])\s+(?=[a-z]\b)")
#: An Arabic compound written as one word with its assimilated article: baha-ud-din ->
#: bahauddin, saif-ul-lah -> saifullah (the consonant after "u" is doubled).
_COMPOUND = re.compile(r"^([a-z]{3,})u([b-df-hj-np-tv-z])\2([a-z]{2,})$")
_SILENT_H = re.compile(r"(?<=[aeiou])h(?![aeiouy]|$)")


def place_key(text: str) -> str:
    """Lower case, dots closed up, other punctuation -> space, single letters joined.

    >>> place_key("D.G. Khan"), place_key("D. G.  Khan"), place_key("Rahim-Yar Khan")
    ('dg khan', 'dg khan', 'rahim yar khan')
    """
    text = fold_urdu(text.lower()).replace("&", " and ").replace(".", "")
    text = re.sub(r"[^\w\s]|_", " ", text)
    text = " ".join(text.split())
    return _INITIALS.sub(r"\1", text)


@lru_cache(maxsize=1 << 16)
def admin_key(text: str) -> str:
    """``place_key`` without an "(AT seat)" note, words like District, Distt, Zila, and
    with Urdu compass words in English.

    >>> admin_key("UPPER DIR (AT DIR)"), admin_key("Lahore Distt."), admin_key("Tehsil")
    ('upper dir', 'lahore', 'tehsil')
    >>> admin_key("Karachi (East)"), admin_key("Zila Karachi Gharbi")
    ('karachi east', 'karachi west')
    """
    key = place_key(text)
    stripped = " ".join(_SUFFIXES.sub(" ", place_key(_SEAT.sub(" ", text))).split()) or key
    return " ".join(_DIRECTION_WORDS.get(w, w) for w in stripped.split())


def compact(key: str) -> str:
    """The key without spaces: "gujran wala" -> "gujranwala"."""
    return key.replace(" ", "")


@lru_cache(maxsize=1 << 16)
def sound_key(key: str) -> str:
    """Phonetic key of a place name, spaces ignored: Badeen = Badin, Gujran Wala = Gujranwala.

    >>> sound_key("naseerabad") == sound_key("nasirabad"), sound_key("chaghi")
    (True, 'Cg')
    >>> sound_key("gujran wala") == sound_key("gujranwala")
    True

    An "h" after a vowel and before a consonant is not heard (Naushahro = Noshero,
    Mohmand = Momand).
    """
    return name_key(_SILENT_H.sub("", compact(key)))


def _pieces(key: str) -> list[tuple[str, bool]]:
    """The words of a key, Arabic compounds split: (piece, is_link_word) pairs.

    >>> _pieces("mandi bahauddin")
    [('mandi', False), ('baha', False), ('ud', True), ('din', False)]
    >>> _pieces("gulshan e iqbal")
    [('gulshan', False), ('e', True), ('iqbal', False)]
    """
    out: list[tuple[str, bool]] = []
    for word in key.split():
        m = _COMPOUND.match(word)
        if m:
            out += [(m.group(1), False), ("u" + m.group(2), True), (m.group(2) + m.group(3), False)]
        else:
            out.append((word, len(word) == 1))
    return out


def abbreviations(key: str) -> set[str]:
    """Compact forms of a multi-word name with some words cut to their initial.

    Every word may stay whole or shrink to its first letter, link words (the "ud" of
    baha-ud-din, the "e" of gulshan-e-iqbal) may also go; at least one word of three or
    more letters stays whole. Names of three or more words also give their initials
    alone ("ryk"). The plain compact form is not included.

    >>> sorted(abbreviations("rahim yar khan"))
    ['rahimyark', 'rahimyk', 'rahimykhan', 'ryark', 'ryarkhan', 'ryk', 'rykhan']
    >>> "mbdin" in abbreviations("mandi bahauddin"), abbreviations("lahore")
    (True, set())
    """
    pieces = _pieces(key)
    if len(pieces) < 2 or len(pieces) > 6:
        return set()
    options = [((p, p[0], "") if link else (p, p[0])) for p, link in pieces]
    out = set()
    for choice in itertools.product(*options):
        whole = [c for c, (p, _) in zip(choice, pieces, strict=True) if c == p and len(p) >= 3]
        if whole:
            out.add("".join(choice))
    parts = key.split()
    if len(parts) >= 3:
        out.add("".join(w[0] for w in parts))
    out.discard(compact(key))
    return out


# --- provinces --------------------------------------------------------------------------


@cache
def _province_lookup() -> dict[str, str]:
    lookup = {}
    for province, aliases in _PROVINCE_ALIASES.items():
        for alias in (province, *aliases):
            key = place_key(alias)
            lookup[key] = province
            lookup[compact(key)] = province
    return lookup


@cache
def province_name(value: str | None) -> str | None:
    """One of ``PROVINCES``, else the cleaned lower-case text (None for a blank).

    >>> province_name("N.W.F.P."), province_name("Sindh Province"), province_name("Narnia")
    ('Khyber Pakhtunkhwa', 'Sindh', 'narnia')
    """
    text = text_or_none(value)
    if text is None:
        return None
    key = place_key(text)
    key = re.sub(r"\bprovince\b", "", key).strip() or key
    lookup = _province_lookup()
    found = lookup.get(key) or lookup.get(compact(key))
    if found is None and len(key) >= 5:
        match = process.extractOne(
            key, list(lookup), scorer=fuzz.ratio, score_cutoff=PROVINCE_CUTOFF
        )
        found = lookup[match[0]] if match else None
    return found or key or None


@cache
def noise_words() -> frozenset[str]:
    """Words that may be dropped from the end of a place name: generic words (sadar,
    city, cantt...) and every spelling of a province."""
    provinces = {w for key in _province_lookup() for w in key.split() if len(w) > 1}
    return _GENERIC_WORDS | provinces
