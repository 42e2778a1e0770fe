"""One canonical Latin spelling per name, built from the packaged reference lists.

Sources (``linkage.reference``): ``name_variants_urdu()`` groups Latin spellings that
share one Urdu spelling (urdupoint), ``name_variants_arabic()`` groups those sharing one
Arabic spelling (arabnamer), ``names_latin_urdu()`` pairs Latin and Urdu spellings.

Only the *engine part* of each variant group is used (``linkage.reference.holdout``):
about half of the non-canonical spellings are held out so that the project's generator
can write variants the engine has never seen. The canonical spelling of every group is
always kept.

How a group becomes a canonical form:

1. every spelling is tokenised like a name (``latin_tokens``), so "Abdul Rehman" and
   "Abdur-Rahman" become the single tokens ``abdulrehman``/``abdurrahman``; spellings
   that stay several tokens ("Gul Mehtab") cannot meet a single input token and are
   left out;
2. the group's canonical spelling is the *plainest* one, chosen deterministically:
   present in the top-forenames list first, then in ``pk_names()`` (curated Pakistani
   names), then attested in the urdupoint list (Pakistani usage) rather than only in the
   Arabic-rule list, then the shortest, then alphabetical;
3. over-merging guard: a spelling whose phonetic key is far from the canonical's key
   (rapidfuzz ratio < 60) is dropped from the group. Urdu script writes no short
   vowels, so a group can hold different names (Nida/Nada/Noth, Tania/Tahiyah);
4. groups that share a spelling are merged (connected components, at most a few dozen
   spellings each) and the component's canonical form is re-chosen by rule 2;
5. ``ABBREVIATIONS`` (hand-checked) win over the groups, and the words of the hand lists
   (titles, fillers, abbreviation targets) are taken out of the groups: the Arabic list
   would merge Syed with Saeed, which on a Pakistani register are a title and a given
   name, and the Urdu list would respell Bibi as "bebe".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import cache, lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from linkage import reference
from linkage.reference.holdout import split_spellings
from linkage.standardise.name_rules import (
    ABBREVIATIONS,
    FEMALE_FILLERS,
    MUHAMMAD_SPELLINGS,
    TITLE_PREFIXES,
    URDU_WORDS,
    fold_urdu,
    latin_tokens,
)
from linkage.standardise.phonetic import name_key

#: Hand-listed words the reference groups must not respell or absorb.
_PROTECTED = (
    frozenset(ABBREVIATIONS) | frozenset(ABBREVIATIONS.values()) | FEMALE_FILLERS | (TITLE_PREFIXES)
)

#: Minimum rapidfuzz ratio between phonetic keys for a spelling to stay in its group.
MIN_KEY_SIMILARITY = 60


def _single_token(spelling: str) -> str | None:
    tokens = latin_tokens(spelling)
    return tokens[0] if len(tokens) == 1 else None


@cache
def _preferred() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Spellings attested in pk_names, in the top-forenames list, and in urdupoint."""
    pk = {_single_token(n) for n in reference.pk_names()["name"]}
    top = {_single_token(n) for n in reference.top_forenames()["name"]}
    urdupoint = {_single_token(n) for n in reference.names_latin_urdu()["name_latin"]}
    return frozenset(pk - {None}), frozenset(top - {None}), frozenset(urdupoint - {None})


def plainest(spellings: Iterable[str]) -> str:
    """The canonical spelling among variants (rule 2 of the module docstring).

    >>> plainest(["mohammed", "muhammad", "muhamad"])
    'muhammad'
    >>> plainest(["navid", "naveed"])
    'naveed'
    """
    pk, top, urdupoint = _preferred()
    return min(
        spellings,
        key=lambda s: (s not in top, s not in pk, s not in urdupoint, len(s), s),
    )


def _reference_groups() -> list[set[str]]:
    """The engine part of every reference group (``linkage.reference.holdout``): the
    spellings not held out for testing, plus the group's plainest spelling and the
    spellings of the curated Pakistani lists (``pk_names``, top forenames), which always
    stay."""
    return [g for g in _engine_parts() if len(g) >= 2]


@cache
def _engine_parts() -> tuple[frozenset[str], ...]:
    pk, top, _ = _preferred()
    parts = []
    for table in (reference.name_variants_urdu(), reference.name_variants_arabic()):
        for variants in table["latin_variants"]:
            members = {_single_token(v) for v in variants.split("|")} - {None}
            members -= _PROTECTED
            if len(members) < 2:
                continue
            keep = [plainest(members), *(members & (pk | top))]
            engine, _ = split_spellings(sorted(members), keep=keep)
            parts.append(frozenset(engine))
    return tuple(parts)


@cache
def engine_spellings() -> frozenset[str]:
    """Every single-token spelling the engine's name tables know: the engine parts of the
    reference groups, the canonical map, the curated lists and the hand lists. The
    generator must never write one of these as a variant."""
    pk, top, _ = _preferred()
    mapping = canonical_map()
    return (
        frozenset().union(*_engine_parts())
        | frozenset(mapping)
        | frozenset(mapping.values())
        | pk
        | top
        | _PROTECTED
    )


def _guarded(group: set[str]) -> set[str]:
    """The group without spellings whose key is far from its canonical spelling's key."""
    canonical_key = name_key(plainest(group))
    return {m for m in group if fuzz.ratio(name_key(m), canonical_key) >= MIN_KEY_SIMILARITY}


def _components(groups: list[set[str]]) -> list[set[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for group in groups:
        first, *rest = sorted(group)
        for member in rest:
            parent[find(member)] = find(first)
    members: dict[str, set[str]] = defaultdict(set)
    for spelling in parent:
        members[find(spelling)].add(spelling)
    return list(members.values())


@cache
def canonical_map() -> dict[str, str]:
    """Latin token -> canonical token for every known variant spelling (cached).

    Tokens absent from the map are already canonical (or unknown) and stay as they are.

    >>> m = canonical_map()
    >>> m["mohammed"], m["navid"], m["yusuf"], m["abdurrahman"]
    ('muhammad', 'naveed', 'yousaf', 'abdulrahman')
    >>> m["sayed"], m["said"]
    ('syed', 'saeed')
    """
    groups = [g for g in (_guarded(g) for g in _reference_groups()) if len(g) >= 2]
    mapping: dict[str, str] = {}
    for component in _components(groups):
        canonical = plainest(component)
        for spelling in component:
            if spelling != canonical:
                mapping[spelling] = canonical
    mapping.update({k: v for k, v in ABBREVIATIONS.items() if k != v})
    return mapping


def is_muhammad_typo(token: str) -> bool:
    """A mistyped Muhammad, not a known name:

    * within two edits (transpositions count as one) of "muhammad", starting with m
      (Muhammmad, Mhuammad, Muhamamd), or one edit when the m is what moved (Umhammad);
    * cut short on a form (Mohmd, Muhmd, Mhmd): an m, an h and a final d, every letter in
      the order some full spelling has it; or its first letters (Muh., Moham).

    Muhammad leads most male names, so a typo there would otherwise become the given
    name. Mahmood (h before the a), Mohsin, Mohid and Mahdi stay themselves.

    >>> [is_muhammad_typo(t) for t in ("muhammmad", "mhuammad", "muhamamd", "umhammad")]
    [True, True, True, True]
    >>> [is_muhammad_typo(t) for t in ("mohmd", "muhmd", "muh", "mahmood", "mohid", "mahdi")]
    [True, True, True, False, False, False]
    """
    if token in _known_spellings() or not 3 <= len(token) <= 10:
        return False
    if len(token) <= 6 and token[:3] in ("muh", "moh") and _prefix_of_a_spelling(token):
        return True  # shortened at its end: Muh., Moham
    if token[0] != "m":
        return len(token) >= 7 and OSA.distance(token, "muhammad", score_cutoff=1) <= 1
    if len(token) >= 6 and OSA.distance(token, "muhammad", score_cutoff=2) <= 2:
        return True
    return (
        token[-1] == "d"
        and "h" in token
        and len(token) <= 8
        and any(_in_order(token, full) for full in MUHAMMAD_SPELLINGS)
    )


def _prefix_of_a_spelling(token: str) -> bool:
    return any(full.startswith(token) for full in MUHAMMAD_SPELLINGS)


def _in_order(part: str, whole: str) -> bool:
    rest = iter(whole)
    return all(letter in rest for letter in part)


@cache
def _known_spellings() -> frozenset[str]:
    mapping = canonical_map()
    pk, top, urdupoint = _preferred()
    return frozenset(mapping) | frozenset(mapping.values()) | pk | top | urdupoint


_BIBI = re.compile(r"b+[ie]+b+[ie]+")


def filler_typo(token: str) -> str | None:
    """The female filler a mistyped word stands for (Bibbi, Beebi, Begm, Khatun...), or
    None. Fillers are added and dropped freely on forms and must never become a given or
    family name, however they are spelled.

    >>> [filler_typo(t) for t in ("bibbi", "beebi", "begm", "khatooon", "bilal")]
    ['bibi', 'bibi', 'begum', 'khatoon', None]
    """
    if token in FEMALE_FILLERS or token in _known_spellings():
        return None
    if _BIBI.fullmatch(token):
        return "bibi"
    for filler in ("begum", "khatoon"):
        if (
            abs(len(token) - len(filler)) <= 1
            and token[0] == filler[0]
            and OSA.distance(token, filler, score_cutoff=1) <= 1
        ):
            return filler
    return None


def canonical_tokens(tokens: Iterable[str]) -> list[str]:
    """Each token replaced by its canonical spelling (mistyped Muhammads and fillers
    included).

    >>> canonical_tokens(["mohd", "navid", "riyaz", "muhamamd", "bibbi"])
    ['muhammad', 'naveed', 'riaz', 'muhammad', 'bibi']
    """
    out: list[str] = []
    for token in tokens:
        out += _canonical(token)
    return out


@lru_cache(maxsize=1 << 18)
def _canonical(token: str) -> tuple[str, ...]:
    """One token's canonical spelling(s), once per distinct token: tokens repeat across
    names far more than names do, and the typo checks measure edit distances."""
    canonical = canonical_map().get(token)
    if canonical is not None:
        return (canonical,)
    glued = glued_filler(token)
    if glued is not None:
        return canonical_map().get(glued[0], glued[0]), glued[1]
    return ("muhammad" if is_muhammad_typo(token) else filler_typo(token) or token,)


def glued_filler(token: str) -> tuple[str, str] | None:
    """A known name with a filler glued on ("aleezabibi", "bismabegum"), split, or None.

    >>> glued_filler("aleezabibi"), glued_filler("habibi")
    (('aleeza', 'bibi'), None)
    """
    if token in _known_spellings():
        return None
    for filler in ("bibi", "begum", "khatoon", "bano"):
        name = token[: -len(filler)]
        if token.endswith(filler) and len(name) >= 3 and name in _known_spellings():
            return name, filler
    return None


@cache
def urdu_map() -> dict[str, str]:
    """Folded Urdu spelling (no spaces) -> canonical Latin reading (cached).

    When one Urdu spelling has several Latin readings the most frequent canonical form
    wins, ties broken by ``plainest``.

    >>> m = urdu_map()
    >>> m["محمد"], m["علی"], m["عبدالرحمان"]
    ('muhammad', 'ali', 'abdulrahman')
    """
    readings: dict[str, Counter[str]] = defaultdict(Counter)
    table = reference.names_latin_urdu()
    for latin, urdu in zip(table["name_latin"], table["name_urdu"], strict=True):
        tokens = canonical_tokens(latin_tokens(latin))
        if tokens:
            readings[fold_urdu(urdu).replace(" ", "")][" ".join(tokens)] += 1
    mapping = {}
    for urdu, counts in readings.items():
        top = max(counts.values())
        mapping[urdu] = plainest([r for r, c in counts.items() if c == top])
    mapping.update({fold_urdu(k): v for k, v in URDU_WORDS.items()})
    return mapping


def _alif_skeleton(word: str) -> str:
    """The word without non-initial alifs: long ā is written or left out at will."""
    return word[:1] + word[1:].replace("ا", "")


@cache
def _urdu_skeleton_map() -> dict[str, str]:
    readings: dict[str, list[str]] = defaultdict(list)
    for urdu, latin in urdu_map().items():
        readings[_alif_skeleton(urdu)].append(latin)
    return {k: plainest(v) for k, v in readings.items()}


def read_urdu_word(word: str) -> str | None:
    """Canonical Latin reading of one folded Urdu word, or None when it is unknown.

    Tries the exact spelling, then the spelling with long-ā alifs ignored.

    >>> read_urdu_word("عبدالرحمن"), read_urdu_word("نوید"), read_urdu_word("قققق")
    ('abdulrahman', 'naveed', None)
    """
    return urdu_map().get(word) or _urdu_skeleton_map().get(_alif_skeleton(word))
