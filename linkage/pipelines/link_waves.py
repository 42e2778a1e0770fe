"""Link registration waves: the same people across waves, household lineage, golden
records and stale-entry updates.

read each wave + validate → one frame (``wave``, ``wave_order``) → link people (the
dedupe model over all waves at once: pairs within a wave merge duplicates, pairs across
waves link the same person) → household units per wave → lineage between consecutive
waves → household clusters over all waves → golden records (people and households) →
updates with flags → write. ``link_waves_records`` is the pure middle; ``run_link_waves``
adds the file edges. On Spark, reading and scoring run in Spark (``link_waves_spark``)
and the derivations below run on the driver, unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import linkage
from linkage.config import LinkWavesConfig
from linkage.contract import HOUSEHOLD_LINK_COLUMNS, LINK_TYPES, PERSON_COLUMNS, REJECT_COLUMNS
from linkage.errors import ConfigError
from linkage.golden import HOUSEHOLD_FIELDS, golden_records, source_year
from linkage.io import read_table, write_outputs
from linkage.lineage import classify, lineage_clusters, wave_units
from linkage.mapping import ColumnMapping
from linkage.outputs import output_folder
from linkage.pipelines import JobResult
from linkage.pipelines.dedupe import (
    cluster_summary,
    file_fingerprint,
    flag_counts,
    link_people,
    registry_records,
    thresholds,
)
from linkage.progress import Stages
from linkage.updates import (
    flag_summary,
    household_updates,
    person_updates,
    primary_records,
    unit_table,
)
from linkage.validate import no_usable_rows, reason_counts, validate_rows
from models.store import load_model

CLUSTER_COLUMNS = ("record_id", "source", "cluster_id", "household_cluster_id", "wave",
                   "household_id", "household_unit")
LINK_COLUMNS = (*HOUSEHOLD_LINK_COLUMNS, "wave_old", "wave_new",
                "members_old", "members_new", "members_carried", "carried_share",
                "continues", "household_ids_old", "household_ids_new",
                "household_cluster_id")


@dataclass
class Waves:
    """The waves read: records of all of them, rejected rows, and what each held."""

    records: pd.DataFrame
    rejected: pd.DataFrame
    info: list[dict]
    ids_qualified: bool = False


def wave_names(paths: list[str]) -> list[str]:
    """A short unique name per wave: the file name without extension (``wave_2011``)."""
    names: list[str] = []
    for p in paths:
        stem = Path(p).stem or "wave"
        name, k = stem, 2
        while name in names:
            name, k = f"{stem}_{k}", k + 1
        names.append(name)
    return names


def combine_waves(frames: list[pd.DataFrame], names: list[str]) -> tuple[pd.DataFrame, bool]:
    """One frame of all waves, oldest first; columns a wave lacks are empty in it.

    Record ids are kept as given unless two waves use the same id; then every id is
    qualified as ``wave:record_id`` so that no row is lost or confused.
    """
    tagged = [f.assign(wave=n, wave_order=i) for i, (f, n) in enumerate(zip(frames, names,
                                                                             strict=True))]
    records = pd.concat(tagged, ignore_index=True, sort=False)
    clash = records["record_id"].astype(str).duplicated(keep=False).any()
    if clash:
        records["record_id"] = records["wave"] + ":" + records["record_id"].astype(str)
    return records, bool(clash)


def read_waves(paths: list[str], *, mapping: ColumnMapping | None = None,
               encoding: str | None = None) -> Waves:
    """Read and validate each wave; refuse a wave with no usable row, by name."""
    if len(paths) < 2:
        raise ConfigError(f"link-waves needs at least two waves, oldest first; got "
                          f"{len(paths)}.")
    names = wave_names(paths)
    frames, rejected, info = [], [], []
    for path, name in zip(paths, names, strict=True):
        raw = read_table(path, mapping=mapping, kind="registry", encoding=encoding)
        valid = validate_rows(raw, kind="registry", file=str(path))
        if valid.rows.empty:
            raise no_usable_rows(str(path), reason_counts(valid.rejected["reason"]))
        frames.append(valid.rows)
        rejected.append(valid.rejected.assign(wave=name))
        info.append({"wave": name, "path": str(path), "fingerprint": file_fingerprint(path),
                     "columns": sorted(c for c in raw.columns if c not in REJECT_COLUMNS),
                     "rows_read": len(raw), "rows_used": len(valid.rows),
                     "rows_rejected": len(valid.rejected)})
    columns = set().union(*(i["columns"] for i in info))
    for i in info:
        i["columns_missing"] = sorted(columns - set(i["columns"]))
        del i["columns"]
    records, qualified = combine_waves(frames, names)
    rejected_all = pd.concat(rejected, ignore_index=True, sort=False)
    return Waves(records, rejected_all, info, qualified)


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


def link_waves_records(std: pd.DataFrame, pairs: pd.DataFrame, config: LinkWavesConfig, *,
                       stages: Stages | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Lineage, golden records and updates from people linked over all waves.

    ``std``: standardised records of all waves with ``wave``, ``wave_order``,
    ``roster_key`` and ``cluster_id`` (``link_people``); ``pairs`` is passed through.
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
    tables = {"clusters": clusters, "pairs": pairs, "golden_records": people,
              "household_golden_records": households, "household_links": household_links,
              "updates": updates}
    sizes = clusters["cluster_id"].value_counts()
    waves_of = std.groupby("cluster_id")["wave"].nunique()
    summary = {
        **cluster_summary(len(std), sizes, int(std["household_cluster_id"].nunique())),
        "people_in_several_waves": int((waves_of > 1).sum()),
        "pairs_written": int(len(pairs)),
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
    with output_folder(out, job="link-waves", inputs=[*paths, model_path],
                       backend=config.backend):
        if previous is not None:
            if config.backend.name == "spark":
                raise ConfigError("--previous is not supported on the Spark backend yet")
            from linkage.previous import Previous
            from linkage.run_folder import open_run

            previous = Previous(open_run(previous, label="--previous"))
        if config.backend.name == "spark":
            from linkage.pipelines.link_waves_spark import run_link_waves_spark

            return run_link_waves_spark(paths, str(out), config, mapping=mapping,
                                        model_path=model_path, stages=stages,
                                        encoding=encoding)
        result = _link_wave_files(paths, out, config, mapping=mapping,
                                  model_path=model_path, stages=stages, encoding=encoding,
                                  previous=previous)
        if previous is not None:
            previous.keep_decisions(out)
        return result


def _link_wave_files(paths, out, config: LinkWavesConfig, *, mapping, model_path, stages,
                     encoding, previous=None) -> JobResult:
    """The DuckDB job, run by :func:`run_link_waves` with ``out`` locked."""
    stages = stages or Stages()
    started = dt.datetime.now(dt.UTC)
    model = load_model(model_path) if model_path else None
    with stages.stage("read and validate"):
        waves = read_waves([str(p) for p in paths], mapping=mapping, encoding=encoding)
    linked = link_people(waves.records, config, model=model, stages=stages, previous=previous)
    if previous is not None:  # person ids of the previous run (households: new lineage)
        linked.std["cluster_id"] = previous.ids(
            linked.std["record_id"], linked.std["cluster_id"], linked.std["cluster_id"])[0]
    del waves.records
    tables, summary = link_waves_records(linked.std, linked.pairs, config, stages=stages)
    # clusters may be in another order than the engine's records: align them by id
    by_id = tables["clusters"].set_index("record_id")
    ids = linked.model_frame["record_id"]
    tables["records"] = registry_records(
        linked.model_frame, household_id=linked.std["household_id"].to_numpy()
        if "household_id" in linked.std else None,
        cluster_id=ids.map(by_id["cluster_id"]),
        household_cluster_id=ids.map(by_id["household_cluster_id"]))
    summary = {**linked.scored.summary(), **summary}
    return finish(tables, summary, waves, linked.scored.model_json, out, config,
                  started=started, stages=stages, mapping=mapping, model_path=model_path,
                  model_loaded=model is not None)


def finish(tables, summary, waves: Waves, model_json: str, out, config: LinkWavesConfig, *,
           started, stages: Stages, mapping, model_path, model_loaded: bool) -> JobResult:
    """Add the input accounting to the summary and write every output."""
    tables["rejected"] = waves.rejected
    summary = finish_summary(summary, waves, tables["clusters"], len(waves.rejected),
                             started=started, mapping=mapping, model_path=model_path,
                             model_loaded=model_loaded)
    with stages.stage("write outputs"):
        summary["timings_s"] = dict(stages.timings)
        write_outputs(out, tables, summary=summary, model_json=model_json,
                      fmt=config.output_format, job="link-waves")
    return JobResult(tables, summary, model_json, stages)


def finish_summary(summary: dict, waves: Waves, clusters: pd.DataFrame, rows_rejected: int, *,
                   started, mapping, model_path, model_loaded: bool,
                   backend: str = "duckdb") -> dict:
    """The job's summary: what was read (rows read = used + rejected), then ``summary``."""
    summary = {
        "job": "link-waves",
        "version": linkage.__version__,
        "started_at": started.isoformat(timespec="seconds"),
        "backend": backend,
        "input": {
            "waves": waves.info,
            "mapping": mapping.model_dump() if mapping else None,
            "record_ids_qualified": waves.ids_qualified,
            "rows_read": sum(i["rows_read"] for i in waves.info),
            "rows_used": int(len(clusters)),
            "rows_rejected": int(rows_rejected),
        },
        **summary,
    }
    summary["model"] = {**summary["model"], "trained_here": not model_loaded,
                        "loaded_from": str(model_path) if model_path else None}
    return summary
