"""Person names -> canonical name, given name, family name and phonetic keys.

Steps for one name (computed once per distinct raw value):

1. Urdu-script words are read into Latin through the urdupoint name pairs (compound
   words glued first, long-ā alifs ignored as a fallback); an unknown word is read
   letter by letter so that something usable remains (``name_rules``);
2. a relation marker (s/o, d/o, w/o, bin, ولد...) ends the person's own name; the rest is
   the guardian's name, used when the record has no ``guardian_name`` of its own;
3. tokens: lower case, punctuation and digits removed, honorifics dropped, abbreviations
   folded (Mohd -> muhammad), compounds joined (abdul rehman -> abdulrehman);
4. every token is replaced by its canonical spelling (``name_variants``);
5. *core* tokens are the tokens after the leading run of title-like prefixes
   (Muhammad, Syed, Malik, Chaudhry...) without female fillers (Bibi, Begum...) and
   single-letter initials. ``given_name`` is the first core token (the first token when
   there is no core), ``family_name`` the last core token when there are two or more;
6. keys: ``given_name_key`` = ``name_key(given_name)``; ``name_tokens_key`` = sorted keys
   of the core tokens, so word order and spelling do not matter.

>>> parse_name("Mohd. Naveed Akhter")[:3]
('muhammad naveed akhter', 'naveed', 'akhter')
>>> parse_name("Navid Akhter")[:3]
('naveed akhter', 'naveed', 'akhter')
>>> parse_name("Syeda Fatima Bibi")[:3]
('syeda fatima bibi', 'fatima', None)
>>> parse_name("محمد علی")[:3]
('muhammad ali', 'ali', None)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage.standardise._common import (
    ARROW_STRING,
    STRING,
    as_series,
    on_unique_pairs,
    placeholder_hits,
    text_or_none,
)
from linkage.standardise._worker import Deferred, stop_waiting, warm
from linkage.standardise.name_rules import (
    FEMALE_FILLERS,
    TITLE_PREFIXES,
    has_arabic_script,
    latin_tokens,
    split_relation,
    transliterate_letters,
    urdu_words,
)
from linkage.standardise.name_variants import canonical_tokens, read_urdu_word
from linkage.standardise.phonetic import name_key

__all__ = ["NAME_COLUMNS", "GUARDIAN_COLUMNS", "NameParts", "parse_name", "standardise_names"]

NAME_COLUMNS = (
    "name_std",
    "given_name",
    "family_name",
    "given_name_key",
    "family_name_key",
    "name_tokens_key",
    "name_compact",
    "name_letters",
)
GUARDIAN_COLUMNS = (
    "guardian_std",
    "guardian_given",
    "guardian_key",
    "guardian_tokens_key",
    "guardian_compact",
)

_URDU_RUN = re.compile(
    r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"
    r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff\s]*"
)


class NameParts(NamedTuple):
    """A parsed name; every field is None when the name has no usable token."""

    name_std: str | None
    given_name: str | None
    family_name: str | None
    given_name_key: str | None
    family_name_key: str | None
    name_tokens_key: str | None
    guardian_text: str | None  # the part after a relation marker, as written
    name_compact: str | None = None  # core tokens run together: spaces never matter
    name_letters: str | None = None  # their letters sorted: word order never matters


_EMPTY = NameParts(None, None, None, None, None, None, None, None, None)


def _read_urdu_run(match: re.Match[str]) -> str:
    readings = []
    for word in urdu_words(match.group(0)):
        readings.append(read_urdu_word(word) or transliterate_letters(word))
    return " " + " ".join(readings) + " "


def to_latin(text: str) -> str:
    """The text with every Urdu-script run replaced by its Latin reading.

    >>> to_latin("محمد نوید ولد محمد اختر").split()
    ['muhammad', 'naveed', 's/o', 'muhammad', 'akhter']
    """
    if not has_arabic_script(text):
        return text
    return _URDU_RUN.sub(_read_urdu_run, text)


def core_tokens(tokens: list[str]) -> list[str]:
    """Tokens after the leading titles, without female fillers and one-letter initials.

    >>> core_tokens(["muhammad", "naveed", "akhter"]), core_tokens(["syeda", "fatima", "bibi"])
    (['naveed', 'akhter'], ['fatima'])
    >>> core_tokens(["ali", "muhammad"]), core_tokens(["s", "muhammad", "ali"])
    (['ali', 'muhammad'], ['ali'])
    """
    start = 0
    while start < len(tokens) and (tokens[start] in TITLE_PREFIXES or len(tokens[start]) == 1):
        start += 1
    return [t for t in tokens[start:] if t not in FEMALE_FILLERS and len(t) > 1]


class _KeyMemo(dict):
    """``name_key`` memoised for one batch: tokens repeat far more than names do."""

    def __missing__(self, token: str) -> str:
        key = self[token] = name_key(token)
        return key


def parse_name(
    text: object, key: Callable[[str], str] = name_key, surname: object = None
) -> NameParts:
    """Parse one raw name (any script; None and placeholders give all-None parts).

    >>> parse_name("MUHAMMAD NAVEED AKHTAR").given_name_key == parse_name("Navid Akhter")[3]
    True
    >>> parse_name("Abdur Rahman")[:2] == parse_name("Abdul Rehman")[:2]
    True
    >>> parse_name("Ali Raza s/o Ghulam Abbas").guardian_text
    ' ghulam abbas'
    >>> parse_name("  ") == parse_name(None) == parse_name("Dr.")
    True

    ``surname``, when a file keeps it in a column of its own, is the family name, and
    the given name is the first core token of what remains: "Wright" and "Sir Almroth
    Wright" give family "wright" and given "almroth"; a surname alone gives no given name.

    >>> parse_name("isabelle", surname="smith")[1:3], parse_name(None, surname="smith")[1:3]
    (('isabelle', 'smith'), (None, 'smith'))

    ``key`` computes the phonetic key of one token (``name_key``, possibly memoised).
    """
    raw = text_or_none(text)
    family_raw = text_or_none(surname)
    if raw is None and family_raw is None:
        return _EMPTY
    own, guardian = split_relation(to_latin(raw).lower()) if raw is not None else ("", None)
    tokens = canonical_tokens(latin_tokens(own))
    if family_raw is not None:
        return _with_surname(
            tokens, canonical_tokens(latin_tokens(to_latin(family_raw).lower())), guardian, key
        )
    if not tokens:
        return _EMPTY._replace(guardian_text=guardian)
    core = core_tokens(tokens)
    given = core[0] if core else tokens[0]
    family = core[-1] if len(core) >= 2 else None
    keyed = core or tokens
    return NameParts(
        name_std=" ".join(tokens),
        given_name=given,
        family_name=family,
        given_name_key=key(given) or None,
        family_name_key=(key(family) or None) if family else None,
        name_tokens_key=" ".join(sorted(key(t) for t in keyed)) or None,
        guardian_text=guardian,
        name_compact="".join(keyed) or None,
        name_letters="".join(sorted("".join(keyed))) or None,
    )


def _with_surname(
    tokens: list[str], surname: list[str], guardian: str | None, key: Callable[[str], str]
) -> NameParts:
    """Parts of a name whose surname came in its own column (``tokens`` may repeat it)."""
    if not surname:
        core = core_tokens(tokens)
        surname_core: list[str] = []
    else:
        rest = list(tokens)
        for token in surname:
            if token in rest:
                rest.remove(token)
        tokens = rest + surname
        core = core_tokens(rest) or rest
        surname_core = core_tokens(surname) or surname
    if not tokens:
        return _EMPTY._replace(guardian_text=guardian)
    given = core[0] if core else None
    family = surname_core[-1] if surname_core else None
    keyed = [*core, *surname_core] or tokens
    return NameParts(
        name_std=" ".join(tokens),
        given_name=given,
        family_name=family,
        given_name_key=(key(given) or None) if given else None,
        family_name_key=(key(family) or None) if family else None,
        name_tokens_key=" ".join(sorted(key(t) for t in keyed)) or None,
        guardian_text=guardian,
        name_compact="".join(keyed) or None,
        name_letters="".join(sorted("".join(keyed))) or None,
    )


def _parse_table(values: Sequence) -> pa.Table:
    """The parts of each name, one row per value, as Arrow text."""
    key = _KeyMemo().__getitem__
    rows = [parse_name(v, key) for v in values]
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(NameParts._fields)
    return pa.table(
        {f: pa.array(c, type=pa.string()) for f, c in zip(NameParts._fields, columns, strict=True)}
    )


#: Input files this large start the names worker while they are read: a registry wave
#: of 16 MB (about 80,000 rows) has some 50,000 distinct names and guardians
#: (``_worker.MIN_VALUES``), and a smaller file's worker costs only an idle core's time.
WARM_BYTES = 16 * 2**20


def warm_names(input_bytes: int) -> None:
    """About to read ``input_bytes`` of records: start the names worker now if it will be
    used, so that its start-up overlaps the read (``_worker.warm``)."""
    if input_bytes >= WARM_BYTES:
        warm(_parse_table)


def cancel_warm_names() -> None:
    """Stop the worker :func:`warm_names` started if nothing took it (a job that is
    over, its file refused or its names parsed another way)."""
    stop_waiting()


class _ParsedNames:
    """The names of one batch, parsed once each and looked up by value: a head's name is
    often their children's guardian. Folding, lookups and the result stay in Arrow."""

    def __init__(self) -> None:
        self.row: dict[str, int] = {}
        self.table = pa.table({f: pa.array([], pa.string()) for f in NameParts._fields})

    def parse(self, values: Iterable[str]) -> None:
        new = [v for v in dict.fromkeys(values) if v not in self.row]
        if new:
            self.add(new, _parse_table(new))

    def add(self, values: Sequence[str], table: pa.Table) -> None:
        """Parts already parsed: ``table`` has one row per value of ``values`` (new ones)."""
        first = len(self.row)
        self.row.update((v, first + i) for i, v in enumerate(values))
        self.table = pa.concat_tables([self.table, table])

    def parts(self, text: pa.ChunkedArray, index: pd.Index) -> pd.DataFrame:
        """The parts of each name of ``text`` (nulls give nulls), of dtype ``STRING``."""
        encoded = pc.dictionary_encode(text).combine_chunks()
        distinct = encoded.dictionary.to_pylist()
        self.parse(distinct)
        rows = pa.array([self.row[v] for v in distinct], type=pa.int64()).take(encoded.indices)
        taken = self.table.take(rows)
        return pd.DataFrame(
            {
                f: pd.arrays.ArrowStringArray(taken[f].cast(pa.large_string()))
                for f in NameParts._fields
            },
            index=index,
        )


def _series(text: pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """Arrow text as an object column (None for nulls), for ``on_unique_pairs``."""
    return pd.Series(text.to_pylist(), index=index, dtype=object)


def _parse_distinct_pairs(names: pd.Series, surnames: pd.Series) -> pd.DataFrame:
    key = _KeyMemo().__getitem__
    frame = pd.DataFrame(
        [parse_name(n, key, surname=s) for n, s in zip(names, surnames, strict=True)],
        columns=NameParts._fields,
    )
    return frame.astype(STRING)


def _prefold(names: pd.Series) -> pa.ChunkedArray:
    """Lower case and single spaces, in Arrow: "MUHAMMAD  ALI" and "Muhammad Ali" are
    then one distinct value, parsed once. ``parse_name`` would fold them the same way."""
    text = pa.array(names.astype(ARROW_STRING))
    if isinstance(text, pa.Array):
        text = pa.chunked_array([text], text.type)
    text = pc.replace_substring_regex(pc.utf8_lower(text), r"\s+", " ")
    return pc.utf8_trim_whitespace(text)


def standardise_names(
    full_name: pd.Series,
    guardian_name: pd.Series | None = None,
    surname: pd.Series | None = None,
) -> pd.DataFrame:
    """Name and guardian columns of the contract (``NAME_COLUMNS + GUARDIAN_COLUMNS``).

    The guardian is ``guardian_name`` when given, else the part of ``full_name`` after a
    relation marker ("Ali s/o Ahmed").

    >>> out = standardise_names(pd.Series(["Mohd. Naveed Akhter", "Ali s/o Ahmed", None]),
    ...                         pd.Series(["Muhammad Akhter", None, None]))
    >>> out[["given_name", "family_name", "guardian_given"]].to_numpy().tolist()
    [['naveed', 'akhter', 'akhter'], ['ali', <NA>, 'ahmad'], [<NA>, <NA>, <NA>]]
    """
    return begin_names(full_name, guardian_name, surname)()


def begin_names(
    full_name: pd.Series,
    guardian_name: pd.Series | None = None,
    surname: pd.Series | None = None,
    *,
    worker: bool = True,
) -> Callable[[], pd.DataFrame]:
    """:func:`standardise_names` begun: the distinct names go to a second core at once
    (``_worker``), and the function returned waits for them and gives the columns. The
    caller standardises its other columns in between."""
    index = full_name.index
    own_text = _prefold(full_name)
    stated = _prefold(as_series(guardian_name, index))
    stated = pc.if_else(placeholder_hits(stated), pa.scalar(None, stated.type), stated)
    if surname is not None and not surname.isna().all():
        own = on_unique_pairs(
            _series(own_text, index), _series(_prefold(surname), index), _parse_distinct_pairs
        )
        return lambda: _with_guardians(_ParsedNames(), own, stated, index)
    # names and stated guardians parsed in one batch
    values = (v for c in (own_text, stated) for v in pc.unique(c).to_pylist() if v)
    distinct = list(dict.fromkeys(values))
    parsing = Deferred(_parse_table, distinct, worker=worker)

    def finish() -> pd.DataFrame:
        names = _ParsedNames()
        names.add(distinct, parsing.result())
        return _with_guardians(names, names.parts(own_text, index), stated, index)

    return finish


def _with_guardians(
    names: _ParsedNames, own: pd.DataFrame, stated: pa.ChunkedArray, index: pd.Index
) -> pd.DataFrame:
    """The name columns with the guardian's: as stated, else written after a relation
    marker in the name ("Ali s/o Ahmed")."""
    guardian_text = pa.array(own["guardian_text"].astype(ARROW_STRING)).cast(stated.type)
    guardian = names.parts(pc.coalesce(stated, guardian_text), index)
    out = own[list(NAME_COLUMNS)].copy()
    out["guardian_std"] = guardian["name_std"]
    out["guardian_given"] = guardian["given_name"]
    out["guardian_key"] = guardian["given_name_key"]
    out["guardian_tokens_key"] = guardian["name_tokens_key"]
    out["guardian_compact"] = guardian["name_compact"]
    return out
