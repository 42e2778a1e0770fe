"""Match a partner list against an earlier run's registry: its records and its model.

``nser-link match-partner --registry RUN`` and the partner portal read the run's
``records`` (the registry as the model scored it, already standardised) and its
``model.json`` instead of re-reading, re-standardising and re-training on raw waves,
so the same list against the same run gives the same ``partner_feedback.csv`` from the
command line and from the portal. Scoring, resolving and the output tables are the
file route's (``score_partner``, ``registry_people``, ``matches_table``, ``build_tables``
in :mod:`linkage.pipelines.match_partner` and :mod:`linkage.partner_matching`).

The run is one registry already linked into people: its people are the run's person
clusters (``cluster_id``), not re-found by scoring the candidates against the registry
again (the file route's ``same_person_pairs``), so a match names the newest record of
the person the run found (by the year in ``source``; every record is wave 0) and the
registry's records per district count the run's people, not its records.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

import linkage
from linkage.contract import MODEL, RECORDS, RUN_MARKER
from linkage.derive.partner_matching import (
    SIDE_COLUMNS,
    matches_table,
    partner_relations,
    person_candidates,
    registry_people,
)
from linkage.engines import engine_for
from linkage.errors import ConfigError
from linkage.intake.io import write_outputs
from linkage.intake.mapping import ColumnMapping
from linkage.outputs import output_folder
from linkage.partner_config import MatchPartnerConfig
from linkage.pipelines import JobResult
from linkage.pipelines.match_partner import (
    ENGINE_COLUMNS,
    Matching,
    build_tables,
    feedback_csv,
    match_summary,
    partner_frame,
    partner_input,
    partner_pairs_table,
    read_partner,
    run_match_partner,
    score_partner,
)
from linkage.pipelines.summary import file_fingerprint, flag_counts
from linkage.progress import Stages
from linkage.run_folder import RunFolder, open_run, table_path
from linkage.standardise import standardise
from models.store import fingerprint


def match_partner_list(
    registry_paths: list[str],
    partner_path: str,
    out: str | Path,
    config: MatchPartnerConfig,
    *,
    model_path: str | Path | None = None,
    registry_mapping: ColumnMapping | None = None,
    **options,
) -> JobResult:
    """``match-partner``'s entry: a run folder as the only registry is matched with that
    run's records and model (:func:`match_partner_run`), files as they are
    (:func:`linkage.pipelines.match_partner.run_match_partner`)."""
    run = registry_run(list(registry_paths))
    if run is None:
        return run_match_partner(
            list(registry_paths),
            partner_path,
            out,
            config,
            model_path=model_path,
            registry_mapping=registry_mapping,
            **options,
        )
    if model_path or registry_mapping:
        raise ConfigError(
            "--registry is a run folder: its own model and standardised "
            "records are used; leave out --model and --registry-mapping"
        )
    return match_partner_run(run, partner_path, out, config, **options)


def registry_run(paths: list[str]) -> RunFolder | None:
    """The run when the registry given is one output folder of nser-link, else None."""
    if len(paths) != 1 or not (Path(paths[0]) / RUN_MARKER).exists():
        return None
    return open_run(paths[0])


def run_registry_frame(run: RunFolder) -> pd.DataFrame:
    """The run's records as engine columns (``ENGINE_COLUMNS``), all in wave 0."""
    records = run.records
    if "household_id" not in records:
        records["household_id"] = pd.Series(pd.NA, index=records.index, dtype="string")
    records["wave_order"] = pd.Series(0, index=records.index, dtype="Int64")
    missing = [c for c in (*ENGINE_COLUMNS, "cluster_id") if c not in records]
    if missing:
        raise ConfigError(
            f"--registry {run.path}: its records lack {', '.join(missing)}; "
            "re-run dedupe or link-waves with this version"
        )
    return records[list(ENGINE_COLUMNS)]


def people_by_district(run: RunFolder) -> pd.Series:
    """The run's people (clusters) per district, for ``unregistered_by_place``."""
    records = run.records
    return records.groupby("district_std")["cluster_id"].nunique().rename("registry_records")


def run_same_person(
    pairs: pd.DataFrame, registry: pd.DataFrame, clusters: pd.Series, review_threshold: float
) -> pd.DataFrame:
    """Same-person pairs from the run's clusters: each candidate's person (every record
    in its cluster), as a star from the cluster's smallest record id at probability 1."""
    wanted = (
        pairs.loc[pairs["match_probability"] >= review_threshold, "record_id_r"]
        .astype(str)
        .unique()
    )
    ids = registry["record_id"].astype(str)
    cluster = pd.Series(clusters.astype(str).to_numpy(), index=ids.to_numpy())
    people = cluster[ids.isin(wanted).to_numpy()].unique()
    members = (
        registry[cluster.isin(people).to_numpy()][list(SIDE_COLUMNS)]
        .astype({"record_id": str})
        .assign(person=cluster[cluster.isin(people)].to_numpy())
    )
    members = members.sort_values(["person", "record_id"], kind="mergesort")
    first = members.drop_duplicates("person").set_index("person")
    others = members[members.duplicated("person")]
    left = first.loc[others["person"]].reset_index(drop=True)
    right = others.drop(columns="person").reset_index(drop=True)
    same = pd.concat(
        [left.drop(columns="person", errors="ignore").add_suffix("_l"), right.add_suffix("_r")],
        axis=1,
    )
    return same.assign(match_probability=1.0)


def match_on_run(
    db_api,
    registry_table,
    partner_table,
    registry: pd.DataFrame,
    clusters: pd.Series,
    partner: pd.DataFrame,
    config: MatchPartnerConfig,
    *,
    model: dict,
    stages: Stages,
):
    """Score with the run's model, take the candidates' people from the run, resolve."""
    scored = score_partner(
        db_api, registry_table, partner_table, len(registry), config, model=model, stages=stages
    )
    with stages.stage("find candidates' other registry records"):
        same = run_same_person(scored.pairs, registry, clusters, config.matching.review_threshold)
    with stages.stage("resolve one-to-one"):
        people = registry_people(scored.pairs, same, config.matching.same_person_threshold)
        matches = matches_table(partner, person_candidates(scored.pairs, people), people, config)
    return Matching(
        matches=matches,
        pairs=partner_pairs_table(scored.pairs),
        scored=scored,
        people=int(people["person_id"].nunique()),
        same_person_pairs=len(same),
    )


def match_partner_run(
    run: RunFolder,
    partner_path: str,
    out: str | Path,
    config: MatchPartnerConfig,
    *,
    mapping: ColumnMapping | None = None,
    stages: Stages | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> JobResult:
    """Match ``partner_path`` against ``run`` with the run's model (never re-trained)."""

    if config.backend.name != "duckdb":
        raise ConfigError(
            "a run folder as --registry is matched on DuckDB (the run's records "
            "are one Parquet table); leave backend at duckdb"
        )
    stages = stages or Stages()
    records_path = table_path(run.path, RECORDS)
    assert records_path is not None  # open_run refuses a run without its records
    with output_folder(
        out, job="match-partner", inputs=[records_path, run.path / MODEL, partner_path]
    ):
        started = dt.datetime.now(dt.UTC)
        with stages.stage("read and validate"):
            partner, rejected, rows_read = read_partner(
                partner_path, mapping=mapping, encoding=encoding, sheet=sheet
            )
            registry = run_registry_frame(run)
            model = run.model
        with stages.stage("standardise"):
            partner_std = partner_relations(
                partner_frame(standardise(partner, min_year=config.dates.min_year))
            )
        engine = engine_for(config.backend)
        db_api = engine.db_api
        registry_table = engine.register(registry, "registry")
        partner_table = engine.register(partner_std[list(registry.columns)], "partner")
        matching = match_on_run(
            db_api,
            registry_table,
            partner_table,
            registry,
            run.records["cluster_id"],
            partner_std,
            config,
            model=model,
            stages=stages,
        )
        tables = build_tables(partner_std, matching, rejected, people_by_district(run))
        summary = {
            "job": "match-partner",
            "version": linkage.__version__,
            "started_at": started.isoformat(timespec="seconds"),
            "backend": config.backend.name,
            "registry": {
                "run": str(run.path),
                "run_job": run.job,
                "records": str(records_path),
                "records_fingerprint": file_fingerprint(records_path)
                if records_path.is_file()
                else None,
                "records_used": int(len(registry)),
            },
            "input": partner_input(partner_path, mapping, rows_read, len(partner_std), rejected),
            **match_summary(matching, config),
            "flags": flag_counts(partner_std),
        }
        summary["model"] = {
            **summary["model"],
            "trained_here": False,
            "loaded_from": str(run.path / MODEL),
            "run_model_fingerprint": fingerprint((run.path / MODEL).read_text("utf-8")),
        }
        with stages.stage("write outputs"):
            summary["timings_s"] = dict(stages.timings)
            write_outputs(
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
