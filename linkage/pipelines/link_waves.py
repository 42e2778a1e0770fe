"""Link registration waves: the same people across waves, household lineage, golden
records and stale-entry updates.

read each wave + validate (one engine frame with ``wave``, ``wave_order``) → link people
(the dedupe model over all waves at once: pairs within a wave merge duplicates, pairs
across waves link the same person) → household units per wave → lineage between
consecutive waves → household clusters over all waves → golden records (people and
households) → updates with flags → write. One body on every engine; the derivations
after clustering (``link_waves_records``) are pandas functions and still run on the
driver, over every standardised record (see docs/architecture.md, "What still comes to
the driver").
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from linkage.config import LinkWavesConfig
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
from linkage.engines import Engine, engine_for
from linkage.errors import ConfigError
from linkage.intake.mapping import ColumnMapping
from linkage.outputs import output_folder
from linkage.pipelines import JobResult
from linkage.pipelines.summary import cluster_summary, flag_counts, job_summary, thresholds
from linkage.pipelines.waves import read_waves
from linkage.previous import Previous, previous_run
from linkage.progress import Stages
from linkage.resolve.people import resolve_people
from linkage.resolve.scoring import score_pairs
from models.settings import MODEL_COLUMNS
from models.store import load_model

CLUSTER_COLUMNS = ("record_id", "source", "cluster_id", "household_cluster_id", "wave",
                   "household_id", "household_unit")
LINK_COLUMNS = (*HOUSEHOLD_LINK_COLUMNS, "wave_old", "wave_new",
                "members_old", "members_new", "members_carried", "carried_share",
                "continues", "household_ids_old", "household_ids_new",
                "household_cluster_id")


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


def link_waves_records(std: pd.DataFrame, config: LinkWavesConfig, *,
                       stages: Stages | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Lineage, golden records and updates from people linked over all waves.

    ``std``: standardised records of all waves with ``wave``, ``wave_order``,
    ``roster_key`` and ``cluster_id`` (``linkage.resolve.people``).
    """
    stages = stages or Stages(show=False)
    std = prepare(std)
    order = std.groupby("wave_order")["wave"].first().sort_index()
    with stages.stage("household lineage"):
        std["unit"] = wave_units(std["wave"], std["roster_key"], std["cluster_id"],
                                 overlap=config.clustering.household_overlap)
        members = pd.DataFrame({"wave": std["wave_order"], "unit": std["unit"],
                                "person": std["cluster_id"],
                                "head": std["relation_std"] == "head"})
        steps = []
        for k in range(1, len(order)):
            links = classify(members, order.index[k - 1], order.index[k],
                             merge_share=config.lineage.merge_share)
            steps.append(links.assign(wave_old=order.iloc[k - 1], wave_new=order.iloc[k]))
        links = pd.concat(steps, ignore_index=True)
        lineage = lineage_clusters(std["unit"], links)
        std["household_cluster_id"] = std["unit"].map(lineage).to_numpy()

    g = config.golden
    with stages.stage("golden records"):
        units = unit_table(std, g.source_priority, g.household_rules)
        people = golden_records(std, source_priority=g.source_priority, rules=g.rules,
                                field_rules=g.field_rules)
        latest = std.sort_values("wave_order", kind="mergesort") \
            .drop_duplicates("cluster_id", keep="last").set_index("cluster_id")
        people["household_cluster_id"] = people["cluster_id"].map(
            latest["household_cluster_id"]).to_numpy()
        households = household_golden_records(std, units, links, config)

    with stages.stage("updates"):
        primary = primary_records(std, g.source_priority)
        parts = []
        for k in range(1, len(order)):
            old = primary[primary["wave_order"] == order.index[k - 1]]
            new = primary[primary["wave_order"] == order.index[k]]
            step = links[links["wave_new"] == order.iloc[k]]
            parts += [household_updates(step, units, config.updates),
                      person_updates(old, new, units, step, config.updates)]
        updates = pd.concat(parts, ignore_index=True)

    household_links = _household_links(links, units, lineage)
    clusters = std.rename(columns={"unit": "household_unit"})[list(CLUSTER_COLUMNS)]
    tables = {"clusters": clusters, "golden_records": people,
              "household_golden_records": households, "household_links": household_links,
              "updates": updates}
    sizes = clusters["cluster_id"].value_counts()
    waves_of = std.groupby("cluster_id")["wave"].nunique()
    summary = {
        **cluster_summary(len(std), len(sizes), int(sizes.max()) if len(sizes) else 0,
                          int(std["household_cluster_id"].nunique())),
        "people_in_several_waves": int((waves_of > 1).sum()),
        "flags": flag_counts(std),
        "lineage": {f"{o}->{n}": _lineage_counts(links[links["wave_new"] == n])
                    for o, n in zip(order.iloc[:-1], order.iloc[1:], strict=True)},
        "updates": flag_summary(updates),
        "thresholds": {**thresholds(config), "merge_share": config.lineage.merge_share,
                       **config.updates.model_dump()},
    }
    return tables, summary


def household_golden_records(std: pd.DataFrame, units: pd.DataFrame, links: pd.DataFrame,
                             config: LinkWavesConfig) -> pd.DataFrame:
    """One row per household cluster: fields by the household survivorship rules, the
    members in its latest wave, and what became of it (``status``)."""
    g = config.golden
    golden = golden_records(std, source_priority=g.source_priority, rules=g.household_rules,
                            field_rules=g.field_rules, fields=HOUSEHOLD_FIELDS,
                            cluster="household_cluster_id")
    golden = golden.drop(columns=["record_ids"]).rename(columns={"n_records": "records"})
    latest_unit = std.sort_values("wave_order", kind="mergesort") \
        .drop_duplicates("household_cluster_id", keep="last") \
        .set_index("household_cluster_id")[["unit", "wave"]]
    hc = golden["household_cluster_id"]
    unit = hc.map(latest_unit["unit"])
    golden["household_id"] = unit.map(units["household_id"]).to_numpy()
    golden["members"] = unit.map(units["members"]).astype("Int64").to_numpy()
    golden["latest_wave"] = hc.map(latest_unit["wave"]).to_numpy()
    fate = links[links["unit_old"].notna()].drop_duplicates("unit_old") \
        .set_index("unit_old")["link_type"]
    ended = unit.map(fate)
    golden["status"] = ended.where(ended.isin(["merged", "dissolved"]), "current").to_numpy()
    return golden


def _household_links(links: pd.DataFrame, units: pd.DataFrame, lineage: pd.Series
                     ) -> pd.DataFrame:
    hh, ids = units["household_id"], units["household_ids"]
    out = pd.DataFrame({
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
    })
    return out[list(LINK_COLUMNS)]


def _lineage_counts(links: pd.DataFrame) -> dict[str, int]:
    """Households of the older wave by type (a split counts once), and new households."""
    per_old = links[links["unit_old"].notna()].drop_duplicates("unit_old")["link_type"]
    counts = {t: int((per_old == t).sum()) for t in LINK_TYPES if t != "new"}
    counts["new"] = int((links["link_type"] == "new").sum())
    return counts


def run_link_waves(paths: list[str], out: str | Path, config: LinkWavesConfig, *,
                   mapping: ColumnMapping | None = None,
                   model_path: str | Path | None = None, stages: Stages | None = None,
                   encoding: str | None = None, previous: str | Path | None = None
                   ) -> JobResult:
    """Read, link and write waves given oldest first; every input row ends in
    ``clusters`` or ``rejected``. ``out`` is checked and locked for the whole job before
    anything is read (:func:`linkage.outputs.output_folder`). ``previous``: an earlier
    run whose person ids and clerical decisions the new one keeps."""
    if len(paths) < 2:
        raise ConfigError(f"link-waves needs at least two waves, oldest first; got "
                          f"{len(paths)}.")
    with output_folder(out, job="link-waves", inputs=[*paths, model_path],
                       backend=config.backend):
        earlier = previous_run(previous, config.backend)
        result = link_waves(engine_for(config.backend), [str(p) for p in paths], out, config,
                            mapping=mapping, model_path=model_path, stages=stages,
                            encoding=encoding, previous=earlier)
        if earlier is not None:
            earlier.keep_decisions(out)
        return result


def link_waves(engine: Engine, paths: list[str], out: str | Path, config: LinkWavesConfig, *,
               mapping: ColumnMapping | None = None, model_path: str | Path | None = None,
               stages: Stages | None = None, encoding: str | None = None,
               previous: Previous | None = None) -> JobResult:
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
    # Lineage, golden records and updates are pandas functions over every record: on
    # Spark this is where the records come to the driver (docs/architecture.md).
    local = engine.collect(people.records)
    if previous is not None:  # person ids of the previous run (households: new lineage)
        local = previous.carry_ids(local, households=False)
    household_ids = local["household_id"].to_numpy() if "household_id" in local else None
    tables, summary = link_waves_records(local, config, stages=stages)
    tables["pairs"] = people.pairs
    summary["pairs_written"] = engine.count(people.pairs)
    by_id = tables["clusters"].set_index("record_id")
    records = local[list(MODEL_COLUMNS)].copy(deep=False)
    if household_ids is not None:
        records["household_id"] = household_ids
    records["cluster_id"] = records["record_id"].map(by_id["cluster_id"]).to_numpy()
    records["household_cluster_id"] = records["record_id"].map(
        by_id["household_cluster_id"]).to_numpy()
    tables["records"] = records
    tables["rejected"] = waves.rejected
    summary = job_summary("link-waves", engine, started, {
        "input": {
            "waves": waves.info,
            "mapping": mapping.model_dump() if mapping else None,
            "record_ids_qualified": waves.ids_qualified,
            "rows_read": sum(i["rows_read"] for i in waves.info),
            "rows_used": int(n_records),
            "rows_rejected": sum(i["rows_rejected"] for i in waves.info),
        },
        **scored.summary(), **summary}, model_path=model_path)
    with stages.stage("write outputs"):
        summary["timings_s"] = dict(stages.timings)
        engine.write(out, tables, summary=summary, model_json=scored.model_json,
                     fmt=config.output_format, job="link-waves")
    return JobResult(tables, summary, scored.model_json, stages)
