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
import json
import logging
import math
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
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
from linkage.mapping import ColumnMapping, apply_mapping, fill_blank, is_blank, suggest_column

log = logging.getLogger(__name__)

#: 1-based number of the data row in its file (header excluded); see :func:`read_table`.
INPUT_ROW = "input_row"
_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx"}
_CHUNK = 1 << 20
_UTF8_ADVICE = (
    "Re-save the file as UTF-8 (in Excel: Save As -> 'CSV UTF-8 (Comma delimited)')."
)


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

    Steps: read as text (:func:`read_raw`) -> apply ``mapping`` -> check the required
    columns of ``kind`` -> fill blank ``source`` (mapping's source, else ``source``,
    else the file name without extension) -> number rows in ``input_row`` -> refuse
    duplicate ``record_id``\\ s. ``input_row`` counts data rows from 1 (the header is
    not a row; fully blank lines are skipped and not counted).
    """
    required = _required_columns(kind)
    file = str(path)
    df = read_raw(path, encoding=encoding, detect_encoding=kind == "partner", sheet=sheet)
    check_reserved_columns(df, file)
    df = apply_mapping(df, mapping, file)
    check_required_columns(df, required, file)
    df = fill_blank(df, SOURCE, source or Path(path).stem)
    df.insert(0, INPUT_ROW, np.arange(1, len(df) + 1, dtype="int64"))
    check_unique_ids(df, file)
    log.info("read %d rows from %s", len(df), file)
    return df


def read_raw(
    path: str | Path,
    *,
    encoding: str | None = None,
    detect_encoding: bool = False,
    sheet: str | None = None,
) -> pd.DataFrame:
    """Read a CSV or Parquet file as text: every cell a ``str`` or None, nothing else.

    No mapping and no contract checks; empty strings become None. Header names are
    stripped of surrounding spaces (they are labels, not data). Used by
    :func:`read_table` and by tools that read other shapes (truth files, clusters).
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
        df = _read_csv(path, encoding=encoding, detect=detect_encoding)
    elif fmt == "xlsx":
        df = _read_xlsx(path, sheet)
    else:
        df = _read_parquet(path)
    if len(df) == 0:
        raise InputError("has a header but no rows.", file=file)
    return _empty_to_none(df)


def _required_columns(kind: str) -> tuple[str, ...]:
    if kind == "registry":
        return REGISTRY_REQUIRED
    if kind == "partner":
        return PARTNER_REQUIRED
    raise ValueError(f"kind must be 'registry' or 'partner', not {kind!r}")


def _read_csv(path: Path, *, encoding: str | None = None, detect: bool = False) -> pd.DataFrame:
    file = str(path)
    encoding = stated_encoding(path, encoding) if encoding else csv_encoding(path, detect=detect)
    header = _csv_header(path, encoding)
    if header is None:
        raise InputError("is empty (no header, no rows).", file=file)
    _check_header(header, file)
    try:
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding=encoding,
            header=0,
            names=header,
            index_col=False,
        )
    except pd.errors.EmptyDataError:
        raise InputError("is empty (no header, no rows).", file=file) from None
    except pd.errors.ParserError as exc:
        raise InputError(_describe_parser_error(exc, len(header)), file=file) from None


def csv_encoding(path: Path, *, detect: bool = False) -> str:
    """The codec to read ``path`` with, or an InputError explaining why it is refused.

    UTF-8 (with or without BOM) always. With ``detect`` (partner lists), also UTF-16
    (by its byte-order mark, or NUL bytes) and, for a file that is not valid UTF-8,
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
    if b"\x00" in head:
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


def _detected(path: Path, encoding: str) -> str:
    _check_decodes(path, encoding)
    log.warning("%s: read as %s (detected); UTF-8 is preferred", path, encoding)
    return encoding


def stated_encoding(path: Path, encoding: str) -> str:
    """A user-stated codec, checked: unknown names and undecodable bytes are refused."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(f"encoding {encoding!r} is not one Python knows (try utf-8, "
                          "utf-16, cp1252).", file=str(path)) from None
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
                    raise _undecodable(path, encoding, offset + exc.start, line,
                                       data[exc.start]) from None
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
        f"cannot be decoded. State the file's encoding with --encoding, or {_UTF8_ADVICE[0].lower()}"
        f"{_UTF8_ADVICE[1:]}",
        file=str(path),
    )


def _csv_header(path: Path, encoding: str) -> list[str] | None:
    """The first non-blank record, parsed as the CSV parser will (quotes and all)."""
    with path.open(encoding=encoding, newline="") as fh:
        for record in csv.reader(fh):
            if record:
                return [name.strip() or f"unnamed_{i + 1}" for i, name in enumerate(record)]
    return None


def _check_header(header: list[str], file: str) -> None:
    dupes = [name for name, n in Counter(header).items() if n > 1]
    if dupes:
        raise InputError(
            f"has duplicate column names: {', '.join(map(repr, dupes))}. "
            "Every column needs its own name.",
            file=file,
            column=dupes[0],
        )


def _describe_parser_error(exc: Exception, n_columns: int) -> str:
    """Pandas' tokenizer message, reworded; it carries line numbers, never cell values."""
    match = re.search(r"line (\d+), saw (\d+)", str(exc))
    if match:
        line, saw = match.groups()
        return (
            f"line {line} has {saw} fields but the header has {n_columns}. "
            "A field probably contains an unquoted comma; quote it or remove the comma."
        )
    return f"cannot be parsed as CSV ({str(exc).strip()})."


def _read_parquet(path: Path) -> pd.DataFrame:
    file = str(path)
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot be read as Parquet ({exc}).", file=file) from None
    if table.num_columns == 0:
        raise InputError("is empty (no columns, no rows).", file=file)
    _check_header(table.column_names, file)
    columns = {name: _as_text(table.column(name), name, file) for name in table.column_names}
    return pa.table(columns).to_pandas()


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    """One sheet of an Excel workbook as text (the first sheet unless ``sheet``)."""
    file = str(path)
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except ImportError:
        raise ConfigError("reading .xlsx needs openpyxl: pip install openpyxl.",
                          file=file) from None
    except Exception as exc:  # openpyxl raises several kinds for a file that is not xlsx
        raise InputError(f"is not a readable Excel .xlsx workbook ({type(exc).__name__}).",
                         file=file) from None
    names = [str(n) for n in book.sheet_names]
    target = names[0] if sheet is None else sheet
    if target not in names:
        raise InputError(f"has no sheet {sheet!r}; its sheets are: "
                         + ", ".join(repr(n) for n in names) + ".", file=file)
    df = book.parse(target, dtype=str, keep_default_na=False, na_filter=False)
    if df.columns.empty:
        raise InputError(f"sheet {target!r} is empty (no header, no rows).", file=file)
    header = [str(c).strip() for c in df.columns]
    _check_header(header, file)
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
    missing = [c for c in required if c not in df.columns]
    if not missing:
        return
    hints = []
    for column in missing:
        close = suggest_column(column, df.columns)
        if close is not None:
            hints.append(f"{close!r} for {column}")
    hint = f" Did you mean {', '.join(hints)}? (use a column mapping)" if hints else ""
    found = ", ".join(repr(str(c)) for c in df.columns)
    sep_hint = _separator_hint(df.columns)
    raise InputError(
        f"missing required column(s): {', '.join(missing)}. Columns found: {found}.{hint}"
        f"{sep_hint}",
        file=file,
        column=missing[0],
    )


def _separator_hint(columns: pd.Index) -> str:
    if len(columns) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in str(columns[0]):
                return f" The file seems to separate fields with {name}; save it with commas."
    return ""


def check_unique_ids(df: pd.DataFrame, file: str) -> None:
    """Duplicate ``record_id``\\ s are fatal (contract): pairs and clusters refer to ids.

    The ids themselves are not echoed (some partners use the CNIC as the id); the rows
    that share one are.
    """
    ids = df[RECORD_ID]
    dup = ~is_blank(ids) & ids.duplicated(keep=False)
    if not dup.any():
        return
    groups = df.loc[dup].groupby(RECORD_ID, sort=False)[INPUT_ROW].agg(list)
    examples = "; ".join(" & ".join(map(str, rows)) for rows in groups.iloc[:3])
    more = "; ..." if len(groups) > 3 else ""
    raise InputError(
        f"column record_id must be unique within a file, but {len(groups)} id(s) appear on "
        f"more than one row (rows sharing an id: {examples}{more}).",
        file=file,
        column=RECORD_ID,
        rows=sorted(int(r) for r in df.loc[dup, INPUT_ROW]),
    )


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
        for name, table in tables.items():
            _write_table(table, tmp / f"{name}.{fmt}", fmt)
        (tmp / SUMMARY).write_text(summary_json(summary), encoding="utf-8")
        if model_json is not None:
            (tmp / MODEL).write_text(model_json, encoding="utf-8")
        for name, text in (texts or {}).items():
            (tmp / name).write_text(text, encoding="utf-8", newline="")
        outputs.swap_into_place(outputs.LOCAL, tmp, target, label)
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
        raise ConfigError(f"cannot create the output folder ({exc.strerror or exc}).",
                          file=label) from None


#: Rows converted to Arrow at a time when writing Parquet: one row group each, so a
#: million-row table is never held twice (pandas and Arrow) in memory.
ROW_GROUP = 250_000


def _write_table(df: pd.DataFrame, path: Path, fmt: str) -> None:
    """One table; Parquet via pyarrow without the index, so equal frames give equal bytes."""
    if fmt == "csv":
        df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        return
    if len(df) <= ROW_GROUP:
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
        return
    schema = _arrow_schema(df)
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, len(df), ROW_GROUP):
            part = df.iloc[start:start + ROW_GROUP]
            writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))


def _arrow_schema(df: pd.DataFrame) -> pa.Schema:
    """The Arrow schema of the whole frame, from its first rows; a column empty there
    takes the type of its first values further down."""
    schema = pa.Schema.from_pandas(df.iloc[:ROW_GROUP], preserve_index=False)
    for i, field in enumerate(schema):
        if pa.types.is_null(field.type):
            values = df[field.name].dropna()
            if len(values):
                kind = pa.array(values.iloc[:1000], from_pandas=True).type
                schema = schema.set(i, field.with_type(kind))
    return schema


def summary_json(summary: dict) -> str:
    """``summary`` as JSON: indent 2, sorted keys, numpy/pandas values made plain.

    NaN and missing values become null (JSON has no NaN); sets become sorted lists.
    """
    return json.dumps(_plain(summary), indent=2, sort_keys=True, ensure_ascii=False,
                      allow_nan=False) + "\n"


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
