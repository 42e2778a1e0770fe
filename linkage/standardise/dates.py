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

import pandas as pd

from linkage.standardise._common import (
    ARROW_STRING,
    STRING,
    fold_digits,
    on_uniques,
    placeholder_mask,
)

__all__ = ["DOB_COLUMNS", "MIN_YEAR", "MAX_YEAR", "standardise_dob"]

DOB_COLUMNS = ("dob", "dob_year", "dob_precision", "dob_out_of_range")
MIN_YEAR, MAX_YEAR = 1900, 2026
TWO_DIGIT_PIVOT = 26

_MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")],
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
    (rf"(?P<d>\d{{1,2}}){_ORD}[-/.\s,]*(?P<mon>[a-z]{{3,9}})[-/.\s,]*(?P<y>\d{{4}}|\d{{2}})", False),
    (rf"(?P<mon>[a-z]{{3,9}})[-/.\s]*(?P<d>\d{{1,2}}){_ORD}[,\s]+(?P<y>\d{{4}})", False),
    (r"(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)", False),
    (r"(?P<y>\d{4})", False),
    (rf"(?P<m>\d{{1,2}}){_SEP}(?P<y>\d{{4}})", False),
    (rf"(?P<y>\d{{4}}){_SEP}(?P<m>\d{{1,2}})", False),
    (r"(?P<mon>[a-z]{3,9})[-/.\s,]*(?P<y>\d{4})", False),
)
_TIME = r"[t\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:am|pm)?$"


def _clean(raw: pd.Series) -> pd.Series:
    """Lower case, ASCII digits, no time of day; placeholders ("0000-00-00") null."""
    text = fold_digits(raw.astype(ARROW_STRING)).astype(STRING).str.lower().str.strip()
    text = text.mask(placeholder_mask(text))
    return text.str.replace(_TIME, "", regex=True).str.strip()


def _parts(text: pd.Series) -> pd.DataFrame:
    """Year, month, day (Int64; 0 or null when not given) from the first matching format."""
    parts = pd.DataFrame(
        {"y": pd.NA, "m": pd.NA, "d": pd.NA, "day_first": False, "short": False},
        index=text.index,
    ).astype({"y": "Int64", "m": "Int64", "d": "Int64", "day_first": bool, "short": bool})
    todo = text.notna()
    for pattern, day_first in _PATTERNS:
        if not todo.any():  # all read (or none to read): the remaining formats cost
            break  # a few ms each even on no rows
        found = text[todo].str.extract(f"^{pattern}$")
        hit = found.notna().any(axis=1)
        found = found[hit]
        if found.empty:
            continue
        # only a year written with two digits is a two-digit year: "0087" is year 87
        parts.loc[found.index, "short"] = (found["y"].str.len() <= 2).fillna(False)
        if "mon" in found:
            found["m"] = found["mon"].map(_MONTHS)
        for col in ("y", "m", "d"):
            if col in found:
                parts.loc[found.index, col] = pd.to_numeric(found[col]).astype("Int64")
            else:
                parts.loc[found.index, col] = 0
        parts.loc[found.index, "day_first"] = day_first
        todo &= ~todo.index.isin(found.index)
    return parts


def _resolve(parts: pd.DataFrame) -> pd.DataFrame:
    """Two-digit years expanded; month-first only where day-first is impossible."""
    y, m, d = parts["y"].copy(), parts["m"].copy(), parts["d"].copy()
    short = parts["short"]
    y = y.mask(short & (y <= TWO_DIGIT_PIVOT), y + 2000).mask(short & (y > TWO_DIGIT_PIVOT), y + 1900)
    swap = (parts["day_first"] & (m > 12) & (d <= 12)).fillna(False)
    m, d = m.mask(swap, d), d.mask(swap, m)
    return pd.DataFrame({"y": y, "m": m, "d": d})


def _standardise_distinct(raw: pd.Series, min_year: int = MIN_YEAR) -> pd.DataFrame:
    ymd = _resolve(_parts(_clean(raw)))
    y, m, d = ymd["y"], ymd["m"], ymd["d"]
    plausible = ((y >= min_year) & (y <= MAX_YEAR)).fillna(False)
    year_only = plausible & ((m == 0) | (d == 0)).fillna(False) & (m <= 12).fillna(False)
    day_level = plausible & ~year_only & m.notna()
    dob = pd.to_datetime(
        pd.DataFrame({"year": y, "month": m, "day": d}).where(day_level).astype("float64"),
        errors="coerce",
    )
    known = year_only | dob.notna()
    precision = pd.Series(pd.NA, index=raw.index, dtype=STRING)
    precision[dob.notna()] = "day"
    precision[dob.notna() & (m == 1) & (d == 1)] = "jan1"
    precision[year_only] = "year"
    return pd.DataFrame(
        {
            "dob": dob.astype("datetime64[ns]"),
            "dob_year": y.where(known).astype("Int64"),
            "dob_precision": precision,
            # True or null (not False), so an absent date leaves the column empty
            "dob_out_of_range": (y.notna() & ~plausible).astype("boolean").mask(
                ~(y.notna() & ~plausible).fillna(False)),
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
    return on_uniques(date_of_birth, lambda raw: _standardise_distinct(raw, min_year),
                      memo=("dob", min_year))
