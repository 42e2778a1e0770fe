"""The embedded engine: records as pandas frames on the driver, Splink on DuckDB.

On one machine the driver *is* the engine, so a frame is a pandas frame and the
bounded methods are plain pandas; Splink scores in an in-memory DuckDB sized from the
config.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from splink import DuckDBAPI

from linkage.config import BackendConfig
from linkage.engines.base import Intake
from linkage.intake.io import encode_ahead, read_table, write_outputs
from linkage.intake.mapping import ColumnMapping
from linkage.intake.validate import no_usable_rows, reason_counts, validate_rows
from linkage.resolve.household_evidence import household_pairs, with_household_evidence
from linkage.resolve.keys import with_person_keys
from linkage.standardise import standardise
from linkage.standardise.names import cancel_warm_names, warm_names


def duckdb_connection(cfg: BackendConfig) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB sized from the config (threads, memory limit, spill folder and
    its size)."""
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(cfg.threads or os.cpu_count() or 1)}")
    if cfg.memory_limit:
        con.execute("SET memory_limit = ?", [cfg.memory_limit])
    if cfg.temp_directory:
        con.execute("SET temp_directory = ?", [cfg.temp_directory])
    if cfg.max_temp_directory_size:
        con.execute("SET max_temp_directory_size = ?", [cfg.max_temp_directory_size])
    # Rows come back in insertion order for queries without ORDER BY: reproducible runs.
    con.execute("SET preserve_insertion_order = true")
    return con


class DuckDBEngine:
    """:class:`linkage.engines.base.Engine` on DuckDB (frames are pandas)."""

    name = "duckdb"

    def __init__(self, cfg: BackendConfig) -> None:
        self.db_api = DuckDBAPI(connection=duckdb_connection(cfg))

    def read_records(
        self,
        path: str | Path,
        *,
        kind: str,
        mapping: ColumnMapping | None,
        encoding: str | None = None,
        sheet: str | None = None,
    ) -> Intake:
        # names parsed on a second core: its worker started while reading (and stopped
        # by ``release`` if the job never takes it, a file refused say)
        if Path(path).is_file():
            warm_names(Path(path).stat().st_size)
        raw = read_table(
            path,
            mapping=mapping,
            kind=kind,  # type: ignore[arg-type]
            encoding=encoding,
            sheet=sheet,
        )
        valid = validate_rows(raw, kind=kind, file=str(path))  # type: ignore[arg-type]
        by_reason = reason_counts(valid.rejected["reason"]) if len(valid.rejected) else {}
        if valid.rows.empty:
            raise no_usable_rows(str(path), by_reason)
        return Intake(
            rows=valid.rows,
            rejected=valid.rejected,
            rows_read=len(raw),
            rows_used=len(valid.rows),
            rejected_by_reason=by_reason,
            columns=[c for c in raw.columns if c not in ("input_row", "reason")],
        )

    def standardise(self, records: pd.DataFrame, *, min_year: int) -> pd.DataFrame:
        return with_person_keys(standardise(records, min_year=min_year))

    def with_values(self, frame: pd.DataFrame, values: Mapping[str, Any]) -> pd.DataFrame:
        return frame.assign(**values)

    def union(self, frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
        return pd.concat(list(frames), ignore_index=True, sort=False)

    def qualify_ids(self, frame: pd.DataFrame, prefix_column: str) -> pd.DataFrame:
        frame["record_id"] = frame[prefix_column].astype(str) + ":" + frame["record_id"].astype(str)
        return frame

    def count(self, frame: pd.DataFrame) -> int:
        return len(frame)

    def duplicated(
        self, frame: pd.DataFrame, key: str, within: str | None = None, limit: int = 3
    ) -> pd.DataFrame:
        seen = frame[[key, within]].drop_duplicates() if within else frame[[key]]
        shared = seen[key][seen[key].astype(str).duplicated()].drop_duplicates()[:limit]
        return seen[seen[key].isin(shared)].reset_index(drop=True)

    def register(self, frame: pd.DataFrame, name: str) -> Any:
        # Splink refuses a name registered before: the engine's contract is to replace it
        self.db_api._registered_table_names.discard(name)
        if self.db_api.table_exists_in_database(name):
            self.db_api.delete_table_from_database(name)
        return self.db_api.register(frame, table_name=name)

    def pairs(self, splink_frame: Any) -> pd.DataFrame:
        return splink_frame.as_pandas_dataframe()

    def from_pandas(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame

    def select(self, frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
        # a frame of its own (sharing the columns' data): attach may add a column to it
        return frame[list(columns)].copy(deep=False)

    def collect(
        self,
        frame: pd.DataFrame,
        columns: Sequence[str] | None = None,
        *,
        at_least: tuple[str, float] | None = None,
        equal: tuple[str, Any] | None = None,
    ) -> pd.DataFrame:
        if at_least is not None:
            frame = frame[frame[at_least[0]] >= at_least[1]]
        if equal is not None:
            frame = frame[frame[equal[0]] == equal[1]]
        return frame[list(columns)] if columns is not None else frame

    def count_where(self, frame: pd.DataFrame, column: str, at_least: float) -> int:
        return int((frame[column] >= at_least).sum())

    def rows_for(
        self, frame: pd.DataFrame, key: str, values: pd.Series, columns: Sequence[str]
    ) -> pd.DataFrame:
        return frame.loc[frame[key].isin(values), list(columns)].reset_index(drop=True)

    def attach(
        self, frame: pd.DataFrame, mapping: pd.DataFrame, key: str, column: str, default: str | None
    ) -> pd.DataFrame:
        lookup = mapping.drop_duplicates(key).set_index(key).iloc[:, 0]
        mapped = frame[key].map(lookup)
        frame[column] = (
            mapped if default is None else mapped.where(mapped.notna(), frame[default])
        ).to_numpy()
        return frame

    def group_sizes(self, frame: pd.DataFrame, key: str) -> tuple[int, int]:
        # counted from codes: value_counts also sorts the counts (1 s for a million ids)
        codes = pd.factorize(frame[key])[0]
        sizes = np.bincount(codes[codes >= 0])
        return len(sizes), int(sizes.max()) if len(sizes) else 0

    def size_counts(self, frame: pd.DataFrame, key: str) -> pd.DataFrame:
        sizes = frame[key].value_counts().value_counts()
        return pd.DataFrame(
            {"size": sizes.index.astype("int64"), "groups": sizes.to_numpy(dtype="int64")}
        )

    def grouped_counts(
        self, frame: pd.DataFrame, columns: Sequence[str], null_only: Sequence[str] = ()
    ) -> pd.DataFrame:
        keys = pd.DataFrame({c: frame[c].isna() if c in null_only else frame[c] for c in columns})
        return keys.value_counts(dropna=False).rename("count").reset_index()

    def where_at_least(self, frame: pd.DataFrame, column: str, value: float) -> pd.DataFrame:
        return frame[frame[column] >= value]

    def derive(
        self,
        frame: pd.DataFrame,
        fn: Callable[..., dict[str, pd.DataFrame]],
        *,
        closed_under: Sequence[Sequence[str]],
        pairs: pd.DataFrame | None = None,
    ) -> dict[str, pd.DataFrame]:
        # All records are one closed set: fn's tables as it gives them, no copy.
        return fn(frame) if pairs is None else fn(frame, pairs)

    def with_household_evidence(
        self,
        pairs: pd.DataFrame,
        groups: pd.DataFrame | None = None,
        cross: pd.DataFrame | None = None,
        aligned: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        if groups is None:
            return with_household_evidence(pairs, pd.Series(dtype=object), pairs.iloc[0:0])
        return with_household_evidence(
            pairs,
            groups.set_index("roster_key")["household_group"],
            household_pairs(cross, aligned),
        )

    def ordered(self, frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
        return frame.sort_values(list(by), kind="mergesort").reset_index(drop=True)

    def distinct(self, frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
        return frame[list(columns)].drop_duplicates().reset_index(drop=True)

    def where_equal(self, frame: pd.DataFrame, column: str, value: Any) -> pd.DataFrame:
        return frame[frame[column] == value]

    def persist(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame

    def read_table(self, path: Path, columns: Sequence[str]) -> pd.DataFrame:
        source = (
            f"read_csv('{path / '*.csv' if path.is_dir() else path}', header = true, "
            "all_varchar = true)"
            if path.suffix == ".csv"
            else _parquet(path)
        )
        cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in columns)
        return self.db_api._con.sql(f"SELECT {cols} FROM {source}").df()

    def load_table(self, path: Path, name: str, add: Mapping[str, str]) -> Any:
        extra = "".join(f", {expr} AS {column}" for column, expr in add.items())
        physical = f"{name}_table"
        self._sql(f"CREATE OR REPLACE TABLE {physical} AS SELECT *{extra} FROM {_parquet(path)}")
        return self.db_api.register(physical, table_name=name)

    def table_with(
        self,
        source: Any,
        rows: pd.DataFrame,
        *,
        moves: pd.DataFrame | None = None,
        columns: Sequence[str] | None = None,
    ) -> Callable[[Path], None]:
        """A writer (``write`` takes one in place of a frame) of the table as DuckDB's own
        Parquet: no million-row pandas frame."""
        source_sql = _parquet(source) if isinstance(source, Path) else source.physical_name
        con = self.db_api._con
        moved = con.from_df(_moves(moves))  # kept alive with the writer
        added = con.from_df(rows)
        join = (
            ""
            if moves is None
            else " LEFT JOIN moved m ON CAST(t.record_id AS VARCHAR) = m.record_id"
        )

        def write(path: Path) -> None:
            # the relations under the names the SQL uses (another writer may have used them)
            moved.create_view("moved", replace=True)
            added.create_view("added", replace=True)
            types = con.execute(f"DESCRIBE SELECT * FROM {source_sql}").fetchall()
            kept = [(n, kind) for n, kind, *_ in types if columns is None or n in columns]
            old = ", ".join(
                'coalesce(m.cluster_id, t."cluster_id") AS "cluster_id"'
                if n == "cluster_id" and join
                else f't."{n}"'
                for n, _ in kept
            )
            new = ", ".join(
                f'CAST(n."{n}" AS {kind}) AS "{n}"'
                if n in rows.columns
                else f'NULL::{kind} AS "{n}"'
                for n, kind in kept
            )
            con.execute(
                f"COPY (SELECT {old} FROM {source_sql} t{join} "
                f"UNION ALL SELECT {new} FROM added n) TO '{path}' (FORMAT parquet)"
            )

        return write

    def absorb(self, table: Any, rows: pd.DataFrame, moves: pd.DataFrame, name: str) -> Any:
        con = self.db_api._con
        con.from_df(rows).create_view("absorbed", replace=True)
        con.execute(f"INSERT INTO {table.physical_name} BY NAME SELECT * FROM absorbed")
        if len(moves):
            con.from_df(_moves(moves)).create_view("absorbed_moves", replace=True)
            con.execute(
                f"UPDATE {table.physical_name} SET cluster_id = m.cluster_id "
                f"FROM absorbed_moves m WHERE CAST({table.physical_name}.record_id "
                f"AS VARCHAR) = m.record_id"
            )
        return table

    def release(self) -> None:
        """The job's tables go with its connection; a names worker started for its file
        and never taken (its names went another way) ends with the job."""
        cancel_warm_names()

    def _sql(self, sql: str) -> None:
        self.db_api._execute_sql_against_backend(sql)

    def encode_ahead(self, tables: dict[str, pd.DataFrame], fmt: str) -> dict[str, Any]:
        return encode_ahead(tables, fmt)

    def write(
        self,
        out: str | Path,
        tables: dict[str, pd.DataFrame],
        *,
        summary: dict,
        model_json: str,
        fmt: str,
        job: str,
        texts: dict[str, str] | None = None,
        carry_over: Sequence[str] = (),
    ) -> None:
        write_outputs(
            out,
            tables,
            summary=summary,
            model_json=model_json,
            fmt=fmt,  # type: ignore[arg-type]
            texts=texts,
            job=job,
            carry_over=carry_over,
        )


def _parquet(path: Path) -> str:
    """DuckDB's reader of a Parquet table: one file, or a folder of part files (Spark's)."""
    return f"read_parquet('{path / '*.parquet' if path.is_dir() else path}')"


def _moves(moves: pd.DataFrame | None) -> pd.DataFrame:
    """``record_id`` -> new ``cluster_id`` as text (the run's ids may be numbers)."""
    if moves is None or moves.empty:
        return pd.DataFrame({"record_id": pd.Series(dtype=str), "cluster_id": pd.Series(dtype=str)})
    return pd.DataFrame(
        {
            "record_id": moves["record_id"].astype(str).to_numpy(),
            "cluster_id": moves["cluster_id"].astype(str).to_numpy(),
        }
    )
