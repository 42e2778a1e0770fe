"""The link-waves job on Spark: waves read, validated, standardised and scored in Spark.

Reading and standardising run per batch with the same pure functions as on DuckDB
(``linkage.spark_frames``) and scoring is the shared ``score_pairs``. Lineage, golden
records and updates need every record's person and household, so the standardised
records and the scored pairs come to the driver and go through the same pandas
functions as on DuckDB (``link_waves_records``); the outputs are written by Spark.
That bounds this job by the driver's memory (about 2 GB per million records): fine for
a province, not yet for the whole registry at once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from linkage.backends import make_db_api, register_frame
from linkage.config import LinkWavesConfig
from linkage.io import summary_json
from linkage.mapping import ColumnMapping
from linkage.pipelines.dedupe import (
    MODEL_COLUMNS,
    person_cnic,
    registry_records,
    resolve_people,
    roster_keys,
    score_pairs,
)
from linkage.pipelines.link_waves import Waves, link_waves_records, wave_names
from linkage.progress import Stages
from linkage.spark_frames import from_pandas
from linkage.validate import REASON, count_kinds, no_usable_rows
from models.store import load_model


def run_link_waves_spark(paths: list[str], out: str, config: LinkWavesConfig, *,
                         mapping: ColumnMapping | None = None,
                         model_path: str | Path | None = None, stages: Stages | None = None,
                         encoding: str | None = None):
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from linkage import spark_frames as sf
    from linkage.errors import ConfigError
    from linkage.pipelines import JobResult
    from linkage.pipelines.dedupe import file_fingerprint
    from linkage.pipelines.dedupe_spark import _engine_keys
    from linkage.pipelines.link_waves import finish_summary

    if len(paths) < 2:
        raise ConfigError(f"link-waves needs at least two waves, oldest first; got {len(paths)}.")
    stages = stages or Stages()
    started = dt.datetime.now(dt.UTC)
    model = load_model(model_path) if model_path else None
    db_api = make_db_api(config.backend)
    spark = db_api.spark
    keep = StorageLevel.MEMORY_AND_DISK
    names = wave_names(paths)

    with stages.stage("read and validate"):
        usable, rejected, info = [], [], []
        for order, (path, name) in enumerate(zip(paths, names, strict=True)):
            checked = sf.with_reasons(
                sf.read_records(spark, str(path), mapping=mapping, kind="registry",
                                encoding=encoding), kind="registry",
            ).withColumn("wave", F.lit(name)).withColumn("wave_order", F.lit(str(order)))
            checked = checked.persist(keep)
            bad = checked.where(F.col(REASON).isNotNull())
            n_read, n_bad = checked.count(), bad.count()
            if n_read == n_bad:
                raise no_usable_rows(str(path), count_kinds(
                    {r[REASON]: r["count"] for r in bad.groupBy(REASON).count().collect()}))
            columns = [c for c in checked.columns if c not in ("input_row", REASON, "wave",
                                                               "wave_order")]
            info.append({"wave": name, "path": str(path),
                         "fingerprint": file_fingerprint(path) if Path(path).is_file() else None,
                         "columns": columns, "rows_read": n_read,
                         "rows_used": n_read - n_bad, "rows_rejected": n_bad})
            usable.append(checked.where(F.col(REASON).isNull()).drop(REASON))
            rejected.append(bad)
        every = set().union(*(i["columns"] for i in info))
        for i in info:
            i["columns_missing"] = sorted(every - set(i["columns"]))
            del i["columns"]
        records = usable[0]
        for frame in usable[1:]:
            records = records.unionByName(frame, allowMissingColumns=True)
        clash = records.groupBy("record_id").count().where("count > 1").limit(1).count() > 0
        if clash:  # the same id in two waves: qualify every id, as on DuckDB
            records = records.withColumn("record_id", F.concat_ws(":", "wave", "record_id"))
        bad_rows = rejected[0]
        for frame in rejected[1:]:
            bad_rows = bad_rows.unionByName(frame, allowMissingColumns=True)

    with stages.stage("standardise"):
        std = sf.standardised(records, _engine_keys(roster_keys, person_cnic),
                              min_year=config.dates.min_year).persist(keep)
        n_records = std.count()

    table = register_frame(db_api, std.select(*MODEL_COLUMNS), "records")
    scored = score_pairs(db_api, table, n_records, config, model=model, stages=stages)
    local = std.toPandas()
    local["wave_order"] = local["wave_order"].astype("int64")
    pairs, local["cluster_id"] = resolve_people(
        db_api, table, scored.pairs.as_spark_dataframe().toPandas(), local, config, scored,
        stages)
    tables, summary = link_waves_records(local, pairs, config, stages=stages)
    by_id = tables["clusters"].set_index("record_id")
    tables["records"] = registry_records(
        local[list(MODEL_COLUMNS)].copy(deep=False),
        household_id=local["household_id"].to_numpy() if "household_id" in local else None,
        cluster_id=local["record_id"].map(by_id["cluster_id"]),
        household_cluster_id=local["record_id"].map(by_id["household_cluster_id"]))
    summary = {**scored.summary(), **summary}
    waves = Waves(records=pd.DataFrame(), rejected=pd.DataFrame(), info=info,
                  ids_qualified=bool(clash))
    summary = finish_summary(summary, waves, tables["clusters"], int(bad_rows.count()),
                             started=started, mapping=mapping, model_path=model_path,
                             model_loaded=model is not None, backend="spark")
    spark_tables = {name: from_pandas(spark, _textual(frame)) for name, frame in tables.items()}
    spark_tables["rejected"] = bad_rows
    with stages.stage("write outputs"):
        summary["timings_s"] = dict(stages.timings)
        sf.write_outputs(spark, str(out), spark_tables, fmt=config.output_format,
                         job="link-waves", texts={"summary.json": summary_json(summary),
                                "model.json": scored.model_json})
    return JobResult(tables, summary, scored.model_json, stages)


def _textual(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding mixed Python values (ints and text) as text, so Spark can
    type them; numbers and flags keep their types."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: None if v is None or v != v else str(v))
    return out
