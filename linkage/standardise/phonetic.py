"""A phonetic key for Pakistani names written in Latin letters.

Names on the registry are transliterated from Urdu by many hands, so one name comes in
many spellings: Naveed/Navid, Yousaf/Yusuf/Yousuf, Rehana/Raihana, Zubair/Zubeir,
Siddiqui/Siddiqi, Abdul Rahman/Abdur Rehman. Urdu script writes short vowels rarely and
Latin writers guess them, so the key keeps the consonant skeleton and drops vowels:

* doubled letters collapse (Siddiqui -> Sidiqui), ``q``/``c``/``ck``/``kh`` -> ``k``
  (Qasim/Kasim, Mukhtar/Moktar), ``gh`` -> ``g`` (Ghulam/Gulam), ``v`` -> ``w``
  (Naveed/Nawid), ``ph`` -> ``f``, aspirate ``h`` after b/p/d/t/j/r/k/g is dropped
  (Bhatti/Batti), ``sh``/``ch`` stay single symbols;
* ``y`` counts as a vowel except at the start of a name (Ayesha/Aisha, Yasir -> ``Y``);
  ``w`` counts as a vowel unless a vowel follows it (Shaukat/Showkat, but Nawaz keeps
  it); a trailing ``h`` after a vowel goes (Ayeshah/Ayesha);
* Arabic compounds lose the article: Abdul/Abdur/Abdel/Abdu + Rahman -> ``abd`` + ``rhmn``,
  ``-uddin``/``-aldin`` and ``-ullah``/``-allah`` endings are unified;
* an initial vowel is kept only as ``A`` (Ehsan/Ahsan/Ihsan, Usman/Osman) so the key
  never starts empty.

The price of ignoring vowels is a few collisions between different names that differ
only in vowels: Hassan/Hussain, Saeed/Syed, Muhammad/Mahmood, Ali/Aliya, Amir/Umar.
Use the key for blocking and as one comparison level next to string similarity, not as
proof that two names are the same.

``benchmarks/phonetic_keys.py`` measures this key against jellyfish's metaphone, NYSIIS,
soundex and match-rating codex on reference spelling groups, typos and random pairs.

>>> name_key("Naveed") == name_key("Navid") == name_key("NAWEED")
True
>>> name_key("Yousaf") == name_key("Yusuf")
True
>>> name_key("Abdur Rehman") == name_key("abdulrahman")
True
>>> name_key("Hina") != name_key("Hassan")
True
>>> name_key("")
''
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from linkage.standardise._common import on_uniques, string_series

__all__ = ["name_key", "name_keys", "phonetic_key"]

_NON_LETTER = re.compile(r"[^a-z]")
_DOUBLED = re.compile(r"([a-z])\1+")
_ABD_ARTICLE = re.compile(r"^abd(?:[aeiou]+l?|l)")
_DIN_ENDING = re.compile(r"(?<=[a-z]{2})[aeiou]*l?d+[aeiou]+n$")
_ULLAH_ENDING = re.compile(r"(?<=[a-z]{2})[aeiou]l+[aeiou]+h?$")
_TRAILING_H = re.compile(r"(?<=[aeiouy])h$")
_CONSONANT_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"ph", "f"),
        (r"kh", "k"),
        (r"gh", "g"),
        (r"sh", "S"),
        (r"ch", "C"),
        (r"zh", "z"),
        (r"dh", "d"),
        (r"th", "t"),
        (r"(?<=[bpdtjrkg])h", ""),
        (r"ck", "k"),
        (r"c", "k"),
        (r"q", "k"),
        (r"x", "ks"),
        (r"v", "w"),
    )
)
_VOWEL_W = re.compile(r"w(?![aeiouy])")
_VOWELS = re.compile(r"[aeiouy]")


def name_key(name: str) -> str:
    """Phonetic key of one name token (or a compound written with spaces).

    Non-letters are ignored, so ``"Abdul-Rehman"`` and ``"abdulrehman"`` agree.

    >>> name_key("Muhammad"), name_key("Mohammed")
    ('mhmd', 'mhmd')
    >>> name_key("Rehana") == name_key("Raihana"), name_key("Zubair") == name_key("Zubeir")
    (True, True)
    >>> name_key("Qureshi") == name_key("Kureshi"), name_key("Ghulam") == name_key("Gulam")
    (True, True)
    >>> name_key("Ehsan") == name_key("Ihsan"), name_key("Ali")
    (True, 'Al')
    """
    s = _NON_LETTER.sub("", name.lower())
    if not s:
        return ""
    s = _DOUBLED.sub(r"\1", s)
    s = _ABD_ARTICLE.sub("abd", s)
    s = _DIN_ENDING.sub("udin", s)
    s = _ULLAH_ENDING.sub("ula", s)
    s = _TRAILING_H.sub("", s)
    for pattern, repl in _CONSONANT_RULES:
        s = pattern.sub(repl, s)
    first, rest = s[0], s[1:]
    if first == "y" and rest[:1] in ("a", "e", "i", "o", "u"):
        head = "Y"
    elif first in "aeiouy":
        head = "A"
    else:
        head = first
    rest = _VOWELS.sub("", _VOWEL_W.sub("", rest))
    return _DOUBLED.sub(r"\1", head + rest)


def name_keys(tokens: Iterable[str]) -> str:
    """Sorted, space-joined keys of several name tokens (order-insensitive comparison).

    >>> name_keys(["naveed", "akhtar"]) == name_keys(["akhter", "navid"])
    True
    """
    return " ".join(sorted(k for k in (name_key(t) for t in tokens) if k))


def phonetic_key(names: pd.Series) -> pd.Series:
    """``name_key`` of every value (computed once per distinct value); null stays null.

    >>> phonetic_key(pd.Series(["Naveed", None, "Navid"])).tolist()
    ['nwd', <NA>, 'nwd']
    """
    return on_uniques(
        names,
        lambda distinct: string_series([name_key(v) or None if v else None for v in distinct]),
    )
