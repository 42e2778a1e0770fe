"""Dedupe one registration wave: people registered more than once become one cluster.

read + validate → standardise → block (guarded) → train or load model → score →
cluster (roster cannot-link) → households → golden records → write.
``dedupe_records`` is the pure middle (frame in, tables out); ``run_dedupe`` adds the
file edges, or hands the whole job to ``dedupe_spark`` on the Spark backend. Both routes
share ``score_pairs`` and the clustering, household and golden-record functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from splink import Linker

import linkage
from blocking.guard import check_comparison_budget, count_comparisons
from linkage.backends import make_db_api, register_frame
from linkage.clustering import cluster_with_cannot_link, conflicts_of
from linkage.config import AUTO_THRESHOLDS, DedupeConfig
from linkage.errors import ConfigError, InputError
from linkage.golden import FIELDS, golden_records
from linkage.household_evidence import apply_household_evidence
from linkage.households import household_clusters
from linkage.io import read_table, write_outputs
from linkage.mapping import ColumnMapping
from linkage.model_plan import ModelPlan, plan_model
from linkage.outputs import output_folder
from linkage.pipelines import JobResult
from linkage.progress import Stages
from linkage.standardise import standardise
from linkage.validate import no_usable_rows, reason_counts, validate_rows
from models.settings import MODEL_COLUMNS, person_settings
from models.store import fingerprint, for_dialect, load_model, model_json
from models.training import EMRound, fixed_identifier_m, identifier_u, train, with_m_floor


def person_cnic(std: pd.DataFrame) -> pd.Series:
    """The CNIC as evidence of *this* person: dropped when its gender digit contradicts
    the stated gender, as when a woman is registered under her husband's CNIC."""
    conflict = std["gender_conflict"].fillna(False).astype(bool)
    return std["cnic_std"].where(~conflict).rename("person_cnic")


def roster_keys(records: pd.DataFrame) -> pd.Series:
    """``[wave|]source|household_id``: the roster whose members are different people.

    A row without a household gets its own record id, so it conflicts with no one.
    """
    hh = records.get("household_id")
    if hh is None:
        return records["record_id"].astype(str).rename("roster_key")
    key = records["source"].fillna("").astype(str) + "|" + hh.astype("string").fillna("")
    if "wave" in records:  # two waves may reuse a source name and household ids
        key = records["wave"].astype(str) + "|" + key
    return key.where(hh.notna() & (hh.astype(str) != ""), records["record_id"].astype(str)) \
        .astype(str).rename("roster_key")


@dataclass
class PersonLinks:
    """Records standardised and clustered into people, with the pairs that did it."""

    std: pd.DataFrame  # standardised records with ``roster_key`` and ``cluster_id``
    pairs: pd.DataFrame  # scored pairs without PII (``pairs_table``)
    scored: Scored
    model_frame: pd.DataFrame | None = None  # the records as the engine scored them


def registry_records(model_frame: pd.DataFrame, **ids) -> pd.DataFrame:
    """``records``: the records as the model scored them (``MODEL_COLUMNS``), with their
    household and cluster ids. What registering new records into a run reads back
    (``nser-link register``, the desk service): the run's own records, model and
    clusters, so nothing is re-read or re-standardised. Filled in place: the frame is
    the engine's own copy, which the scoring no longer needs."""
    for column, values in ids.items():
        if values is not None:
            model_frame[column] = np.asarray(values)
    return model_frame


def link_people(records: pd.DataFrame, config: DedupeConfig, *, model: dict | None,
                stages: Stages, previous=None) -> PersonLinks:
    """Standardise, score and cluster people: the part every job that links shares."""
    with stages.stage("standardise"):
        std = standardise(records, min_year=config.dates.min_year)
        std["roster_key"] = roster_keys(std)
        std["person_cnic"] = person_cnic(std)
    db_api = make_db_api(config.backend)
    model_frame = std[list(MODEL_COLUMNS)].copy(deep=False)  # ours to add ids to later
    table = register_frame(db_api, model_frame, "records")
    scored = score_pairs(db_api, table, len(std), config, model=model, stages=stages)
    pairs, std["cluster_id"] = resolve_people(
        db_api, table, scored.pairs.as_pandas_dataframe(), std, config, scored, stages,
        previous=previous)
    return PersonLinks(std, pairs, scored, model_frame)


def resolve_people(db_api, table, predictions: pd.DataFrame, std: pd.DataFrame, config,
                   scored: Scored, stages: Stages, previous=None
                   ) -> tuple[pd.DataFrame, np.ndarray]:
    """Scored pairs -> households as evidence -> clusters: the pairs written (no PII)
    and each record's cluster id, in ``std``'s order. ``previous``
    (``linkage.previous.Previous``) brings a clerk's decisions."""
    cfg = config.clustering
    if cfg.household_evidence:
        with stages.stage("households as evidence"):
            model = json.loads(scored.model_json)
            predictions, scored.households = apply_household_evidence(
                db_api, table, predictions, model, std["roster_key"].value_counts(),
                term_frequencies(db_api, table, model),
                anchor=cfg.anchor_probability, min_anchors=cfg.min_anchors)
    with stages.stage("cluster"):
        pairs = pairs_table(predictions)
        edges, conflicts, groups = pairs, conflicts_of(std), None
        if previous is not None:
            from linkage.register import without_pairs

            conflicts, groups, rejected = previous.clustering_inputs(std["record_id"], conflicts)
            edges = without_pairs(pairs, rejected)
        clusters = cluster_with_cannot_link(
            std["record_id"], std["roster_key"], edges, cfg.threshold, conflicts, groups=groups)
    return pairs, clusters.to_numpy()


def dedupe_records(
    records: pd.DataFrame,
    config: DedupeConfig,
    *,
    model: dict | None = None,
    stages: Stages | None = None,
    previous=None,
) -> JobResult:
    """Dedupe validated records (contract columns); returns the output tables.
    ``previous`` (``linkage.previous.Previous``): keep its ids and a clerk's decisions."""
    stages = stages or Stages(show=False)
    linked = link_people(records, config, model=model, stages=stages, previous=previous)
    del records  # a caller that handed the frame over lets its raw columns go now
    # Only what households, golden records, flags and outputs read: the model's keys and
    # the raw columns nothing reads again are a third of a registry's memory.
    std = linked.std[[c for c in dict.fromkeys(AFTER_SCORING) if c in linked.std.columns]]
    household_ids = linked.std["household_id"].to_numpy() if "household_id" in linked.std \
        else None
    linked.std = None
    pairs, scored, cfg = linked.pairs, linked.scored, config.clustering
    with stages.stage("households"):
        std["household_cluster_id"] = household_clusters(
            std["roster_key"], std["cluster_id"], overlap=cfg.household_overlap
        ).to_numpy()
    if previous is not None:  # each cluster takes the id of the old one it overlaps most
        std["cluster_id"], std["household_cluster_id"] = previous.ids(
            std["record_id"], std["cluster_id"], std["household_cluster_id"])

    with stages.stage("golden records"):
        g = config.golden
        golden = golden_records(std, source_priority=g.source_priority, rules=g.rules,
                                field_rules=g.field_rules)

    clusters = std[["record_id", "source", "cluster_id", "household_cluster_id"]].copy()
    cluster_sizes = clusters["cluster_id"].value_counts()
    summary = {
        **scored.summary(),
        **cluster_summary(len(std), cluster_sizes, clusters["household_cluster_id"].nunique()),
        "pairs_written": int(len(pairs)),
        "pairs_at_threshold": int((pairs["match_probability"] >= cfg.threshold).sum()),
        "flags": flag_counts(std),
        "thresholds": thresholds(config),
    }
    return JobResult(
        tables={"clusters": clusters, "pairs": pairs, "golden_records": golden,
                "records": registry_records(
                    linked.model_frame, household_id=household_ids,
                    cluster_id=std["cluster_id"],
                    household_cluster_id=std["household_cluster_id"])},
        summary=summary, model_json=scored.model_json, stages=stages,
    )


@dataclass
class Scored:
    """What scoring leaves behind on any backend: the model and the scored pairs."""

    linker: Linker
    pairs: object  # a SplinkDataFrame of pairs above clustering.pairs_threshold
    counts: list
    total: int
    model_json: str
    estimated: bool = False
    plan: ModelPlan | None = None
    rounds: list[EMRound] | None = None
    households: dict | None = None  # what households as evidence did

    def summary(self) -> dict:
        return scoring_summary(self)


def scoring_summary(scored) -> dict:
    """Comparisons per blocking rule, the model's plan and training, and its fingerprint,
    for ``summary.json``; ``scored`` has ``counts``, ``total``, ``estimated``,
    ``model_json`` and, when planned here, ``plan`` and ``rounds``."""
    model = {"fingerprint": fingerprint(scored.model_json)}
    plan = getattr(scored, "plan", None)
    if plan is not None:
        model["plan"] = plan.summary()
    rounds = getattr(scored, "rounds", None)
    if rounds:
        model["em_rounds"] = [r.summary() for r in rounds]
    households = getattr(scored, "households", None)
    extra = {"household_evidence": households} if households is not None else {}
    return {
        **extra,
        "comparisons": {
            "total": scored.total,
            "estimated": scored.estimated,
            "by_rule": [{"rule": c.rule, "marginal": c.marginal} for c in scored.counts],
        },
        "model": model,
    }


def check_trainable(n_records: int, config, model: dict | None) -> None:
    """Refuse to train on fewer records than EM can learn from (a saved model is fine)."""
    if model is None and n_records < config.training.min_records:
        raise InputError(
            f"{n_records:,} usable records are too few to train a model unsupervised (at "
            f"least {config.training.min_records:,} are needed: training.min_records). "
            "Train on a larger wave and pass its model.json with --model."
        )


def count_sample(n_records: int, config) -> float:
    """Share of records the comparison count samples: exact counts cost seconds at a
    million records, and the budget needs only their size."""
    return min(1.0, config.blocking.exact_count_records / max(n_records, 1)) ** 0.5


def comparison_budget(n_records: int, config) -> int:
    """Comparisons the blocking rules may generate for ``n_records`` records."""
    b = config.blocking
    return int(min(b.max_comparisons, max(b.min_comparisons, b.comparisons_per_record * n_records)))


def plan_for(db_api, table, n_records: int, config, *, train: bool) -> ModelPlan:
    """The model plan for ``table`` (see ``linkage.model_plan``)."""
    return plan_model(db_api, [table.physical_name], budget=comparison_budget(n_records, config),
                      min_em_pairs=config.training.min_em_pairs, train=train)


def check_rules(rules, plan: ModelPlan) -> None:
    """Refuse a file no blocking rule can pair: scoring it would compare nothing."""
    if not rules:
        raise InputError(
            "no blocking rule can pair these records: they fill none of the column "
            "combinations the rules need (e.g. a name with a birth date, a postcode or a "
            "place; a CNIC; a phone). Columns with data: "
            + (", ".join(sorted(plan.present)) or "none") + ". Check the column mapping.")


def choose_threshold(config, plan: ModelPlan) -> None:
    """Set ``clustering.threshold`` from the file when the config leaves it to the job
    (``linkage.config.ClusteringConfig.threshold``)."""
    cfg = config.clustering
    if cfg.threshold is None:
        with_guardians, without = AUTO_THRESHOLDS
        cfg.threshold = with_guardians if "guardian_std" in plan.present else without
        cfg.pairs_threshold = min(cfg.pairs_threshold, cfg.threshold)


def score_pairs(db_api, table, n_records: int, config: DedupeConfig, *,
                model: dict | None, stages: Stages) -> Scored:
    """Plan the model for the columns present, choose the blocking rules, train (or adapt
    a loaded model), and score pairs.

    The same on every backend: ``table`` is an engine table of ``MODEL_COLUMNS``.
    """
    check_trainable(n_records, config, model)
    with stages.stage("plan the model"):
        plan = plan_for(db_api, table, n_records, config, train=model is None)
    choose_threshold(config, plan)
    if model is not None:
        model = for_dialect(model, config.backend.name)
        rules = model["blocking_rules_to_generate_predictions"]
    else:
        rules = plan.blocking.rules
    check_rules(rules, plan)
    sample = count_sample(n_records, config)
    with stages.stage("count comparisons"):
        counts = count_comparisons(table, rules, sample=sample)
        total = check_comparison_budget(counts, config.blocking.max_comparisons)
    rounds = None
    if model is None:
        with stages.stage("train model (u sampling, EM)"):
            model, rounds = train_model(db_api, table, config, plan)
    linker = Linker(table, model, log_level=logging.WARNING)
    with stages.stage("score pairs"):
        predictions = linker.inference.predict(
            threshold_match_probability=config.clustering.pairs_threshold)
    return Scored(linker, predictions, counts, total, model_json(linker), sample < 1.0,
                  plan, rounds)


def cluster_summary(n_records: int, cluster_sizes: pd.Series, n_households: int) -> dict:
    return {
        "records": int(n_records),
        "person_clusters": int(len(cluster_sizes)),
        "duplicate_records": int(n_records - len(cluster_sizes)),
        "household_clusters": int(n_households),
        "largest_cluster": int(cluster_sizes.max()) if len(cluster_sizes) else 0,
    }


def thresholds(config: DedupeConfig) -> dict:
    cfg = config.clustering
    return {"cluster": cfg.threshold, "pairs": cfg.pairs_threshold,
            "household_overlap": cfg.household_overlap}


def train_model(db_api, table, config: DedupeConfig, plan: ModelPlan, *,
                link_with=None) -> tuple[dict, list[EMRound]]:
    """Train the person model of ``plan`` on the pairs within ``table`` (or, with
    ``link_with``, across ``link_with`` and ``table``, link only); returns it as a
    Splink settings dict, with the EM rounds it ran."""
    t = config.training
    present = plan.present
    cnic_u = other_u = None
    if "cnic" in plan.comparisons:
        u = identifier_u(db_api, table.physical_name)
        cnic_u = (u.exact, u.one_edit)
    if "other_id" in plan.comparisons:
        other_u = identifier_u(db_api, table.physical_name, "id_other_std", near=False).exact
    settings = person_settings([r.as_splink() for r in plan.blocking.rules], present=present,
                               link_type="link_only" if link_with is not None else "dedupe_only",
                               cnic_u=cnic_u, other_id_u=other_u, rare_m=t.m_floor,
                               max_iterations=t.max_iterations, names=plan.comparisons)
    # Splink logs every EM iteration at INFO, and warns about levels a training round
    # never sees (with_m_floor settles those); the stage display says enough.
    tables = table if link_with is None else [link_with, table]
    linker = Linker(tables, settings, log_level=logging.ERROR)
    try:
        rounds = train(
            linker,
            deterministic_rules=[r.as_splink() for r in plan.prior_rules],
            em_rules=[(r.name, r.as_splink()) for r in plan.em_rules],
            prior_recall=t.prior_recall, u_max_pairs=t.u_max_pairs,
            em_max_pairs=t.em_max_pairs, seed=t.seed, max_iterations=t.max_iterations,
        )
    except (ZeroDivisionError, ValueError) as exc:
        # Splink fails this way when the strict rules or an EM rule find no pairs at all.
        raise InputError(
            "the model could not be trained on this input: too few records agree on "
            f"name and birth date, or on an identifier, to learn from "
            f"({type(exc).__name__}: {exc}). Train on a larger wave and pass its "
            "model.json with --model."
        ) from None
    trained = linker.misc.save_model_to_json()
    return with_m_floor(fixed_identifier_m(trained), t.m_floor, t.against_floor), rounds


def term_frequencies(db_api, registry, model: dict) -> dict[str, object]:
    """Term-frequency tables of ``registry`` alone, one per column the model adjusts.

    Splink would count them over both inputs; a partner list is small and skewed (a
    flood list of one district), so its own frequencies would mislead.
    """
    columns = sorted({lv["tf_adjustment_column"] for c in model["comparisons"]
                      for lv in c["comparison_levels"] if lv.get("tf_adjustment_column")})
    tables = {}
    for col in columns:
        sql = (f"SELECT {col}, CAST(count(*) AS DOUBLE) / sum(count(*)) OVER () AS tf_{col} "
               f"FROM {registry.physical_name} WHERE {col} IS NOT NULL GROUP BY {col}")
        tables[col] = db_api.query_sql(sql)
    return tables


def pairs_table(predictions: pd.DataFrame) -> pd.DataFrame:
    """Scored pairs without any name or CNIC: ids, scores and comparison levels."""
    # Each comparison's match weight (mw_*): the why of every score, and no PII.
    gammas = sorted(c for c in predictions.columns if c.startswith(("gamma_", "mw_")))
    household = [c for c in ("person_match_probability", "person_match_weight",
                             "household_evidence") if c in predictions.columns]
    cols = ["record_id_l", "record_id_r", "match_weight", "match_probability",
            *household, "source_l", "source_r", *gammas]
    pairs = predictions[cols].copy()
    for side in ("record_id_l", "record_id_r"):
        pairs[side] = pairs[side].astype(str)
    return pairs.sort_values(["record_id_l", "record_id_r"], kind="mergesort") \
        .reset_index(drop=True)


#: Columns the data-quality flags are counted from.
FLAG_COLUMNS = ("cnic_status", "gender_conflict", "dob_precision", "dob_year",
                "dob_out_of_range")
#: Standardised columns dedupe still reads once people are scored and clustered.
AFTER_SCORING = ("record_id", "source", "roster_key", "cluster_id", "cnic_status",
                 "dob_precision", *FLAG_COLUMNS, *(c for pair in FIELDS.values() for c in pair))


def flag_counts(std: pd.DataFrame, weight: pd.Series | None = None) -> dict[str, int]:
    """Data-quality flags for ``summary.json``; ``weight`` counts each row that many
    times, so Spark can pass its grouped counts of ``FLAG_COLUMNS`` instead of records."""
    w = pd.Series(1, index=std.index) if weight is None else weight

    def count(mask: pd.Series) -> int:
        return int(w[mask.astype("boolean").fillna(False).to_numpy(dtype=bool)].sum())

    return {
        "cnic_missing": count(std["cnic_status"] == "missing"),
        "cnic_malformed": count(std["cnic_status"] == "malformed"),
        "gender_conflicts_cnic": count(std["gender_conflict"]),
        "dob_year_only": count(std["dob_precision"] == "year"),
        "dob_missing": count(std["dob_year"].isna()),
        "dob_out_of_range": count(std["dob_out_of_range"]) if "dob_out_of_range" in std else 0,
    }


def file_fingerprint(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


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
    spark = config.backend.name == "spark"
    if spark and (sheet is not None or str(input_path).lower().endswith(".xlsx")):
        raise ConfigError("Spark does not read Excel workbooks: save the sheet as CSV "
                          "or Parquet, or use the DuckDB backend.", file=str(input_path))
    with output_folder(out, job="dedupe", inputs=[input_path, model_path],
                       backend=config.backend):
        if previous is not None:
            if spark:
                raise ConfigError("--previous is not supported on the Spark backend yet")
            from linkage.previous import Previous
            from linkage.run_folder import open_run

            previous = Previous(open_run(previous, label="--previous"))
        if spark:
            from linkage.pipelines.dedupe_spark import run_dedupe_spark

            return run_dedupe_spark(str(input_path), str(out), config, mapping=mapping,
                                    model_path=model_path, stages=stages, encoding=encoding)
        result = _dedupe_file(input_path, out, config, mapping=mapping, model_path=model_path,
                              stages=stages, encoding=encoding, sheet=sheet, previous=previous)
        if previous is not None:
            previous.keep_decisions(out)
        return result


def _dedupe_file(input_path, out, config: DedupeConfig, *, mapping, model_path, stages,
                 encoding, sheet, previous=None) -> JobResult:
    """The DuckDB job, run by :func:`run_dedupe` with ``out`` locked."""
    stages = stages or Stages()
    started = dt.datetime.now(dt.UTC)
    model = load_model(model_path) if model_path else None
    with stages.stage("read and validate"):
        raw = read_table(input_path, mapping=mapping, kind="registry", encoding=encoding,
                         sheet=sheet)
        valid = validate_rows(raw, kind="registry", file=str(input_path))
        if valid.rows.empty:
            raise no_usable_rows(str(input_path), reason_counts(valid.rejected["reason"]))
    rows_read, rows_used, rejected = len(raw), len(valid.rows), valid.rejected
    handed = [valid.rows]  # handed over whole: dedupe_records frees it once standardised
    del raw, valid

    result = dedupe_records(handed.pop(), config, model=model, stages=stages, previous=previous)
    result.tables["rejected"] = rejected
    result.summary = {
        "job": "dedupe",
        "version": linkage.__version__,
        "started_at": started.isoformat(timespec="seconds"),
        "input": {
            "path": str(input_path),
            "fingerprint": file_fingerprint(input_path),
            # The mapping used (column names, no data): lets the report re-read the input.
            "mapping": mapping.model_dump() if mapping else None,
            "rows_read": int(rows_read),
            "rows_used": int(rows_used),
            "rows_rejected": int(len(rejected)),
            "rejected_by_reason": _reasons(rejected),
        },
        **result.summary,
        "model": {**result.summary["model"], "trained_here": model is None,
                  "loaded_from": str(model_path) if model_path else None},
    }
    with stages.stage("write outputs"):
        result.summary["timings_s"] = dict(stages.timings)
        write_outputs(out, result.tables, summary=result.summary,
                      model_json=result.model_json, fmt=config.output_format, job="dedupe")
    return result


def _reasons(rejected: pd.DataFrame) -> dict[str, int]:
    return reason_counts(rejected["reason"]) if len(rejected) else {}
