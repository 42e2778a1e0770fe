"""Match a partner beneficiary list against the registry (one or more waves).

read + validate → standardise → train on the registry (or load a model) → score partner
rows against registry records, link only → find the candidates' other registry records
(the same person in another wave) → resolve one-to-one → statuses → unregistered poor
→ write.

One body on every engine (``linkage.engines``): the registry waves are read, validated
and standardised in the engine; the partner list is small by nature (thousands to a few
hundred thousand rows) and is read on the driver on every engine, so Excel workbooks
and detected encodings work everywhere. Everything after scoring works on small pandas
frames (a few scored pairs per partner row) through the pure functions below and in
``linkage.derive.unregistered``.

Decisions: the registry is not deduplicated as a whole (its cost would grow with the
registry); only the records partner rows scored against are looked up in it, and
records of one person are joined at ``matching.same_person_threshold``. A match names
that person's newest record: the latest year in its ``source``, then the later wave in
the order given. Term frequencies come from the registry alone.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from splink import Linker

from blocking.guard import check_comparison_budget, count_comparisons
from blocking.partner_rules import PARTNER_RULES, SAME_PERSON_RULES
from blocking.rules import Rule
from linkage.contract import (
    MATCHES,
    PAIRS,
    PARTNER_FEEDBACK,
    REJECTED,
    UNREGISTERED,
    UNREGISTERED_BY_PLACE,
)
from linkage.derive.partner_matching import (
    MATCHED,
    REVIEW,
    SIDE_COLUMNS,
    UNMATCHED,
    feedback_table,
    matches_table,
    newest_wave,
    partner_relations,
    person_candidates,
    registry_people,
)
from linkage.engines import Engine, job_engine
from linkage.errors import ConfigError, InputError
from linkage.intake.io import read_table
from linkage.intake.mapping import ColumnMapping
from linkage.intake.partner_check import excel_csv_text
from linkage.intake.validate import describe_rejections, reason_counts, validate_rows
from linkage.outputs import output_folder
from linkage.partner_config import MatchPartnerConfig
from linkage.pipelines import JobResult
from linkage.pipelines.summary import file_fingerprint, flag_counts, job_summary
from linkage.pipelines.waves import read_waves
from linkage.progress import Stages
from linkage.resolve.keys import with_person_keys
from linkage.resolve.model_plan import ModelPlan, plan_model
from linkage.resolve.scoring import (
    check_rules,
    check_trainable,
    comparison_budget,
    count_sample,
    scoring_summary,
    term_frequencies,
    train_model,
)
from linkage.standardise import standardise
from models.settings import MODEL_COLUMNS
from models.store import for_dialect, load_model, model_json

#: Columns carried beside each scored pair: where a registry record sits and how new it is.
RETAINED = ("source", "roster_key", "household_id", "wave_order")


@dataclass
class PartnerScored:
    """Scored partner-registry pairs (pandas: a few per partner row) and the model."""

    pairs: pd.DataFrame
    model: dict
    model_json: str
    counts: list
    total: int
    estimated: bool
    plan: ModelPlan | None = None
    rounds: list | None = None
    #: the model that joins registry records into people (the registry's own, when the
    #: scoring model was trained on partner-registry pairs)
    same_person_model: dict | None = None

    def summary(self) -> dict:
        return scoring_summary(self)


def link_settings(model: dict, rules: tuple[Rule, ...]) -> dict:
    """The person model as a link-only model with ``rules`` (its parameters untouched)."""
    settings = copy.deepcopy(model)
    settings["link_type"] = "link_only"
    settings["blocking_rules_to_generate_predictions"] = [r.as_splink() for r in rules]
    settings["additional_columns_to_retain"] = list(RETAINED)
    return settings


def _linker(tables: list, settings: dict, tf: dict) -> Linker:
    linker = Linker(tables, settings, log_level=logging.WARNING)
    for col, table in tf.items():
        linker.table_management.register_term_frequency_lookup(table, col)
    return linker


def _oriented(predictions: pd.DataFrame, left: str) -> pd.DataFrame:
    """Pairs with the ``left`` input's record on the left (Splink orders the two inputs
    by its own rules)."""
    flip = predictions["source_dataset_l"] != left
    out = predictions.copy()
    if not flip.any():
        return out
    for col in [c[:-2] for c in predictions.columns if c.endswith("_l")]:
        lcol, rcol = f"{col}_l", f"{col}_r"
        if rcol in out.columns:
            out.loc[flip, [lcol, rcol]] = predictions.loc[flip, [rcol, lcol]].to_numpy()
    return out


def score_partner(
    db_api,
    registry,
    partner,
    n_registry: int,
    config: MatchPartnerConfig,
    *,
    model: dict | None,
    stages: Stages,
) -> PartnerScored:
    """Train (or adapt a loaded model) and score partner rows against registry records,
    link only: partner rows are never compared with each other.

    ``registry`` and ``partner`` are engine tables with the same columns; the result has
    the partner row on the left (``record_id_l``) and the registry record on the right.
    """
    check_trainable(n_registry, config, model)
    with stages.stage("plan the model"):
        plan, registry_plan = plan_partner(
            db_api, registry, partner, n_registry, config, train=model is None
        )
    rounds = None
    same_person_model = None
    if model is not None:
        model = for_dialect(model, config.backend.name)
    else:
        across = plan.trained_on == "across"
        stage = "train model on partner-registry pairs" if across else "train model on the registry"
        with stages.stage(stage):
            model, rounds = train_model(
                db_api, registry, config, plan, link_with=partner if across else None
            )
        if across and not registry_plan.unreached:
            # The registry's own records are joined into people by a model of the
            # registry: the partner's errors are not the registry's.
            with stages.stage("train model on the registry"):
                same_person_model, _ = train_model(db_api, registry, config, registry_plan)
    rules = tuple(plan.blocking.rules)
    check_rules(rules, plan)
    sample = count_sample(n_registry, config)
    with stages.stage("count comparisons"):
        counts = count_comparisons([partner, registry], rules, link_type="link_only", sample=sample)
        total = check_comparison_budget(counts, config.blocking.max_comparisons)
    settings = link_settings(model, rules)
    with stages.stage("score partner rows"):
        linker = _linker([partner, registry], settings, term_frequencies(db_api, registry, model))
        predictions = linker.inference.predict(
            threshold_match_probability=config.matching.pairs_threshold
        )
        pairs = _oriented(predictions.as_pandas_dataframe(), partner.templated_name)
    return PartnerScored(
        pairs=pairs,
        model=model,
        model_json=model_json(linker),
        counts=counts,
        total=total,
        estimated=sample < 1.0,
        plan=plan,
        rounds=rounds,
        same_person_model=same_person_model or model,
    )


def plan_partner(
    db_api, registry, partner, n_registry: int, config: MatchPartnerConfig, *, train: bool
) -> tuple[ModelPlan, ModelPlan]:
    """The plan for scoring partner rows against the registry (link only), and the plan
    of the registry on its own (for joining its records into people).

    The scoring model is trained on partner-registry pairs when they can train every
    comparison (``matching.train_on: auto``): it then learns the partner's own errors
    (dates written day-first, husbands' names for guardians, a village for an address),
    which a model of the registry's duplicates does not know and would read as
    disagreements. A partner list too small or too unlike the registry to train on is
    scored with the registry's model instead, as is any list with ``train_on: registry``.
    """
    names = [partner.physical_name, registry.physical_name]
    n_partner = int(
        db_api.query_sql(
            f"SELECT count(*) AS n FROM {partner.physical_name}", output_type="pandas"
        ).iloc[0]["n"]
    )
    # Link only: every comparison has a partner row on one side, so the budget follows
    # the list, not the registry (a 50,000-row list against a million records would
    # otherwise take the broad rules a million-record dedupe may afford).
    budget = comparison_budget(
        n_partner, config, per_record=config.matching.comparisons_per_partner_row
    )
    common: dict[str, Any] = dict(
        budget=budget,
        min_em_pairs=config.training.min_em_pairs,
        candidates=PARTNER_RULES,
        train=train,
        block_tables=names,
    )
    registry_plan = plan_model(db_api, [registry.physical_name], **common)
    if not train or config.matching.train_on == "registry":
        return registry_plan, registry_plan
    link_plan = plan_model(db_api, names, train_tables=names, **common)
    if config.matching.train_on == "link" or not link_plan.unreached or registry_plan.unreached:
        return link_plan, registry_plan
    return registry_plan, registry_plan


def same_person_pairs(
    db_api, registry, candidates, model: dict, config: MatchPartnerConfig, present: frozenset[str]
) -> pd.DataFrame:
    """Pairs of a candidate registry record and another registry record of the same
    person (another wave, a second registration), at ``same_person_threshold``.

    Only the candidates (records some partner row scored against) are looked up, so
    the cost grows with the partner list, not with the registry.
    """
    rules = tuple(r for r in SAME_PERSON_RULES if r.applies(present))
    settings = link_settings(model, rules)
    linker = _linker([candidates, registry], settings, term_frequencies(db_api, registry, settings))
    predictions = linker.inference.predict(
        threshold_match_probability=config.matching.same_person_threshold
    )
    pairs = _oriented(predictions.as_pandas_dataframe(), candidates.templated_name)
    return pairs[pairs["record_id_l"] != pairs["record_id_r"]]


# --- the job: shared engine steps, then the DuckDB edges -------------------------------

#: Columns every engine table carries: the model's, plus where a record sits and how new.
ENGINE_COLUMNS = (*MODEL_COLUMNS, "household_id", "wave_order")
_EMPTY_SAME = {f"{c}_{s}": pd.Series(dtype=object) for c in SIDE_COLUMNS for s in "lr"}


@dataclass
class Matching:
    """What the shared steps leave: ``matches``, the scored pairs (no PII), the model."""

    matches: pd.DataFrame
    pairs: pd.DataFrame
    scored: PartnerScored
    people: int
    same_person_pairs: int


def partner_frame(std: pd.DataFrame) -> pd.DataFrame:
    """A standardised partner list with the keys the engine needs (``ENGINE_COLUMNS``)."""
    std = with_person_keys(std.copy())
    if "household_id" not in std:
        std["household_id"] = pd.Series(pd.NA, index=std.index, dtype="string")
    std["wave_order"] = pd.Series(pd.NA, index=std.index, dtype="Int64")
    return std


def match_on_engine(
    engine: Engine,
    registry,
    partner_table,
    n_registry: int,
    partner: pd.DataFrame,
    config: MatchPartnerConfig,
    *,
    model: dict | None,
    stages: Stages,
) -> Matching:
    """Score, find each candidate's other records, resolve: the steps both backends share.

    ``registry`` and ``partner_table`` are engine tables of ``ENGINE_COLUMNS``;
    ``partner`` is the same partner list as a standardised pandas frame (it is small).
    """
    db_api = engine.db_api
    scored = score_partner(
        db_api, registry, partner_table, n_registry, config, model=model, stages=stages
    )
    pairs = scored.pairs
    with stages.stage("find candidates' other registry records"):
        wanted = pairs.loc[
            pairs["match_probability"] >= config.matching.review_threshold, "record_id_r"
        ].drop_duplicates()
        if wanted.empty:
            same = pd.DataFrame({**_EMPTY_SAME, "match_probability": pd.Series(dtype=float)})
        else:
            ids = engine.register(wanted.astype(str).to_frame("record_id"), "candidate_ids")
            candidates = db_api.query_sql(
                f"SELECT r.* FROM {registry.physical_name} r "
                f"JOIN {ids.physical_name} i ON r.record_id = i.record_id"
            )
            same = same_person_pairs(
                db_api,
                registry,
                candidates,
                scored.same_person_model or scored.model,
                config,
                scored.plan.present if scored.plan else frozenset(),
            )
    with stages.stage("resolve one-to-one"):
        people = registry_people(pairs, same, config.matching.same_person_threshold)
        matches = matches_table(partner, person_candidates(pairs, people), people, config)
    return Matching(
        matches=matches,
        pairs=partner_pairs_table(pairs),
        scored=scored,
        people=int(people["person_id"].nunique()),
        same_person_pairs=len(same),
    )


def partner_pairs_table(predictions: pd.DataFrame) -> pd.DataFrame:
    """Partner (left) - registry (right) pairs: ids, scores, each comparison's weight;
    no name or CNIC."""
    weights = sorted(c for c in predictions.columns if c.startswith("mw_"))
    cols = [
        "record_id_l",
        "record_id_r",
        "match_weight",
        "match_probability",
        "source_l",
        "source_r",
        *weights,
    ]
    pairs = predictions[cols].astype({"record_id_l": str, "record_id_r": str})
    return pairs.sort_values(
        ["record_id_l", "match_probability", "record_id_r"],
        ascending=[True, False, True],
        kind="mergesort",
    ).reset_index(drop=True)


def build_tables(
    partner: pd.DataFrame, matching: Matching, rejected: pd.DataFrame, registry_records: pd.Series
) -> dict[str, pd.DataFrame]:
    from linkage.derive.unregistered import by_place, rank_unregistered

    return {
        MATCHES: matching.matches,
        PAIRS: matching.pairs,
        REJECTED: rejected,
        UNREGISTERED: rank_unregistered(partner, matching.matches),
        UNREGISTERED_BY_PLACE: by_place(partner, matching.matches, registry_records),
        PARTNER_FEEDBACK: feedback_table(matching.matches, rejected),
    }


def match_summary(matching: Matching, config: MatchPartnerConfig) -> dict:
    """Counts, thresholds and the model's fingerprint for ``summary.json``."""
    from linkage.derive.unregistered import POVERTY_PROXY

    m = matching.matches
    statuses = {s: int((m["status"] == s).sum()) for s in (MATCHED, REVIEW, UNMATCHED)}
    return {
        **matching.scored.summary(),
        "statuses": statuses,
        "partner_duplicates": {
            str(k): int(v) for k, v in m["duplicate_reason"].value_counts().sort_index().items()
        },
        "registry_people_considered": matching.people,
        "same_person_pairs": matching.same_person_pairs,
        "pairs_written": int(len(matching.pairs)),
        "thresholds": config.matching.model_dump(),
        "poverty_proxy": POVERTY_PROXY,
    }


def read_partner(
    path: str, *, mapping: ColumnMapping | None, encoding: str | None, sheet: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Usable partner rows, rejected rows (with ``reason``), and rows read; a list with
    no usable row at all is an error, not an empty result."""
    raw = read_table(path, mapping=mapping, kind="partner", encoding=encoding, sheet=sheet)
    valid = validate_rows(raw, kind="partner", file=str(path))
    if valid.rows.empty:
        raise InputError(
            f"none of its {len(raw):,} rows can be matched ({describe_rejections(valid.rejected)}"
            "). Check the column mapping (--mapping): a name or a CNIC column is needed.",
            file=str(path),
        )
    return valid.rows, valid.rejected, len(raw)


def run_match_partner(
    registry_paths: list[str],
    partner_path: str,
    out: str | Path,
    config: MatchPartnerConfig,
    *,
    mapping: ColumnMapping | None = None,
    registry_mapping: ColumnMapping | None = None,
    model_path: str | Path | None = None,
    stages: Stages | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> JobResult:
    """Read, match and write; every partner row ends in ``matches`` or ``rejected``.

    ``out`` is checked and locked for the whole job before anything is read
    (:func:`linkage.outputs.output_folder`).
    """
    if not registry_paths:
        raise ConfigError("match-partner needs at least one registry wave (--registry).")
    with (
        output_folder(
            out,
            job="match-partner",
            inputs=[*registry_paths, partner_path, model_path],
            backend=config.backend,
        ),
        job_engine(config.backend) as engine,
    ):
        return match_partner(
            engine,
            [str(p) for p in registry_paths],
            str(partner_path),
            out,
            config,
            mapping=mapping,
            registry_mapping=registry_mapping,
            model_path=model_path,
            stages=stages,
            encoding=encoding,
            sheet=sheet,
        )


def match_partner(
    engine: Engine,
    registry_paths: list[str],
    partner_path: str,
    out: str | Path,
    config: MatchPartnerConfig,
    *,
    mapping: ColumnMapping | None = None,
    registry_mapping: ColumnMapping | None = None,
    model_path: str | Path | None = None,
    stages: Stages | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> JobResult:
    """The job on ``engine``, with ``out`` locked by the caller."""
    stages = stages or Stages()
    started = dt.datetime.now(dt.UTC)
    model = load_model(model_path) if model_path else None
    with stages.stage("read and validate"):
        partner, rejected, rows_read = read_partner(
            partner_path, mapping=mapping, encoding=encoding, sheet=sheet
        )
        waves = read_waves(engine, registry_paths, mapping=registry_mapping, shared_ids="refuse")
    with stages.stage("standardise"):
        min_year = config.dates.min_year
        partner_std = partner_relations(partner_frame(standardise(partner, min_year=min_year)))
        registry = engine.standardise(waves.records, min_year=min_year)
        if "household_id" not in registry.columns:  # no households: each record its own
            registry = engine.with_values(registry, {"household_id": None})
        registry = engine.persist(engine.select(registry, ENGINE_COLUMNS))
        waves.records = None
        n_registry = engine.count(registry)
    registry_table = engine.register(registry, "registry")
    partner_table = engine.register(partner_std[list(ENGINE_COLUMNS)], "partner")
    matching = match_on_engine(
        engine,
        registry_table,
        partner_table,
        n_registry,
        partner_std,
        config,
        model=model,
        stages=stages,
    )
    tables = build_tables(partner_std, matching, rejected, newest_counts(engine, registry))
    summary = job_summary(
        "match-partner",
        engine,
        started,
        {
            "registry": {
                "waves": waves.info,
                "records_used": int(n_registry),
                "mapping": registry_mapping.model_dump() if registry_mapping else None,
            },
            "input": partner_input(partner_path, mapping, rows_read, len(partner_std), rejected),
            **match_summary(matching, config),
            "flags": flag_counts(partner_std),
        },
        model_path=model_path,
    )
    with stages.stage("write outputs"):
        summary["timings_s"] = dict(stages.timings)
        engine.write(
            out,
            tables,
            summary=summary,
            model_json=matching.scored.model_json,
            fmt=config.output_format,
            texts=feedback_csv(tables),
            job="match-partner",
        )
    return JobResult(
        tables=tables, summary=summary, model_json=matching.scored.model_json, stages=stages
    )


def newest_counts(engine: Engine, registry) -> pd.Series:
    """Registry records per district in the newest wave (``newest_wave``), counted in
    the engine."""
    newest = newest_wave(engine.collect(engine.distinct(registry, ["wave_order", "source"])))
    counts = engine.grouped_counts(
        engine.where_equal(registry, "wave_order", newest), ["district_std"]
    )
    counts = counts[counts["district_std"].notna()]
    return counts.set_index("district_std")["count"].rename("registry_records")


def partner_input(
    path: str, mapping: ColumnMapping | None, rows_read: int, rows_used: int, rejected: pd.DataFrame
) -> dict:
    """The partner list's part of ``summary.json``: rows read = used + rejected."""
    by_reason = {} if rejected.empty else reason_counts(rejected["reason"])
    return {
        "path": str(path),
        "fingerprint": file_fingerprint(path) if Path(path).is_file() else None,
        "mapping": mapping.model_dump() if mapping else None,
        "rows_read": int(rows_read),
        "rows_used": int(rows_used),
        "rows_rejected": int(len(rejected)),
        "rejected_by_reason": by_reason,
    }


def feedback_csv(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """The partner-facing file as an Excel-safe CSV, whatever the output format."""
    return {f"{PARTNER_FEEDBACK}.csv": excel_csv_text(tables[PARTNER_FEEDBACK])}
