"""Identifiers other than the CNIC: a postcode, and a generic person id.

Both are compared exactly, so they are folded to one spelling: letters and digits only,
upper case. Placeholders ("N/A", "-", "0") are blanks.

>>> standardise_code(pd.Series(["NW1 6XE", "nw16xe", "4220", " n/a ", None])).tolist()
['NW16XE', 'NW16XE', '4220', <NA>, <NA>]
"""

from __future__ import annotations

import pandas as pd

from linkage.standardise._common import ARROW_STRING, NULL_TOKENS, STRING, fold_digits, on_uniques

__all__ = ["standardise_code"]


def _distinct(raw: pd.Series) -> pd.Series:
    text = fold_digits(raw.astype(ARROW_STRING)).str.strip()
    placeholder = text.str.lower().isin(list(NULL_TOKENS)).fillna(False)
    code = text.str.replace(r"\.0$", "", regex=True).str.replace(r"[\W_]+", "", regex=True)
    code = code.str.upper()
    return code.where(~placeholder & (code.str.len() > 0)).astype(STRING)


def standardise_code(values: pd.Series) -> pd.Series:
    """``postcode_std`` / ``id_other_std``: letters and digits, upper case; null if none."""
    return on_uniques(values, _distinct, memo="code").astype(STRING)
