"""Helpers shared by the standardisers: null handling and work-once-per-distinct-value.

Registry columns repeat a lot (a district name appears millions of times, a given name
thousands), so every standardiser computes its result on the distinct values only and
broadcasts it back with ``take``; no Python loop ever runs per row of the full frame.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import ArrowException

#: Placeholders that mean "no value" in registry and partner files (compared after
#: stripping and lower-casing). Besides these, :func:`is_placeholder` treats as blank any
#: value without a letter or digit ("-", "?", "..."), one made of zeros and separators
#: ("0", "0000-00-00", "00/00/0000", "00000-0000000-0") and a run of x's ("xx", "XXXX"; a
#: single "X" is a gender).
NULL_TOKENS = frozenset(
    {
        "",
        "nan",
        "none",
        "null",
        "na",
        "n/a",
        "n.a",
        "n.a.",
        "nil",
        "nill",
        "-",
        "--",
        "---",
        "?",
        "0",
        "unknown",
        "not available",
        "not known",
        "not applicable",
        "not given",
        "nk",
        "xxx",
        "0000-00-00",
        "00/00/0000",
        "00-00-0000",
        "missing",
        "blank",
        "empty",
        "no data",
        "undefined",
        # what Excel writes into a cell whose formula failed
        "#n/a",
        "#na",
        "#value!",
        "#ref!",
        "#name?",
        "#div/0!",
        "#null!",
        "#num!",
        # Urdu "unknown"
        "نامعلوم",
    }
)
#: The shapes of placeholder beyond the list: no letter or digit at all, or zeros (any
#: script) and separators only (one expression: RE2 compiles ``[^\p{L}\p{N}]`` for about
#: a millisecond each time it is written, and Arrow compiles the pattern on every call,
#: the desk's one-record calls included); two or more x's.
PLACEHOLDER_PATTERN = r"(?:[^\p{L}\p{N}]|[0٠۰])*|xx+"
_PLACEHOLDER = re.compile(r"[\W_]*|[\W_]*(?:[0٠۰][\W_]*)+|xx+")
_SPACE = r"[\s\p{Z}]*"
#: The whole test as one RE2 expression, for Arrow: ignoring case and surrounding space,
#: a listed token or a placeholder shape.
_PLACEHOLDER_RE2 = (
    f"(?i)^{_SPACE}(?:"
    + "|".join(re.escape(t) for t in sorted(NULL_TOKENS, key=len, reverse=True) if t)
    + f"|{PLACEHOLDER_PATTERN}){_SPACE}$"
)

#: The dtype of standardised text: Arrow-backed, so the frames reach DuckDB, Spark and
#: Parquet without a conversion of every string (6 s for a million records' columns
#: with pandas' Python-backed strings, 1.3 s with these).
STRING = "string[pyarrow]"
#: Arrow-backed strings for the internal regex work: pyarrow runs ``str.replace``/
#: ``fullmatch``/``slice`` in C++ (RE2: no look-arounds or back-references), pandas'
#: python-backed strings run them one Python call per value.
ARROW_STRING = "string[pyarrow]"

Out = TypeVar("Out", pd.Series, pd.DataFrame)


def words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of a word-list literal.

    >>> words("mr  mrs dr")
    ('mr', 'mrs', 'dr')
    """
    return tuple(text.split())


def is_placeholder(value: object) -> bool:
    """True for text that stands for "no value": a ``NULL_TOKENS`` entry or a placeholder
    shape (see ``NULL_TOKENS``). Not for None (that is simply absent).

    >>> [is_placeholder(v) for v in ["N/A", " xxx ", "0000-00-00", "--", "#N/A", "Ali", "0301"]]
    [True, True, True, True, True, False, False]
    """
    if not isinstance(value, str):
        return False
    text = value.strip().lower()
    return text in NULL_TOKENS or _PLACEHOLDER.fullmatch(text) is not None


def placeholder_mask(values: pd.Series) -> pd.Series:
    """:func:`is_placeholder` for a column, as one regular expression in Arrow (RE2 with
    Unicode classes): golden records run it over every field of a registry."""
    try:
        array = pa.array(
            values if values.dtype == ARROW_STRING else values.astype(object),
            type=pa.string(),
            from_pandas=True,
        )
    except (TypeError, ValueError, ArrowException):  # values that are not text at all
        return values.map(is_placeholder).astype(bool)
    hit = placeholder_hits(array)
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)


def placeholder_hits(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`is_placeholder` for Arrow text, true or false (never null)."""
    return pc.fill_null(pc.match_substring_regex(array, _PLACEHOLDER_RE2), False)


def text_or_none(value: object) -> str | None:
    """The value as stripped text, or None for nulls and placeholders like 'N/A' or '-'.

    >>> text_or_none("  Lahore "), text_or_none(" n/a "), text_or_none(None), text_or_none(12)
    ('Lahore', None, None, '12')
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    text = str(value).strip()
    return None if is_placeholder(text) else text


def as_series(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """The column itself, or an all-null object column when it is absent."""
    if values is None:
        return pd.Series([None] * len(index), index=index, dtype=object)
    return values


def on_uniques(
    values: pd.Series, fn: Callable[[pd.Series], Out], *, memo: Hashable | None = None
) -> Out:
    """Apply ``fn`` to the distinct values of ``values`` and broadcast the result back.

    ``fn`` receives an object Series of the distinct values as text (``as_text``; nulls
    included once, as None, at the end) and must return a Series or DataFrame with one
    row per input, in order. The result keeps ``values``' index.

    ``memo`` names ``fn`` (with any setting it depends on) to keep its results for calls
    on a few distinct values, the desk's one record at a time: a pandas call costs
    milliseconds however small its input, and the same district, birth date or blank
    comes again and again. Only for a pure ``fn``.

    >>> on_uniques(pd.Series(["a", "b", "a", None]), lambda s: s.str.upper()).tolist()
    ['A', 'B', 'A', None]
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = _with_null(uniques)
    key = (memo, tuple(distinct)) if memo is not None and len(distinct) <= _MEMO_VALUES else None
    result = _MEMO.get(key) if key is not None else None
    if result is None:
        result = fn(pd.Series(distinct, dtype=object))
        if key is not None:
            _MEMO.put(key, result)
    out = result.take(np.where(codes < 0, len(uniques), codes))
    out.index = values.index
    if isinstance(out, pd.Series):
        out.name = values.name
    return out


class _Results:
    """A bounded least-recently-used map of results, safe to share between threads (the
    service answers desks from several)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable):
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: Hashable, value) -> None:
        with self.lock:
            self.items[key] = value
            if len(self.items) > self.size:
                self.items.popitem(last=False)


#: calls on at most this many distinct values (nulls included) are memoised
_MEMO_VALUES = 4
#: results kept (pandas objects of a few rows: ~10-25 kB each); the values that come
#: again (blanks, districts, common birth dates) stay in
_MEMO = _Results(2_000)


def on_unique_pairs(
    left: pd.Series, right: pd.Series, fn: Callable[[pd.Series, pd.Series], Out]
) -> Out:
    """Like ``on_uniques`` for a function of two aligned columns (e.g. district, province).

    ``fn`` gets two object Series (nulls as None) holding each distinct pair once.
    """
    lc, lu = pd.factorize(left, use_na_sentinel=True)
    rc, ru = pd.factorize(right, use_na_sentinel=True)
    lc = np.where(lc < 0, len(lu), lc).astype(np.int64)
    rc = np.where(rc < 0, len(ru), rc).astype(np.int64)
    codes, pairs = pd.factorize(lc * (len(ru) + 1) + rc)
    lidx, ridx = np.divmod(pairs, len(ru) + 1)
    a = pd.Series(_with_null(lu)[lidx], dtype=object)
    b = pd.Series(_with_null(ru)[ridx], dtype=object)
    out = fn(a, b).take(codes)
    out.index = left.index
    return out


def as_text(value: object) -> str:
    """A raw value as text; whole floats lose their ".0" (a CNIC or year read as float).

    >>> as_text("0300"), as_text(3520212345671.0), as_text(1987), as_text(2.5)
    ('0300', '3520212345671', '1987', '2.5')
    """
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _with_null(uniques: object) -> np.ndarray:
    """Distinct values as text, with None appended at the end for the null code."""
    return np.array([*(as_text(u) for u in uniques), None], dtype=object)


def same_digit_run(digits: pd.Series) -> pd.Series:
    """True where a string is one character repeated ("1111111"); RE2 has no ``(\\d)\\1``.

    >>> same_digit_run(pd.Series(["1111111", "1112111", "7"], dtype=ARROW_STRING)).tolist()
    [True, False, True]
    """
    return (digits.str.slice(0, -1) == digits.str.slice(1)).fillna(False)


def fold_digits(text: pd.Series) -> pd.Series:
    """Digits and dashes to ASCII: Urdu/Arabic-Indic and fullwidth digits, en and em
    dashes, minus signs and the like (NFKC, then the dashes NFKC keeps). Only values with
    non-ASCII text are touched.

    >>> fold_digits(pd.Series(["٣٥٢٠٢–١٢٣", "３５２０２−１", "35202-1"])).tolist()
    ['35202-123', '35202-1', '35202-1']
    """
    non_ascii = text.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False)
    if non_ascii.any():
        text = text.copy()
        text[non_ascii] = text[non_ascii].astype(object).map(fold_text)
    return text


def fold_text(value: str) -> str:
    """One value's digits and dashes as ASCII (see :func:`fold_digits`)."""
    return unicodedata.normalize("NFKC", value).translate(_DIGITS)


#: Urdu and Arabic-Indic digits (NFKC keeps them), and dash-like characters (NFKC keeps
#: most of them) -> ASCII.
_DIGITS = str.maketrans(
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d",
    "01234567890123456789----------",
)


def string_series(values: list[str | None]) -> pd.Series:
    """A pandas ``string`` Series (nulls as ``pd.NA``) from a list of str/None."""
    return pd.Series(pd.array(values, dtype=STRING))
