"""Row-level validation: set aside the rows that cannot take part in matching.

Only rows that are *unusable* are rejected: rows the reader marked (another number of
fields than the header, a NUL byte, a field longer than Excel's cell limit, a
``record_id`` another row also has: ``linkage.intake.io``), no ``record_id`` (nothing to
report the result against), a registry row with an empty ``household_id`` in a file that
has the column (a file without it is one household per record), or a row with neither
a name nor an identifier (nothing to match on; placeholders such as "N/A" or "-" are
no name or CNIC). Rows that are merely imperfect (malformed
CNIC, odd date, unknown district) are kept: the standardiser flags them and matching
still uses what is good in them.

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
import pyarrow as pa
import pyarrow.compute as pc

from linkage.contract import HOUSEHOLD_ID, RECORD_ID
from linkage.errors import InputError
from linkage.intake.header import describe_columns
from linkage.intake.io import INPUT_ROW, REASON
from linkage.intake.mapping import is_blank
from linkage.standardise._common import ARROW_STRING, placeholder_mask

log = logging.getLogger(__name__)

REASON_NO_RECORD_ID = "empty record_id"
REASON_NO_HOUSEHOLD_ID = "empty household_id"
REASON_NOTHING_TO_MATCH = "no name and no CNIC (nothing to match on)"

# RE2 patterns (Arrow): any letter, Latin or Urdu; any digit, in any script
_LETTER = r"\p{L}"
_DIGIT = r"\p{Nd}"
_ALNUM = r"[\p{L}\p{Nd}]"


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
    that build frames themselves still get row numbers in ``rejected``. A ``reason``
    column holds what the reader found wrong with a row (``read_table`` adds it); those
    reasons come first. A missing required column is a whole-file problem (InputError),
    not a per-row one.
    """
    if kind not in ("registry", "partner"):
        raise ValueError(f"kind must be 'registry' or 'partner', not {kind!r}")
    _require_column(df, RECORD_ID, file)
    if INPUT_ROW not in df.columns:
        df = df.assign(**{INPUT_ROW: np.arange(1, len(df) + 1, dtype="int64")})
    reasons = row_reasons(df, kind)
    bad = reasons != ""
    # one copy of the usable rows (a registry wave is large), numbered from 0
    rows = df.loc[~bad, [c for c in df.columns if c != REASON]]
    rows.index = pd.RangeIndex(len(rows))
    rejected = df.loc[bad].assign(**{REASON: reasons[bad]}).reset_index(drop=True)
    if len(rejected):
        log.info(
            "%s: %d of %d rows rejected (%s)",
            file,
            len(rejected),
            len(df),
            describe_rejections(rejected),
        )
    return Validated(rows=rows, rejected=rejected)


def _require_column(df: pd.DataFrame, column: str, file: str) -> None:
    if column not in df.columns:
        raise InputError(
            f"missing required column {column}. "
            + describe_columns(c for c in df.columns if c not in (INPUT_ROW, REASON)),
            file=file,
            column=column,
        )


def row_reasons(df: pd.DataFrame, kind: str) -> np.ndarray:
    """Per row, the reasons it cannot be used joined by '; ' ('' when usable).

    Row-local, so it runs per batch on Spark (``linkage.engines.spark_frames``) too. Reasons
    the reader put in ``reason`` come first.
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
    if REASON in df.columns:
        read = df[REASON].to_numpy(dtype=object)
        given = pd.notna(read) & (read != "")
        reasons[given] = read[given]
    for text, failed in checks:
        mask = failed.to_numpy(dtype=bool)
        reasons[mask] = [f"{r}; {text}" if r else text for r in reasons[mask]]
    return reasons


def _has(df: pd.DataFrame, column: str, pattern: str) -> pd.Series:
    """True where ``column`` holds at least one character matching ``pattern`` and is not a
    placeholder.

    A name needs a letter and a CNIC a digit to count as present, and neither may be a
    placeholder such as "N/A", "xxx" or "00000-0000000-0": they give a matcher nothing
    to work with. Both tests run in Arrow's C++, not once per row in Python.
    """
    if column not in df.columns:
        return pd.Series(False, index=df.index)
    values = df[column].astype(object)
    try:
        text = values.astype(ARROW_STRING)
    except (TypeError, ValueError, pa.ArrowException):  # cells that are not text at all
        text = values.where(values.map(lambda v: isinstance(v, str)), None).astype(ARROW_STRING)
    found = pc.match_substring_regex(pa.array(text), pattern)
    found = pc.fill_null(found, False).to_numpy(zero_copy_only=False)
    return pd.Series(found, index=df.index) & ~placeholder_mask(text)


def describe_rejections(rejected: pd.DataFrame) -> str:
    """One line for the CLI: how many rows were rejected and why, commonest reason first.

    A row with several reasons counts once in the total and once under each reason.
    """
    return describe_reason_counts(
        rejected[REASON].value_counts().to_dict() if len(rejected) else {}
    )


#: Reasons that name other rows ("record_id also on Excel row 7") are counted as one reason.
_KIND_OF_REASON = re.compile(r"^(record_id also on) (?:Excel )?rows? .*$")


def reason_kind(reason: str) -> str:
    """A (joined) reason without the row numbers it names, for counting rows by reason:
    "empty household_id; record_id also on Excel row 7" -> "...; record_id also on another row"."""
    return "; ".join(
        _KIND_OF_REASON.sub(r"\1 another row", p.strip())
        for p in str(reason).split(";")
        if p.strip()
    )


def reason_counts(reasons: pd.Series) -> dict[str, int]:
    """Rejected rows per reason kind (:func:`reason_kind`), for ``summary.json``."""
    return count_kinds(reasons.value_counts().to_dict()) if len(reasons) else {}


def count_kinds(counts: dict[str, int]) -> dict[str, int]:
    """Row counts per (joined) reason -> per reason kind, sorted; Spark counts this way."""
    kinds: Counter[str] = Counter()
    for reason, n in counts.items():
        kinds[reason_kind(reason)] += int(n)
    return dict(sorted(kinds.items()))


def describe_reason_counts(counts: dict[str, int]) -> str:
    """:func:`describe_rejections` from rejected rows counted by their (joined) reason,
    as Spark counts them. Values of rows never appear: reasons hold none."""
    rows = sum(counts.values())
    if not rows:
        return "no rows rejected"
    parts: Counter[str] = Counter()
    for joined, n in counts.items():
        for part in set(reason_kind(joined).split("; ")):
            parts[part] += n
    listed = [
        f"{n:,} {reason}" for reason, n in sorted(parts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    noun = "row" if rows == 1 else "rows"
    return f"{rows:,} {noun} rejected: " + ", ".join(listed)


def no_usable_rows(file: str, counts: dict[str, int]) -> InputError:
    """The error for a file none of whose rows can be used: how many, and why."""
    if not sum(counts.values()):
        return InputError("has a header but no rows.", file=file)
    return InputError(
        f"none of its {sum(counts.values()):,} rows can be used "
        f"({describe_reason_counts(counts)}). Check the column mapping (--mapping): a "
        "record_id, and a name or a CNIC, are needed on every row.",
        file=file,
    )
