"""The engine seam: what a job body asks of the engine that holds its records.

A job is written once against :class:`Engine`; :mod:`linkage.engines.duckdb` and
:mod:`linkage.engines.spark` implement it, and :func:`linkage.engines.engine_for`
chooses one from the configuration, once. A *frame* is the engine's own table of
records (a pandas frame on DuckDB, a Spark DataFrame on Spark); the methods that
return pandas are the ones whose results are small by construction (a few rows per
duplicate, per roster linked, or per group counted), so a body that uses only them
never brings what grows with the records to the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from linkage.intake.mapping import ColumnMapping

#: An engine's own table of records: pandas on DuckDB, a Spark DataFrame on Spark.
Frame = Any


@dataclass
class Intake:
    """One input file read and validated into the engine: usable rows, rejected rows
    (with ``reason``) and what was read."""

    rows: Frame
    rejected: Frame
    rows_read: int
    rows_used: int
    rejected_by_reason: dict[str, int]
    columns: list[str]  # the contract columns the file has (after the mapping)

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_used


class Engine(Protocol):
    """Read and validate into the engine, standardise per batch, register tables for
    Splink, bring bounded results to the driver, write outputs atomically."""

    name: str
    db_api: Any  # Splink's database API on this engine

    def read_records(
        self,
        path: str | Path,
        *,
        kind: str,
        mapping: ColumnMapping | None,
        encoding: str | None = None,
        sheet: str | None = None,
    ) -> Intake: ...

    def standardise(self, records: Frame, *, min_year: int) -> Frame:
        """Every standardised column plus ``roster_key`` and ``person_cnic``, per batch."""
        ...

    def with_values(self, frame: Frame, values: Mapping[str, Any]) -> Frame:
        """``frame`` with one constant column per entry (a wave's name and order)."""
        ...

    def union(self, frames: Sequence[Frame]) -> Frame:
        """Rows of all frames; a column some frames lack is null in theirs."""
        ...

    def qualify_ids(self, frame: Frame, prefix_column: str) -> Frame:
        """``record_id`` as ``<prefix_column>:record_id``."""
        ...

    def count(self, frame: Frame) -> int: ...

    def duplicated(
        self, frame: Frame, key: str, within: str | None = None, limit: int = 3
    ) -> pd.DataFrame:
        """Up to ``limit`` values of ``key`` held by two rows (by two values of
        ``within``, when given), with the ``within`` values that hold them."""
        ...

    def register(self, frame: Frame | pd.DataFrame, name: str) -> Any:
        """``frame`` as a Splink table called ``name`` (replacing one left by an earlier
        job in the same session)."""
        ...

    def pairs(self, splink_frame: Any) -> Frame:
        """A Splink result as a frame of this engine."""
        ...

    def from_pandas(self, frame: pd.DataFrame) -> Frame: ...

    def select(self, frame: Frame, columns: Sequence[str]) -> Frame: ...

    def collect(
        self,
        frame: Frame,
        columns: Sequence[str] | None = None,
        *,
        at_least: tuple[str, float] | None = None,
        equal: tuple[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Rows of ``frame`` (where ``column >= value`` / ``column == value``) as pandas;
        the caller bounds them."""
        ...

    def count_where(self, frame: Frame, column: str, at_least: float) -> int: ...

    def rows_for(
        self, frame: Frame, key: str, values: pd.Series, columns: Sequence[str]
    ) -> pd.DataFrame:
        """The rows whose ``key`` is among ``values``, as pandas (few by design)."""
        ...

    def attach(
        self,
        frame: Frame,
        mapping: pd.DataFrame | Frame,
        key: str,
        column: str,
        default: str | None,
    ) -> Frame:
        """``frame`` plus ``column``: ``mapping``'s value for the row's ``key``, else
        the row's own ``default`` column (null without one). ``mapping`` (key, value) is
        pandas (small) or a frame of this engine (any size: joined in the engine)."""
        ...

    def group_sizes(self, frame: Frame, key: str) -> tuple[int, int]:
        """The number of distinct ``key`` values and the largest group."""
        ...

    def size_counts(self, frame: Frame, key: str) -> pd.DataFrame:
        """How many ``key`` groups have each number of rows: ``size``, ``groups`` (as many
        rows as there are distinct group sizes)."""
        ...

    def grouped_counts(
        self, frame: Frame, columns: Sequence[str], null_only: Sequence[str] = ()
    ) -> pd.DataFrame:
        """Rows per combination of ``columns`` (``null_only`` columns reduced to
        whether they are null), with ``count``."""
        ...

    def where_at_least(self, frame: Frame, column: str, value: float) -> Frame:
        """The rows of ``frame`` whose ``column`` is at least ``value``, as a frame."""
        ...

    def derive(
        self,
        frame: Frame,
        fn: Callable[..., dict[str, pd.DataFrame]],
        *,
        closed_under: Sequence[Sequence[str]],
        pairs: Frame | None = None,
    ) -> dict[str, Frame]:
        """The tables ``fn`` (pure pandas) derives from the records of ``frame``, as frames
        of this engine.

        ``fn`` must give, for any set of records *closed* under ``closed_under`` (every
        record sharing the values of one of these column lists with a record of the set is
        in it), the rows of those records in its tables over all records. The engine may
        then run it on all records at once (DuckDB) or on batches of whole connected
        components on its workers (Spark): the driver never holds the records.

        With ``pairs`` (``record_id_l``, ``record_id_r`` and any columns), two records a
        pair joins are closed too, and ``fn(records, pairs)`` also receives the pairs
        between the records it is given.
        """
        ...

    def with_household_evidence(
        self,
        pairs: Frame,
        groups: Frame | None = None,
        cross: Frame | None = None,
        aligned: Frame | None = None,
    ) -> Frame:
        """``pairs`` with ``person_match_probability``, ``person_match_weight`` and
        ``household_evidence``, and the pairs between two rosters of one household group
        (``groups``: ``roster_key``, ``household_group``) replaced by the ``aligned``
        pairs of ``cross`` (``linkage.resolve.household_evidence``)."""
        ...

    def ordered(self, frame: Frame, by: Sequence[str]) -> Frame:
        """``frame`` sorted by ``by`` where the engine keeps an order (DuckDB writes rows
        in order; Spark's part files have none)."""
        ...

    def distinct(self, frame: Frame, columns: Sequence[str]) -> Frame:
        """The distinct combinations of ``columns``."""
        ...

    def where_equal(self, frame: Frame, column: str, value: Any) -> Frame: ...

    def persist(self, frame: Frame) -> Frame: ...

    def read_table(self, path: Path, columns: Sequence[str]) -> Frame:
        """``columns`` of a run's table (Parquet or CSV, a file or a folder of part files)
        as a frame, read by the engine, every column as text (ids)."""
        ...

    def load_table(self, path: Path, name: str, add: Mapping[str, str]) -> Any:
        """A table of a run (a Parquet file or a folder of part files) read by the engine
        (not through the driver) and registered for Splink as ``name``, with the columns
        ``add`` (name -> SQL expression) appended. It no longer reads ``path`` once
        loaded: the run's files may be replaced while it is in use."""
        ...

    def table_with(
        self,
        source: Any,
        rows: pd.DataFrame,
        *,
        moves: pd.DataFrame | None = None,
        columns: Sequence[str] | None = None,
    ) -> Any:
        """A table for :meth:`write`: the rows of ``source`` (a table from
        :meth:`load_table`, or the path of a Parquet table) with each ``cluster_id`` that
        ``moves`` (``record_id``, ``cluster_id``) names replaced, then ``rows``, typed as
        ``source`` (a column ``rows`` lacks is null, one ``source`` lacks is left out);
        only ``columns`` when given. Computed in the engine: the driver holds ``rows``
        and ``moves`` only."""
        ...

    def absorb(self, table: Any, rows: pd.DataFrame, moves: pd.DataFrame, name: str) -> Any:
        """``table`` (from :meth:`load_table`) with ``rows`` added and ``moves`` applied,
        as :meth:`table_with` gives it; the result replaces ``table``, which is not used
        again (DuckDB changes it in place; Spark registers a new one as ``name``)."""
        ...

    def release(self) -> None:
        """Free what the job kept in the engine (cached frames), once its outputs are
        written; frames it returned are still read by recomputing them."""
        ...

    def encode_ahead(self, tables: dict[str, Frame], fmt: str) -> dict[str, Any]:
        """``tables`` to hand to :meth:`write` later, final now: an engine that can encodes
        them meanwhile (on DuckDB, pyarrow on another core while golden records are
        chosen); others give them back as they are."""
        ...

    def write(
        self,
        out: str | Path,
        tables: dict[str, Frame],
        *,
        summary: dict,
        model_json: str,
        fmt: str,
        job: str,
        texts: dict[str, str] | None = None,
        carry_over: Sequence[str] = (),
    ) -> None:
        """Every table and text file into ``out``, atomically; the entries ``carry_over``
        of an existing ``out`` are kept in the new one."""
        ...
