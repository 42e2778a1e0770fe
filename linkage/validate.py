"""Row-level validation: set aside the rows that cannot take part in matching.

Only rows that are *unusable* are rejected: no ``record_id`` (nothing to report the
result against), a registry row with an empty ``household_id`` in a file that has the
column (household logic needs it; a file without the column is one household per
record), or a row with neither a name nor an identifier (nothing to match on). Rows that are merely
imperfect (malformed CNIC, odd date, unknown district) are kept: the standardiser
flags them and matching still uses what is good in them.

Nothing is lost: every input row ends up in exactly one of ``Validated.rows`` and
``Validated.rejected``, the latter with a readable ``reason``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from linkage.contract import HOUSEHOLD_ID, RECORD_ID
from linkage.errors import InputError
from linkage.io import INPUT_ROW
from linkage.mapping import is_blank

log = logging.getLogger(__name__)

REASON = "reason"
REASON_NO_RECORD_ID = "empty record_id"
REASON_NO_HOUSEHOLD_ID = "empty household_id"
REASON_NOTHING_TO_MATCH = "no name and no CNIC (nothing to match on)"

_LETTER = re.compile(r"[^\W\d_]")  # any letter, Latin or Urdu
_DIGIT = re.compile(r"\d")
_ALNUM = re.compile(r"[^\W_]")


@dataclass
class Validated:
    """The outcome of :func:`validate_rows`; together the two frames hold every input row."""

    #: usable rows (index reset), ``input_row`` kept
    rows: pd.DataFrame
    #: rejected rows as given, plus ``reason`` (several reasons joined by '; ')
    rejected: pd.DataFrame

    def counts(self) -> dict[str, int]:
        """Row counts for ``summary.json``: read = used + rejected."""
        used, rejected = len(self.rows), len(self.rejected)
        return {"rows_read": used + rejected, "rows_used": used, "rows_rejected": rejected}


def validate_rows(
    df: pd.DataFrame, *, kind: Literal["registry", "partner"], file: str
) -> Validated:
    """Split ``df`` (as returned by ``read_table``) into usable and rejected rows.

    A frame without ``input_row`` gets one numbered from 1 in frame order, so callers
    that build frames themselves still get row numbers in ``rejected``. A missing
    required column is a whole-file problem (InputError), not a per-row one.
    """
    if kind not in ("registry", "partner"):
        raise ValueError(f"kind must be 'registry' or 'partner', not {kind!r}")
    _require_column(df, RECORD_ID, file)
    if REASON in df.columns:
        raise InputError(
            "has a column 'reason', which the engine adds to rejected rows; rename it.",
            file=file,
            column=REASON,
        )
    if INPUT_ROW not in df.columns:
        df = df.assign(**{INPUT_ROW: np.arange(1, len(df) + 1, dtype="int64")})
    reasons = row_reasons(df, kind)
    bad = reasons != ""
    rows = df.loc[~bad].reset_index(drop=True)
    rejected = df.loc[bad].assign(**{REASON: reasons[bad]}).reset_index(drop=True)
    if len(rejected):
        log.info("%s: %d of %d rows rejected (%s)", file, len(rejected), len(df),
                 describe_rejections(rejected))
    return Validated(rows=rows, rejected=rejected)


def _require_column(df: pd.DataFrame, column: str, file: str) -> None:
    if column not in df.columns:
        raise InputError(
            f"missing required column {column}. Columns found: "
            + ", ".join(repr(str(c)) for c in df.columns) + ".",
            file=file,
            column=column,
        )


def row_reasons(df: pd.DataFrame, kind: str) -> np.ndarray:
    """Per row, the reasons it cannot be used joined by '; ' ('' when usable).

    Row-local, so it runs per batch on Spark (``linkage.spark_frames``) too.
    """
    checks: list[tuple[str, pd.Series]] = [(REASON_NO_RECORD_ID, is_blank(df[RECORD_ID]))]
    if kind == "registry" and HOUSEHOLD_ID in df.columns:
        # A file without households is fine (each record its own); a file with them
        # cannot place a row that has none.
        checks.append((REASON_NO_HOUSEHOLD_ID, is_blank(df[HOUSEHOLD_ID])))
    no_name = ~(_has(df, "full_name", _LETTER) | _has(df, "surname", _LETTER))
    no_cnic = ~(_has(df, "cnic", _DIGIT) | _has(df, "person_id_other", _ALNUM))
    checks.append((REASON_NOTHING_TO_MATCH, no_name & no_cnic))
    reasons = np.full(len(df), "", dtype=object)
    for text, failed in checks:
        mask = failed.to_numpy(dtype=bool)
        reasons[mask] = [f"{r}; {text}" if r else text for r in reasons[mask]]
    return reasons


def _has(df: pd.DataFrame, column: str, pattern: re.Pattern[str]) -> pd.Series:
    """True where ``column`` holds at least one character matching ``pattern``.

    A name needs a letter and a CNIC a digit to count as present: placeholders such as
    "-", "N/A" or "0" give a matcher nothing to work with.
    """
    if column not in df.columns:
        return pd.Series(False, index=df.index)
    return df[column].map(lambda v: isinstance(v, str) and pattern.search(v) is not None)


def describe_rejections(rejected: pd.DataFrame) -> str:
    """One line for the CLI: how many rows were rejected and why, commonest reason first.

    A row with several reasons counts once in the total and once under each reason.
    """
    if rejected.empty:
        return "no rows rejected"
    counts: Counter[str] = Counter()
    for reason in rejected[REASON]:
        counts.update(part.strip() for part in str(reason).split(";") if part.strip())
    parts = [f"{n} {reason}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    noun = "row" if len(rejected) == 1 else "rows"
    return f"{len(rejected)} {noun} rejected: " + ", ".join(parts)
