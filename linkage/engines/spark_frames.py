"""Reading, checking, standardising and writing person records as Spark DataFrames.

The same pure pandas functions as on DuckDB (CSV field parsing, column mapping, row
validation, standardisation) run per partition or Arrow batch, so nothing is read
through pandas on the driver and the rules cannot drift apart between backends. Only
file-level checks (header, required columns) and duplicate ids look at the whole table,
through Spark aggregations.
"""

from __future__ import annotations

import codecs
import operator
from collections.abc import Sequence
from functools import reduce
from pathlib import Path

import numpy as np
import pandas as pd

from linkage.contract import RECORD_ID, SOURCE
from linkage.errors import ConfigError, InputError, NserLinkError
from linkage.intake.io import (
    INPUT_ROW,
    MAX_FIELD_CHARS,
    REASON,
    REASON_LONG_FIELD,
    REASON_NUL,
    ROWS_NAMED,
    check_header,
    check_required_columns,
    check_reserved_columns,
    csv_encoding,
    csv_header,
    field_reasons,
    header_names,
    parse_fields,
    ragged_reason,
    stated_encoding,
)
from linkage.intake.mapping import ColumnMapping, apply_mapping
from linkage.intake.validate import row_reasons
from linkage.standardise import OUTPUT_DTYPES, standardise


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


#: Internal column: the row as Excel numbers it, for naming rows in reasons.
_EXCEL_ROW = "_excel_row"


def read_records(
    spark,
    path: str,
    *,
    mapping: ColumnMapping | None,
    kind: str,
    source: str | None = None,
    encoding: str | None = None,
):
    """A wave as a Spark DataFrame of text columns plus ``input_row`` and ``reason``,
    checked like ``linkage.intake.io.read_table``: mapping applied, required columns present,
    and the rows the reader could only partly read, or whose id another row has, marked
    in ``reason`` with the same words.

    A CSV is read line by line and each line parsed by the same function as on DuckDB
    (``linkage.intake.io.parse_fields``): Spark's own CSV reader cannot tell a row with a
    missing last field from one with an empty last field. So on Spark a quoted field
    may not hold a line break (its two halves are rejected as ragged rows).
    """
    from pyspark.sql import functions as F

    file = str(path)
    if file.lower().endswith((".parquet", ".pq")) or Path(file).is_dir():
        raw = _parquet_records(spark, file)
    else:
        raw = _csv_records(spark, file, encoding=encoding, detect=kind == "partner")
    columns = [c for c in raw.columns if c not in (INPUT_ROW, _EXCEL_ROW, REASON)]

    mapped_columns = list(apply_mapping(pd.DataFrame(columns=columns), mapping, file).columns)
    check_required_columns(pd.DataFrame(columns=mapped_columns), _required(kind), file)
    out_columns = {c: "string" for c in mapped_columns}
    out_columns.update({INPUT_ROW: "long", _EXCEL_ROW: "long", REASON: "string"})

    def mapped(batches):
        for batch in batches:
            kept = {c: batch.pop(c).to_numpy() for c in (INPUT_ROW, _EXCEL_ROW, REASON)}
            batch = batch.astype(object).where(batch.notna() & batch.ne(""), None)
            out = apply_mapping(batch, mapping, file)
            for c, values in kept.items():
                out[c] = values
            yield out[list(out_columns)]

    records = raw.mapInPandas(mapped, _schema(out_columns))
    if SOURCE not in records.columns:
        records = records.withColumn(SOURCE, F.lit(None).cast("string"))
    default = (mapping.source if mapping and mapping.source else None) or source or Path(file).stem
    records = records.withColumn(
        SOURCE, F.coalesce(F.when(F.trim(F.col(SOURCE)) != "", F.col(SOURCE)), F.lit(default))
    )
    return _mark_duplicate_ids(records).drop(_EXCEL_ROW)


def _csv_records(spark, file: str, *, encoding: str | None, detect: bool):
    """The CSV's data rows: the header's columns, ``input_row`` (non-blank lines after
    the header, from 1), the Excel row (the line number) and the reader's ``reason``."""
    from pyspark.sql import types as T

    codec = "utf-8"
    local = Path(file).is_file()
    if local:  # Spark would replace bad bytes silently: refuse first
        codec = (
            stated_encoding(Path(file), encoding)
            if encoding
            else csv_encoding(Path(file), detect=detect)
        )
    elif encoding:
        codec = encoding
    if codecs.lookup(codec).name in ("utf-8", "utf-8-sig"):
        codec = "utf-8-sig"  # a byte-order mark is not part of the first column's name
    elif "\n".encode(codec) != b"\n":
        raise InputError(
            f"is encoded as {codec}; on Spark a CSV must be UTF-8 or another "
            "encoding that writes a line break as one byte (such as cp1252). "
            "Re-save it as UTF-8, or use the DuckDB backend.",
            file=file,
        )

    def text(raw: bytes) -> str:
        return raw.decode(codec, "replace")

    lines = spark.sparkContext.textFile(file, use_unicode=False).zipWithIndex()
    rows = lines.filter(lambda li: text(li[0]).strip() != "").zipWithIndex()
    if local:
        header = csv_header(Path(file), codec)
    else:  # the first non-blank line; collected in full, as an early stop upsets Python
        firsts = rows.filter(lambda r: r[1] == 0).map(lambda r: text(r[0][0])).collect()
        header = header_names(parse_fields(firsts[0])) if firsts else None
    if header is None:
        raise InputError("is empty (no header, no rows).", file=file)
    check_header(header, file)
    check_reserved_columns(pd.DataFrame(columns=header), file)
    m = len(header)

    def parse(part):
        for (raw, line), row in part:
            if row == 0:
                continue  # the header
            fields = parse_fields(text(raw))
            found = [] if len(fields) == m else [ragged_reason(len(fields), m)]
            found += field_reasons(fields)
            values = [f if f != "" else None for f in (fields + [""] * m)[:m]]
            yield (*values, row, line + 1, "; ".join(found) or None)

    schema = T.StructType(
        [T.StructField(c, T.StringType(), True) for c in header]
        + [
            T.StructField(INPUT_ROW, T.LongType(), False),
            T.StructField(_EXCEL_ROW, T.LongType(), False),
            T.StructField(REASON, T.StringType(), True),
        ]
    )
    return spark.createDataFrame(rows.mapPartitions(parse), schema)


def _parquet_records(spark, file: str):
    """A Parquet wave as text with ``input_row`` (its position from 1), the row as
    ``_excel_row`` (``input_row + 1``) and NUL bytes or over-long fields in ``reason``."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    raw = spark.read.parquet(file)
    raw = raw.select([F.col(c).cast("string").alias(c.strip()) for c in raw.columns])
    columns = raw.columns
    check_header(columns, file)
    check_reserved_columns(pd.DataFrame(columns=columns), file)
    numbered = raw.rdd.zipWithIndex().map(lambda ri: (*ri[0], ri[1] + 1))
    raw = numbered.toDF(
        T.StructType(
            [T.StructField(c, T.StringType(), True) for c in columns]
            + [T.StructField(INPUT_ROW, T.LongType(), False)]
        )
    )
    nul = _any([F.instr(F.col(c), "\x00") > 0 for c in columns])
    long = _any([F.length(F.col(c)) > MAX_FIELD_CHARS for c in columns])
    reason = F.concat_ws("; ", F.when(nul, REASON_NUL), F.when(long, REASON_LONG_FIELD))
    return raw.withColumn(_EXCEL_ROW, F.col(INPUT_ROW) + 1).withColumn(
        REASON, F.when(reason != "", reason)
    )


def _any(conditions: list):
    from functools import reduce

    from pyspark.sql import functions as F

    return reduce(
        lambda a, b: a | b, [F.coalesce(c, F.lit(False)) for c in conditions], F.lit(False)
    )


def _mark_duplicate_ids(records):
    """Every row whose (non-blank) record_id another row also has gets the reason
    ``linkage.intake.io.duplicate_reason`` writes on DuckDB, built in Spark SQL: only the ids
    used twice and their first rows are gathered, the records are joined to them."""
    from pyspark.sql import functions as F

    ids = records.where(F.col(RECORD_ID).isNotNull() & ~F.col(RECORD_ID).rlike(r"^\s*$"))
    dups = (
        ids.groupBy(RECORD_ID)
        .agg(
            F.count("*").alias("_n"),
            F.slice(F.sort_array(F.collect_list(_EXCEL_ROW)), 1, ROWS_NAMED + 1).alias("_first"),
        )
        .where("_n > 1")
    )
    marked = records.join(dups, on=RECORD_ID, how="left")
    others = F.filter(F.col("_first"), lambda row: row != F.col(_EXCEL_ROW))
    shown = F.slice(others, 1, ROWS_NAMED)
    n_others = F.col("_n") - 1
    more = n_others - F.size(shown)
    reason = F.when(
        F.col("_n") > 1,
        F.concat(
            F.lit("record_id also on "),
            F.when(n_others == 1, F.lit("Excel row")).otherwise(F.lit("Excel rows")),
            F.lit(" "),
            F.array_join(shown.cast("array<string>"), ", "),
            F.when(
                more > 0, F.concat(F.lit(" and "), F.format_number(more, 0), F.lit(" more"))
            ).otherwise(F.lit("")),
        ),
    )
    joined = F.concat_ws("; ", F.col(REASON), reason)
    return (
        marked.withColumn(REASON, F.when(joined != "", joined))
        .drop("_n", "_first")
        .select(*records.columns)
    )


def _required(kind: str) -> tuple[str, ...]:
    from linkage.contract import PARTNER_REQUIRED, REGISTRY_REQUIRED

    return REGISTRY_REQUIRED if kind == "registry" else PARTNER_REQUIRED


def _kept_types(records) -> dict[str, str]:
    """The columns of ``records`` as ``_schema`` types: whole numbers (``input_row``,
    ``wave_order``) stay numbers, everything else is text."""
    from pyspark.sql import types as T

    return {
        f.name: "long" if isinstance(f.dataType, T.IntegralType) else "string"
        for f in records.schema.fields
    }


def with_reasons(records, *, kind: str):
    """``records`` plus ``reason`` (null for usable rows), per batch."""
    columns = _kept_types(records)
    columns[REASON] = "string"

    def reasons(batches):
        for batch in batches:
            text = row_reasons(batch, kind)
            batch[REASON] = [r or None for r in text]
            yield batch

    return records.mapInPandas(reasons, _schema(columns))


def standardised(records, extra, *, min_year: int = 1900):
    """``records`` plus every standardised column, and ``extra(frame)`` columns, per batch."""
    columns = _kept_types(records)
    columns.update(OUTPUT_DTYPES)
    probe = extra(standardise(pd.DataFrame({c: pd.Series(dtype=object) for c in records.columns})))
    columns.update({c: "string" for c in probe.columns if c not in columns})

    def run(batches):
        for batch in batches:
            # a task has one core: a names worker would take another task's
            out = extra(standardise(batch, min_year=min_year, names_worker=False))
            yield out[list(columns)]

    return records.mapInPandas(run, _schema(columns))


# --- writing -------------------------------------------------------------------------


def write_outputs(
    spark,
    out: str,
    tables: dict,
    *,
    texts: dict[str, str],
    fmt: str,
    job: str | None = None,
    carry_over: Sequence[str] = (),
) -> None:
    """Write Spark tables (folders) and small text files into ``out`` atomically.

    The same rules as ``linkage.intake.io.write_outputs`` (:mod:`linkage.outputs`), through
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
        outputs.swap_into_place(fs, tmp, target, out, keep=(*outputs.KEPT_ACROSS_RUNS, *carry_over))
    except OSError as exc:
        outputs.discard(fs, tmp)
        raise NserLinkError(f"could not move the outputs into place ({exc}).", file=out) from None
    except BaseException:
        outputs.discard(fs, tmp)
        raise


# --- derive steps per batch of whole components --------------------------------------

#: Internal columns: a record's connected component, and the batch of components it is in.
_COMPONENT, _BATCH, _TABLE = "_component", "_batch", "_table"


def component_batches(db_api, records, closed_under, *, rows_per_batch: int, pairs=None):
    """``records`` with ``_batch``: records joined by equal values of one column list of
    ``closed_under``, or by a pair of ``pairs`` (``record_id_l``, ``record_id_r``), are in
    one connected component, and each component in one batch of about ``rows_per_batch``
    records. With ``pairs``, returns ``(records, pairs)``, each pair with the batch of its
    records (a pair whose left record is not among ``records`` is left out).

    The graph has a node per value of each column list, an edge per record between its
    first node and each other, and an edge per pair between its records' first nodes;
    Splink's connected components (SQL, in Spark) label it. With one column list and no
    pairs the components are its values, no graph needed."""
    from pyspark.sql import functions as F
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    has_id = RECORD_ID in records.columns

    def node(i: int, columns):
        # A record with a null key is joined to no other record by it; without record ids
        # (a frame of pairs) such rows share one node: a larger closed set is still closed.
        key = F.concat_ws("\x1f", *(F.col(c).cast("string") for c in columns))
        missing = reduce(operator.or_, [F.col(c).isNull() for c in columns])
        alone = (
            F.concat(F.lit(f"{i}\x1e-"), F.col(RECORD_ID).cast("string"))
            if has_id
            else F.lit(f"{i}\x1e-")
        )
        return F.when(missing, alone).otherwise(F.concat(F.lit(f"{i}\x1e"), key))

    first = node(0, closed_under[0])
    labelled = records.withColumn(_COMPONENT, first)
    graph = []
    if len(closed_under) > 1:
        graph.append(
            labelled.select(
                F.explode(
                    F.array(
                        *(
                            F.struct(F.col(_COMPONENT).alias("node_l"), node(i, cs).alias("node_r"))
                            for i, cs in enumerate(closed_under)
                            if i
                        )
                    )
                ).alias("e")
            ).select("e.node_l", "e.node_r")
        )
    if pairs is not None:
        ends = labelled.select(RECORD_ID, _COMPONENT)
        graph.append(
            pairs.select("record_id_l", "record_id_r")
            .join(ends.toDF("record_id_l", "node_l"), "record_id_l")
            .join(ends.toDF("record_id_r", "node_r"), "record_id_r")
            .select("node_l", "node_r")
            .where(F.col("node_l") != F.col("node_r"))
        )
    if graph:
        edges = reduce(lambda a, b: a.union(b), graph).distinct()
        nodes = (
            edges.select(F.col("node_l").alias("node"))
            .union(edges.select(F.col("node_r").alias("node")))
            .distinct()
        )
        cc = cluster_pairwise_predictions_at_threshold(
            db_api.register(nodes),
            db_api.register(edges),
            db_api=db_api,
            node_id_column_name="node",
            edge_id_column_name_left="node_l",
            edge_id_column_name_right="node_r",
        ).as_spark_dataframe()
        labels = cc.select(F.col("node").alias(_COMPONENT), F.col("cluster_id").alias("_cc"))
        labelled = (
            labelled.join(labels, _COMPONENT, "left")
            .withColumn(_COMPONENT, F.coalesce("_cc", _COMPONENT))
            .drop("_cc")
        )
    batches = max(1, -(-int(records.count()) // rows_per_batch))
    batched = labelled.withColumn(_BATCH, F.pmod(F.xxhash64(_COMPONENT), F.lit(batches)))
    if pairs is None:
        return batched
    # a new column (not the records' own), or Spark finds the cogroup's key ambiguous
    of_record = batched.select(
        F.col(RECORD_ID).alias("record_id_l"), (F.col(_BATCH) + F.lit(0)).alias(_BATCH)
    )
    return batched, pairs.join(of_record, "record_id_l")


def _kind(spark_type) -> str:
    return spark_type.simpleString()


def _as_python(values: pd.Series, kind: str) -> pd.Series:
    """``values`` as Python values of the Spark type ``kind`` (null as None), whatever
    pandas dtype a batch gave them (a column of one batch may be all null)."""
    convert = {"bigint": int, "double": float, "boolean": bool, "timestamp": pd.Timestamp}
    to = convert.get(kind, str)
    return values.astype(object).map(lambda v: None if v is None or v is pd.NA or v != v else to(v))


def derive(
    batched, fn, *, empty: pd.DataFrame, keep, pairs=None, empty_pairs: pd.DataFrame | None = None
):
    """The tables of ``fn`` (a pandas function over records closed under the keys the
    batches were made by, ``Engine.derive``) as Spark DataFrames, ``fn`` run once per
    batch by ``applyInPandas`` on the executors; with ``pairs`` (batched alike,
    ``component_batches``), as ``fn(records, pairs)`` of each batch's records and pairs
    (a cogroup).

    Every batch returns one frame holding the rows of all tables (``_table`` says which,
    and each table's columns are its own); it is kept (memory, then disk) and each table
    selected from it. The tables' columns are those ``fn`` gives for no records; so are
    their types where the code sets them, the rest is text."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    input_columns = list(empty.columns)
    no_pairs = empty_pairs if empty_pairs is not None else pd.DataFrame()
    pair_columns = list(no_pairs.columns)
    probe = fn(empty) if pairs is None else fn(empty, no_pairs.copy())
    # A column typed by the code (int64, Int64, Float64, bool, boolean) keeps its type; an
    # untyped one (object, or float64: pandas' type for an empty column of anything) is
    # text, as from_pandas makes objects text.
    shapes = {
        name: _schema(
            {c: "string" if str(t) in ("object", "float64") else t for c, t in table.dtypes.items()}
        )
        for name, table in probe.items()
    }

    def wide(name: str, column: str) -> str:
        return f"{name}__{column}"

    fields = [T.StructField(_TABLE, T.StringType(), False)] + [
        T.StructField(wide(name, f.name), f.dataType, True)
        for name, schema in shapes.items()
        for f in schema.fields
    ]
    kinds = {
        name: {f.name: _kind(f.dataType) for f in schema.fields} for name, schema in shapes.items()
    }

    def stack(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        sizes = {name: len(tables[name]) for name in shapes}
        out = {_TABLE: pd.Series(np.repeat(list(sizes), list(sizes.values())), dtype=object)}
        for name in shapes:
            for column, kind in kinds[name].items():
                out[wide(name, column)] = pd.concat(
                    [
                        _as_python(tables[t][column], kind)
                        if t == name
                        else pd.Series([None] * n, dtype=object)
                        for t, n in sizes.items()
                    ],
                    ignore_index=True,
                )
        return pd.DataFrame(out)

    def run(batch: pd.DataFrame) -> pd.DataFrame:
        return stack(fn(batch[input_columns].reset_index(drop=True)))

    def run_with_pairs(batch: pd.DataFrame, its_pairs: pd.DataFrame) -> pd.DataFrame:
        if its_pairs.empty:  # a batch without pairs: the typed empty frame, columns and all
            its_pairs = no_pairs.copy()
        return stack(
            fn(
                batch[input_columns].reset_index(drop=True),
                its_pairs[pair_columns].reset_index(drop=True),
            )
        )

    stacked_schema = T.StructType(fields)
    if pairs is None:
        stacked = batched.groupBy(_BATCH).applyInPandas(run, stacked_schema)
    else:
        stacked = (
            batched.groupBy(_BATCH)
            .cogroup(pairs.groupBy(_BATCH))
            .applyInPandas(run_with_pairs, stacked_schema)
        )
    stacked = stacked.persist(keep)
    return {
        name: stacked.where(F.col(_TABLE) == name).select(
            *(F.col(wide(name, f.name)).alias(f.name) for f in schema.fields)
        )
        for name, schema in shapes.items()
    }
