"""The distributed engine: records as Spark DataFrames, Splink on Spark.

Reading, validation and standardisation run per batch with the same pure pandas
functions as on DuckDB (:mod:`linkage.engines.spark_frames`); the bounded methods
join, filter and count in Spark and bring only their small results to the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from pathlib import Path
from typing import Any

import pandas as pd

from linkage.config import BackendConfig
from linkage.engines import spark_frames as sf
from linkage.engines.base import Intake
from linkage.engines.spark_session import (  # noqa: F401  (re-exported)
    _check_similarity_jar,
    java_major_version,
    spark_session,
)
from linkage.errors import ConfigError
from linkage.intake.io import summary_json
from linkage.intake.mapping import ColumnMapping
from linkage.intake.validate import REASON, count_kinds, no_usable_rows
from linkage.resolve.keys import with_person_keys


def _textual(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding mixed Python values (ints and text) as text, so Spark can
    type them; numbers and flags keep their types."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: None if v is None or v != v else str(v))
    return out


class SparkEngine:
    """:class:`linkage.engines.base.Engine` on Spark (frames are Spark DataFrames)."""

    name = "spark"

    def __init__(self, cfg: BackendConfig) -> None:
        from pyspark import StorageLevel
        from pyspark.sql import functions
        from splink import SparkAPI

        self.db_api = SparkAPI(spark_session=spark_session(cfg))
        self.spark = self.db_api.spark
        _check_similarity_jar(self.spark)
        self.F = functions
        self._keep = StorageLevel.MEMORY_AND_DISK
        self._rows_per_batch = cfg.derive_batch_rows
        self._cached_before = set(self._persistent_rdds())

    def _persistent_rdds(self) -> dict:
        return dict(self.spark.sparkContext._jsc.getPersistentRDDs())

    def release(self) -> None:
        """Unpersist every RDD cached since this engine was made: the job's frames,
        Splink's tables and the derive steps' batches."""
        for rdd_id, rdd in self._persistent_rdds().items():
            if rdd_id not in self._cached_before:
                rdd.unpersist(False)

    def read_records(
        self,
        path: str | Path,
        *,
        kind: str,
        mapping: ColumnMapping | None,
        encoding: str | None = None,
        sheet: str | None = None,
    ) -> Intake:
        F = self.F
        if sheet is not None or str(path).lower().endswith(".xlsx"):
            raise ConfigError(
                "Spark does not read Excel workbooks: save the sheet as CSV "
                "or Parquet, or use the DuckDB backend.",
                file=str(path),
            )
        checked = sf.with_reasons(
            sf.read_records(self.spark, str(path), mapping=mapping, kind=kind, encoding=encoding),
            kind=kind,
        ).persist(self._keep)
        rejected = checked.where(F.col(REASON).isNotNull())
        rows_read = checked.count()
        by_reason = count_kinds(
            {r[REASON]: int(r["count"]) for r in rejected.groupBy(REASON).count().collect()}
        )
        rows_used = rows_read - sum(by_reason.values())
        if rows_used == 0:
            raise no_usable_rows(str(path), by_reason)
        return Intake(
            rows=checked.where(F.col(REASON).isNull()).drop(REASON),
            rejected=rejected,
            rows_read=rows_read,
            rows_used=rows_used,
            rejected_by_reason=by_reason,
            columns=[c for c in checked.columns if c not in ("input_row", REASON)],
        )

    def standardise(self, records, *, min_year: int):
        return sf.standardised(records, with_person_keys, min_year=min_year).persist(self._keep)

    def with_values(self, frame, values: Mapping[str, Any]):
        for column, value in values.items():
            literal = self.F.lit(value)
            if isinstance(value, int):
                literal = literal.cast("long")
            elif value is None:  # a column of text that is absent, not Spark's void type
                literal = literal.cast("string")
            frame = frame.withColumn(column, literal)
        return frame

    def union(self, frames: Sequence[Any]):
        return reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)

    def qualify_ids(self, frame, prefix_column: str):
        return frame.withColumn("record_id", self.F.concat_ws(":", prefix_column, "record_id"))

    def count(self, frame) -> int:
        return int(frame.count())

    def duplicated(
        self, frame, key: str, within: str | None = None, limit: int = 3
    ) -> pd.DataFrame:
        F = self.F
        n = F.countDistinct(within) if within else F.count("*")
        shared = frame.groupBy(key).agg(n.alias("_n")).where("_n > 1").limit(limit)
        columns = [key, within] if within else [key]
        return frame.join(shared.select(key), key, "inner").select(*columns).distinct().toPandas()

    def register(self, frame, name: str) -> Any:
        self.spark.catalog.dropTempView(name)
        self.db_api._registered_table_names.discard(name)
        if isinstance(frame, pd.DataFrame):
            frame = sf.from_pandas(self.spark, frame)
        return self.db_api.register(frame, table_name=name)

    def pairs(self, splink_frame: Any):
        return splink_frame.as_spark_dataframe()

    def from_pandas(self, frame: pd.DataFrame):
        return sf.from_pandas(self.spark, _textual(frame))

    def select(self, frame, columns: Sequence[str]):
        return frame.select(*columns)

    def collect(
        self,
        frame,
        columns: Sequence[str] | None = None,
        *,
        at_least: tuple[str, float] | None = None,
        equal: tuple[str, Any] | None = None,
    ) -> pd.DataFrame:
        F = self.F
        if at_least is not None:
            frame = frame.where(F.col(at_least[0]) >= at_least[1])
        if equal is not None:
            frame = frame.where(F.col(equal[0]) == equal[1])
        return (frame.select(*columns) if columns is not None else frame).toPandas()

    def count_where(self, frame, column: str, at_least: float) -> int:
        return int(frame.where(self.F.col(column) >= at_least).count())

    def rows_for(self, frame, key: str, values: pd.Series, columns: Sequence[str]) -> pd.DataFrame:
        if values.empty:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        wanted = sf.from_pandas(self.spark, values.rename(key).to_frame())
        return frame.join(wanted.hint("broadcast"), key, "inner").select(*columns).toPandas()

    def attach(self, frame, mapping, key: str, column: str, default: str | None):
        F = self.F
        value = mapping.columns[1] if mapping.columns[0] == key else mapping.columns[0]
        if isinstance(mapping, pd.DataFrame):  # small: sent to every executor
            lookup = F.broadcast(
                sf.from_pandas(
                    self.spark,
                    mapping[[key, value]].rename(columns={value: "_mapped"}).drop_duplicates(key),
                )
            )
        else:  # a frame of any size: joined
            lookup = mapping.select(key, F.col(value).alias("_mapped")).dropDuplicates([key])
        joined = frame.join(lookup, key, "left")
        if default is None:
            return joined.withColumnRenamed("_mapped", column)
        # an empty mapping has no values to type its column by: take the default's type
        mapped = F.col("_mapped").cast(frame.schema[default].dataType)
        return joined.withColumn(column, F.coalesce(mapped, F.col(default))).drop("_mapped")

    def group_sizes(self, frame, key: str) -> tuple[int, int]:
        F = self.F
        row = (
            frame.groupBy(key)
            .count()
            .agg(F.count("*").alias("n"), F.max("count").alias("largest"))
            .collect()[0]
        )
        return int(row["n"]), int(row["largest"] or 0)

    def size_counts(self, frame, key: str) -> pd.DataFrame:
        sizes = (
            frame.groupBy(key)
            .count()
            .groupBy(self.F.col("count").alias("size"))
            .agg(self.F.count("*").alias("groups"))
            .toPandas()
        )
        return sizes.astype("int64")

    def grouped_counts(
        self, frame, columns: Sequence[str], null_only: Sequence[str] = ()
    ) -> pd.DataFrame:
        F = self.F
        keys = [F.col(c).isNull().alias(c) if c in null_only else F.col(c) for c in columns]
        return frame.select(*keys).groupBy(*columns).count().toPandas()

    def where_at_least(self, frame, column: str, value: float):
        return frame.where(self.F.col(column) >= value)

    def derive(
        self,
        frame,
        fn: Callable[..., dict[str, pd.DataFrame]],
        *,
        closed_under: Sequence[Sequence[str]],
        pairs=None,
    ) -> dict[str, Any]:
        """``fn`` per batch of whole components, on the executors (``sf.derive``)."""
        batched = sf.component_batches(
            self.db_api, frame, closed_under, rows_per_batch=self._rows_per_batch, pairs=pairs
        )
        if pairs is None:
            return sf.derive(batched, fn, empty=frame.limit(0).toPandas(), keep=self._keep)
        records, its_pairs = batched
        return sf.derive(
            records,
            fn,
            empty=frame.limit(0).toPandas(),
            keep=self._keep,
            pairs=its_pairs,
            empty_pairs=pairs.limit(0).toPandas(),
        )

    def with_household_evidence(self, pairs, groups=None, cross=None, aligned=None):
        """The replacement as joins: the aligned pairs with Splink's scores moved to
        ``person_*`` and the household's in their place (``household_pairs`` on DuckDB)."""
        F = self.F
        base = (
            pairs.withColumn("person_match_probability", F.col("match_probability"))
            .withColumn("person_match_weight", F.col("match_weight"))
            .withColumn("household_evidence", F.lit(False))
        )
        if groups is None:
            return base
        left = groups.select(
            F.col("roster_key").alias("roster_key_l"), F.col("household_group").alias("_group_l")
        )
        right = groups.select(
            F.col("roster_key").alias("roster_key_r"), F.col("household_group").alias("_group_r")
        )
        joined = base.join(left, "roster_key_l", "left").join(right, "roster_key_r", "left")
        kept = joined.where(
            F.col("_group_l").isNull()
            | F.col("_group_r").isNull()
            | (F.col("_group_l") != F.col("_group_r"))
        )
        kept = kept.select(*base.columns)
        picked = (
            cross.drop(
                *(
                    c
                    for c in (
                        "person_match_probability",
                        "person_match_weight",
                        "household_evidence",
                    )
                    if c in cross.columns
                )
            )
            .join(aligned, ["record_id_l", "record_id_r"], "inner")
            .withColumn("person_match_probability", F.col("match_probability"))
            .withColumn("person_match_weight", F.col("match_weight"))
            .withColumn("match_probability", F.col("household_probability"))
            .withColumn("match_weight", F.col("household_weight"))
            .withColumn("household_evidence", F.lit(True))
        )
        extra = picked.select(
            *(
                F.col(c).cast(base.schema[c].dataType)
                if c in picked.columns
                else F.lit(None).cast(base.schema[c].dataType).alias(c)
                for c in base.columns
            )
        )
        return kept.unionByName(extra)

    def ordered(self, frame, by: Sequence[str]):
        return frame

    def distinct(self, frame, columns: Sequence[str]):
        return frame.select(*columns).distinct()

    def where_equal(self, frame, column: str, value: Any):
        return frame.where(self.F.col(column) == value)

    def persist(self, frame):
        return frame.persist(self._keep)

    def read_table(self, path: Path, columns: Sequence[str]):
        if path.suffix == ".csv":
            frame = self.spark.read.option("header", True).csv(str(path))
        else:
            frame = self._parquet(path, columns)
        return frame.select(*(self.F.col(c).cast("string").alias(c) for c in columns))

    def load_table(self, path: Path, name: str, add: Mapping[str, str]) -> Any:
        frame = self._parquet(path)
        for column, expr in add.items():
            frame = frame.withColumn(column, self.F.expr(expr))
        # held by the executors: a batch replaces the files the frame was read from
        return self.register(frame.localCheckpoint(), name)

    def table_with(
        self,
        source: Any,
        rows: pd.DataFrame,
        *,
        moves: pd.DataFrame | None = None,
        columns: Sequence[str] | None = None,
    ):
        F = self.F
        frame = self._parquet(source) if isinstance(source, Path) else source.as_spark_dataframe()
        if moves is not None and len(moves):
            moved = sf.from_pandas(
                self.spark,
                pd.DataFrame(
                    {
                        "_moved_id": moves["record_id"].astype(str).to_numpy(),
                        "_moved_to": moves["cluster_id"].astype(str).to_numpy(),
                    }
                ),
            )
            frame = frame.join(
                F.broadcast(moved), F.col("record_id").cast("string") == F.col("_moved_id"), "left"
            )
            kind = frame.schema["cluster_id"].dataType
            frame = frame.withColumn(
                "cluster_id", F.coalesce(F.col("_moved_to").cast(kind), F.col("cluster_id"))
            ).drop("_moved_id", "_moved_to")
        if columns is not None:
            frame = frame.select(*(c for c in frame.columns if c in columns))
        if rows.empty:
            return frame
        added = sf.from_pandas(self.spark, _textual(rows))
        typed = [
            (F.col(f.name) if f.name in rows.columns else F.lit(None))
            .cast(f.dataType)
            .alias(f.name)
            for f in frame.schema.fields
        ]
        return frame.unionByName(added.select(*typed))

    def absorb(self, table: Any, rows: pd.DataFrame, moves: pd.DataFrame, name: str) -> Any:
        return self.register(self.table_with(table, rows, moves=moves).localCheckpoint(), name)

    def _parquet(self, path: Path, columns: Sequence[str] | None = None):
        if path.is_dir():  # written by Spark: Spark reads it
            return self.spark.read.parquet(str(path))
        # written by pandas, whose nanosecond timestamps Spark refuses: a run of a size
        # that one machine wrote (only the columns asked for)
        columns = list(columns) if columns is not None else None
        return sf.from_pandas(self.spark, pd.read_parquet(path, columns=columns))

    def encode_ahead(self, tables: dict[str, Any], fmt: str) -> dict[str, Any]:
        return dict(tables)  # Spark writes on the executors, when asked

    def write(
        self,
        out: str | Path,
        tables: dict[str, Any],
        *,
        summary: dict,
        model_json: str,
        fmt: str,
        job: str,
        texts: dict[str, str] | None = None,
        carry_over: Sequence[str] = (),
    ) -> None:
        spark_tables = {
            name: self.from_pandas(t) if isinstance(t, pd.DataFrame) else t
            for name, t in tables.items()
        }
        sf.write_outputs(
            self.spark,
            str(out),
            spark_tables,
            fmt=fmt,
            job=job,
            texts={
                "summary.json": summary_json(summary),
                "model.json": model_json,
                **(texts or {}),
            },
            carry_over=carry_over,
        )
