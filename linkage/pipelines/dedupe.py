"""Dedupe one registration wave: people registered more than once become one cluster.

read + validate → standardise → block (guarded) → train or load model → score →
households as evidence → cluster (roster cannot-link) → households → golden records →
write. One body on every engine (``linkage.engines``): the records stay in the engine,
and only what duplicates touch comes to the driver (``linkage.resolve.people``).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

from linkage.config import DedupeConfig
from linkage.derive.golden import golden_records
from linkage.engines import Engine, job_engine
from linkage.intake.mapping import ColumnMapping
from linkage.outputs import output_folder
from linkage.pipelines import JobResult
from linkage.pipelines.summary import (
    cluster_summary,
    engine_flag_counts,
    file_fingerprint,
    job_summary,
    thresholds,
)
from linkage.previous import Previous, previous_run
from linkage.progress import Stages
from linkage.resolve.people import resolve_people
from linkage.resolve.scoring import score_pairs
from models.settings import MODEL_COLUMNS
from models.store import load_model


def _golden(records, config: DedupeConfig) -> dict:
    g = config.golden
    return {
        "golden_records": golden_records(
            records, source_priority=g.source_priority, rules=g.rules, field_rules=g.field_rules
        )
    }


def run_dedupe(
    input_path: str | Path,
    out: str | Path,
    config: DedupeConfig,
    *,
    mapping: ColumnMapping | None = None,
    model_path: str | Path | None = None,
    stages: Stages | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    previous: str | Path | None = None,
) -> JobResult:
    """Read, dedupe and write one wave; every input row ends in ``clusters`` or ``rejected``.
    ``previous``: an earlier run whose ids and clerical decisions the new one keeps.

    ``out`` is checked and locked for the whole job before anything is read
    (:func:`linkage.outputs.output_folder`).
    """
    with output_folder(out, job="dedupe", inputs=[input_path, model_path], backend=config.backend):
        earlier = previous_run(previous)
        with job_engine(config.backend) as engine:
            result = dedupe(
                engine,
                input_path,
                out,
                config,
                mapping=mapping,
                model_path=model_path,
                stages=stages,
                encoding=encoding,
                sheet=sheet,
                previous=earlier,
            )
        if earlier is not None:
            earlier.keep_decisions(out)
        return result


def dedupe(
    engine: Engine,
    input_path: str | Path,
    out: str | Path,
    config: DedupeConfig,
    *,
    mapping: ColumnMapping | None = None,
    model_path: str | Path | None = None,
    stages: Stages | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    previous: Previous | None = None,
) -> JobResult:
    """The job on ``engine``, with ``out`` locked by the caller."""
    stages = stages or Stages()
    started = dt.datetime.now(dt.UTC)
    model = load_model(model_path) if model_path else None
    with stages.stage("read and validate"):
        intake = engine.read_records(
            input_path, kind="registry", mapping=mapping, encoding=encoding, sheet=sheet
        )
    with stages.stage("standardise"):
        std = engine.standardise(intake.rows, min_year=config.dates.min_year)
        intake.rows = None  # the raw rows are not read again
        n_records = engine.count(std)

    table = engine.register(engine.select(std, MODEL_COLUMNS), "records")
    scored = score_pairs(engine.db_api, table, n_records, config, model=model, stages=stages)
    people = resolve_people(engine, table, std, scored, config, stages, previous=previous)
    records, pairs, cfg = people.records, people.pairs, config.clustering
    if previous is not None:  # each cluster takes the id of the old one it overlaps most
        records = previous.carry_ids(engine, records)
    assert cfg.threshold is not None  # chosen by score_pairs when the config left it
    household = ["household_id"] if "household_id" in records.columns else []
    final = {
        "clusters": engine.select(
            records, ["record_id", "source", "cluster_id", "household_cluster_id"]
        ),
        # The records as the model scored them, with their ids: what registering new
        # records into a run reads back, so nothing is re-read or re-standardised.
        "records": engine.select(
            records, [*MODEL_COLUMNS, *household, "cluster_id", "household_cluster_id"]
        ),
    }
    # encoded while the golden records are chosen (on DuckDB: on the other core)
    ahead = engine.encode_ahead(final, config.output_format)

    with stages.stage("golden records"):
        # per person cluster: on Spark per batch of whole clusters, on the executors
        golden = engine.derive(
            records, partial(_golden, config=config), closed_under=[("cluster_id",)]
        )["golden_records"]

    n_clusters, largest = engine.group_sizes(records, "cluster_id")
    n_households, _ = engine.group_sizes(records, "household_cluster_id")
    summary = job_summary(
        "dedupe",
        engine,
        started,
        {
            "input": {
                "path": str(input_path),
                "fingerprint": file_fingerprint(input_path),
                # The mapping used (column names, no data): lets the report re-read the input.
                "mapping": mapping.model_dump() if mapping else None,
                "rows_read": intake.rows_read,
                "rows_used": intake.rows_used,
                "rows_rejected": intake.rows_rejected,
                "rejected_by_reason": intake.rejected_by_reason,
            },
            **scored.summary(),
            **cluster_summary(n_records, n_clusters, largest, n_households),
            "pairs_written": engine.count(pairs),
            "pairs_at_threshold": engine.count_where(pairs, "match_probability", cfg.threshold),
            "flags": engine_flag_counts(engine, records),
            "thresholds": thresholds(config),
        },
        model_path=model_path,
    )
    tables = {
        "clusters": final["clusters"],
        "pairs": pairs,
        "golden_records": golden,
        "records": final["records"],
        "rejected": intake.rejected,
    }
    with stages.stage("write outputs"):
        summary["timings_s"] = dict(stages.timings)
        engine.write(
            out,
            {**tables, **ahead},
            summary=summary,
            model_json=scored.model_json,
            fmt=config.output_format,
            job="dedupe",
        )
    return JobResult(tables=tables, summary=summary, model_json=scored.model_json, stages=stages)
