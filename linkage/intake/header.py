"""Is a file's first row a header? Messages name a file's columns only when it is.

A file saved without its header row has a person's name, CNIC, birth date and phone
where the column names should be, so a message listing "the columns found" would print
them to a console, a log file or a screenshot. Every message that would list a file's
columns asks :func:`describe_columns` instead, which lists them only when the first row
looks like a header and otherwise says that it looks like data, showing no value.

The test errs towards "data": a false alarm costs a less helpful message, a miss prints
someone's CNIC. A row looks like data when any cell has the shape of a value (a CNIC, a
date, a phone number, a run of five digits, mostly digits, an e-mail address, control
characters, more than 64 characters), or when more of its cells read as values (numbers,
genders, known places, known person names) than as column names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from linkage.standardise._common import fold_text, words

#: What a message says instead of the columns when the first row looks like data.
NOT_A_HEADER = (
    "The first row looks like data, not a header (its values are not shown): the file "
    "needs a header row naming its columns, such as record_id, household_id, full_name, "
    "cnic."
)

_MAX_NAME = 64
_VALUE_SHAPES = (
    re.compile(r"\d{5,}"),  # CNIC, phone, serial numbers (separators removed first)
    re.compile(r"\d{1,4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,4}"),  # a date
    re.compile(r"\d{1,2}[-/.\s]*[a-z]{3,9}[-/.\s,]*\d{2,4}"),  # 14-mar-1987
    re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}"),  # an e-mail address
    re.compile(r"[\x00-\x08\x0b-\x1f\x7f]"),  # control characters
)
_NUMBER = re.compile(r"[+-]?[\d.,\s]+")
_WORD = re.compile(r"[^\W\d_]+")
#: Words that make a cell read as a column name ("Father Name", "CNIC No.", "Sr #").
_HEADER_WORDS = frozenset(
    words("""
    id no num number name names code type status score size date dob birth age year month
    day address addr phone mobile cell contact cnic nic gender sex district province tehsil
    uc union council village city town mohalla area region zone remarks remark comment
    comments note notes serial sr sno household hh family father husband guardian relation
    relationship member members beneficiary applicant head amount total income poverty flag
    pmt source wave record person first middle last given surname caste qaum urban rural
    registration form index ref reference category kind of the and or
    نام ولدیت شناختی کارڈ پتہ ضلع تحصیل تاریخ پیدائش جنس نمبر موبائل والد شوہر رقم صوبہ
""")
)
_GENDERS = frozenset(words("m f male female man woman boy girl mard aurat مرد عورت"))


def looks_like_data(columns: Iterable[object]) -> bool:
    """True when the first row (the would-be column names) looks like a row of data.

    >>> looks_like_data(["record_id", "Full Name", "CNIC No.", "DOB"])
    False
    >>> looks_like_data(["w21-17", "Ali Khan", "35202-1234567-1", "14/03/1987"])
    True
    >>> looks_like_data(["7", "Zainab Bibi", "Lahore"])
    True
    """
    cells = [c for c in (_clean(col) for col in columns) if c]
    if not cells:
        return False
    if any(_has_value_shape(c) for c in cells):
        return True
    header = [c for c in cells if _is_column_name(c)]
    values = [c for c in cells if c not in header and _reads_as_value(c)]
    return len(values) > len(header)


def describe_columns(columns: Iterable[object], intro: str = "Columns found") -> str:
    """``"Columns found: 'a', 'b'."``, or :data:`NOT_A_HEADER` when the first row looks
    like data."""
    columns = [str(c) for c in columns]
    if looks_like_data(columns):
        return NOT_A_HEADER
    return f"{intro}: " + ", ".join(repr(c) for c in columns) + "."


def _clean(column: object) -> str:
    """A cell as compared here: stripped, lower case, digits folded to ASCII; the
    reader's own names for blank header cells (``unnamed_3``) are no evidence."""
    text = fold_text(str(column)).strip().lower()
    return "" if re.fullmatch(r"unnamed_\d+", text) else text


def _has_value_shape(cell: str) -> bool:
    if len(cell) > _MAX_NAME:
        return True
    compact = re.sub(r"[\s\-_./()]", "", cell)
    if any(p.search(cell) or p.search(compact) for p in _VALUE_SHAPES):
        return True
    digits = sum(ch.isdigit() for ch in compact)
    return len(compact) >= 3 and digits * 2 >= len(compact)


def _is_column_name(cell: str) -> bool:
    from linkage.intake.spellings import is_known_column

    return is_known_column(cell) or any(w in _HEADER_WORDS for w in _WORD.findall(cell))


def _reads_as_value(cell: str) -> bool:
    if _NUMBER.fullmatch(cell) or cell in _GENDERS:
        return True
    words = _WORD.findall(cell)
    return bool(words) and (cell in _places() or all(w in _person_names() for w in words))


@cache
def _places() -> frozenset[str]:
    from linkage.standardise.places import PROVINCES, district_reference

    return frozenset(district_reference()) | {p.lower() for p in PROVINCES}


@cache
def _person_names() -> frozenset[str]:
    from linkage import reference
    from linkage.standardise.name_variants import _known_spellings

    urdu = reference.names_latin_urdu()["name_urdu"].dropna()
    return (_known_spellings() | frozenset(str(n).strip() for n in urdu)) - _HEADER_WORDS
