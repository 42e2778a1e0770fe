"""Link registration waves: the same people across waves, household lineage, golden
records and stale-entry updates.

read each wave + validate (one engine frame with ``wave``, ``wave_order``) → link people
(the dedupe model over all waves at once: pairs within a wave merge duplicates, pairs
across waves link the same person) → household units per wave → lineage between
consecutive waves → household clusters over all waves → golden records (people and
households) → updates with flags → write. One body on every engine; the derivations
after clustering (:func:`derive_tables`, pandas) run through ``Engine.derive`` on groups
of records closed under person cluster and wave roster: on Spark per batch of whole
components on the executors, so no record comes to the driver (docs/architecture.md,
"Derive steps").
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

import pandas as pd

from linkage.config import BackendConfig, LinkWavesConfig
from linkage.contract import HOUSEHOLD_LINK_COLUMNS, LINK_TYPES, PERSON_COLUMNS
from linkage.derive.golden import HOUSEHOLD_FIELDS, golden_records, source_year
from linkage.derive.lineage import classify, lineage_clusters, wave_units
from linkage.derive.updates import (
    flag_summary,
    household_updates,
    person_updates,
    primary_records,
    unit_table,
)
from linkage.engines import Engine, engine_for, job_engine
from linkage.engines.base import Frame
from linkage.errors import ConfigError
from linkage.intake.mapping import ColumnMapping
from linkage.outputs import output_folder
from linkage.pipelines import JobResult
from linkage.pipelines.summary import (
    cluster_summary,
    engine_flag_counts,
    job_summary,
    thresholds,
)
from linkage.pipelines.waves import read_waves
from linkage.previous import Previous, previous_run
from linkage.progress import Stages
from linkage.resolve.people import resolve_people
from linkage.resolve.scoring import score_pairs
from models.settings import MODEL_COLUMNS
from models.store import load_model

CLUSTER_COLUMNS = (
    "record_id",
    "source",
    "cluster_id",
    "household_cluster_id",
    "wave",
    "household_id",
    "household_unit",
)
LINK_COLUMNS = (
    *HOUSEHOLD_LINK_COLUMNS,
    "wave_old",
    "wave_new",
    "members_old",
    "members_new",
    "members_carried",
    "carried_share",
    "continues",
    "household_ids_old",
    "household_ids_new",
    "household_cluster_id",
)


def prepare(std: pd.DataFrame) -> pd.DataFrame:
    """Columns lineage and updates read: relation, year of the record, a date-of-birth key;
    contract columns no wave had are added empty."""
    for c in PERSON_COLUMNS:
        if c not in std:
            std[c] = None
    # The year of a record: from its source (survey_2021), else from its wave's name.
    std["record_year"] = source_year(std["source"]).fillna(source_year(std["wave"]))
    dob = pd.to_datetime(std["dob"], errors="coerce").dt.strftime("%Y-%m-%d")
    year = pd.to_numeric(std["dob_year"], errors="coerce").astype("Int64").astype("string")
    std["dob_key"] = dob.where(dob.notna(), year).astype(object)
    return std


#: Records sharing a person cluster, or a roster of one wave, are derived together: every
#: derived table stays inside the groups these keys close (see :func:`derive_tables`).
CLOSED_UNDER = (("cluster_id",), ("wave", "roster_key"))


def derive_tables(
    std: pd.DataFrame, config: LinkWavesConfig, order: pd.Series
) -> dict[str, pd.DataFrame]:
    """Household units, lineage, household clusters, golden records and updates.

    ``std``: standardised records with ``wave``, ``wave_order``, ``roster_key`` and
    ``cluster_id`` (``linkage.resolve.people``); ``order``: wave name by wave order, of
    every wave of the job (a group of records may lack some).

    Every table depends only on the connected component of records joined by one person
    cluster or one roster of one wave (``CLOSED_UNDER``): a unit is rosters of one wave
    sharing people, lineage links units through people, a household cluster chains units
    so linked, and golden records and updates stay inside one person, unit or household
    cluster. Every id is the smallest member id of its group. So the tables of a set of
    whole components are the rows of those components in the tables of all records, and
    the engine may run this on batches of components (``Engine.derive``).
    """
    std = prepare(std)
    std["unit"] = wave_units(
        std["wave"],
        std["roster_key"],
        std["cluster_id"],
        overlap=config.clustering.household_overlap,
    )
    members = pd.DataFrame(
        {
            "wave": std["wave_order"],
            "unit": std["unit"],
            "person": std["cluster_id"],
            "head": std["relation_std"] == "head",
        }
    )
    steps = []
    for k in range(1, len(order)):
        links = classify(
            members, order.index[k - 1], order.index[k], merge_share=config.lineage.merge_share
        )
        steps.append(links.assign(wave_old=order.iloc[k - 1], wave_new=order.iloc[k]))
    links = pd.concat(steps, ignore_index=True)
    lineage = lineage_clusters(std["unit"], links)
    std["household_cluster_id"] = std["unit"].map(lineage).to_numpy()

    g = config.golden
    units = unit_table(std, g.source_priority, g.household_rules)
    people = golden_records(
        std, source_priority=g.source_priority, rules=g.rules, field_rules=g.field_rules
    )
    latest = (
        std.sort_values("wave_order", kind="mergesort")
        .drop_duplicates("cluster_id", keep="last")
        .set_index("cluster_id")
    )
    people["household_cluster_id"] = (
        people["cluster_id"].map(latest["household_cluster_id"]).to_numpy()
    )
    households = household_golden_records(std, units, links, config)

    primary = primary_records(std, g.source_priority)
    parts = []
    for k in range(1, len(order)):
        old = primary[primary["wave_order"] == order.index[k - 1]]
        new = primary[primary["wave_order"] == order.index[k]]
        step = links[links["wave_new"] == order.iloc[k]]
        parts += [
            household_updates(step, units, config.updates),
            person_updates(old, new, units, step, config.updates),
        ]
    updates = pd.concat(parts, ignore_index=True)

    clusters = std.rename(columns={"unit": "household_unit"})[list(CLUSTER_COLUMNS)]
    return {
        "clusters": clusters,
        "golden_records": people,
        "household_golden_records": households,
        "household_links": _household_links(links, units, lineage),
        "updates": updates,
    }


def derived_summary(
    engine: Engine,
    tables: dict[str, Frame],
    records: Frame,
    order: pd.Series,
    config: LinkWavesConfig,
) -> dict:
    """The counts of ``summary.json``, from engine aggregates over the derived tables
    (a few rows per wave, link type, flag or district come to the driver)."""
    clusters = tables["clusters"]
    n_people, largest = engine.group_sizes(clusters, "cluster_id")
    n_households, _ = engine.group_sizes(clusters, "household_cluster_id")
    waves_per_person = engine.size_counts(
        engine.distinct(clusters, ["cluster_id", "wave"]), "cluster_id"
    )
    links = engine.grouped_counts(
        tables["household_links"], ["wave_old", "wave_new", "link_type", "continues"]
    )
    updates = tables["updates"]
    return {
        **cluster_summary(engine.count(clusters), n_people, largest, n_households),
        "people_in_several_waves": int(
            waves_per_person.loc[waves_per_person["size"] > 1, "groups"].sum()
        ),
        "flags": engine_flag_counts(engine, records),
        "lineage": {
            f"{o}->{n}": _lineage_counts(links, o, n)
            for o, n in zip(order.iloc[:-1], order.iloc[1:], strict=True)
        },
        "updates": flag_summary(
            engine.grouped_counts(updates, ["district", "flag"]),
            engine.grouped_counts(updates, ["field"]),
        ),
        "thresholds": {
            **thresholds(config),
            "merge_share": config.lineage.merge_share,
            **config.updates.model_dump(),
        },
    }


def link_waves_records(
    std: pd.DataFrame, config: LinkWavesConfig
) -> tuple[dict[str, pd.DataFrame], dict]:
    """:func:`derive_tables` and :func:`derived_summary` of pandas records on DuckDB (the
    waves in the order of ``wave_order``)."""
    order = std.groupby("wave_order")["wave"].first().sort_index()
    engine = engine_for(BackendConfig.model_validate({}))
    tables = engine.derive(
        std, partial(derive_tables, config=config, order=order), closed_under=CLOSED_UNDER
    )
    return tables, derived_summary(engine, tables, std, order, config)


def household_golden_records(
    std: pd.DataFrame, units: pd.DataFrame, links: pd.DataFrame, config: LinkWavesConfig
) -> pd.DataFrame:
    """One row per household cluster: fields by the household survivorship rules, the
    members in its latest wave, and what became of it (``status``)."""
    g = config.golden
    golden = golden_records(
        std,
        source_priority=g.source_priority,
        rules=g.household_rules,
        field_rules=g.field_rules,
        fields=HOUSEHOLD_FIELDS,
        cluster="household_cluster_id",
    )
    golden = golden.drop(columns=["record_ids"]).rename(columns={"n_records": "records"})
    latest_unit = (
        std.sort_values("wave_order", kind="mergesort")
        .drop_duplicates("household_cluster_id", keep="last")
        .set_index("household_cluster_id")[["unit", "wave"]]
    )
    hc = golden["household_cluster_id"]
    unit = hc.map(latest_unit["unit"])
    golden["household_id"] = unit.map(units["household_id"]).to_numpy()
    golden["members"] = unit.map(units["members"]).astype("Int64").to_numpy()
    golden["latest_wave"] = hc.map(latest_unit["wave"]).to_numpy()
    fate = (
        links[links["unit_old"].notna()]
        .drop_duplicates("unit_old")
        .set_index("unit_old")["link_type"]
    )
    ended = unit.map(fate)
    golden["status"] = ended.where(ended.isin(["merged", "dissolved"]), "current").to_numpy()
    return golden


def _household_links(links: pd.DataFrame, units: pd.DataFrame, lineage: pd.Series) -> pd.DataFrame:
    hh, ids = units["household_id"], units["household_ids"]
    out = pd.DataFrame(
        {
            "household_id_old": links["unit_old"].map(hh),
            "household_id_new": links["unit_new"].map(hh),
            "link_type": links["link_type"],
            "wave_old": links["wave_old"].where(links["unit_old"].notna(), None),
            "wave_new": links["wave_new"].where(links["unit_new"].notna(), None),
            "members_old": links["members_old"],
            "members_new": links["members_new"],
            "members_carried": links["shared"],
            "carried_share": links["carried_share"],
            "continues": links["continues"],
            "household_ids_old": links["unit_old"].map(ids),
            "household_ids_new": links["unit_new"].map(ids),
            "household_cluster_id": links["unit_old"].fillna(links["unit_new"]).map(lineage),
        }
    )
    return out[list(LINK_COLUMNS)]


def _lineage_counts(links: pd.DataFrame, old: str, new: str) -> dict[str, int]:
    """Households of the older wave by type, and new households, from the rows of
    ``household_links`` counted by wave, type and ``continues``: an older household has
    one row, or one per part of a split, of which one continues it."""

    def rows(mask: pd.Series) -> int:
        return int(links.loc[mask.fillna(False).astype(bool), "count"].sum())

    from_old = links["wave_old"] == old
    counts = {
        t: rows(
            from_old
            & (links["link_type"] == t)
            & (links["continues"].astype("boolean") if t == "split" else True)
        )
        for t in LINK_TYPES
        if t != "new"
    }
    counts["new"] = rows((links["wave_new"] == new) & (links["link_type"] == "new"))
    return counts


def run_link_waves(
    paths: list[str],
    out: str | Path,
    config: LinkWavesConfig,
    *,
    mapping: ColumnMapping | None = None,
    model_path: str | Path | None = None,
    stages: Stages | None = None,
    encoding: str | None = None,
    previous: str | Path | None = None,
) -> JobResult:
    """Read, link and write waves given oldest first; every input row ends in
    ``clusters`` or ``rejected``. ``out`` is checked and locked for the whole job before
    anything is read (:func:`linkage.outputs.output_folder`). ``previous``: an earlier
    run whose person ids and clerical decisions the new one keeps."""
    if len(paths) < 2:
        raise ConfigError(f"link-waves needs at least two waves, oldest first; got {len(paths)}.")
    with output_folder(out, job="link-waves", inputs=[*paths, model_path], backend=config.backend):
        earlier = previous_run(previous)
        with job_engine(config.backend) as engine:
            result = link_waves(
                engine,
                [str(p) for p in paths],
                out,
                config,
                mapping=mapping,
                model_path=model_path,
                stages=stages,
                encoding=encoding,
                previous=earlier,
            )
        if earlier is not None:
            earlier.keep_decisions(out)
        return result


def link_waves(
    engine: Engine,
    paths: list[str],
    out: str | Path,
    config: LinkWavesConfig,
    *,
    mapping: ColumnMapping | None = None,
    model_path: str | Path | None = None,
    stages: Stages | None = None,
    encoding: str | None = None,
    previous: Previous | None = None,
) -> JobResult:
    """The job on ``engine``, with ``out`` locked by the caller."""
    stages = stages or Stages()
    started = dt.datetime.now(dt.UTC)
    model = load_model(model_path) if model_path else None
    with stages.stage("read and validate"):
        waves = read_waves(engine, paths, mapping=mapping, encoding=encoding)
    with stages.stage("standardise"):
        std = engine.standardise(waves.records, min_year=config.dates.min_year)
        waves.records = None
        n_records = engine.count(std)
    table = engine.register(engine.select(std, MODEL_COLUMNS), "records")
    scored = score_pairs(engine.db_api, table, n_records, config, model=model, stages=stages)
    people = resolve_people(engine, table, std, scored, config, stages, previous=previous)
    records = people.records
    if previous is not None:  # person ids of the previous run (households: new lineage)
        records = previous.carry_ids(engine, records, households=False)
    order = pd.Series({i["wave_order"]: i["wave"] for i in waves.info}).sort_index()
    with stages.stage("lineage, golden records and updates"):
        # Run by the engine on groups of whole components (on Spark, batches on the
        # executors): no record comes to the driver.
        tables = engine.derive(
            records, partial(derive_tables, config=config, order=order), closed_under=CLOSED_UNDER
        )
        summary = derived_summary(engine, tables, records, order, config)
    tables["pairs"] = people.pairs
    summary["pairs_written"] = engine.count(people.pairs)
    household = ["household_id"] if "household_id" in records.columns else []
    # The records as the model scored them, with their person and household clusters.
    tables["records"] = engine.attach(
        engine.select(records, [*MODEL_COLUMNS, *household, "cluster_id"]),
        engine.select(tables["clusters"], ["record_id", "household_cluster_id"]),
        "record_id",
        "household_cluster_id",
        default="cluster_id",
    )
    tables["rejected"] = waves.rejected
    summary = job_summary(
        "link-waves",
        engine,
        started,
        {
            "input": {
                "waves": waves.info,
                "mapping": mapping.model_dump() if mapping else None,
                "record_ids_qualified": waves.ids_qualified,
                "rows_read": sum(i["rows_read"] for i in waves.info),
                "rows_used": int(n_records),
                "rows_rejected": sum(i["rows_rejected"] for i in waves.info),
            },
            **scored.summary(),
            **summary,
        },
        model_path=model_path,
    )
    with stages.stage("write outputs"):
        summary["timings_s"] = dict(stages.timings)
        engine.write(
            out,
            tables,
            summary=summary,
            model_json=scored.model_json,
            fmt=config.output_format,
            job="link-waves",
        )
    return JobResult(tables, summary, scored.model_json, stages)
