"""Column mapping: translate a partner's or a wave's own column names to the data contract.

Files arrive with headers like ``CNIC No.``, ``Father/Husband Name`` or ``DOB``. A
:class:`ColumnMapping` (usually a small YAML file next to the job's configuration) says
how to turn them into contract columns; :func:`guess_mapping` proposes one from the
header alone, so a user can start from a suggestion instead of an empty file.

Mapping only moves and relabels data: no row is dropped, no unknown column is removed,
and values that cannot be translated (a date that does not fit ``date_format``, a
gender not in the value map) are left exactly as given for the standardiser and the
validation to flag.

Example YAML::

    rename: {"CNIC No.": cnic, "DOB": date_of_birth, "Sex": gender}
    join: {full_name: ["Given Name", "Surname"]}
    drop: ["household_id"]      # a column of theirs to leave out, or to replace
    date_format: "%d/%m/%Y"
    values: {gender: {Female: F, Male: M}}
    source: partner_flood_2022
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from linkage.errors import ConfigError
from linkage.intake.spellings import (
    _NAME_PARTS,
    _SPELLINGS,
    MAPPABLE_COLUMNS,
    normalise_header,
)

_YEAR_ONLY = re.compile(r"\s*\d{4}\s*")


class ColumnMapping(BaseModel):
    """How one file's columns become contract columns (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    #: their column -> contract column
    rename: dict[str, str] = {}
    #: contract column -> several of their columns joined with a space
    join: dict[str, list[str]] = {}
    #: their columns to leave out (after joins read them); a rename or join may then
    #: produce a column of the same name, replacing it
    drop: list[str] = []
    #: strptime format of ``date_of_birth`` (e.g. "%d/%m/%Y"); None = leave to the standardiser
    date_format: str | None = None
    #: per contract column, their value -> contract value, e.g. {"gender": {"Female": "F"}}
    values: dict[str, dict[str, str]] = {}
    #: fills ``source`` on rows where the file has none
    source: str | None = None

    @field_validator("rename", "join", "values", "drop", mode="before")
    @classmethod
    def _scalars_as_text(cls, value: Any) -> Any:
        """Accept numbers as names and values (``1: M`` in a value map); they are text here."""
        return _stringify(value)

    @field_validator("rename")
    @classmethod
    def _rename_targets_known(cls, rename: dict[str, str]) -> dict[str, str]:
        for target in rename.values():
            _require_contract_column(target, "rename")
        seen: dict[str, str] = {}
        for theirs, target in rename.items():
            if target in seen:
                raise ValueError(
                    f"rename maps both {seen[target]!r} and {theirs!r} to {target!r}; "
                    "keep one, or use 'join' to combine them"
                )
            seen[target] = theirs
        return rename

    @field_validator("join")
    @classmethod
    def _join_targets_known(cls, join: dict[str, list[str]]) -> dict[str, list[str]]:
        for target, parts in join.items():
            _require_contract_column(target, "join")
            if not parts:
                raise ValueError(f"join of {target!r} lists no columns")
        return join

    @field_validator("values")
    @classmethod
    def _value_columns_known(cls, values: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for target in values:
            _require_contract_column(target, "values")
        return values

    @field_validator("date_format")
    @classmethod
    def _date_format_round_trips(cls, fmt: str | None) -> str | None:
        """Catch formats like "dd/mm/yyyy" (not strptime codes) when the mapping is loaded."""
        if fmt is None:
            return None
        sample = date(1987, 11, 23)
        try:
            parsed = datetime.strptime(sample.strftime(fmt), fmt).date()
        except ValueError:
            parsed = None
        if parsed != sample:
            raise ValueError(
                f"date_format {fmt!r} does not describe a full date; use strptime codes "
                "such as '%d/%m/%Y' or '%Y-%m-%d'"
            )
        return fmt

    @model_validator(mode="after")
    def _no_double_targets(self) -> ColumnMapping:
        both = sorted(set(self.rename.values()) & set(self.join))
        if both:
            raise ValueError(f"{both[0]!r} is produced by both rename and join; keep one")
        return self

    @classmethod
    def from_yaml(cls, path: str | Path) -> ColumnMapping:
        """Load a mapping file; every problem becomes a ConfigError naming the file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ConfigError("column mapping file not found.", file=str(path)) from None
        except (UnicodeDecodeError, OSError) as exc:
            raise ConfigError(
                f"cannot be read as a UTF-8 text file ({type(exc).__name__}).", file=str(path)
            ) from None
        try:
            data = yaml.load(text, Loader=_TextLoader)  # a SafeLoader subclass: safe
        except yaml.YAMLError as exc:
            raise ConfigError(f"is not valid YAML{_yaml_position(exc)}.", file=str(path)) from None
        if data is None:
            raise ConfigError(
                "is empty; a column mapping needs at least one of: "
                + ", ".join(cls.model_fields)
                + ".",
                file=str(path),
            )
        if not isinstance(data, dict):
            raise ConfigError(
                "must be a YAML mapping with keys such as 'rename' and 'join'.", file=str(path)
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(_describe_validation(exc, cls), file=str(path)) from None


class _TextLoader(yaml.SafeLoader):
    """SafeLoader that keeps every scalar as text, except ``null``/``~``/empty.

    YAML 1.1 would turn ``Yes`` into True and ``0300`` into the octal number 192; in a
    column mapping every name and value is text, so only nulls are resolved.
    """


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _stringify(value: Any) -> Any:
    """Turn scalar keys and values of nested dicts/lists into text (None stays None)."""
    if isinstance(value, dict):
        return {_stringify(k): _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


def _require_contract_column(name: str, where: str) -> None:
    if name in MAPPABLE_COLUMNS:
        return
    close = difflib.get_close_matches(name, MAPPABLE_COLUMNS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(
        f"{where}: {name!r} is not a contract column{hint}; contract columns are "
        + ", ".join(MAPPABLE_COLUMNS)
    )


def _yaml_position(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"{where} ({problem})" if problem else where


def _describe_validation(exc: ValidationError, model: type[BaseModel]) -> str:
    """One readable sentence per problem; unknown keys list the keys that are allowed."""
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown key {loc!r} (allowed: {', '.join(model.model_fields)})")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{loc}: {msg}" if loc else msg)
    return "invalid column mapping: " + "; ".join(problems) + "."


# --- applying a mapping ----------------------------------------------------------------


def apply_mapping(df: pd.DataFrame, mapping: ColumnMapping | None, file: str) -> pd.DataFrame:
    """Return a copy of ``df`` with the mapping applied; ``df`` itself is not changed.

    Order: join (from the file's own columns) -> drop -> rename -> value maps -> date
    format -> source. Columns the mapping does not mention are carried through
    untouched, and so are the columns a join reads from (they are the user's data, not
    ours to drop), unless the mapping drops them.
    ``date_format`` applies to ``date_of_birth`` and is ignored when the file has none.
    """
    if mapping is None:
        return df.copy()
    _check_sources_exist(df, mapping, file)
    joined = {target: _join_columns(df, parts) for target, parts in mapping.join.items()}
    df = _drop(df, mapping, file)
    _check_no_collisions(df, mapping, file)
    out = df.rename(columns=mapping.rename)
    for target, series in joined.items():
        out[target] = series
    for column, value_map in mapping.values.items():
        if column not in out.columns:
            raise ConfigError(
                f"the column mapping has a value map for {column!r}, but after renaming the "
                f"file has no such column. {_listing(out.columns, 'Columns after mapping')}",
                file=file,
                column=column,
            )
        out[column] = map_values(out[column], value_map)
    if mapping.date_format and "date_of_birth" in out.columns:
        out["date_of_birth"] = reformat_dates(out["date_of_birth"], mapping.date_format)
    if mapping.source:
        out = fill_blank(out, "source", mapping.source)
    return out


def _drop(df: pd.DataFrame, mapping: ColumnMapping, file: str) -> pd.DataFrame:
    """The file without the columns the mapping drops (each must exist, and not be one
    the mapping renames: that would drop and keep it at once)."""
    if not mapping.drop:
        return df
    for column in mapping.drop:
        if column not in df.columns:
            raise ConfigError(
                f"the column mapping drops column {column!r}, which the file does not have. "
                f"{_listing(df.columns, 'Columns in the file')}",
                file=file,
                column=column,
            )
        if column in mapping.rename:
            raise ConfigError(
                f"the column mapping both drops and renames {column!r}; keep one.",
                file=file,
                column=column,
            )
    return df.drop(columns=list(mapping.drop))


def _check_sources_exist(df: pd.DataFrame, mapping: ColumnMapping, file: str) -> None:
    wanted = list(mapping.rename) + [c for parts in mapping.join.values() for c in parts]
    from linkage.intake.header import looks_like_data

    for column in wanted:
        if column not in df.columns:
            hint = None if looks_like_data(df.columns) else suggest_column(column, df.columns)
            did_you_mean = f" Did you mean {hint!r}?" if hint else ""
            raise ConfigError(
                f"the column mapping names column {column!r}, which the file does not have."
                f"{did_you_mean} {_listing(df.columns, 'Columns in the file')}",
                file=file,
                column=column,
            )


def _check_no_collisions(df: pd.DataFrame, mapping: ColumnMapping, file: str) -> None:
    """Refuse a mapping that would overwrite one of the file's own columns (data loss)."""
    renamed_away = set(mapping.rename)
    join_inputs = {c for parts in mapping.join.values() for c in parts}
    for theirs, target in mapping.rename.items():
        if target != theirs and target in df.columns and target not in renamed_away:
            raise ConfigError(
                f"the column mapping renames {theirs!r} to {target!r}, but the file already "
                f"has a column {target!r}. Map only one of them.",
                file=file,
                column=target,
            )
    for target in mapping.join:
        if target in df.columns and target not in join_inputs and target not in renamed_away:
            raise ConfigError(
                f"the column mapping joins columns into {target!r}, but the file already has "
                f"a column {target!r}. Include it in the join or drop the join.",
                file=file,
                column=target,
            )


def _join_columns(df: pd.DataFrame, parts: list[str]) -> pd.Series:
    """Join several columns with one space, skipping blanks; all blank -> None."""

    def join_row(values: Iterable[Any]) -> str | None:
        kept = [str(v).strip() for v in values if v is not None and not pd.isna(v)]
        kept = [v for v in kept if v]
        return " ".join(kept) if kept else None

    return pd.Series(
        [join_row(row) for row in df[parts].itertuples(index=False, name=None)],
        index=df.index,
        dtype=object,
    )


def map_values(series: pd.Series, value_map: dict[str, str]) -> pd.Series:
    """Translate values by ``value_map``: exact match first, then ignoring case and
    surrounding spaces ("female " -> "F"). Values not in the map stay as given."""
    exact = dict(value_map)
    folded = {k.strip().casefold(): v for k, v in value_map.items()}

    def translate(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value in exact:
            return exact[value]
        return folded.get(value.strip().casefold(), value)

    return _map_unique(series, translate)


def reformat_dates(series: pd.Series, fmt: str) -> pd.Series:
    """Rewrite dates in ``fmt`` as ISO ``YYYY-MM-DD``.

    Year-only values ("1987") are kept as they are: the standardiser knows a year-only
    birth date from a full one, and turning it into 1987-01-01 would invent a day.
    Values that do not parse are left as given so validation can flag them.
    """

    def to_iso(value: Any) -> Any:
        if not isinstance(value, str) or _YEAR_ONLY.fullmatch(value):
            return value
        try:
            return datetime.strptime(value.strip(), fmt).date().isoformat()
        except ValueError:
            return value

    return _map_unique(series, to_iso)


def _map_unique(series: pd.Series, func: Any) -> pd.Series:
    """Apply ``func`` once per distinct value: registries repeat values millions of times."""
    lookup = {value: func(value) for value in series.dropna().unique()}
    return series.map(lambda v: lookup.get(v, v) if isinstance(v, str) else v).astype(object)


def fill_blank(df: pd.DataFrame, column: str, value: str) -> pd.DataFrame:
    """Set ``column`` to ``value`` on rows where it is absent, null or only spaces."""
    # shallow: only ``column`` is replaced (a deep copy would copy every column)
    out = df.copy(deep=False)
    given = out[column] if column in out.columns else pd.Series(None, index=out.index, dtype=object)
    out[column] = given.where(~is_blank(given), value).astype(object)
    return out


def is_blank(series: pd.Series) -> pd.Series:
    """True where a cell is null or holds only whitespace (the strip runs in Arrow)."""
    text = series.astype(object)
    try:
        spaces = text.astype("string[pyarrow]").str.strip().eq("").fillna(False)
    except (TypeError, ValueError):  # cells that are not text at all
        spaces = text.map(lambda v: isinstance(v, str) and not v.strip())
    return text.isna() | spaces.astype(bool)


def _listing(columns: Iterable[Any], intro: str) -> str:
    """The file's columns for a message, unless its first row looks like data (then
    they are a person's values: :mod:`linkage.intake.header`)."""
    from linkage.intake.header import describe_columns

    return describe_columns([c for c in columns if c not in ("input_row", "reason")], intro)


# --- guessing a mapping from a header --------------------------------------------------


def guess_mapping(columns: list[str]) -> ColumnMapping:
    """Propose a mapping from common spellings, ignoring case, spaces and punctuation.

    A column already named as in the contract keeps its name and blocks guesses for that
    contract column, so guessing never makes two columns collide. Unrecognised columns
    are not mentioned (they are carried through as extras). The result is a suggestion:
    show it to the user, who saves it as YAML and corrects what is wrong.
    """
    columns = [str(c) for c in columns]
    taken = {c for c in columns if c in MAPPABLE_COLUMNS}
    rename: dict[str, str] = {}
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(normalise_header(col), col)
    for target, spellings in _SPELLINGS.items():
        if target in taken:
            continue
        for spelling in spellings:
            col = by_norm.get(spelling)
            if col is not None and col not in rename and col not in taken:
                rename[col] = target
                taken.add(target)
                break
    join = _guess_name_join(by_norm, taken, rename)
    return ColumnMapping(rename=rename, join=join)


def _guess_name_join(
    by_norm: dict[str, str], taken: set[str], rename: dict[str, str]
) -> dict[str, list[str]]:
    """Given + surname columns become ``full_name`` when no whole-name column exists."""
    if "full_name" in taken:
        return {}
    parts = []
    for spellings in _NAME_PARTS:
        col = next((by_norm[s] for s in spellings if s in by_norm), None)
        if col is not None and col not in rename:
            parts.append(col)
    return {"full_name": parts} if len(parts) >= 2 else {}


def suggest_column(wanted: str, columns: Iterable[Any]) -> str | None:
    """The file's column that most likely means ``wanted``, or None.

    Tries, in order: the same name ignoring case and punctuation; a common spelling
    that :func:`guess_mapping` knows; a close spelling (difflib).
    """
    columns = [str(c) for c in columns]
    norm_wanted = normalise_header(wanted)
    for col in columns:
        if normalise_header(col) == norm_wanted:
            return col
    guessed = guess_mapping(columns)
    for theirs, target in guessed.rename.items():
        if target == wanted:
            return theirs
    by_norm = {normalise_header(c): c for c in columns}
    close = difflib.get_close_matches(norm_wanted, list(by_norm), n=1, cutoff=0.75)
    return by_norm[close[0]] if close else None
