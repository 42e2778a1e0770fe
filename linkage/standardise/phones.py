"""Phone numbers -> national significant number (no +92, no trunk 0).

Pakistani mobiles are 03XX-XXXXXXX: written ``0300-1234567``, ``03001234567``,
``+92 300 1234567``, ``923001234567``, ``0092 300 1234567`` or ``300 1234567``; all
become ``3001234567`` (10 digits starting with 3). Landlines keep their area code
without the trunk 0: ``042-35761234`` -> ``4235761234``, ``091-5701234`` -> ``915701234``
(9-10 digits not starting with 3). When several numbers share a field ("0300-1234567 /
0321-7654321") the first is used. Letters are ignored ("cell: 0300-1234567"); junk (too
few or too many digits, one repeated digit, a subscriber part of one repeated digit)
becomes null.

>>> standardise_phone(pd.Series(["0300-1234567", "+92 300 1234567", "0092-300-1234567",
...                              "300 1234567", "042-35761234", "12345", "0300-0000000"])
...                   ).tolist()
['3001234567', '3001234567', '3001234567', '3001234567', '4235761234', <NA>, <NA>]
"""

from __future__ import annotations

import pandas as pd

from linkage.standardise._common import (
    ARROW_STRING,
    STRING,
    fold_digits,
    on_uniques,
    same_digit_run,
)

__all__ = ["standardise_phone"]


def _national(digits: pd.Series) -> pd.Series:
    """Digits without the 0092/+92/92 country code or the trunk 0.

    Written with masks, not ``\\1`` replacements, to stay in pyarrow's regex engine.
    """
    country = digits.str.fullmatch(r"(?:00)?92\d{9,10}").fillna(False)
    digits = digits.mask(country, digits.str.replace(r"^(?:00)?92", "", regex=True))
    trunk = digits.str.match(r"0[1-9]").fillna(False)
    return digits.mask(trunk, digits.str.slice(1))


def _standardise_distinct(raw: pd.Series) -> pd.Series:
    text = fold_digits(raw.astype(ARROW_STRING)).str.replace(r"\.0$", "", regex=True)
    first = text.str.replace(r"(?:[,;/|]|\bor\b).*$", "", regex=True)
    number = _national(first.str.replace(r"\D", "", regex=True))
    mobile = number.str.fullmatch(r"3\d{9}").fillna(False)
    landline = number.str.fullmatch(r"[124-9]\d{8,9}").fillna(False)
    filler = same_digit_run(number.str.slice(-7))
    return number.where((mobile | landline) & ~filler).astype(STRING)


def standardise_phone(phone: pd.Series) -> pd.Series:
    """``phone_std`` for each value (pandas ``string``; null when unusable)."""
    return on_uniques(phone, _standardise_distinct, memo="phone").astype(STRING)
