"""The dedupe job on Spark: the same steps, with the records never on the driver.

Records are read, validated and standardised per batch in Spark
(``linkage.spark_frames``) and scored by Splink's Spark backend (``score_pairs``, shared
with DuckDB). Only what is small by nature comes to the driver and goes through the
same pandas functions as on DuckDB: the edges above the cluster threshold (one per
duplicate registration), the rosters those duplicates touch, and the records of
clusters with two or more records. Everything else (every person registered once) stays
in Spark, where cluster and household ids default to the record and roster.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

import linkage
from linkage.backends import make_db_api, register_frame
from linkage.clustering import cluster_with_cannot_link, conflicts_of
from linkage.config import DedupeConfig
from linkage.golden import FIELDS, golden_records
from linkage.households import household_clusters
from linkage.mapping import ColumnMapping
from linkage.pipelines import JobResult
from linkage.progress import Stages
from linkage.spark_frames import from_pandas
from linkage.spark_frames import present as present_value
from linkage.validate import REASON, count_kinds, no_usable_rows
from models.store import load_model


def run_dedupe_spark(
    input_path: str,
    out: str,
    config: DedupeConfig,
    *,
    mapping: ColumnMapping | None = None,
    model_path: str | Path | None = None,
    stages: Stages | None = None,
    encoding: str | None = None,
):
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from linkage import spark_frames as sf
    from linkage.pipelines.dedupe import (
        MODEL_COLUMNS,
        cluster_summary,
        file_fingerprint,
        person_cnic,
        roster_keys,
        score_pairs,
        thresholds,
    )

    stages = stages or Stages()
    started = dt.datetime.now(dt.UTC)
    model = load_model(model_path) if model_path else None
    db_api = make_db_api(config.backend)
    spark = db_api.spark
    keep = StorageLevel.MEMORY_AND_DISK

    with stages.stage("read and validate"):
        checked = sf.with_reasons(
            sf.read_records(spark, str(input_path), mapping=mapping, kind="registry",
                            encoding=encoding),
            kind="registry",
        ).persist(keep)
        rejected = checked.where(F.col(REASON).isNotNull())
        usable = checked.where(F.col(REASON).isNull()).drop(REASON)
        rows_read = checked.count()
        by_reason = count_kinds({r[REASON]: int(r["count"])
                                 for r in rejected.groupBy(REASON).count().collect()})
        if sum(by_reason.values()) == rows_read:
            raise no_usable_rows(str(input_path), by_reason)

    with stages.stage("standardise"):
        std = sf.standardised(usable, _engine_keys(roster_keys, person_cnic),
                              min_year=config.dates.min_year).persist(keep)
        n_records = std.count()

    table = register_frame(db_api, std.select(*MODEL_COLUMNS), "records")
    scored = score_pairs(db_api, table, n_records, config, model=model, stages=stages)
    cfg = config.clustering
    scored_pairs = scored.pairs.as_spark_dataframe()
    gammas = sorted(c for c in scored_pairs.columns if c.startswith(("gamma_", "mw_")))
    if cfg.household_evidence:
        with stages.stage("households as evidence"):
            scored_pairs = _household_evidence(spark, db_api, table, std, scored_pairs,
                                               scored, cfg)
    else:
        scored_pairs = scored_pairs.withColumn("person_match_probability",
                                               F.col("match_probability")) \
            .withColumn("person_match_weight", F.col("match_weight")) \
            .withColumn("household_evidence", F.lit(False))
    pairs = scored_pairs.select(
        "record_id_l", "record_id_r", "match_weight", "match_probability",
        "person_match_probability", "person_match_weight", "household_evidence",
        "source_l", "source_r",
        *gammas).persist(keep)

    with stages.stage("cluster"):
        clusters = _clusters(spark, std, pairs, cfg.threshold, cfg.household_overlap)
        clusters = clusters.persist(keep)

    with stages.stage("golden records"):
        golden = _golden(spark, std, clusters, config.golden)

    sizes = clusters.groupBy("cluster_id").count().toPandas().set_index("cluster_id")["count"]
    n_households = clusters.select("household_cluster_id").distinct().count()
    summary = {
        "job": "dedupe",
        "version": linkage.__version__,
        "started_at": started.isoformat(timespec="seconds"),
        "backend": "spark",
        "input": {
            "path": str(input_path),
            "fingerprint": file_fingerprint(input_path) if Path(input_path).is_file() else None,
            # The mapping used (column names, no data): lets the report re-read the input.
            "mapping": mapping.model_dump() if mapping else None,
            "rows_read": int(rows_read),
            "rows_used": int(n_records),
            "rows_rejected": int(rows_read - n_records),
            "rejected_by_reason": by_reason,
        },
        **scored.summary(),
        **cluster_summary(n_records, sizes, n_households),
        "pairs_written": int(pairs.count()),
        "pairs_at_threshold": int(pairs.where(F.col("match_probability") >= cfg.threshold)
                                  .count()),
        "flags": _flags(std),
        "thresholds": thresholds(config),
    }
    summary["model"] = {**summary["model"], "trained_here": model is None,
                        "loaded_from": str(model_path) if model_path else None}
    household = ["household_id"] if "household_id" in clusters.columns else []
    tables = {
        "clusters": clusters.select("record_id", "source", "cluster_id", "household_cluster_id"),
        "records": clusters.select(*MODEL_COLUMNS, *household, "cluster_id",
                                   "household_cluster_id"),
        "pairs": pairs,
        "golden_records": golden,
        "rejected": rejected,
    }
    with stages.stage("write outputs"):
        summary["timings_s"] = dict(stages.timings)
        from linkage.io import summary_json

        sf.write_outputs(spark, str(out), tables, fmt=config.output_format, job="dedupe",
                         texts={"summary.json": summary_json(summary),
                                "model.json": scored.model_json})
    return JobResult(tables=tables, summary=summary, model_json=scored.model_json,
                        stages=stages)


def _household_evidence(spark, db_api, table, std, scored_pairs, scored, cfg):
    """Households as evidence (``linkage.household_evidence``): the strong pairs and the
    linked households' members come to the driver (a few per duplicated household);
    the pairs between two rosters of one household are replaced in Spark."""
    from pyspark.sql import functions as F

    from linkage.household_evidence import household_evidence
    from linkage.pipelines.dedupe import term_frequencies

    strong = scored_pairs.where(F.col("match_probability") >= cfg.anchor_probability).select(
        "record_id_l", "record_id_r", "roster_key_l", "roster_key_r",
        "match_probability").toPandas()
    model = json.loads(scored.model_json)

    def sizes(keys: list) -> pd.Series:
        rows = _rows_for(spark, std, "roster_key", pd.Series(keys, name="roster_key",
                                                             dtype=object), ["roster_key"])
        return rows["roster_key"].value_counts()

    groups, picked, scored.households = household_evidence(
        db_api, table, strong, model, sizes, term_frequencies(db_api, table, model),
        anchor=cfg.anchor_probability, min_anchors=cfg.min_anchors)
    base = scored_pairs.withColumn("person_match_probability", F.col("match_probability")) \
        .withColumn("person_match_weight", F.col("match_weight")) \
        .withColumn("household_evidence", F.lit(False))
    if groups.empty:
        return base
    g = from_pandas(spark, groups.rename_axis("roster_key").reset_index())
    left = g.toDF("roster_key_l", "_group_l")
    right = g.toDF("roster_key_r", "_group_r")
    joined = base.join(F.broadcast(left), "roster_key_l", "left") \
        .join(F.broadcast(right), "roster_key_r", "left")
    kept = joined.where(F.col("_group_l").isNull() | F.col("_group_r").isNull()
                        | (F.col("_group_l") != F.col("_group_r"))).drop("_group_l", "_group_r")
    kept = kept.select(*base.columns)
    if picked.empty:
        return kept
    extra = from_pandas(spark, picked[[c for c in base.columns if c in picked.columns]])
    extra = extra.select(*(F.col(c).cast(base.schema[c].dataType) if c in extra.columns
                           else F.lit(None).cast(base.schema[c].dataType).alias(c)
                           for c in base.columns))
    return kept.unionByName(extra)


def _flags(std) -> dict[str, int]:
    """The same flags as on DuckDB, from Spark's counts of each combination of values."""
    from pyspark.sql import functions as F

    from linkage.pipelines.dedupe import FLAG_COLUMNS as columns
    from linkage.pipelines.dedupe import flag_counts

    grouped = std.select(*(F.col(c) if c != "dob_year" else F.col(c).isNull().alias(c)
                           for c in columns)).groupBy(*columns).count().toPandas()
    grouped["dob_year"] = grouped["dob_year"].map({True: None, False: 0})
    return flag_counts(grouped, weight=grouped["count"])


def _engine_keys(roster_keys, person_cnic):
    def extra(frame: pd.DataFrame) -> pd.DataFrame:
        frame["roster_key"] = roster_keys(frame).to_numpy()
        frame["person_cnic"] = person_cnic(frame).astype("string").to_numpy()
        return frame
    return extra


def _clusters(spark, std, pairs, threshold: float, overlap: float):
    """``std`` with ``cluster_id`` and ``household_cluster_id``; graph work on the driver
    only for the records and rosters that duplicates touch."""
    from pyspark.sql import functions as F

    edges = pairs.where(F.col("match_probability") >= threshold).select(
        "record_id_l", "record_id_r", "match_probability").toPandas()
    ids = pd.Series(pd.unique(pd.concat([edges["record_id_l"], edges["record_id_r"]])),
                    name="record_id", dtype=object)
    touched = _rows_for(spark, std, "record_id", ids, ["record_id", "roster_key", "gender_std",
                                                       "dob_year", "person_cnic"])
    person = cluster_with_cannot_link(touched["record_id"], touched["roster_key"], edges,
                                      threshold, conflicts_of(touched))
    mapped = pd.DataFrame({"record_id": touched["record_id"].to_numpy(),
                           "mapped_cluster": person.to_numpy()})
    with_person = std.join(from_pandas(spark, mapped), "record_id", "left").withColumn(
        "cluster_id", F.coalesce("mapped_cluster", "record_id")).drop("mapped_cluster")

    multi = mapped.groupby("mapped_cluster")["record_id"].transform("size") > 1
    rosters = pd.Series(pd.unique(touched.loc[multi.to_numpy(), "roster_key"]),
                        name="roster_key", dtype=object)
    members = _rows_for(spark, with_person, "roster_key", rosters, ["roster_key", "cluster_id"])
    household = household_clusters(members["roster_key"], members["cluster_id"],
                                   overlap=overlap)
    roster_map = pd.DataFrame({"roster_key": members["roster_key"].to_numpy(),
                               "mapped_household": household.to_numpy()}).drop_duplicates()
    return with_person.join(from_pandas(spark, roster_map), "roster_key", "left").withColumn(
        "household_cluster_id", F.coalesce("mapped_household", "roster_key")
    ).drop("mapped_household")


def _golden(spark, std, clusters, g):
    """Golden records: people registered once straight from Spark, the rest by the same
    survivorship rules as on DuckDB (``linkage.golden``), on the driver."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    sized = clusters.withColumn("_n", F.count("*").over(Window.partitionBy("cluster_id")))
    multi = sized.where("_n > 1").drop("_n").toPandas()
    chosen = golden_records(multi, source_priority=g.source_priority, rules=g.rules,
                            field_rules=g.field_rules) if len(multi) else None

    single = sized.where("_n = 1")
    columns = [F.col("cluster_id"), F.lit(1).cast("long").alias("n_records"),
               F.col("record_id").alias("record_ids"), F.col("household_cluster_id")]
    for field, (value_col, _) in FIELDS.items():
        if value_col not in single.columns:
            continue
        value = F.col(value_col).cast("string")
        present = present_value(value)
        columns += [F.when(present, value).alias(field),
                    F.when(present, F.col("source")).alias(f"{field}_source"),
                    F.when(present, F.col("record_id")).alias(f"{field}_record_id")]
    golden = single.select(*columns)
    if chosen is not None:
        chosen = chosen.astype(object).where(chosen.notna(), None)
        chosen["n_records"] = chosen["n_records"].astype("int64")
        golden = golden.unionByName(from_pandas(spark, chosen[golden.columns]))
    return golden


def _rows_for(spark, table, key: str, values: pd.Series, columns: list[str]) -> pd.DataFrame:
    """The rows of ``table`` whose ``key`` is among ``values``, as pandas (few by design)."""
    if values.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    wanted = from_pandas(spark, values.to_frame())
    return table.join(wanted.hint("broadcast"), key, "inner").select(*columns).toPandas()
