"""Free-text addresses -> a sorted set of normalised tokens.

Pakistani addresses are landmarks and localities more than street numbers ("House No.
12, Gali 3, Mohallah Islamabad, Near Jamia Masjid, Chak 45/JB"), written with many
abbreviations and in any order. For comparison they become a bag of tokens:

* lower case; tokens are runs of letters or runs of digits, so punctuation splits
  tokens, numbers stay tokens ("12", "45", leading zeros dropped) and a number glued
  to letters is split off ("h#12" -> "house 12", "st5" -> "street 5", "45/jb" -> "45 jb");
* abbreviations and spellings unified: house/h/h#/h no/house no -> ``house``,
  st/str/gali/galli/street -> ``street``, mohalla/mohallah/muhallah/mohala/mahalla ->
  ``mohalla``, mouza/mauza/moza -> ``mauza``, vill/village/goth/gaon -> ``village``,
  rd -> ``road``, p.o/post office -> ``po``, distt/dist -> ``district``, teh -> ``tehsil``,
  blk -> ``block``, sec -> ``sector``, colony/coloney -> ``colony``, masjid/masjed/mosque
  -> ``masjid``;
* stop words dropped: near, nr, the, of, opp, opposite, behind, in, at, and, no, w/o,
  s/o, d/o, side, back, front, ...; and so are the generic words above (house, street,
  mohalla, ...): they say what kind of place a token is, not which place;
* tokens de-duplicated and sorted, space-joined (``address_tokens``).

>>> address_tokens(pd.Series(["House No. 12, Gali 3, Mohallah Islamabad, Near Jamia Masjid",
...                           "h#12 street#3 muhallah islamabad opp. jamia masjid"])).tolist()
... # doctest: +NORMALIZE_WHITESPACE
['12 3 islamabad jamia', '12 3 islamabad jamia']
"""

from __future__ import annotations

import re
import zlib

import pandas as pd

from linkage.standardise._common import ARROW_STRING, STRING, on_uniques, text_or_none, words
from linkage.standardise.name_rules import fold_urdu

__all__ = ["address_numbers", "address_signature", "address_tokens", "without_place_words"]

_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(words("house h hno hous makan"), "house"),
    **dict.fromkeys(words("street st str gali galli gli streat"), "street"),
    **dict.fromkeys(
        words("mohalla mohallah muhallah mohala muhalla mahalla mahallah mohlla mh"), "mohalla"
    ),
    **dict.fromkeys(words("mauza mouza moza mouzah mauzah"), "mauza"),
    **dict.fromkeys(words("village vill vil vlg vpo goth gaon gaown"), "village"),
    **dict.fromkeys(words("road rd"), "road"),
    **dict.fromkeys(words("po"), "po"),
    **dict.fromkeys(words("district distt dist zila zilla"), "district"),
    **dict.fromkeys(words("tehsil teh tehs tahsil"), "tehsil"),
    **dict.fromkeys(words("block blk"), "block"),
    **dict.fromkeys(words("sector sec"), "sector"),
    **dict.fromkeys(words("colony coloney colny"), "colony"),
    **dict.fromkeys(words("masjid masjed mosque musjid"), "masjid"),
    **dict.fromkeys(words("bazar bazaar bazzar"), "bazar"),
    **dict.fromkeys(words("chak chk"), "chak"),
    **dict.fromkeys(words("flat apartment apt"), "flat"),
}
_STOP_WORDS = frozenset(
    words("""near nr the of opp opposite behind in at and no number num side back front beside
    besides adjacent adj wo so do via tel ph""")
)
#: Words that say what kind of place a token is, not which place: every second address
#: has "house", "street" and "mohalla", so sharing them says nothing about two people.
GENERIC_WORDS = frozenset(
    words("""house street mohalla mauza village road po district tehsil block sector colony
    masjid bazar chak flat city town cantt saddar sadar""")
)
#: Phrases rewritten before tokenising, vectorised (pyarrow regex: no look-arounds).
_PHRASES: tuple[tuple[str, str], ...] = (
    (r"\bh\s*[.#]?\s*(?:no|#)", " house "),
    (r"\bhouse\s*(?:no\b|#)", " house "),
    (r"\bp\s*\.?\s*o\b|\bpost\s*office\b", " po "),
    (r"\b[sdw]\s*/\s*o\b", " "),
)
#: Tokens are runs of letters (any script) or runs of digits: "h12" -> "h", "12".
_TOKEN = re.compile(r"[^\W\d_]+|\d+")


def _prepare(raw: pd.Series) -> pd.Series:
    """Lower case, Urdu letters folded, phrases rewritten (one pass per rule, vectorised)."""
    text = raw.astype(ARROW_STRING).str.lower()
    non_ascii = text.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False)
    if non_ascii.any():
        text = text.copy()
        text[non_ascii] = text[non_ascii].astype(object).map(fold_urdu)
    for pattern, repl in _PHRASES:
        text = text.str.replace(pattern, repl, regex=True)
    return text.astype(object)


def _tokens_one(text: str | None) -> str | None:
    if text is None or text is pd.NA or text_or_none(text) is None:
        return None
    tokens = {_SYNONYMS.get(t, t) for t in _TOKEN.findall(text)}
    tokens = {(t.lstrip("0") or "0") if t.isdigit() else t for t in tokens}
    tokens -= _STOP_WORDS | GENERIC_WORDS
    return " ".join(sorted(tokens)) or None


def _tokens_distinct(distinct: pd.Series) -> pd.Series:
    return pd.Series([_tokens_one(t) for t in _prepare(distinct)], dtype=STRING)


def address_tokens(address: pd.Series) -> pd.Series:
    """``address_tokens`` for each address (pandas ``string``; null when empty).

    >>> address_tokens(pd.Series(["Village Goth Ali Muhammad, P.O. Box, Distt. Larkana",
    ...                           "  ", None])).tolist()
    ['ali box larkana muhammad', <NA>, <NA>]
    """
    return on_uniques(address, _tokens_distinct, memo="address_tokens")


def without_place_words(tokens: pd.Series, *places: pd.Series) -> pd.Series:
    """Address tokens minus the words of the record's own district and tehsil names.

    Two addresses in "Faisalabad City, Tehsil Faisalabad" share "faisalabad" because
    they share a district, which the place comparison already counts.

    >>> without_place_words(pd.Series(["124 gulshan lahore"]), pd.Series(["lahore"])).tolist()
    ['124 gulshan']
    """
    # One text per row, built column-wise in Arrow (a Python join per row costs seconds
    # at a million rows); rows without tokens stay null.
    combined = tokens.astype(ARROW_STRING)
    for place in places:
        combined = combined + "\t" + place.astype(ARROW_STRING).fillna("")
    combined = combined.astype(object).where(tokens.notna().to_numpy(), None)

    def strip(distinct: pd.Series) -> pd.Series:
        return pd.Series(
            [None if v is None else without_words(*v.split("\t")) for v in distinct],
            dtype=STRING,
        )

    return on_uniques(combined, strip)


def without_words(tokens: str | None, *names: str | None) -> str | None:
    """One record's address tokens without the words of ``names`` (its places)."""
    if tokens is None:
        return None
    drop = {w for name in names if name for w in name.split()}
    return " ".join(t for t in tokens.split() if t not in drop) or None


def address_numbers(tokens: pd.Series) -> pd.Series:
    """The numbers among ``address_tokens`` (house, street, chak numbers), or null.

    A short key that survives a reworded address: "H# 12, St 3" and "House No. 12,
    Street 3" give "12 3".

    >>> address_numbers(pd.Series(["12 3 islamabad jamia", "gulshan", None])).tolist()
    ['12 3', <NA>, <NA>]
    """
    numbers = tokens.astype(ARROW_STRING).str.replace(r"(?:^| )[^0-9 ][^ ]*", "", regex=True)
    numbers = numbers.str.strip()
    return numbers.where(numbers.str.len() > 0).astype(STRING)


def address_signature(tokens: pd.Series) -> pd.Series:
    """One bit per token of ``address_tokens`` (``crc32(token) % 52``), or null. Under
    2**52 the integer is positive on every engine and survives a trip through a float
    (pandas holds a nullable integer column from Spark as float64).

    Scoring compares millions of address pairs, and splitting both sides into lists is
    the dearest part of it; most pairs share no token at all, which two signatures
    without a common bit prove at the cost of one AND.

    >>> sig = address_signature(pd.Series(["12 gulshan", "gulshan iqbal", "7 model", None]))
    >>> [int(sig[0]) & int(sig[1]) != 0, int(sig[0]) & int(sig[2]) != 0, sig[3] is pd.NA]
    [True, False, True]
    """

    def signatures(distinct: pd.Series) -> pd.Series:
        return pd.Series([signature_of(v) for v in distinct], dtype="Int64")

    return on_uniques(tokens, signatures)


def signature_of(tokens: str | None) -> int | None:
    """One value's :func:`address_signature`."""
    if tokens is None:
        return None
    bits = 0
    for token in tokens.split():
        bits |= 1 << (zlib.crc32(token.encode()) % 52)
    return bits
