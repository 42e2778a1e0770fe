"""The match-partner job on Spark: the registry stays in Spark, the partner list does not.

The registry waves are read, validated and standardised per batch in Spark
(``linkage.spark_frames``), as by the dedupe job. The partner list is small by nature
(thousands to a few hundred thousand rows) and is read on the driver with the same
reader as on DuckDB, so Excel workbooks and detected encodings work here too. Scoring
and resolution are ``match_on_engine``, shared with DuckDB: Splink scores on Spark and
only the scored pairs (a few per partner row) come to the driver.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

import linkage
from linkage.backends import make_db_api, register_frame
from linkage.errors import InputError
from linkage.mapping import ColumnMapping
from linkage.partner_config import MatchPartnerConfig
from linkage.pipelines import JobResult
from linkage.progress import Stages
from linkage.standardise import standardise
from linkage.validate import REASON, no_usable_rows
from models.store import load_model


def run_match_partner_spark(
    registry_paths: list[str],
    partner_path: str,
    out: str,
    config: MatchPartnerConfig,
    *,
    mapping: ColumnMapping | None = None,
    registry_mapping: ColumnMapping | None = None,
    model_path: str | Path | None = None,
    stages: Stages | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
):
    from linkage import spark_frames as sf
    from linkage.io import summary_json
    from linkage.pipelines import match_partner as mp
    from linkage.pipelines.dedupe import flag_counts

    stages = stages or Stages()
    started = dt.datetime.now(dt.UTC)
    model = load_model(model_path) if model_path else None
    if not registry_paths:
        from linkage.errors import ConfigError

        raise ConfigError("match-partner needs at least one registry wave (--registry).")
    with stages.stage("read and validate"):
        partner, rejected, rows_read = mp.read_partner(partner_path, mapping=mapping,
                                                       encoding=encoding, sheet=sheet)
        db_api = make_db_api(config.backend)
        spark = db_api.spark
        waves, info = _read_waves(spark, [str(p) for p in registry_paths],
                                  mapping=registry_mapping, min_year=config.dates.min_year)
    with stages.stage("standardise"):
        partner_std = mp.partner_relations(mp.engine_frame(
            standardise(partner, min_year=config.dates.min_year)))
        registry = _union([w.select(*mp.ENGINE_COLUMNS) for w in waves]).persist(_keep())
        n_registry = registry.count()
        _check_ids(registry, [str(p) for p in registry_paths])

    registry_table = register_frame(db_api, registry, "registry")
    partner_table = register_frame(db_api, partner_std[list(mp.ENGINE_COLUMNS)], "partner")
    matching = mp.match_on_engine(db_api, registry_table, partner_table, n_registry,
                                  partner_std, config, model=model, stages=stages)
    tables = mp.build_tables(partner_std, matching, rejected, _newest_counts(registry))
    summary = {
        "job": "match-partner",
        "version": linkage.__version__,
        "started_at": started.isoformat(timespec="seconds"),
        "backend": "spark",
        "registry": {"waves": info, "records_used": int(n_registry)},
        "input": mp.partner_input(partner_path, mapping, rows_read, len(partner_std), rejected),
        **mp.match_summary(matching, config),
        "flags": flag_counts(partner_std),
    }
    summary["model"] = {**summary["model"], "trained_here": model is None,
                        "loaded_from": str(model_path) if model_path else None}
    with stages.stage("write outputs"):
        summary["timings_s"] = dict(stages.timings)
        texts = {"summary.json": summary_json(summary), "model.json": matching.scored.model_json,
                 **mp.feedback_csv(tables)}
        spark_tables = {name: sf.from_pandas(spark, t) for name, t in tables.items()}
        sf.write_outputs(spark, out, spark_tables, texts=texts, fmt=config.output_format,
                         job="match-partner")
    return JobResult(tables=tables, summary=summary, model_json=matching.scored.model_json,
                     stages=stages)


def _keep():
    from pyspark import StorageLevel

    return StorageLevel.MEMORY_AND_DISK


def _read_waves(spark, paths: list[str], *, mapping=None, min_year: int = 1900):
    """Each wave read, checked and standardised in Spark, with its ``wave_order``."""
    from pyspark.sql import functions as F

    from linkage import spark_frames as sf
    from linkage.pipelines.dedupe import file_fingerprint

    waves, info = [], []
    for order, path in enumerate(paths):
        checked = sf.with_reasons(sf.read_records(spark, path, mapping=mapping,
                                                  kind="registry"),
                                  kind="registry").persist(_keep())
        usable = checked.where(F.col(REASON).isNull()).drop(REASON)
        std = sf.standardised(usable, _engine_keys, min_year=min_year).withColumn(
            "wave_order", F.lit(order).cast("long"))
        read, used = checked.count(), usable.count()
        if read == 0:
            raise no_usable_rows(path, {})
        waves.append(std)
        info.append({"path": path,
                     "fingerprint": file_fingerprint(path) if Path(path).is_file() else None,
                     "wave_order": order, "rows_read": int(read), "rows_used": int(used),
                     "rows_rejected": int(read - used)})
    return waves, info


def _engine_keys(frame: pd.DataFrame) -> pd.DataFrame:
    from linkage.pipelines.dedupe import person_cnic, roster_keys

    frame["roster_key"] = roster_keys(frame).to_numpy()
    frame["person_cnic"] = person_cnic(frame).astype("string").to_numpy()
    return frame


def _union(frames: list):
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


def _check_ids(registry, paths: list[str]) -> None:
    """As on DuckDB: a record id used in two waves stops the job."""
    from pyspark.sql import functions as F

    shared = (registry.groupBy("record_id").agg(F.countDistinct("wave_order").alias("n"))
              .where("n > 1").limit(3).collect())
    if shared:
        waves = sorted({r["wave_order"] for r in registry.where(
            F.col("record_id").isin([s["record_id"] for s in shared])).select(
            "wave_order").distinct().collect()})
        raise InputError(
            f"record_id(s) appear in more than one registry wave "
            f"({' and '.join(paths[w] for w in waves)}), e.g. "
            f"{', '.join(s['record_id'] for s in shared)}. Record ids must be unique across "
            "the waves: prefix each wave's ids (w11-..., w21-...).", column="record_id")


def _newest_counts(registry) -> pd.Series:
    """``newest_wave_counts`` with Spark doing the counting."""
    from pyspark.sql import functions as F

    from linkage.partner_matching import newest_wave

    newest = newest_wave(registry.select("wave_order", "source").distinct().toPandas())
    counts = (registry.where(F.col("wave_order") == newest).groupBy("district_std").count()
              .toPandas())
    return counts.set_index("district_std")["count"].rename("registry_records")

