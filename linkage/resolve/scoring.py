"""Score pairs of person records with Splink on any engine: plan the model for the
columns present, choose blocking rules within the comparison budget, train (EM) or
adapt a loaded model, and predict. ``table`` is always an engine table of
``models.settings.MODEL_COLUMNS``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from splink import Linker

from blocking.guard import check_comparison_budget, count_comparisons
from linkage.config import AUTO_THRESHOLDS, DedupeConfig
from linkage.errors import InputError
from linkage.partner_config import MatchPartnerConfig
from linkage.progress import Stages
from linkage.resolve.model_plan import ModelPlan, plan_model
from models.settings import person_settings
from models.store import fingerprint, for_dialect, model_json
from models.training import (
    EMRound,
    fixed_identifier_m,
    identifier_u,
    rounded,
    train,
    with_m_floor,
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
    model: dict[str, Any] = {"fingerprint": fingerprint(scored.model_json)}
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


def comparison_budget(n_records: int, config, per_record: float | None = None) -> int:
    """Comparisons the blocking rules may generate for ``n_records`` records
    (``per_record`` each, by default ``blocking.comparisons_per_record``)."""
    b = config.blocking
    each = b.comparisons_per_record if per_record is None else per_record
    return int(min(b.max_comparisons, max(b.min_comparisons, each * n_records)))


def plan_for(db_api, table, n_records: int, config, *, train: bool) -> ModelPlan:
    """The model plan for ``table`` (see ``linkage.resolve.model_plan``)."""
    return plan_model(
        db_api,
        [table.physical_name],
        budget=comparison_budget(n_records, config),
        min_em_pairs=config.training.min_em_pairs,
        train=train,
    )


def check_rules(rules, plan: ModelPlan) -> None:
    """Refuse a file no blocking rule can pair: scoring it would compare nothing."""
    if not rules:
        raise InputError(
            "no blocking rule can pair these records: they fill none of the column "
            "combinations the rules need (e.g. a name with a birth date, a postcode or a "
            "place; a CNIC; a phone). Columns with data: "
            + (", ".join(sorted(plan.present)) or "none")
            + ". Check the column mapping."
        )


def choose_threshold(config, plan: ModelPlan) -> None:
    """Set ``clustering.threshold`` from the file when the config leaves it to the job
    (``linkage.config.ClusteringConfig.threshold``)."""
    cfg = config.clustering
    if cfg.threshold is None:
        with_guardians, without = AUTO_THRESHOLDS
        cfg.threshold = with_guardians if "guardian_std" in plan.present else without
        cfg.pairs_threshold = min(cfg.pairs_threshold, cfg.threshold)


def score_pairs(
    db_api, table, n_records: int, config: DedupeConfig, *, model: dict | None, stages: Stages
) -> Scored:
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
            threshold_match_probability=config.clustering.pairs_threshold
        )
    return Scored(
        linker, predictions, counts, total, model_json(linker), sample < 1.0, plan, rounds
    )


def train_model(
    db_api, table, config: DedupeConfig | MatchPartnerConfig, plan: ModelPlan, *, link_with=None
) -> tuple[dict, list[EMRound]]:
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
    settings = person_settings(
        [r.as_splink() for r in plan.blocking.rules],
        present=present,
        link_type="link_only" if link_with is not None else "dedupe_only",
        cnic_u=cnic_u,
        other_id_u=other_u,
        rare_m=t.m_floor,
        max_iterations=t.max_iterations,
        names=plan.comparisons,
    )
    # Splink logs every EM iteration at INFO, and warns about levels a training round
    # never sees (with_m_floor settles those); the stage display says enough.
    tables = table if link_with is None else [link_with, table]
    linker = Linker(tables, settings, log_level=logging.ERROR)
    try:
        rounds = train(
            linker,
            deterministic_rules=[r.as_splink() for r in plan.prior_rules],
            em_rules=[(r.name, r.as_splink()) for r in plan.em_rules],
            prior_recall=t.prior_recall,
            u_max_pairs=t.u_max_pairs,
            em_max_pairs=t.em_max_pairs,
            seed=t.seed,
            max_iterations=t.max_iterations,
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
    floored = with_m_floor(fixed_identifier_m(trained), t.m_floor, t.against_floor)
    return rounded(floored), rounds


def term_frequencies(db_api, registry, model: dict) -> dict[str, object]:
    """Term-frequency tables of ``registry`` alone, one per column the model adjusts.

    Splink would count them over both inputs; a partner list is small and skewed (a
    flood list of one district), so its own frequencies would mislead.
    """
    columns = sorted(
        {
            lv["tf_adjustment_column"]
            for c in model["comparisons"]
            for lv in c["comparison_levels"]
            if lv.get("tf_adjustment_column")
        }
    )
    tables = {}
    for col in columns:
        sql = (
            f"SELECT {col}, CAST(count(*) AS DOUBLE) / sum(count(*)) OVER () AS tf_{col} "
            f"FROM {registry.physical_name} WHERE {col} IS NOT NULL GROUP BY {col}"
        )
        tables[col] = db_api.query_sql(sql)
    return tables
