"""Reading, checking, standardising and writing person records as Spark DataFrames.

The same pure pandas functions as on DuckDB (column mapping, row validation,
standardisation) run per Arrow batch through ``mapInPandas``, so nothing is read
through pandas on the driver and the rules cannot drift apart between backends. Only
file-level checks (header, required columns, duplicate ids) look at the whole table,
through Spark aggregations.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linkage.contract import RECORD_ID, SOURCE
from linkage.errors import ConfigError, InputError, NserLinkError
from linkage.io import (
    INPUT_ROW,
    check_required_columns,
    check_reserved_columns,
    check_unique_ids,
    csv_encoding,
    stated_encoding,
)
from linkage.mapping import ColumnMapping, apply_mapping
from linkage.standardise import OUTPUT_DTYPES, standardise
from linkage.validate import REASON, row_reasons


def _spark_type(dtype):
    """The Spark type for a pandas dtype (or "long"/"string"); text is the default."""
    from pyspark.sql import types as T

    name = str(dtype)
    if name.startswith("datetime64"):
        return T.TimestampType()
    if name in ("long", "Int64", "int64", "Int32", "int32"):
        return T.LongType()
    if name in ("float64", "Float64"):
        return T.DoubleType()
    if name in ("boolean", "bool"):
        return T.BooleanType()
    return T.StringType()


def _schema(columns: dict):
    from pyspark.sql import types as T

    return T.StructType([T.StructField(c, _spark_type(t), True) for c, t in columns.items()])


def from_pandas(spark, frame: pd.DataFrame):
    """A Spark DataFrame of a pandas frame, typed from its dtypes (an all-null column
    cannot be inferred) and with every kind of null as SQL NULL."""
    rows = frame.astype(object).where(frame.notna(), None)
    return spark.createDataFrame(rows, schema=_schema(dict(frame.dtypes.items())))


def read_records(spark, path: str, *, mapping: ColumnMapping | None, kind: str,
                 source: str | None = None, encoding: str | None = None):
    """A wave as a Spark DataFrame of text columns plus ``input_row``, checked like
    ``linkage.io.read_table``: mapping applied, required columns present, ids unique."""
    from pyspark.sql import functions as F

    file = str(path)
    reader = spark.read
    if file.lower().endswith((".parquet", ".pq")) or Path(file).is_dir():
        raw = reader.parquet(file)
        raw = raw.select([F.col(c).cast("string").alias(c) for c in raw.columns])
    else:
        codec = "UTF-8"
        if Path(file).is_file():  # Spark would replace bad bytes silently: refuse first
            codec = (stated_encoding(Path(file), encoding) if encoding
                     else csv_encoding(Path(file), detect=kind == "partner"))
        elif encoding:
            codec = encoding
        codec = "UTF-8" if codec == "utf-8-sig" else codec
        raw = reader.option("header", True).option("encoding", codec).option(
            "mode", "PERMISSIVE").csv(file)
    columns = [c.strip() for c in raw.columns]
    raw = raw.toDF(*columns)
    check_reserved_columns(pd.DataFrame(columns=columns), file)

    # input_row: data rows numbered from 1 in file order, as on DuckDB.
    numbered = raw.rdd.zipWithIndex().map(lambda ri: (*ri[0], ri[1] + 1))
    from pyspark.sql import types as T

    raw = numbered.toDF(T.StructType(
        [T.StructField(c, T.StringType(), True) for c in columns]
        + [T.StructField(INPUT_ROW, T.LongType(), False)]))
    empty = raw.limit(1).count() == 0
    if empty:
        raise InputError("has a header but no rows.", file=file)

    mapped_columns = list(apply_mapping(pd.DataFrame(columns=columns), mapping, file).columns)
    check_required_columns(pd.DataFrame(columns=mapped_columns), _required(kind), file)
    out_columns = {c: "string" for c in mapped_columns if c != INPUT_ROW}
    out_columns[INPUT_ROW] = "long"

    def mapped(batches):
        for batch in batches:
            rows = batch.pop(INPUT_ROW)
            batch = batch.astype(object).where(batch.notna() & batch.ne(""), None)
            out = apply_mapping(batch, mapping, file)
            out[INPUT_ROW] = rows.to_numpy()
            yield out[list(out_columns)]

    records = raw.mapInPandas(mapped, _schema(out_columns))
    if SOURCE not in records.columns:
        records = records.withColumn(SOURCE, F.lit(None).cast("string"))
    default = (mapping.source if mapping and mapping.source else None) or source or Path(file).stem
    records = records.withColumn(
        SOURCE, F.coalesce(F.when(F.trim(F.col(SOURCE)) != "", F.col(SOURCE)), F.lit(default)))

    duplicated = (records.where(F.col(RECORD_ID).isNotNull())
                  .groupBy(RECORD_ID).count().where("count > 1").limit(50))
    if duplicated.limit(1).count():
        ids = [r[RECORD_ID] for r in duplicated.collect()]
        rows = records.where(F.col(RECORD_ID).isin(ids)).select(RECORD_ID, INPUT_ROW).toPandas()
        check_unique_ids(rows, file)
    return records


def _required(kind: str) -> tuple[str, ...]:
    from linkage.contract import PARTNER_REQUIRED, REGISTRY_REQUIRED

    return REGISTRY_REQUIRED if kind == "registry" else PARTNER_REQUIRED


def with_reasons(records, *, kind: str):
    """``records`` plus ``reason`` (null for usable rows), per batch."""
    columns = {c: ("long" if c == INPUT_ROW else "string") for c in records.columns}
    columns[REASON] = "string"

    def reasons(batches):
        for batch in batches:
            text = row_reasons(batch, kind)
            batch[REASON] = [r or None for r in text]
            yield batch

    return records.mapInPandas(reasons, _schema(columns))


def standardised(records, extra, *, min_year: int = 1900):
    """``records`` plus every standardised column, and ``extra(frame)`` columns, per batch."""
    columns = {c: ("long" if c == INPUT_ROW else "string") for c in records.columns}
    columns.update(OUTPUT_DTYPES)
    probe = extra(standardise(pd.DataFrame({c: pd.Series(dtype=object) for c in records.columns})))
    columns.update({c: "string" for c in probe.columns if c not in columns})

    def run(batches):
        for batch in batches:
            out = extra(standardise(batch, min_year=min_year))
            yield out[list(columns)]

    return records.mapInPandas(run, _schema(columns))


# --- writing -------------------------------------------------------------------------


def write_outputs(spark, out: str, tables: dict, *, texts: dict[str, str], fmt: str,
                  job: str | None = None) -> None:
    """Write Spark tables (folders) and small text files into ``out`` atomically.

    The same rules as ``linkage.io.write_outputs`` (:mod:`linkage.outputs`), through
    Hadoop's file system: everything goes into a hidden sibling marked as a run first;
    an existing ``out`` is replaced only if it is empty or a run, and only once the new
    one is complete. Paths are anything Hadoop's file systems take (local, hdfs://,
    s3a://, abfss://); on object stores a folder rename is a copy, so not atomic there.
    """
    from linkage import outputs

    fs = outputs.HadoopFS(spark, out)
    target = fs.path(out)
    outputs.check_replaceable(fs, target, out)
    try:
        tmp = outputs.new_temp(fs, target, job)
    except OSError as exc:
        raise ConfigError(f"cannot create the output folder ({exc}).", file=out) from None
    try:
        for name, frame in tables.items():
            writer = frame.write.mode("overwrite")
            dest = fs.child(tmp, f"{name}.{fmt}").toString()
            (writer.option("header", True).csv(dest) if fmt == "csv" else writer.parquet(dest))
        for name, text in texts.items():
            fs.write_text(fs.child(tmp, name), text)
        outputs.swap_into_place(fs, tmp, target, out)
    except OSError as exc:
        outputs.discard(fs, tmp)
        raise NserLinkError(f"could not move the outputs into place ({exc}).",
                            file=out) from None
    except BaseException:
        outputs.discard(fs, tmp)
        raise
