"""Reading and writing at the edges: every file goes in and out through here.

Reading turns a CSV or Parquet file into a frame of text (or None) with an ``input_row``
number, so later steps can name the row a problem came from, and refuses a file that
breaks the data contract (``../shared/CONTRACT.md``) with an :class:`InputError` a user
can act on. Nothing is coerced: CNICs keep their leading zeros and a date stays the text
it was until the standardiser looks at it.

Writing puts every output of a job into one folder, atomically: a failed run never
leaves a half-written folder where the user expects results. What that folder may
replace, locking and crash recovery are :mod:`linkage.outputs`' part.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from linkage import outputs
from linkage.contract import (
    MODEL,
    PARTNER_REQUIRED,
    RECORD_ID,
    REGISTRY_REQUIRED,
    REJECT_COLUMNS,
    SOURCE,
    SUMMARY,
)
from linkage.errors import ConfigError, InputError, NserLinkError
from linkage.intake.header import NOT_A_HEADER, describe_columns, looks_like_data
from linkage.intake.mapping import (
    ColumnMapping,
    apply_mapping,
    fill_blank,
    is_blank,
    suggest_column,
)

log = logging.getLogger(__name__)

#: 1-based number of the data row in its file (header excluded); see :func:`read_table`.
INPUT_ROW = "input_row"
#: Why a row cannot be used; the reader fills it for rows it could only partly read.
REASON = "reason"
#: Longest field the reader takes: Excel's limit for one cell. Nothing longer is a name,
#: CNIC or address; it is a broken file or a pasted document.
MAX_FIELD_CHARS = 32_767
REASON_NUL = "contains a NUL byte"
REASON_LONG_FIELD = f"has a field longer than {MAX_FIELD_CHARS:,} characters"
#: Other rows named in a duplicate-id reason; the rest are counted.
ROWS_NAMED = 3
_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx"}
_CHUNK = 1 << 20
_UTF8_ADVICE = "Re-save the file as UTF-8 (in Excel: Save As -> 'CSV UTF-8 (Comma delimited)')."


# --- reading ---------------------------------------------------------------------------


def read_table(
    path: str | Path,
    *,
    mapping: ColumnMapping | None = None,
    kind: Literal["registry", "partner"] = "registry",
    source: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> pd.DataFrame:
    """Read a registry wave or partner list and check it against the data contract.

    CSV encodings: UTF-8 (with or without BOM), or the ``encoding`` stated. Partner
    lists, which come from offices whose Excel saves what it likes, also have UTF-16 and
    Windows-1252 detected. XLSX: the first sheet, or ``sheet``.

    Steps: read as text (:func:`read_raw`, rows it could only partly read marked in
    ``reason``) -> apply ``mapping`` -> check the required columns of ``kind`` -> fill
    blank ``source`` (mapping's source, else ``source``, else the file name without
    extension) -> number rows in ``input_row`` -> mark every row whose ``record_id``
    another row also has (:func:`duplicate_id_reasons`). Marked rows are for
    :func:`linkage.intake.validate.validate_rows` to reject; the file is refused only when it
    cannot be read at all.

    ``input_row`` counts data rows from 1 (the header is not a row; blank lines are
    skipped and not counted): the row's number in Excel is ``input_row + 1`` unless blank
    lines come before it. Messages name rows as Excel numbers them (blank lines
    included), from :func:`read_raw`'s index.
    """
    required = _required_columns(kind)
    file = str(path)
    df = read_raw(
        path,
        encoding=encoding,
        detect_encoding=kind == "partner",
        sheet=sheet,
        rows_with_problems="mark",
    )
    reasons = df.pop(REASON)
    check_reserved_columns(df, file)
    if mapping is not None:  # (without one, apply_mapping is a copy of a frame that is ours)
        df = apply_mapping(df, mapping, file)
    check_required_columns(df, required, file)
    df = fill_blank(df, SOURCE, source or Path(path).stem)
    df.insert(0, INPUT_ROW, np.arange(1, len(df) + 1, dtype="int64"))
    excel_rows = df.index.to_numpy(dtype="int64") + 2
    df[REASON] = join_reasons(reasons, duplicate_id_reasons(df[RECORD_ID], excel_rows))
    df.index = pd.RangeIndex(len(df))
    log.info("read %d rows from %s", len(df), file)
    return df


def read_raw(
    path: str | Path,
    *,
    encoding: str | None = None,
    detect_encoding: bool = False,
    sheet: str | None = None,
    rows_with_problems: Literal["refuse", "mark"] = "refuse",
) -> pd.DataFrame:
    """Read a CSV, Parquet or XLSX file as text: every cell a ``str`` or None.

    No mapping and no contract checks; empty strings become None. Header names are
    stripped of surrounding spaces (they are labels, not data). The index is the row's
    number in Excel - 2 (header = row 1, blank lines counted; for Parquet, the position
    below the header). Used by :func:`read_table` and by tools that read other shapes
    (truth files, clusters, labelled review samples).

    Rows the reader can only partly read (another number of fields than the header), or
    that hold a NUL byte or a field longer than ``MAX_FIELD_CHARS``: with
    ``rows_with_problems="refuse"`` a ragged row stops the read (InputError naming the
    row); with ``"mark"`` every row is kept, the first fields of a ragged row in their
    columns, and a ``reason`` column says what is wrong with each (None when nothing).
    """
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise InputError("file not found.", file=file)
    if path.is_dir():
        raise InputError("is a folder, not a file.", file=file)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"has extension {path.suffix!r}; supported are {', '.join(_FORMATS)}.", file=file
        )
    if fmt == "csv":
        df, reasons = _read_csv(path, encoding=encoding, detect=detect_encoding)
    elif fmt == "xlsx":
        df = _read_xlsx(path, sheet)
        reasons = cell_reasons(df)
    else:
        df, reasons = _read_parquet(path)
    if len(df) == 0:
        raise InputError("has a header but no rows.", file=file)
    if fmt != "csv":  # the CSV parser gives None for empty fields itself
        df = _empty_to_none(df)
    if rows_with_problems == "mark":
        check_reserved_columns(df, file)  # the user's own 'reason' would be overwritten
        df[REASON] = reasons
    else:
        _refuse_ragged(reasons, df.index, file)
    return df


def _required_columns(kind: str) -> tuple[str, ...]:
    if kind == "registry":
        return REGISTRY_REQUIRED
    if kind == "partner":
        return PARTNER_REQUIRED
    raise ValueError(f"kind must be 'registry' or 'partner', not {kind!r}")


# --- rows with problems ------------------------------------------------------------------


def ragged_reason(n_fields: int, n_columns: int) -> str:
    """Why a row with another number of fields than the header is rejected."""
    return f"has {n_fields} fields, the header has {n_columns}"


#: A reason written by :func:`ragged_reason`.
RAGGED_REASON = re.compile(r"has \d+ fields, the header has \d+")


def field_reasons(fields: list[str]) -> list[str]:
    """What is wrong with the fields of one record, whatever its length (NUL, length)."""
    found = []
    if any("\x00" in f for f in fields):
        found.append(REASON_NUL)
    if any(len(f) > MAX_FIELD_CHARS for f in fields):
        found.append(REASON_LONG_FIELD)
    return found


def join_reasons(*columns: pd.Series | np.ndarray) -> np.ndarray:
    """Reasons from several sources joined per row with '; ' (None where there are none)."""
    parts = [np.asarray(c, dtype=object) for c in columns]
    out = np.full(len(parts[0]), None, dtype=object)
    for column in parts:
        has = pd.notna(column) & (column != "")
        for i in np.flatnonzero(has):
            out[i] = column[i] if out[i] is None else f"{out[i]}; {column[i]}"
    return out


def cell_reasons(df: pd.DataFrame) -> np.ndarray:
    """Per row, NUL bytes and over-long fields among its text cells (None: neither)."""
    table = pa.Table.from_pandas(df.astype(object).where(df.notna(), None), preserve_index=False)
    return _table_reasons(table)


def _table_reasons(table: pa.Table, *, nul: bool = True) -> np.ndarray:
    """:func:`field_reasons` for every row of an all-text Arrow table, in Arrow's C++.
    ``nul=False``: the caller knows the bytes hold no NUL."""
    n = table.num_rows
    has_nul = np.zeros(n, dtype=bool)
    long = np.zeros(n, dtype=bool)
    for column in table.columns:
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        if nul:
            has_nul |= _flags(pc.match_substring(column, "\x00"))
        # bytes bound characters from above: count characters only where bytes exceed
        if (pc.max(pc.binary_length(column)).as_py() or 0) > MAX_FIELD_CHARS:
            long |= _flags(pc.greater(pc.utf8_length(column), MAX_FIELD_CHARS))
    reasons = np.full(n, None, dtype=object)
    reasons[has_nul] = REASON_NUL
    reasons[long & has_nul] = f"{REASON_NUL}; {REASON_LONG_FIELD}"
    reasons[long & ~has_nul] = REASON_LONG_FIELD
    return reasons


def _flags(mask: pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def duplicate_id_reasons(ids: pd.Series, rows: pd.Series | np.ndarray) -> np.ndarray:
    """For every row whose (non-blank) id another row also has, the reason it is rejected,
    naming the other rows by ``rows`` (their Excel rows); None for the other rows.

    Ids are not echoed (some partners use the CNIC as the id); rows are. At most
    ``ROWS_NAMED`` other rows are named, the smallest first, the rest counted.
    """
    rows = np.asarray(rows, dtype="int64")
    out = np.full(len(ids), None, dtype=object)
    ids = ids.reset_index(drop=True)
    if not ids.duplicated().any():
        return out
    text = pa.array(ids.astype(object).where(ids.notna(), None), type=pa.string())
    if pc.any(pc.match_substring(text, "\x00")).as_py():
        # pandas hashes text only up to a NUL byte: "r1\0x" would equal "r1"
        ids = pd.Series(pc.replace_substring(text, "\x00", "\\x00").to_pandas())
    dup = ids.duplicated(keep=False)
    dup &= ~is_blank(ids.where(dup))
    if not dup.any():
        return out
    positions = pd.Series(np.flatnonzero(dup.to_numpy()))
    for group in positions.groupby(ids[dup].to_numpy(), sort=False):
        members = group[1].to_numpy()
        order = members[np.argsort(rows[members], kind="stable")]
        for i in members:
            others = [int(rows[j]) for j in order if j != i]
            out[i] = duplicate_reason(others[: ROWS_NAMED + 1], len(others))
    return out


def duplicate_reason(first_others: list[int], n_others: int) -> str:
    """``record_id also on Excel row 7``: the first ``ROWS_NAMED`` of the other rows,
    smallest first, and how many more. Spark builds the same text."""
    shown = first_others[:ROWS_NAMED]
    noun = "Excel row" if n_others == 1 else "Excel rows"
    more = n_others - len(shown)
    tail = f" and {more:,} more" if more else ""
    return f"record_id also on {noun} {', '.join(map(str, shown))}{tail}"


def _refuse_ragged(reasons: np.ndarray, index: pd.Index, file: str) -> None:
    """For files that are not person records (truth files, review labels): a ragged row
    means the file is not what it claims to be."""
    for position, reason in zip(index, reasons, strict=True):
        ragged = RAGGED_REASON.search(reason or "")
        if ragged:
            raise InputError(
                f"row {int(position) + 2} {ragged.group()} (rows as numbered in Excel, "
                "header = row 1). A field probably contains an unquoted comma; quote it or "
                "remove the comma.",
                file=file,
            )


# --- CSV ---------------------------------------------------------------------------------


def _read_csv(
    path: Path, *, encoding: str | None = None, detect: bool = False
) -> tuple[pd.DataFrame, np.ndarray]:
    """The CSV's data rows (index: the row in Excel - 2) and the reason per row.

    Parsed by pyarrow's CSV reader, single-threaded so that it numbers the records it
    cannot fit to the header: those are parsed alone (:func:`parse_fields`) and put back
    in their place, padded or cut to the header, with their reason. Blank lines (empty
    or only spaces) are no rows, but Excel shows them, so they count in the index.
    """
    file = str(path)
    encoding = stated_encoding(path, encoding) if encoding else csv_encoding(path, detect=detect)
    header = csv_header(path, encoding)
    if header is None:
        raise InputError("is empty (no header, no rows).", file=file)
    check_header(header, file)
    empty_lines, nul = _scan_bytes(path, encoding)
    table, bad = _parse_csv(path, encoding, len(header))
    reasons = _table_reasons(table, nul=nul)
    # With no record to put back and none blank (only a one-column file has blank
    # records), the header is the first record: it is dropped in Arrow, a slice, rather
    # than from the frame, a copy of every column.
    plain = not bad and len(header) > 1
    if plain:
        table, reasons = table.slice(1), reasons[1:]
    df = table.to_pandas(self_destruct=True)
    del table
    df.columns = header
    if plain:
        numbers = np.arange(2, len(df) + 2)  # record numbers, header = 1
        df.index = (_excel_rows(path, encoding, numbers) if empty_lines else numbers) - 2
        return df, reasons
    # blank lines: pyarrow skips empty ones; one of spaces only is a record of one field
    blank = (
        df.iloc[:, 0].fillna("").str.strip().eq("").to_numpy()
        if len(header) == 1
        else np.zeros(len(df), dtype=bool)
    )
    df.index = np.arange(1, len(df) + 1)  # record numbers, header included
    if bad:
        good = np.ones(len(df) + len(bad) + 1, dtype=bool)
        good[[0, *(n for n, _ in bad)]] = False
        df.index = np.flatnonzero(good)
        extra, extra_reasons, extra_blank = _ragged_rows(bad, header)
        order = np.argsort(np.concatenate([df.index, extra.index]), kind="stable")
        df = pd.concat([df, extra]).iloc[order]
        reasons = np.concatenate([reasons, extra_reasons])[order]
        blank = np.concatenate([blank, extra_blank])[order]
    # the first record that is not blank is the header; blank records are no rows
    keep = ~blank
    keep[: int(np.argmax(keep)) + 1] = False
    if empty_lines:
        df.index = _excel_rows(path, encoding, df.index.to_numpy())
    df.index -= 2
    return df[keep], reasons[keep]


def _excel_rows(path: Path, encoding: str, numbers: np.ndarray) -> np.ndarray:
    """The row Excel shows each record on, from pyarrow's record numbers, in a file with
    empty lines (pyarrow does not number them, Excel shows them): the records are
    counted again by Python's csv module (slower, so only then)."""
    with path.open(encoding=encoding, newline="") as fh, _no_field_limit():
        shown = np.asarray(
            [i for i, rec in enumerate(csv.reader(fh), start=1) if rec], dtype="int64"
        )
    if len(numbers) and len(shown) < numbers.max():  # the parsers disagree: keep theirs
        return numbers
    return shown[numbers - 1]


#: A line end followed by another ("\n\n", "\n\r\n", "\r\r"): found by ``bytes.find``,
#: ten times faster than one regular expression over a large file.
_EMPTY_LINE_PAIRS = (b"\n\n", b"\n\r", b"\r\r")


def _scan_bytes(path: Path, encoding: str) -> tuple[bool, bool]:
    """(the file may have an empty line, it may hold a NUL byte), from one pass over its
    bytes; False only when surely not. Encodings that are not ASCII-based: (True, True)."""
    if "\n".encode(encoding).removeprefix(codecs.BOM_UTF8) != b"\n":
        return True, True
    empty = nul = False
    previous = b"\n"  # a line end at the very start is an empty first line
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            data = previous + chunk.removeprefix(codecs.BOM_UTF8)
            empty = empty or any(pair in data for pair in _EMPTY_LINE_PAIRS)
            nul = nul or b"\x00" in chunk
            if empty and nul:
                break
            previous = data[-1:]
    return empty, nul


def _ragged_rows(
    bad: list[tuple[int, str]], header: list[str]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The records that do not fit the header as rows (index: record number): their first
    fields in the header's columns (missing ones empty), the reason, and whether the
    record is a blank line."""
    m = len(header)
    rows, reasons, blank = [], [], []
    for _, text in bad:
        fields = parse_fields(text) if text.strip() else []
        blank.append(not fields)
        rows.append([f or None for f in (fields + [""] * m)[:m]])
        reasons.append(
            "; ".join([ragged_reason(len(fields), m), *field_reasons(fields)]) if fields else None
        )
    frame = pd.DataFrame(rows, columns=header, index=[n for n, _ in bad], dtype=object)
    return frame, np.asarray(reasons, dtype=object), np.asarray(blank, dtype=bool)


def _parse_csv(path: Path, encoding: str, n_columns: int) -> tuple[pa.Table, list[tuple[int, str]]]:
    """(the records with ``n_columns`` fields, as text; the others as (record number,
    text)). Record numbers count from 1 and skip empty lines, as pyarrow numbers them."""
    bad: list[tuple[int, str]] = []

    def misfit(row) -> str:
        bad.append((row.number, row.text))
        return "skip"

    names = [f"c{i}" for i in range(n_columns)]
    block = 1 << 20
    size = path.stat().st_size
    while True:
        bad.clear()
        try:
            return pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(
                    use_threads=False,
                    column_names=names,
                    block_size=block,
                    encoding="utf8" if codecs.lookup(encoding).name == "utf-8" else encoding,
                ),
                parse_options=pacsv.ParseOptions(
                    newlines_in_values=True, invalid_row_handler=misfit
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                ),
            ), list(bad)
        except pa.ArrowInvalid as exc:
            # One record longer than a block: read again with blocks that hold it.
            if "straddl" in str(exc) and block <= size:
                block *= 8
                continue
            # pyarrow's message can quote the row; say only where the parser gave up
            raise InputError(
                "cannot be parsed as CSV (a quote that is never closed, or "
                "bytes that are not text).",
                file=str(path),
            ) from None


@contextmanager
def _no_field_limit() -> Iterator[None]:
    """Python's csv module refuses fields over 128 KB; the limit is lifted while the
    reader parses (over-long fields are rejected by row, with a reason)."""
    old = csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def parse_fields(text: str) -> list[str]:
    """The fields of one CSV record's text (quotes, doubled quotes and line breaks inside
    quotes as the CSV readers take them). Used for the records that do not fit the
    header, here and on Spark for every line."""
    with _no_field_limit():
        return next(csv.reader(io.StringIO(text)), [])


def csv_encoding(path: Path, *, detect: bool = False) -> str:
    """The codec to read ``path`` with, or an InputError explaining why it is refused.

    UTF-8 (with or without BOM) always. With ``detect`` (partner lists), also UTF-16
    (by its byte-order mark, or NULs in every other byte) and, for a file that is not
    valid UTF-8,
    Windows-1252, the legacy Excel encoding, when the whole file decodes as it.
    """
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if detect:
            return _detected(path, "utf-16")
        raise InputError(
            f"is encoded as UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8. "
            f"{_UTF8_ADVICE}",
            file=str(path),
        )
    if _looks_utf16(head):
        if detect:  # UTF-16 without a mark: NULs fall on the odd bytes of ASCII text
            little = head[1::2].count(0) > head[0::2].count(0)
            return _detected(path, "utf-16-le" if little else "utf-16-be")
        offset = head.index(b"\x00")
        line = head.count(b"\n", 0, offset) + 1
        raise InputError(
            f"contains NUL bytes (first at byte offset {offset}, line {line}), "
            f"so it is probably UTF-16, not UTF-8. "
            f"{_UTF8_ADVICE}",
            file=str(path),
        )
    try:
        _check_decodes(path, "utf-8")
    except InputError:
        if not detect:
            raise
        return _detected(path, "cp1252")
    return "utf-8-sig"


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text puts a NUL in every other byte. A few
    NULs inside the fields of a UTF-8 file are not that; their rows are rejected."""
    nuls = head.count(0)
    if nuls < max(4, len(head) // 10):
        return False
    return max(head[0::2].count(0), head[1::2].count(0)) >= 0.9 * nuls


def _detected(path: Path, encoding: str) -> str:
    _check_decodes(path, encoding)
    log.warning("%s: read as %s (detected); UTF-8 is preferred", path, encoding)
    return encoding


def stated_encoding(path: Path, encoding: str) -> str:
    """A user-stated codec, checked: unknown names and undecodable bytes are refused."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(
            f"encoding {encoding!r} is not one Python knows (try utf-8, utf-16, cp1252).",
            file=str(path),
        ) from None
    _check_decodes(path, encoding)
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def _check_decodes(path: Path, encoding: str) -> None:
    """Decode the whole file in chunks; on failure name the byte offset and line.

    A pre-pass rather than trusting the CSV parser: its decoding errors carry offsets
    within an internal buffer, which cannot point the user at the bad spot.
    """
    offset = 0  # bytes before ``data``
    newlines = 0  # line breaks before ``data``
    carry = b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            data = carry + chunk
            try:
                data.decode(encoding)
                good, carry = len(data), b""
            except UnicodeDecodeError as exc:
                if chunk and exc.reason == "unexpected end of data":
                    good, carry = exc.start, data[exc.start :]  # split character: next chunk
                else:
                    line = newlines + data.count(b"\n", 0, exc.start) + 1
                    raise _undecodable(
                        path, encoding, offset + exc.start, line, data[exc.start]
                    ) from None
            newlines += data.count(b"\n", 0, good)
            offset += good
            if not chunk:
                return


def _undecodable(path: Path, encoding: str, offset: int, line: int, byte: int) -> InputError:
    if codecs.lookup(encoding).name == "utf-8":
        return InputError(
            f"is not valid UTF-8: byte 0x{byte:02X} at byte offset {offset} (line {line}) "
            f"cannot be decoded; the file was probably saved as Windows-1252 or another "
            f"legacy encoding. {_UTF8_ADVICE}",
            file=str(path),
        )
    return InputError(
        f"is not valid {encoding}: byte 0x{byte:02X} at byte offset {offset} (line {line}) "
        "cannot be decoded. State the file's encoding with --encoding, or "
        f"{_UTF8_ADVICE[0].lower()}{_UTF8_ADVICE[1:]}",
        file=str(path),
    )


def csv_header(path: Path, encoding: str) -> list[str] | None:
    """The first record that is not blank, parsed as the CSV parser will (quotes and all)."""
    with path.open(encoding=encoding, newline="") as fh, _no_field_limit():
        for record in csv.reader(fh):
            if record and (len(record) > 1 or record[0].strip()):
                return header_names(record)
    return None


def header_names(record: list[str]) -> list[str]:
    """Column names from a header record: stripped; a blank one named by its position."""
    return [name.strip() or f"unnamed_{i + 1}" for i, name in enumerate(record)]


def check_header(header: list[str], file: str) -> None:
    dupes = [name for name, n in Counter(header).items() if n > 1]
    if dupes:
        if looks_like_data(header):
            raise InputError(f"has no header row. {NOT_A_HEADER}", file=file)
        raise InputError(
            f"has duplicate column names: {', '.join(map(repr, dupes))}. "
            "Every column needs its own name.",
            file=file,
            column=dupes[0],
        )


def _read_parquet(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    file = str(path)
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot be read as Parquet ({exc}).", file=file) from None
    if table.num_columns == 0:
        raise InputError("is empty (no columns, no rows).", file=file)
    check_header(table.column_names, file)
    text = pa.table({name: _as_text(table.column(name), name, file) for name in table.column_names})
    return text.to_pandas(), _table_reasons(text)


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    """One sheet of an Excel workbook as text (the first sheet unless ``sheet``)."""
    file = str(path)
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except ImportError:
        raise ConfigError(
            "reading .xlsx needs openpyxl: pip install openpyxl.", file=file
        ) from None
    except Exception as exc:  # openpyxl raises several kinds for a file that is not xlsx
        raise InputError(
            f"is not a readable Excel .xlsx workbook ({type(exc).__name__}).", file=file
        ) from None
    names = [str(n) for n in book.sheet_names]
    target = names[0] if sheet is None else sheet
    if target not in names:
        raise InputError(
            f"has no sheet {sheet!r}; its sheets are: " + ", ".join(repr(n) for n in names) + ".",
            file=file,
        )
    df = book.parse(target, dtype=str, keep_default_na=False, na_filter=False)
    if df.columns.empty:
        raise InputError(f"sheet {target!r} is empty (no header, no rows).", file=file)
    header = [str(c).strip() for c in df.columns]
    check_header(header, file)
    df.columns = header
    return df.dropna(how="all")


def _as_text(column: pa.ChunkedArray, name: str, file: str) -> pa.ChunkedArray:
    """Cast a Parquet column to text; dates-as-timestamps at midnight become ISO dates."""
    try:
        if pa.types.is_timestamp(column.type):
            as_date = column.cast(pa.date32(), safe=False)
            if as_date.cast(column.type).equals(column):
                return as_date.cast(pa.string())
        return column.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        raise InputError(
            f"column {name!r} has type {column.type}, which cannot be read as text.",
            file=file,
            column=name,
        ) from None


def _empty_to_none(df: pd.DataFrame) -> pd.DataFrame:
    """Empty strings and NaN become None in object columns, so "missing" has one spelling.

    Column by column on the NumPy arrays: a third of the time of a frame-wide ``where``
    at a million rows, and untouched columns are not copied.
    """
    columns = {}
    for name in df.columns:
        values = df[name].to_numpy(dtype=object)
        missing = pd.isna(values) | (values == "")
        if missing.any():
            values = values.copy()
            values[missing] = None
        columns[name] = values
    return pd.DataFrame(columns, index=df.index, copy=False)


def check_reserved_columns(df: pd.DataFrame, file: str) -> None:
    """``input_row`` and ``reason`` are ours; overwriting the user's would lose data."""
    clash = [c for c in REJECT_COLUMNS if c in df.columns]
    if clash:
        raise InputError(
            f"has column(s) {', '.join(map(repr, clash))}, which the engine adds itself. "
            "If this is a 'rejected' table from an earlier run, drop those columns "
            "before reading it again.",
            file=file,
            column=clash[0],
        )


def check_required_columns(df: pd.DataFrame, required: tuple[str, ...], file: str) -> None:
    """Refuse a frame without the ``required`` columns, naming the columns it has (only
    when its first row looks like a header: :mod:`linkage.intake.header`)."""
    missing = [c for c in required if c not in df.columns]
    if not missing:
        return
    sep_hint = _separator_hint(df.columns)
    if looks_like_data(df.columns):
        raise InputError(
            f"missing required column(s): {', '.join(missing)}. {NOT_A_HEADER}{sep_hint}",
            file=file,
            column=missing[0],
        )
    hints = []
    for column in missing:
        close = suggest_column(column, df.columns)
        if close is not None:
            hints.append(f"{close!r} for {column}")
    hint = f" Did you mean {', '.join(hints)}? (use a column mapping)" if hints else ""
    raise InputError(
        f"missing required column(s): {', '.join(missing)}. {describe_columns(df.columns)}"
        f"{hint}{sep_hint}",
        file=file,
        column=missing[0],
    )


def _separator_hint(columns: pd.Index) -> str:
    if len(columns) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in str(columns[0]):
                return f" The file seems to separate fields with {name}; save it with commas."
    return ""


# --- writing ---------------------------------------------------------------------------


def write_outputs(
    out_dir: str | Path,
    tables: dict[str, pd.DataFrame],
    *,
    summary: dict,
    model_json: str | None = None,
    fmt: Literal["parquet", "csv"] = "parquet",
    texts: dict[str, str] | None = None,
    job: str | None = None,
    carry_over: Sequence[str] = (),
) -> Path:
    """Write a job's outputs into ``out_dir`` atomically and return its path.

    Everything is written into a hidden sibling folder first, marked as a run
    (``RUN_MARKER``, naming ``job`` or the summary's) before anything else, and renamed
    into place only when complete; an existing ``out_dir`` is moved aside only then and
    deleted after the swap. An existing ``out_dir`` that is neither empty nor a run is
    refused (:mod:`linkage.outputs`). Any failure removes the temporary folder and leaves
    an existing ``out_dir`` as it was. Tables become ``<name>.parquet`` (or ``.csv``,
    UTF-8 without BOM), plus ``summary.json``, when given ``model.json``, and ``texts``
    (file name -> content: small files written as they are, such as a partner's CSV).
    The old ``out_dir``'s ``service/`` folder and clerical decisions are kept
    (``outputs.KEPT_ACROSS_RUNS``), and so are the entries named in ``carry_over``.

    Jobs call this inside :func:`linkage.outputs.output_folder`, which locks the folder
    for the whole job and tidies what a crashed job left; on its own this does neither.
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be 'parquet' or 'csv', not {fmt!r}")
    for name in tables:
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
            raise ValueError(f"table name {name!r} is not a plain file name")
    out_dir = Path(out_dir)
    label = str(out_dir)
    target = outputs.LOCAL.path(out_dir)
    outputs.check_replaceable(outputs.LOCAL, target, label)
    tmp = _make_temp_dir(target, label, job or summary.get("job"))
    try:
        _write_tables({tmp / f"{name}.{fmt}": table for name, table in tables.items()}, fmt)
        (tmp / SUMMARY).write_text(summary_json(summary), encoding="utf-8")
        if model_json is not None:
            (tmp / MODEL).write_text(model_json, encoding="utf-8")
        for name, text in (texts or {}).items():
            (tmp / name).write_text(text, encoding="utf-8", newline="")
        outputs.swap_into_place(
            outputs.LOCAL, tmp, target, label, keep=(*outputs.KEPT_ACROSS_RUNS, *carry_over)
        )
    except OSError as exc:
        outputs.discard(outputs.LOCAL, tmp)
        raise NserLinkError(f"could not write the outputs ({exc}).", file=label) from exc
    except BaseException:
        outputs.discard(outputs.LOCAL, tmp)
        raise
    log.info("wrote %d tables to %s", len(tables), out_dir)
    return out_dir


def _make_temp_dir(target: Path, label: str, job: str | None) -> Path:
    """A fresh hidden folder beside ``target``: same file system, so rename is atomic."""
    try:
        return outputs.new_temp(outputs.LOCAL, target, job)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the output folder ({exc.strerror or exc}).", file=label
        ) from None


def _write_tables(tables: dict[Path, Any], fmt: str) -> None:
    """Frames are written two at a time (pyarrow encodes Parquet without holding the
    GIL: the golden records and the records of a million-row run take the time of the
    larger), writers that are callables one after another here (an engine's connection
    serves one statement at a time)."""
    frames = {path: t for path, t in tables.items() if not callable(t)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = [pool.submit(_write_table, t, path, fmt) for path, t in frames.items()]
        for path, writer in tables.items():
            if callable(writer):
                _write_table(writer, path, fmt)
        for future in pending:
            future.result()


class EncodedAhead:
    """A frame being encoded as Parquet on a thread of its own while the job computes
    the rest (pyarrow encodes without holding the GIL); a writer (called with its path,
    as :func:`write_outputs` calls one) that writes the bytes when they are ready."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._sink = pa.BufferOutputStream()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._encode, daemon=True)
        self._thread.start()

    def _encode(self) -> None:
        try:
            _write_table(self.frame, self._sink, "parquet")
        except BaseException as exc:  # raised where the table is written
            self._error = exc

    def __call__(self, path: Path) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error
        with path.open("wb") as fh:
            fh.write(self._sink.getvalue())  # the Arrow buffer as it is, not copied to bytes


def encode_ahead(tables: dict[str, pd.DataFrame], fmt: str) -> dict[str, Any]:
    """``tables`` with each frame encoding now, to be written later by :func:`write_outputs`
    (Parquet only: a CSV output is written as before)."""
    if fmt != "parquet":
        return dict(tables)
    return {name: EncodedAhead(frame) for name, frame in tables.items()}


#: Rows converted to Arrow at a time when writing Parquet: one row group each, so a
#: million-row table is never held twice (pandas and Arrow) in memory.
ROW_GROUP = 250_000


def _write_table(df: pd.DataFrame, path: Path | pa.NativeFile, fmt: str) -> None:
    """One table; Parquet via pyarrow without the index, so equal frames give equal bytes.

    A callable instead of a frame writes the table itself to the path it is given (an
    engine writing a million-row table without a round trip through pandas)."""
    if callable(df):
        df(path)
        return
    if fmt == "csv":
        df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        return
    schema = _arrow_schema(df)
    if len(df) <= ROW_GROUP:
        pq.write_table(pa.Table.from_pandas(df, schema=schema, preserve_index=False), path)
        return
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, len(df), ROW_GROUP):
            part = df.iloc[start : start + ROW_GROUP]
            writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))


def _arrow_schema(df: pd.DataFrame) -> pa.Schema:
    """The Arrow schema of the whole frame, from its first rows; a column empty there
    takes the type of its first values further down. Text is written as ``string``
    whether pandas holds it in Python objects or Arrow's large strings."""
    schema = pa.Schema.from_pandas(df.iloc[:ROW_GROUP], preserve_index=False)
    for i, field in enumerate(schema):
        if pa.types.is_large_string(field.type):
            schema = schema.set(i, field.with_type(pa.string()))
        elif pa.types.is_null(field.type):
            values = df[field.name].dropna()
            if len(values):
                kind = pa.array(values.iloc[:1000], from_pandas=True).type
                schema = schema.set(i, field.with_type(kind))
    return schema


def summary_json(summary: dict) -> str:
    """``summary`` as JSON: indent 2, sorted keys, numpy/pandas values made plain.

    NaN and missing values become null (JSON has no NaN); sets become sorted lists.
    """
    return (
        json.dumps(_plain(summary), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
        + "\n"
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return [_plain(v) for v in sorted(value, key=str)]
    if isinstance(value, list | tuple | pd.Series | pd.Index | np.ndarray):
        return [_plain(v) for v in list(value)]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value
