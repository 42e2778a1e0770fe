"""The gazetteer of districts and tehsils, and a resolver of place names written by hand.

A written name is looked up by several cheap keys (``place_keys``), most precise first;
the first step that names one place wins, with a confidence in [0, 1] and the step's
name as ``method`` (a step that finds several places at once stops there, unresolved):

==============  =====  ===================================================================
method          conf.  the written name ...
==============  =====  ===================================================================
exact           1.0    is the reference name once case, spacing, punctuation and words
                       like District/Distt/Zila are ignored ("DERA ISMAIL KHAN Distt.",
                       "Deraismailkhan", "Gujran Wala")
alias           0.97   is an old or colloquial name or office code (Lyallpur, Pindi, LHR)
                       or the seat a district is named after in the 2018 hierarchy
                       (Turbat -> kech)
abbreviation    0.95   cuts some words to their initial ("R.Y. Khan", "D.I.Khan", "M.B.
                0.9    Din", "DGK") or contracts them ("Nankana Sb"); derived from the
                       names, no table
tehsil          0.9    is a tehsil, resolved to its district ("Sadiqabad" -> rahim yar
                       khan); a tehsil name in several districts needs the province, and
                       one a letter from a district name ("Lahor", a tehsil of Swabi)
                       stays open between the two
partial         0.75-  has words in another order ("East Karachi"), only the first words
                0.9    of one place ("Toba", "Dera Ghazi"), two names of one place
                       ("Kachhi (Bolan)"), a generic, province, division or region word
                       too many ("Jhang Sadar", "Mansehra Hazara", "Karachi Malir"), or,
                       last of all, a trailing word that names no place ("Khairpur Mirs")
fuzzy           <0.95  is within a few edits of one place and further from every other
                       (Damerau-Levenshtein/OSA on the compact form: one edit up to 9
                       letters, two up to 13, three beyond; for a tehsil as if three
                       letters shorter, and it counts one edit further): "Lahroe",
                       "Mulltan", "Muzafargarh"; 0.5 + 0.45 x similarity, lower for a
                       tehsil or a close runner-up
phonetic        <0.85  sounds like one district only and is spelled like it (OSA
                       similarity >= 0.6): "Badeen", "Jekababad", "Maleer"
unresolved      0.0    none of these: kept as its cleaned lower-case text
==============  =====  ===================================================================

When the province is known (``province_name``), only its districts are candidates (Khyber
Pakhtunkhwa and FATA count as one, the tribal areas having merged in 2018). A name that
is exactly a district of another province is kept (confidence 0.8) unless a step finds a
place in the stated province ("Nowshera" in Punjab is the tehsil of Khushab). A tie
between places is never broken by chance: the name stays unresolved and the tied places
are kept as ``candidates``, which the record's tehsil may decide (``places``).

Reference data: the PBS 2017 census districts (``reference.districts()``) and tehsils
(``reference.tehsils()``), and the 2018 hierarchy (``reference.admin_hierarchy()``) for
the AJK and Gilgit-Baltistan districts, district seats and further tehsil spellings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA

from linkage import reference
from linkage.standardise._common import text_or_none
from linkage.standardise.place_keys import (
    PROVINCES,
    abbreviations,
    admin_key,
    compact,
    noise_words,
    province_name,
    sound_key,
)

__all__ = [
    "METHODS",
    "Resolution",
    "district_reference",
    "exact_district",
    "max_edits",
    "resolve_district",
    "resolve_tehsil",
    "tehsil_table",
]

METHODS = ("exact", "alias", "abbreviation", "tehsil", "partial", "fuzzy", "phonetic", "unresolved")

#: Names no spelling rule can derive: old names, colloquial names, and the short codes
#: offices use. Misspellings do not belong here: the resolver finds those by itself.
_DISTRICT_ALIASES: dict[str, str] = {
    **dict.fromkeys(("lyallpur",), "faisalabad"),
    **dict.fromkeys(("benazirabad", "sba"), "shaheed benazirabad"),
    **dict.fromkeys(("pindi",), "rawalpindi"),
    **dict.fromkeys(("thar",), "tharparkar"),
    **dict.fromkeys(("bolan",), "kachhi"),
    **dict.fromkeys(("khaibar",), "khyber"),
    **dict.fromkeys(("ict", "isb", "isd"), "islamabad"),
    # short codes
    **dict.fromkeys(("lhr",), "lahore"),
    **dict.fromkeys(("fsd",), "faisalabad"),
    **dict.fromkeys(("mzg",), "muzaffargarh"),
    **dict.fromkeys(("pesh", "psh"), "peshawar"),
    **dict.fromkeys(("bwn",), "bahawalnagar"),
    **dict.fromkeys(("bwp",), "bahawalpur"),
    **dict.fromkeys(("mtn",), "multan"),
    **dict.fromkeys(("grw",), "gujranwala"),
    **dict.fromkeys(("skt",), "sialkot"),
    **dict.fromkeys(("sgd",), "sargodha"),
    **dict.fromkeys(("hyd",), "hyderabad"),
    **dict.fromkeys(("qta",), "quetta"),
    **dict.fromkeys(("rwp",), "rawalpindi"),
}

EXACT, ALIAS, ABBREVIATION, TEHSIL = 1.0, 0.97, 0.95, 0.9
PARTIAL, TWO_NAMES, LEADING_WORDS, WORDS_DROPPED = 0.85, 0.9, 0.8, 0.75
CONTRACTION = 0.9
OTHER_PROVINCE, IN_PROVINCE_INSTEAD = 0.8, 0.9
#: A sound-alike must be this similar in spelling (OSA), and this far ahead of the next.
SOUND_SIMILARITY, SOUND_LEAD = 0.6, 0.1
#: A letter code that fits one district's name only ("LSB" for Lasbela).
CODE = 0.8
#: A strict kind of surface counts as this many letters shorter in ``max_edits``.
STRICT_LETTERS = 3
#: Kind of written form -> (method, confidence, rank: lower wins a tie on one key).
_KINDS = {
    "name": ("exact", EXACT, 0),
    "alias": ("alias", ALIAS, 0),
    "abbreviation": ("abbreviation", ABBREVIATION, 1),
    "tehsil": ("tehsil", TEHSIL, 2),
}
_MERGED = {"Khyber Pakhtunkhwa": "FATA", "FATA": "Khyber Pakhtunkhwa"}
#: Words naming a unit wider than a district ("Kohat Division" is four districts).
_HIGHER_LEVELS = frozenset({"division", "divison", "div"})


def max_edits(length: int) -> int:
    """Edits a written name may be from a reference form of ``length`` letters.

    >>> [max_edits(n) for n in (3, 4, 9, 10, 13, 14)]
    [0, 1, 1, 2, 2, 3]
    """
    return 0 if length < 4 else 1 if length <= 9 else 2 if length <= 13 else 3


class Surface(NamedTuple):
    """One written form of a reference place."""

    key: str  # compact form: what a written name is compared with
    words: str  # the same with its spaces
    target: str  # the reference place it names
    kind: str  # "name", "alias", "abbreviation" or "tehsil"
    province: str | None
    label: str  # its own reference name (a tehsil's name, for kind "tehsil")


@dataclass(frozen=True)
class Resolution:
    """What a written place name resolved to."""

    name: str | None  # reference name, else the cleaned key; None for a blank
    confidence: float | None  # 0.0 when unresolved, None for a blank
    method: str | None  # one of METHODS, None for a blank
    candidates: tuple[str, ...] = ()  # the places an unresolved name is tied between
    tehsil: str | None = None  # the tehsil a district field named (method "tehsil")

    @property
    def resolved(self) -> bool:
        return self.method not in (None, "unresolved")


def _scope(province: str | None) -> frozenset[str] | None:
    if province not in PROVINCES:
        return None
    return frozenset({province, _MERGED.get(province, province)})


class Index:
    """Written forms of reference places, looked up by compact key, sound and edits."""

    def __init__(
        self,
        surfaces: list[Surface],
        strict_kinds: frozenset[str] = frozenset(),
        any_word_drops: bool = False,
        region_names: frozenset[str] = frozenset(),
    ) -> None:
        self.surfaces = list(dict.fromkeys(surfaces))
        #: Whether any end word may be dropped, as a last resort: at either end among one
        #: district's tehsils ("Taunsa Sharif"), at the end among districts ("Khairpur
        #: Mirs"); otherwise only generic, province and region words go.
        self.any_word_drops = any_word_drops
        #: Kinds matched by edits and sound only when long: in a country-wide list of
        #: tehsils every short word has a neighbour ("Hina" is one edit from Dina).
        self.strict_kinds = strict_kinds
        self._by_key: dict[str, list[Surface]] = defaultdict(list)
        self._by_words: dict[str, list[Surface]] = defaultdict(list)
        self._by_lead: dict[str, list[Surface]] = defaultdict(list)
        self._by_sound: dict[str, list[Surface]] = defaultdict(list)
        for s in self.surfaces:
            self._by_key[s.key].append(s)
            if s.kind in ("name", "alias"):
                words = s.words.split()
                self._by_words[" ".join(sorted(words))].append(s)
                for n in range(1, len(words)):
                    self._by_lead[compact(" ".join(words[:n]))].append(s)
            if s.kind != "abbreviation" and s.kind not in strict_kinds:
                self._by_sound[sound_key(s.key)].append(s)
        leads = defaultdict(set)
        for s in self.surfaces:
            if s.kind == "name" and len(s.words.split()) > 1:
                leads[s.words.split()[0]].add(s.target)
        #: Leading words several places share ("karachi", "dera", "tando"): a region.
        self.region_words = frozenset(w for w, t in leads.items() if len(t) > 1 and len(w) > 1)
        named = {w for s in self.surfaces if s.kind in ("name", "alias") for w in s.words.split()}
        #: Words a written name may carry beyond a place's name: generic words and
        #: provinces (unless part of a name here: "Khyber", "Gilgit"), and region words.
        self.droppable = (noise_words() | region_names) - named | self.region_words
        self._by_size: dict[int, list[Surface]] = defaultdict(list)
        for s in self.surfaces:
            if s.kind in ("name", "alias") and " " in s.words:
                self._by_size[len(s.words.split())].append(s)
        self._choices: dict[frozenset[str] | None, tuple[list[str], list[Surface]]] = {}

    # --- lookups ---------------------------------------------------------------------

    @staticmethod
    def _within(surfaces: list[Surface], scope: frozenset[str] | None) -> list[Surface]:
        return surfaces if scope is None else [s for s in surfaces if s.province in scope]

    def exact(self, key: str, scope: frozenset[str] | None) -> list[Surface]:
        return self._within(self._by_key.get(key, []), scope)

    def edits(self, surface: Surface) -> int:
        """Edits a written name may be from ``surface``: none from an abbreviation or a
        short code ("pesh": too short to tell a typo from another place), fewer from a
        strict kind."""
        if surface.kind == "abbreviation" or (surface.kind == "alias" and len(surface.key) <= 4):
            return 0
        if surface.kind in self.strict_kinds:
            return max_edits(len(surface.key) - STRICT_LETTERS)
        return max_edits(len(surface.key))

    def choices(self, scope: frozenset[str] | None) -> tuple[list[str], list[Surface]]:
        """Keys and surfaces within ``scope`` that edits may reach."""
        if scope not in self._choices:
            surfaces = [s for s in self._within(self.surfaces, scope) if self.edits(s) > 0]
            self._choices[scope] = ([s.key for s in surfaces], surfaces)
        return self._choices[scope]

    # --- resolution ------------------------------------------------------------------

    def resolve(self, key: str, scope: frozenset[str] | None = None) -> Resolution:
        """The place ``key`` (an ``admin_key``) names within ``scope`` (None: anywhere)."""
        flat = compact(key)
        if not flat:
            return Resolution(key or None, 0.0, "unresolved")
        found = _pick(self.exact(flat, scope))
        if found is not None and found.method == "tehsil":
            # "Lahor" is a tehsil of Swabi and one letter from Lahore: both stay possible
            # (not "Orangi" and Korangi: a first letter is rarely mistyped)
            near = self._near(key, scope, kinds=("name", "alias"), most=1)
            if (
                near is not None
                and near.resolved
                and near.name != found.name
                and compact(near.name)[:1] == flat[:1]
            ):
                return Resolution(
                    None, 0.0, "unresolved", candidates=tuple(sorted((found.name, near.name)))
                )
        if found is not None:
            return found
        elsewhere = _pick(self.exact(flat, None)) if scope is not None else None
        for step in (self._words, self._near, self._sound, self._any_word_dropped, self._code):
            found = step(key, scope)
            if found is not None:
                break
        if elsewhere is not None and elsewhere.resolved:
            if found is not None and found.resolved:
                return _scaled(found, found.confidence * IN_PROVINCE_INSTEAD)
            return _scaled(elsewhere, min(elsewhere.confidence, OTHER_PROVINCE))
        return found or Resolution(key, 0.0, "unresolved")

    def _words(self, key: str, scope: frozenset[str] | None) -> Resolution | None:
        """Word-level steps, in this order: a name written out where the reference cuts
        it ("FR Dera Ismail Khan" for FR D.I. Khan), words in another order, the first
        words of one place only ("Toba", "Dera Ghazi"), two names of one place ("Kachhi
        (Bolan)"), and generic, province or region words too many ("Jhang Sadar",
        "Karachi Malir")."""
        words = key.split()
        flat = compact(key)
        if len(words) > 1:
            shorter = [
                s
                for abbr in abbreviations(key)
                for s in self.exact(abbr, scope)
                if s.kind in ("name", "alias")
            ]
            if (found := _pick(shorter, ABBREVIATION, "abbreviation")) is not None:
                return found
            same = self._within(self._by_words.get(" ".join(sorted(words)), []), scope)
            if (found := _pick(same, PARTIAL, "partial")) is not None:
                return found
            contracted = [
                s
                for s in self._within(self._by_size.get(len(words), []), scope)
                if _contracts(words, s.words.split())
            ]
            if (found := _pick(contracted, CONTRACTION, "abbreviation")) is not None:
                return found
        if len(flat) >= 4:
            lead = self._within(self._by_lead.get(flat, []), scope)
            if (found := _pick(lead, LEADING_WORDS, "partial")) is not None:
                return found
        for cut in range(1, len(words)):
            left = _pick(self.exact(compact(" ".join(words[:cut])), scope))
            right = _pick(self.exact(compact(" ".join(words[cut:])), scope))
            if left and right and left.resolved and left.name == right.name:
                return Resolution(
                    left.name, TWO_NAMES, "partial", tehsil=left.tehsil or right.tehsil
                )
        return self._trimmed(words, scope, self.droppable)

    def _trimmed(
        self, words: list[str], scope: frozenset[str] | None, droppable: frozenset[str]
    ) -> Resolution | None:
        """The place the words name once some ``droppable`` words at either end go."""
        for lo, hi in _trims(words, droppable):
            found = _pick(self.exact(compact(" ".join(words[lo:hi])), scope), PARTIAL, "partial")
            if found is not None and found.resolved:
                return found
        return None

    def _any_word_dropped(self, key: str, scope: frozenset[str] | None) -> Resolution | None:
        """Last resort: any end word dropped where allowed ("Taunsa Sharif"); elsewhere
        trailing words that name no place, when what is left is a place's own name
        ("Khairpur Mirs")."""
        words = key.split()
        if self.any_word_drops:
            return self._trimmed(words, scope, frozenset(words))
        for hi in range(len(words) - 1, 0, -1):
            if self.exact(compact(" ".join(words[hi:])), None) or _HIGHER_LEVELS & {*words[hi:]}:
                return None  # "Hunza Nagar": two places; "Kohat Division": a wider one
            named = [
                s
                for s in self.exact(compact(" ".join(words[:hi])), scope)
                if s.kind in ("name", "alias")
            ]
            if (found := _pick(named, WORDS_DROPPED, "partial")) is not None:
                return found if found.resolved else None
        return None

    def _near(
        self,
        key: str,
        scope: frozenset[str] | None,
        kinds: tuple[str, ...] | None = None,
        most: int = 3,
    ) -> Resolution | None:
        """The one place within ``edits`` (and ``most``) of the key, by surfaces of
        ``kinds`` (default all), closer than every other."""
        flat = compact(key)
        if len(flat) < 4:
            return None
        keys, surfaces = self.choices(scope)
        best: dict[str, tuple[int, int, Surface]] = {}
        rivals: dict[str, int] = {}
        for _, d, i in process.extract(flat, keys, scorer=OSA.distance, score_cutoff=3, limit=None):
            s = surfaces[i]
            if kinds is not None and s.kind not in kinds:
                continue
            # a strict kind (a tehsil among districts) counts one edit further
            cost = int(d) + (s.kind in self.strict_kinds)
            rivals[s.target] = min(rivals.get(s.target, cost), cost)
            if d <= min(self.edits(s), most) and (
                s.target not in best or (cost, d) < best[s.target][:2]
            ):
                best[s.target] = (cost, int(d), s)
        if not best:
            return None
        cost, d, s = min(best.values(), key=lambda e: e[:2])
        # a place as close, even one too short or far to win itself, makes it a tie
        tied = sorted(t for t, c in rivals.items() if c <= cost)
        if len(tied) > 1:
            return Resolution(key, 0.0, "unresolved", candidates=tuple(tied))
        similarity = 1 - d / max(len(flat), len(s.key))
        confidence = 0.5 + 0.45 * similarity
        if s.kind in self.strict_kinds:
            confidence *= 0.9
        if min((c for t, c in rivals.items() if t != s.target), default=cost + 2) == cost + 1:
            confidence -= 0.05  # a close runner-up
        return Resolution(
            s.target, round(confidence, 3), "fuzzy", tehsil=s.label if s.kind == "tehsil" else None
        )

    def _code(self, key: str, scope: frozenset[str] | None) -> Resolution | None:
        """A letter code ("FSD", "LSB", "JCB"): two to four letters found in order in
        exactly one place's name, starting with its first letter. Office codes are
        made so; a code several names fit stays unresolved."""
        flat = compact(key)
        if (
            not 2 <= len(flat) <= 4
            or " " in key.strip()
            or not flat.isalpha()
            or set(flat[1:]) & set("aeiou")
        ):  # a word ("Ali"), not a code
            return None
        targets = {
            s.target
            for s in self._within(self.surfaces, scope)
            if s.kind == "name" and s.key[:1] == flat[:1] and _in_order(flat[1:], s.key[1:])
        }
        return Resolution(targets.pop(), CODE, "abbreviation") if len(targets) == 1 else None

    def _sound(self, key: str, scope: frozenset[str] | None) -> Resolution | None:
        """The place that sounds like the key (phonetic key of the compact form) and is
        spelled closest to it, by a clear lead."""
        flat = compact(key)
        sound = sound_key(flat)
        if len(sound) < 3:
            return None
        best: dict[str, tuple[float, Surface]] = {}
        for s in self._within(self._by_sound.get(sound, []), scope):
            similarity = OSA.normalized_similarity(flat, s.key)
            if similarity >= SOUND_SIMILARITY and (
                s.target not in best or similarity > best[s.target][0]
            ):
                best[s.target] = (similarity, s)
        ranked = sorted(best.values(), key=lambda e: -e[0])
        if not ranked or (len(ranked) > 1 and ranked[0][0] - ranked[1][0] < SOUND_LEAD):
            return None
        similarity, s = ranked[0]
        return Resolution(s.target, round(0.45 + 0.4 * similarity, 3), "phonetic")


def _in_order(letters: str, word: str) -> bool:
    """Whether ``letters`` appear in ``word`` in this order (not necessarily adjacent)."""
    rest = iter(word)
    return all(ch in rest for ch in letters)


def _pick(
    surfaces: list[Surface], cap: float = 1.0, method: str | None = None
) -> Resolution | None:
    """The place the best-ranked of ``surfaces`` name (confidence at most ``cap``), or a
    tie (unresolved) between several; None when there are none."""
    if not surfaces:
        return None
    rank = min(_KINDS[s.kind][2] for s in surfaces)
    top = [s for s in surfaces if _KINDS[s.kind][2] == rank]
    targets = sorted({s.target for s in top})
    if len(targets) > 1:
        return Resolution(None, 0.0, "unresolved", candidates=tuple(targets))
    s = top[0]
    kind_method, kind_confidence, _ = _KINDS[s.kind]
    tehsil = next((t.label for t in top if t.kind == "tehsil"), None)
    return Resolution(s.target, min(cap, kind_confidence), method or kind_method, tehsil=tehsil)


def _scaled(found: Resolution, confidence: float) -> Resolution:
    return Resolution(
        found.name, round(confidence, 3), found.method, found.candidates, found.tehsil
    )


def _contracts(written: list[str], words: list[str]) -> bool:
    """Whether ``written`` is ``words`` with some words contracted: kept whole, or cut to
    letters of the word in order, starting with its first and two or more letters short
    ("Nankana Sb" for Nankana Sahib, "Tando M. Khan"); at least one word of three
    letters or more is whole.

    >>> _contracts(["nankana", "sb"], ["nankana", "sahib"])
    True
    >>> _contracts(["nankana", "sx"], ["nankana", "sahib"])
    False
    >>> _contracts(["n", "s"], ["nankana", "sahib"])
    False
    """
    whole = False
    for short, word in zip(written, words, strict=True):
        if short == word:
            whole = whole or len(word) >= 3
            continue
        if short[0] != word[0] or len(short) > len(word) - 2:  # "est" is a typo of east
            return False
        rest = iter(word[1:])
        if not all(letter in rest for letter in short[1:]):
            return False
    return whole and written != words


def _trims(words: list[str], droppable: frozenset[str]) -> list[tuple[int, int]]:
    """(start, stop) slices of ``words`` with droppable words cut from either end.

    >>> _trims(["jhang", "sadar", "city"], frozenset({"sadar", "city"}))
    [(0, 2), (0, 1)]
    """
    n = len(words)
    first = 0
    while first < n - 1 and words[first] in droppable:
        first += 1
    last = n
    while last > 1 and words[last - 1] in droppable:
        last -= 1
    return [
        (lo, hi)
        for lo in range(first + 1)
        for hi in range(n, max(last, lo + 1) - 1, -1)
        if (lo, hi) != (0, n)
    ]


# --- the reference tables -----------------------------------------------------------------


@cache
def district_reference() -> dict[str, str]:
    """Reference district (lower case) -> its province (one of ``PROVINCES``): the PBS 2017
    census districts plus the AJK and Gilgit-Baltistan districts of the 2018 hierarchy."""
    table = reference.districts()
    out = {
        name.lower(): province_name(province)
        for name, province in zip(table["district_name"], table["province"], strict=True)
    }
    admin = reference.admin_hierarchy()
    outside_census = admin[admin["province"].isin(["AZAD KASHMIR", "GILGIT BALTISTAN"])]
    for district, province in zip(
        outside_census["district"], outside_census["province"], strict=True
    ):
        out.setdefault(admin_key(district), province_name(province))
    return out


def _surfaces(
    key: str, target: str, kind: str, province: str | None, label: str | None = None
) -> Surface:
    return Surface(compact(key), key, target, kind, province, label or target)


def _with_abbreviations(surfaces: list[Surface], others: list[Surface] = ()) -> list[Surface]:
    """``surfaces`` and ``others`` plus the abbreviations of the names and aliases in
    ``surfaces``; an abbreviation that is itself a written form of some place is left out."""
    surfaces = [*surfaces, *others]
    taken = {s.key for s in surfaces}
    extra = [
        Surface(abbr, abbr, s.target, "abbreviation", s.province, s.label)
        for s in surfaces
        if s.kind in ("name", "alias")
        for abbr in sorted(abbreviations(s.words))
        if abbr not in taken
    ]
    return surfaces + extra


@cache
def _base_index() -> Index:
    """Districts by their names, hand aliases and abbreviations (no seats or tehsils)."""
    reference_districts = district_reference()
    surfaces = [
        _surfaces(admin_key(name), name, "name", province)
        for name, province in reference_districts.items()
    ]
    surfaces += [
        _surfaces(admin_key(alias), name, "alias", reference_districts[name])
        for alias, name in _DISTRICT_ALIASES.items()
    ]
    return Index(_with_abbreviations(surfaces))


@cache
def _admin_districts() -> dict[str, str]:
    """District as written in the 2018 hierarchy -> reference district (those that resolve
    by name, alias, abbreviation or a close spelling; "LEHRI", since merged, does not)."""
    admin = reference.admin_hierarchy()
    out = {}
    for district, province in (
        admin[["district", "province"]].drop_duplicates().itertuples(index=False)
    ):
        found = _base_index().resolve(admin_key(district), _scope(province_name(province)))
        if found.resolved:
            out[district] = found.name
    return out


@cache
def tehsil_table() -> dict[str, dict[str, tuple[str, ...]]]:
    """Reference district -> {tehsil (lower-case census name): its written forms}.

    Census tehsils come first; a tehsil of the 2018 hierarchy is another spelling of a
    census tehsil of the same district when it resolves to one, else a tehsil of its own
    (AJK and Gilgit-Baltistan have only these).
    """
    names = dict(
        zip(
            reference.districts()["district"],
            reference.districts()["district_name"].str.lower(),
            strict=True,
        )
    )
    census = reference.tehsils()
    out: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for district, tehsil in zip(census["district_pbs2017"], census["tehsil_name"], strict=True):
        key = admin_key(tehsil)
        if district in names and key:
            out[names[district]].setdefault(key, [key])
    admin = reference.admin_hierarchy()
    resolved = _admin_districts()
    for district, tehsil in zip(admin["district"], admin["tehsil"], strict=True):
        key, name = admin_key(tehsil), resolved.get(district)
        if not key or name is None:
            continue
        known = out[name]
        if compact(key) in {compact(k) for k in known}:
            continue
        same = Index([_surfaces(k, k, "name", None) for k in known]).resolve(key) if known else None
        if same is not None and same.method in ("exact", "fuzzy", "phonetic"):
            known[same.name].append(key)
        else:
            known[key] = [key]
    return {d: {t: tuple(forms) for t, forms in ts.items()} for d, ts in out.items()}


@cache
def _seats() -> list[Surface]:
    """District seats of the 2018 hierarchy ("KECH (AT TURBAT)": Turbat -> kech), unless
    the seat's name is itself a district ("KHYBER (AT PESHAWAR)")."""
    reference_districts = district_reference()
    taken = {compact(admin_key(d)) for d in reference_districts}
    out = []
    for district, name in _admin_districts().items():
        start = district.find("(AT ")
        if start < 0:
            continue
        seat = admin_key(district[start + 4 : district.index(")", start)])
        if compact(seat) not in taken:
            out.append(_surfaces(seat, name, "alias", reference_districts[name]))
    return out


@cache
def district_index() -> Index:
    """Every written form of a district: names, aliases, seats, abbreviations, tehsils."""
    base = _base_index()
    reference_districts = district_reference()
    tehsils = [
        _surfaces(form, district, "tehsil", reference_districts[district], tehsil)
        for district, table in tehsil_table().items()
        for tehsil, forms in table.items()
        for form in forms
    ]
    names = [s for s in base.surfaces if s.kind != "abbreviation"]
    divisions = {*reference.districts()["division"], *reference.admin_hierarchy()["division"]}
    region_names = frozenset(
        w for d in divisions for w in admin_key(d).split() if len(w) > 2 and w != "division"
    )
    return Index(
        _with_abbreviations(names + _seats(), tehsils),
        strict_kinds=frozenset({"tehsil"}),
        region_names=region_names,
    )


@cache
def _tehsil_index(district: str) -> Index | None:
    """A district's tehsils by their census name, other spellings and abbreviations."""
    table = tehsil_table().get(district)
    if not table:
        return None
    return Index(
        _with_abbreviations(
            [
                _surfaces(form, tehsil, "name" if form == tehsil else "alias", None)
                for tehsil, forms in table.items()
                for form in forms
            ]
        ),
        any_word_drops=True,
    )


@cache
def _all_tehsils_index() -> Index:
    """Every tehsil by its written forms, with its district's province (no abbreviations:
    across the country they are too many to be safe)."""
    reference_districts = district_reference()
    return Index(
        [
            _surfaces(
                form, tehsil, "name" if form == tehsil else "alias", reference_districts[district]
            )
            for district, table in tehsil_table().items()
            for tehsil, forms in table.items()
            for form in forms
        ],
        strict_kinds=frozenset({"name", "alias"}),
    )


# --- the resolvers ------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def resolve_district(value: str | None, province: str | None = None) -> Resolution:
    """The reference district a written name stands for, with confidence and method.

    >>> r = resolve_district("R.Y. Khan"); (r.name, r.confidence, r.method, r.candidates, r.tehsil)
    ('rahim yar khan', 0.95, 'abbreviation', (), None)
    >>> r = resolve_district("Lahroe"); (r.name, r.method, r.confidence)
    ('lahore', 'fuzzy', 0.875)
    >>> resolve_district("Sadiqabad").tehsil, resolve_district("Karachi").candidates
    ('sadiqabad', ('karachi central', 'karachi east', 'karachi south', 'karachi west'))
    """
    text = text_or_none(value)
    if text is None:
        return Resolution(None, None, None)
    key = admin_key(text)
    found = district_index().resolve(key, _scope(province))
    if found.name is None:  # a tie: keep the written name
        return Resolution(key or None, 0.0, "unresolved", found.candidates)
    return found


@lru_cache(maxsize=1 << 16)
def exact_district(value: str | None, province: str | None = None) -> Resolution | None:
    """What a written name names by its compact key alone (a district, alias, seat,
    abbreviation or tehsil; no edits), or None: a cheap check of a tehsil field.

    >>> exact_district("D.G. Khan").name, exact_district("Sadiqabad").method
    ('dera ghazi khan', 'tehsil')
    """
    text = text_or_none(value)
    if text is None:
        return None
    return _pick(district_index().exact(compact(admin_key(text)), _scope(province)))


@lru_cache(maxsize=1 << 16)
def resolve_tehsil(
    value: str | None, district: str | None = None, province: str | None = None
) -> Resolution:
    """The reference tehsil a written name stands for: within ``district`` when it is a
    reference district (a tehsil of another district is not looked for), else among the
    tehsils of ``province`` (or of the whole country), where it must name one tehsil.

    >>> resolve_tehsil("Fort Abas", "bahawalnagar").name, resolve_tehsil("Sadiqabd").name
    ('fort abbas', 'sadiqabad')
    """
    text = text_or_none(value)
    if text is None:
        return Resolution(None, None, None)
    key = admin_key(text)
    if district in district_reference():
        index = _tehsil_index(district)
        found = index.resolve(key) if index is not None else None
    else:
        found = _all_tehsils_index().resolve(key, _scope(province))
    if found is None or found.name is None:
        return Resolution(key or None, 0.0, "unresolved", found.candidates if found else ())
    return found


def all_aliases() -> dict[str, str]:
    """The hand alias table (for measurements: which names the table still carries)."""
    return dict(_DISTRICT_ALIASES)
