"""CSV cells that Excel will not run as formulas (OWASP "CSV injection").

Files people open in Excel (validate-partner's report, match-partner's feedback, the
clerical-review sample) carry values from input files: a partner's record id
``=HYPERLINK("http://…")`` or a name ``+cmd|' /C calc'!A0`` would run as a formula on
the clerk's machine. :func:`neutralise` puts a single quote before any cell that starts
like a formula; :func:`restore` takes it off again when such a file is read back, so
values round-trip exactly (a value that itself starts with a quote is quoted too).
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

#: Leading characters that make Excel (or LibreOffice) read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The mark put before such a cell; a value starting with it gets one too, to round-trip.
QUOTE = "'"


def neutralise(cell: object) -> str:
    """A cell as text Excel will not run as a formula: a leading ``= + - @``, tab or CR
    (or quote) gets a single quote in front. ``+92 300...`` stays readable as
    ``'+92 300...``; missing values are empty."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell is pd.NA:
        return ""
    text = str(cell)
    return QUOTE + text if text.startswith((*FORMULA_START, QUOTE)) else text


def restore(cell: object) -> object:
    """The value :func:`neutralise` was given (for text; anything else unchanged)."""
    if isinstance(cell, str) and cell.startswith(QUOTE):
        return cell[len(QUOTE) :]
    return cell


def excel_csv_text(df: pd.DataFrame) -> str:
    """``df`` as CSV text Excel opens safely: a BOM (Urdu stays Urdu), every cell quoted
    and neutralised, Windows line ends."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in df.columns])
    for record in df.itertuples(index=False, name=None):
        writer.writerow([neutralise(c) for c in record])
    return buffer.getvalue()
