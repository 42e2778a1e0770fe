"""Helpers shared by the standardisers: null handling and work-once-per-distinct-value.

Registry columns repeat a lot (a district name appears millions of times, a given name
thousands), so every standardiser computes its result on the distinct values only and
broadcasts it back with ``take``; no Python loop ever runs per row of the full frame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd

#: Placeholders that mean "no value" in registry and partner files.
NULL_TOKENS = frozenset(
    {"", "nan", "none", "null", "na", "n/a", "n.a", "n.a.", "nil", "-", "--", "---", "?",
     "0", "unknown", "not available", "not known", "nk"}
)

STRING = "string"
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
    return None if text.lower() in NULL_TOKENS else text


def as_series(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """The column itself, or an all-null object column when it is absent."""
    if values is None:
        return pd.Series([None] * len(index), index=index, dtype=object)
    return values


def on_uniques(values: pd.Series, fn: Callable[[pd.Series], Out]) -> Out:
    """Apply ``fn`` to the distinct values of ``values`` and broadcast the result back.

    ``fn`` receives an object Series of the distinct values as text (``as_text``; nulls
    included once, as None, at the end) and must return a Series or DataFrame with one
    row per input, in order. The result keeps ``values``' index.

    >>> on_uniques(pd.Series(["a", "b", "a", None]), lambda s: s.str.upper()).tolist()
    ['A', 'B', 'A', None]
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    result = fn(pd.Series(_with_null(uniques), dtype=object))
    out = result.take(np.where(codes < 0, len(uniques), codes))
    out.index = values.index
    if isinstance(out, pd.Series):
        out.name = values.name
    return out


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
    """Urdu/Arabic-Indic digits -> ASCII (translated only where non-ASCII text occurs)."""
    non_ascii = text.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False)
    if non_ascii.any():
        text = text.copy()
        text[non_ascii] = text[non_ascii].astype(object).str.translate(_DIGITS)
    return text


_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def string_series(values: list[str | None]) -> pd.Series:
    """A pandas ``string`` Series (nulls as ``pd.NA``) from a list of str/None."""
    return pd.Series(pd.array(values, dtype=STRING))
