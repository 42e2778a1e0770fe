"""Dates of birth -> date, year and precision.

Registry dates come as ISO (``1987-03-14``), Pakistani day-first (``14/03/1987``,
``14-03-1987``, ``14.03.1987``, two-digit years ``14/03/87``), spreadsheet exports
(``1987-03-14 00:00:00``), month names (``14-Mar-1987``, ``March 14, 1987``), compact
``19870314``, year only (``1987``, ``1987-00-00``, ``00/00/1987``) and month-year
(``03/1987``), in Latin or Urdu digits.

Decisions:

* day-first is the default; a value is read month-first only when day-first is
  impossible (``03/14/1987``);
* ``dob_precision`` is ``year`` when only the year is known (then ``dob`` is null),
  ``jan1`` for 1 January (a common default when the day is unknown; ``dob`` kept),
  else ``day``;
* a two-digit year ``yy`` is 20yy when yy <= 26, else 19yy;
* impossible dates (31/02/1990), years before 1900 or after 2026 (``0000-00-00`` is
  year 0, not 2000) and placeholders give all-null output; nothing raises.

>>> standardise_dob(pd.Series(["14/03/1987", "1987", "01-01-1990", "31/02/1990"]))[
...     ["dob_year", "dob_precision"]].to_numpy().tolist()
[[1987, 'day'], [1987, 'year'], [1990, 'jan1'], [<NA>, <NA>]]
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from linkage.standardise._common import STRING, fold_text, is_placeholder, on_uniques

NAT = np.datetime64("NaT")

__all__ = ["DOB_COLUMNS", "MIN_YEAR", "MAX_YEAR", "standardise_dob"]

DOB_COLUMNS = ("dob", "dob_year", "dob_precision", "dob_out_of_range")
MIN_YEAR, MAX_YEAR = 1900, 2026
TWO_DIGIT_PIVOT = 26

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_SEP = r"[-/.\s]+"
_ORD = r"(?:st|nd|rd|th)?"

#: (regex with named groups y/m/d or mon, day-first ambiguity allowed?)
_PATTERNS: tuple[tuple[str, bool], ...] = (
    (rf"(?P<y>\d{{4}}){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<d>\d{{1,2}})", False),
    (rf"(?P<d>\d{{1,2}}){_ORD}{_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<y>\d{{4}}|\d{{2}})", True),
    (
        rf"(?P<d>\d{{1,2}}){_ORD}[-/.\s,]*(?P<mon>[a-z]{{3,9}})[-/.\s,]*(?P<y>\d{{4}}|\d{{2}})",
        False,
    ),
    (rf"(?P<mon>[a-z]{{3,9}})[-/.\s]*(?P<d>\d{{1,2}}){_ORD}[,\s]+(?P<y>\d{{4}})", False),
    (r"(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)", False),
    (r"(?P<y>\d{4})", False),
    (rf"(?P<m>\d{{1,2}}){_SEP}(?P<y>\d{{4}})", False),
    (rf"(?P<y>\d{{4}}){_SEP}(?P<m>\d{{1,2}})", False),
    (r"(?P<mon>[a-z]{3,9})[-/.\s,]*(?P<y>\d{4})", False),
)
_TIME = r"[t\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:am|pm)?$"


_FORMATS = tuple((re.compile(pattern), day_first) for pattern, day_first in _PATTERNS)
_TIME_OF_DAY = re.compile(_TIME)
#: What an unreadable, absent or placeholder date gives: dob, year, precision, out of range.
_UNKNOWN = (None, None, None, None)


def _read(value: str | None, min_year: int) -> tuple:
    """One date as (dob, dob_year, dob_precision, dob_out_of_range): the first format
    that reads the whole text (lower case, ASCII digits, no time of day); two-digit years
    expanded; month-first only where day-first is impossible.

    One value at a time (over the distinct values): a pandas call per format cost a desk's
    single record 10-15 ms, and a million records' distinct dates no less."""
    if value is None:
        return _UNKNOWN
    text = (value if value.isascii() else fold_text(value)).lower().strip()
    if is_placeholder(text):
        return _UNKNOWN
    text = _TIME_OF_DAY.sub("", text).strip()
    found, day_first = next(
        ((match, first) for pattern, first in _FORMATS if (match := pattern.fullmatch(text))),
        (None, False),
    )
    if found is None:
        return _UNKNOWN
    parts = found.groupdict()
    year = int(parts["y"])
    if len(parts["y"]) <= 2:  # only a year written with two digits: "0087" is year 87
        year += 2000 if year <= TWO_DIGIT_PIVOT else 1900
    month = _MONTHS.get(parts["mon"]) if "mon" in parts else int(parts.get("m", 0))
    day = int(parts.get("d", 0))
    if not min_year <= year <= MAX_YEAR:
        return (None, None, None, True)
    if month is None:  # a month name that is none
        return _UNKNOWN
    if day_first and month > 12 and day <= 12:
        month, day = day, month
    if month == 0 or day == 0:
        return (None, year, "year", None) if month <= 12 else _UNKNOWN
    try:
        dob = dt.datetime(year, month, day)
    except ValueError:  # 31 February
        return _UNKNOWN
    return (dob, year, "jan1" if month == day == 1 else "day", None)


def _standardise_distinct(raw: pd.Series, min_year: int = MIN_YEAR) -> pd.DataFrame:
    read = [_read(value, min_year) for value in raw]
    dob, year, precision, out_of_range = zip(*read, strict=True) if read else ((),) * 4
    return pd.DataFrame(
        {
            "dob": np.array([NAT if d is None else d for d in dob], dtype="datetime64[ns]"),
            "dob_year": pd.array(year, dtype="Int64"),
            "dob_precision": pd.array(precision, dtype=STRING),
            # True or null (not False), so an absent date leaves the column empty
            "dob_out_of_range": pd.array(out_of_range, dtype="boolean"),
        },
        index=raw.index,
    )


def standardise_dob(date_of_birth: pd.Series, *, min_year: int = MIN_YEAR) -> pd.DataFrame:
    """``dob`` (datetime64[ns], midnight), ``dob_year`` (Int64), ``dob_precision``.

    Years before ``min_year`` (1900 by default: a registry of the living) or after
    ``MAX_YEAR`` are out of range and give all-null output; a historical register sets
    an earlier ``min_year``.

    >>> out = standardise_dob(pd.Series(["1987-03-14 00:00:00", "03/14/1987", "14-Mar-87",
    ...                                  "1987-00-00", "1850", "garbage", None]))
    >>> out["dob"].dt.strftime("%Y-%m-%d").tolist()
    ['1987-03-14', '1987-03-14', '1987-03-14', nan, nan, nan, nan]
    >>> out["dob_precision"].tolist()
    ['day', 'day', 'day', 'year', <NA>, <NA>, <NA>]
    """
    return on_uniques(
        date_of_birth, lambda raw: _standardise_distinct(raw, min_year), memo=("dob", min_year)
    )
