"""Checking a partner's beneficiary list before matching, in the partner's own terms.

Programme partners send lists with their own headers, encodings and habits. Before any
matching, ``nser-link validate-partner`` tells them, row by row, what will be rejected
(``error``) and what will be used with a field ignored or doubtful (``warning``), naming
the row as Excel shows it and the column as their file spells it, so a clerk can fix
the list without knowing the data contract.

The rules are not restated here: rejection comes from :func:`linkage.intake.validate.row_reasons`
and field quality from the standardisers (CNIC status, gender conflict, dates, phones,
places). This module only translates their verdicts into plain words. Duplicate
``record_id``\\ s are errors of every row that shares one, as in the matcher, with the
same words (:func:`linkage.intake.io.duplicate_id_reasons`).

The report is written by :func:`write_excel_csv`: UTF-8 with BOM (Excel then shows Urdu)
and formula-looking cells neutralised (OWASP CSV injection, ``linkage.excel_safe``).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from linkage.contract import PARTNER_REQUIRED, RECORD_ID
from linkage.errors import ConfigError
from linkage.excel_safe import excel_csv_text
from linkage.intake.io import (
    RAGGED_REASON,
    REASON,
    REASON_LONG_FIELD,
    REASON_NUL,
    check_required_columns,
    check_reserved_columns,
    duplicate_id_reasons,
    read_raw,
)
from linkage.intake.mapping import (
    MAPPABLE_COLUMNS,
    ColumnMapping,
    apply_mapping,
    guess_mapping,
)
from linkage.intake.validate import REASON_NO_RECORD_ID, REASON_NOTHING_TO_MATCH, row_reasons
from linkage.outputs import check_report_replaceable
from linkage.standardise import (
    parse_gender,
    standardise_cnic,
    standardise_district,
    standardise_dob,
    standardise_gender,
    standardise_phone,
    standardise_province,
)
from linkage.standardise._common import text_or_none
from linkage.standardise.places import PROVINCES, district_reference

#: Columns of the report file, in order.
REPORT_COLUMNS: tuple[str, ...] = ("row", "record_id", "column", "problem", "value", "severity")
#: ``problems`` also carries ``kind``, a short value-free label for summaries and the
#: console, and ``template``, the problem with ``{value}`` where the value goes.
KIND, TEMPLATE = "kind", "template"
ERROR, WARNING = "error", "warning"
MAX_AGE = 110
#: Every problem the check reports, and its severity: an ``error`` row is rejected by
#: the matcher; a ``warning`` row is used, with the field ignored or worth a second look.
PROBLEM_KINDS: dict[str, str] = {
    "wrong number of fields": ERROR,
    "NUL byte": ERROR,
    "field too long": ERROR,
    "record_id missing": ERROR,
    "duplicate record_id": ERROR,
    "no name and no CNIC": ERROR,
    "CNIC malformed": WARNING,
    "CNIC unverified": WARNING,
    "gender not recognised": WARNING,
    "gender disagrees with CNIC": WARNING,
    "date of birth not valid": WARNING,
    "date of birth in the future": WARNING,
    f"age over {MAX_AGE}": WARNING,
    "phone not recognised": WARNING,
    "province not recognised": WARNING,
    "district not recognised": WARNING,
}
#: What stands in for a value in a report written without values.
HIDDEN = "(value not shown)"


@dataclass
class PartnerCheck:
    """The outcome of checking one partner list."""

    #: one row per problem: ``REPORT_COLUMNS`` plus ``kind`` and ``template``, by row
    problems: pd.DataFrame
    #: rows_read, rows_usable, rows_with_errors, rows_with_warnings, problems {kind: rows}
    summary: dict
    #: the mapping the check used (given, completed by guesses)
    mapping: ColumnMapping
    #: the part of ``mapping`` that was guessed from the header (empty when none)
    guessed: ColumnMapping = field(default_factory=ColumnMapping)
    #: the file's columns that the mapping leaves as extras (carried, not checked)
    extra_columns: list[str] = field(default_factory=list)


# --- the edge: a file in ----------------------------------------------------------------


def check_partner_file(
    path: str | Path,
    *,
    mapping: ColumnMapping | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    today: date | None = None,
) -> PartnerCheck:
    """Read a partner list as the matcher would and check it; nothing is matched.

    Without ``mapping`` the header is guessed (:func:`guess_mapping`); with one, contract
    columns it leaves unmapped are still guessed. Whole-file problems (unreadable file,
    no ``record_id`` column, a mapping naming absent columns) raise ``NserLinkError``.
    """
    raw, rows = read_partner_list(path, encoding=encoding, sheet=sheet)
    used, guessed = complete_mapping(mapping, file_columns(raw))
    return check_partner_rows(raw, used, guessed=guessed, rows=rows, file=str(path), today=today)


def read_partner_list(
    path: str | Path, *, encoding: str | None = None, sheet: str | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """(the list as text with the partner's own columns, the Excel row of each data row).

    Encodings are detected as for any partner list (:func:`linkage.intake.io.read_raw`). Rows
    the reader could only partly read are kept, with the problem in ``reason``. Rows are
    numbered as Excel shows them (header = row 1, blank lines counted), as in every
    message of the matcher.
    """
    path = Path(path)
    raw = read_raw(
        path, encoding=encoding, detect_encoding=True, sheet=sheet, rows_with_problems="mark"
    )
    check_reserved_columns(raw.drop(columns=REASON), str(path))
    return raw, raw.index.to_numpy(dtype="int64") + 2


def file_columns(raw: pd.DataFrame) -> list[str]:
    """The partner's own columns of a list as read (not the reader's ``reason``)."""
    return [c for c in raw.columns if c != REASON]


# --- mappings ---------------------------------------------------------------------------


def complete_mapping(
    mapping: ColumnMapping | None, columns: list[str]
) -> tuple[ColumnMapping, ColumnMapping]:
    """(mapping to use, the guessed part): ``mapping`` plus guesses for what it leaves out.

    A guess is added only for a contract column the mapping does not produce, from a
    column of the file the mapping does not use, so a partner's own mapping always wins.
    """
    guess = guess_mapping(columns)
    if mapping is None:
        return guess, guess
    used = set(mapping.rename) | {c for parts in mapping.join.values() for c in parts}
    produced = set(mapping.rename.values()) | set(mapping.join)
    rename = {
        theirs: target
        for theirs, target in guess.rename.items()
        if theirs not in used and target not in produced
    }
    join = {
        target: parts
        for target, parts in guess.join.items()
        if target not in produced and target not in rename.values() and not used & set(parts)
    }
    added = ColumnMapping(rename=rename, join=join)
    merged = mapping.model_copy(
        update={"rename": {**mapping.rename, **rename}, "join": {**mapping.join, **join}}
    )
    return merged, added


def mapping_yaml(mapping: ColumnMapping) -> str:
    """The mapping as YAML a partner can save, edit and pass back with ``--mapping``."""
    data = mapping.model_dump(exclude_defaults=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)


def is_empty(mapping: ColumnMapping) -> bool:
    """True when the mapping changes nothing (the file already speaks the contract)."""
    return not mapping.model_dump(exclude_defaults=True)


def partner_columns(mapping: ColumnMapping) -> dict[str, str]:
    """Contract column -> the partner's own column name(s), for pointing at a cell."""
    where = {column: column for column in MAPPABLE_COLUMNS}
    where.update({target: theirs for theirs, target in mapping.rename.items()})
    where.update({target: " + ".join(parts) for target, parts in mapping.join.items()})
    return where


def extra_columns(mapping: ColumnMapping, columns: list[str]) -> list[str]:
    """The file's columns the matcher will carry through without looking at them."""
    used = set(mapping.rename) | {c for parts in mapping.join.values() for c in parts}
    return [c for c in columns if c not in used and c not in MAPPABLE_COLUMNS]


# --- the pure middle: a frame in, problems out ------------------------------------------


def check_partner_rows(
    raw: pd.DataFrame,
    mapping: ColumnMapping,
    *,
    guessed: ColumnMapping | None = None,
    rows: np.ndarray | None = None,
    file: str = "partner list",
    today: date | None = None,
) -> PartnerCheck:
    """Check a frame as read (the partner's own columns, text or None) under ``mapping``.

    Pure: nothing is read or written. ``rows`` are the partner's row numbers (default:
    2, 3, ... as under a header); ``guessed`` is only passed through to the result.
    Every row is accounted for: rows_usable + rows_with_errors = rows_read.
    """
    today = today or date.today()
    raw = raw.reset_index(drop=True)
    rows = np.arange(2, len(raw) + 2) if rows is None else np.asarray(rows)
    df = apply_mapping(raw, mapping, file)
    check_required_columns(df, PARTNER_REQUIRED, file)
    found = [
        _rejections(df),
        _duplicate_ids(df, rows),
        _bad_cnics(df),
        _bad_genders(df),
        _bad_dates(df, today),
        _bad_phones(df),
        _bad_places(df),
    ]
    problems = _assemble(found, df, raw, rows, partner_columns(mapping))
    return PartnerCheck(
        problems=problems,
        summary=summarise(problems, len(raw)),
        mapping=mapping,
        guessed=guessed or ColumnMapping(),
        extra_columns=extra_columns(mapping, file_columns(raw)),
    )


def _found(mask: pd.Series, kind: str, column: str, problem: pd.Series | str) -> pd.DataFrame:
    """Problems for the rows where ``mask`` holds; ``column`` is a contract column.

    A kind not in ``PROBLEM_KINDS`` (a reason the validator gained later) is an error.
    """
    severity = PROBLEM_KINDS.get(kind, ERROR)
    mask = mask.fillna(False).astype(bool)
    text = problem[mask] if isinstance(problem, pd.Series) else problem
    return pd.DataFrame(
        {KIND: kind, "severity": severity, "contract_column": column, "problem": text},
        index=mask.index[mask],
    )


def _given(df: pd.DataFrame, column: str) -> pd.Series:
    """The column as stripped text, None where absent or a placeholder such as 'N/A'."""
    if column not in df.columns:
        return pd.Series(None, index=df.index, dtype=object)
    return df[column].map(text_or_none).astype(object)


def _rejections(df: pd.DataFrame) -> pd.DataFrame:
    """Rows the validator rejects, one problem per reason."""
    reasons = pd.Series(row_reasons(df, "partner"), index=df.index)
    known = {
        REASON_NO_RECORD_ID: (
            "record_id missing",
            RECORD_ID,
            "required value missing: every row needs its own record_id",
        ),
        REASON_NOTHING_TO_MATCH: (
            "no name and no CNIC",
            "full_name / cnic",
            "no name and no CNIC: nothing to find this person by",
        ),
        REASON_NUL: (
            "NUL byte",
            "",
            "the row contains a NUL byte (\\0), which is not text; re-export the list",
        ),
        REASON_LONG_FIELD: (
            "field too long",
            "",
            REASON_LONG_FIELD.replace("has a field", "a field is")
            + ", more than an Excel cell holds",
        ),
    }
    out = []
    for reason in sorted({r for joined in reasons for r in joined.split("; ") if r}):
        kind, column, text = known.get(reason, (reason, "", reason))
        if RAGGED_REASON.fullmatch(reason):
            kind, text = (
                "wrong number of fields",
                (f"the row {reason}: a field probably contains an unquoted comma"),
            )
        has = reasons.map(lambda joined, r=reason: r in joined.split("; "))
        out.append(_found(has, kind, column, text))
    return pd.concat(out) if out else pd.DataFrame()


def _duplicate_ids(df: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """Every row whose record_id another row also has, naming the other rows in the
    matcher's words (:func:`linkage.intake.io.duplicate_id_reasons`)."""
    reasons = pd.Series(duplicate_id_reasons(df[RECORD_ID], rows), index=df.index)
    return _found(reasons.notna(), "duplicate record_id", RECORD_ID, reasons)


def _bad_cnics(df: pd.DataFrame) -> pd.DataFrame:
    """CNICs the standardiser cannot use (malformed) or cannot vouch for (unverified)."""
    given = _given(df, "cnic")
    status = standardise_cnic(given)["cnic_status"]
    return pd.concat(
        [
            _found(status == "malformed", "CNIC malformed", "cnic", given.map(describe_bad_cnic)),
            _found(
                status == "unverified",
                "CNIC unverified",
                "cnic",
                "CNIC could not be verified (unusual first or last digit); please check it",
            ),
        ]
    )


def describe_bad_cnic(value: str | None) -> str:
    """Why a malformed CNIC is unusable, in words a clerk can act on."""
    text = re.sub(r"\.0$", "", str(value).strip())
    if any(ch.isalpha() for ch in text):
        return "CNIC contains letters, expected 13 digits like 35202-1234567-1"
    digits = sum(ch.isdigit() for ch in text)
    if digits != 13:
        return f"CNIC has {digits} digits, expected 13"
    return "CNIC is not a real number (a placeholder, or it starts with 0 or 9)"


def _bad_genders(df: pd.DataFrame) -> pd.DataFrame:
    """Gender values nobody can read, and genders the CNIC's last digit contradicts."""
    given = _given(df, "gender")
    unreadable = given.notna() & parse_gender(given).isna()
    cnic_gender = standardise_cnic(_given(df, "cnic"))["cnic_gender"]
    conflict = standardise_gender(given, cnic_gender)["gender_conflict"]
    says = cnic_gender.map({"M": "odd, which means male", "F": "even, which means female"})
    return pd.concat(
        [
            _found(
                unreadable,
                "gender not recognised",
                "gender",
                "gender '{value}' not recognised (use M or F)",
            ),
            _found(
                conflict,
                "gender disagrees with CNIC",
                "gender",
                "gender '{value}' disagrees with the CNIC (its last digit is "
                + says.astype(object)
                + "); often a woman listed under her husband's CNIC",
            ),
        ]
    )


def _bad_dates(df: pd.DataFrame, today: date) -> pd.DataFrame:
    """Dates of birth that cannot be read, lie in the future, or mean an age over 110.

    A year alone is fine: the matcher knows a year-only date from a full one.
    """
    given = _given(df, "date_of_birth")
    dob = standardise_dob(given)
    year = dob["dob_year"]
    unreadable = given.notna() & year.isna()
    future = (dob["dob"] > pd.Timestamp(today)) | (year > today.year)
    too_old = year < today.year - MAX_AGE

    return pd.concat(
        [
            _found(
                unreadable,
                "date of birth not valid",
                "date_of_birth",
                "date of birth {value} is not a valid date (write dd/mm/yyyy, or the year alone)",
            ),
            _found(
                future,
                "date of birth in the future",
                "date_of_birth",
                "date of birth {value} is in the future",
            ),
            _found(
                too_old,
                f"age over {MAX_AGE}",
                "date_of_birth",
                f"date of birth {{value}} means an age over {MAX_AGE}",
            ),
        ]
    )


def _bad_phones(df: pd.DataFrame) -> pd.DataFrame:
    """Phone numbers the standardiser cannot read as a Pakistani number (ignored)."""
    given = _given(df, "phone")
    unreadable = given.notna() & standardise_phone(given).isna()
    return _found(
        unreadable,
        "phone not recognised",
        "phone",
        "phone is not a Pakistani mobile or landline number (like 0300-1234567)",
    )


def _bad_places(df: pd.DataFrame) -> pd.DataFrame:
    """Province and district names not found in the reference lists."""
    province_given = _given(df, "province")
    province = standardise_province(province_given)
    district_given = _given(df, "district")
    district = standardise_district(district_given, province)
    unknown_province = province_given.notna() & ~province.isin(PROVINCES).fillna(False)
    unknown_district = district_given.notna() & ~district.isin(list(district_reference()))
    return pd.concat(
        [
            _found(
                unknown_province,
                "province not recognised",
                "province",
                "province '{value}' not recognised",
            ),
            _found(
                unknown_district.fillna(False),
                "district not recognised",
                "district",
                "district '{value}' not found in the district list; check the spelling",
            ),
        ]
    )


def _assemble(
    found: list[pd.DataFrame],
    df: pd.DataFrame,
    raw: pd.DataFrame,
    rows: np.ndarray,
    where: dict[str, str],
) -> pd.DataFrame:
    """One table in the partner's terms: their row, id, column name and value as given."""
    columns = [*REPORT_COLUMNS, KIND, TEMPLATE]
    parts = [f for f in found if not f.empty]
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c == "row" else object) for c in columns}
        )
    out = pd.concat(parts)
    at = out.index.to_numpy()
    out["row"] = rows[at].astype("int64")
    out[RECORD_ID] = df[RECORD_ID].to_numpy(dtype=object)[at]
    out["column"] = out["contract_column"].map(lambda c: _partner_column(c, where, df.columns))
    out["value"] = [
        _value_as_given(df, raw, c, where, i)
        for c, i in zip(out["contract_column"], at, strict=True)
    ]
    out[TEMPLATE] = out["problem"]
    out["problem"] = [fill(t, v) for t, v in zip(out[TEMPLATE], out["value"], strict=True)]
    out["rank"] = (out["severity"] != ERROR).astype(int)
    out = out.sort_values(["row", "rank"], kind="stable").reset_index(drop=True)
    return out[columns]


def _partner_column(column: str, where: dict[str, str], present: pd.Index) -> str:
    """The partner's name for a contract column; for "a / b", the ones the file has."""
    parts = column.split(" / ")
    shown = [where.get(p, p) for p in parts if p in present] or [where.get(p, p) for p in parts]
    return " / ".join(shown)


def _value_as_given(
    df: pd.DataFrame, raw: pd.DataFrame, column: str, where: dict[str, str], i: int
) -> str | None:
    """The cell as the partner wrote it (before value maps and date reformatting)."""
    theirs = where.get(column, column)
    if theirs in raw.columns:
        return raw.at[i, theirs]
    return df.at[i, column] if column in df.columns else None


def summarise(problems: pd.DataFrame, rows_read: int) -> dict:
    """Row counts (read = usable + with errors) and rows per problem kind, commonest first.

    ``rows_with_warnings`` counts usable rows only: rows that go in but deserve a look.
    """
    error_rows = set(problems.loc[problems["severity"] == ERROR, "row"])
    warning_rows = set(problems.loc[problems["severity"] == WARNING, "row"]) - error_rows
    counts = Counter(problems[KIND])
    return {
        "rows_read": rows_read,
        "rows_usable": rows_read - len(error_rows),
        "rows_with_errors": len(error_rows),
        "rows_with_warnings": len(warning_rows),
        "problems": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


# --- the report file ---------------------------------------------------------------------


def write_excel_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as ``excel_csv_text``, beside the target and renamed, so a failure
    leaves no half file. An existing file is replaced only when it is an earlier report
    of the same shape (its first row is ``df``'s header): never a user's other file."""
    path = Path(path)
    check_report_replaceable(path, list(df.columns))
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(excel_csv_text(df), encoding="utf-8", newline="")
        os.replace(tmp, path)
    except OSError as exc:
        _remove_quietly(tmp)
        raise ConfigError(
            f"cannot write the report here ({exc.strerror or exc}).", file=str(path)
        ) from None
    except BaseException:
        _remove_quietly(tmp)
        raise
    return path


def _remove_quietly(tmp: Path) -> None:
    """Clean-up after a failed write must not raise in turn: on a read-only file system
    even deleting a file that was never created fails (EROFS), and that second error
    would hide the first behind a traceback."""
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def report_table(check: PartnerCheck, *, show_values: bool = True) -> pd.DataFrame:
    """The problems as the partner receives them; without values, ids and cells are blank
    so the report can travel further than the partner."""
    out = check.problems[list(REPORT_COLUMNS)].copy()
    if not show_values:
        out["problem"] = [fill(t, HIDDEN) for t in check.problems[TEMPLATE]]
        out["value"] = None
        out[RECORD_ID] = None
    return out


def fill(template: str, value: object) -> str:
    """The problem text with the partner's value put in (``{value}``)."""
    return template.replace("{value}", "" if value is None else str(value))
