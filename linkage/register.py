"""Register new records into a linked run, without re-running it, with stable ids.

read + validate → standardise (the run's own function) → score against the run's
records and against each other (Splink's ``predict_between`` / ``predict_within`` with
the run's model and the run's term frequencies) → households as evidence → cluster
with the run's people kept whole → ids → write the run again, atomically.

Stable ids: the run's people enter the clustering as fixed groups
(``cluster_with_cannot_link(groups=...)``), so a new record can join a person or start
one, never split one. When a new record bridges two existing people they become one and
keep the older id (the one registered in the earlier batch; the smaller id between
equals); the change is listed in ``merged_clusters``. A clerk's decisions
(``clerical_decisions.csv`` in the run, written by ``nser-link review score``) hold:
a rejected pair becomes a cannot-link, a confirmed pair one person whatever the rules.

:class:`Registry` is the run loaded into the engine once; the desk service keeps one
for its lifetime and scores each lookup with it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from splink import Linker

import linkage
from linkage.config import ClusteringConfig, DedupeConfig
from linkage.contract import CLUSTERS, MODEL, PAIRS, RECORDS, RUN_MARKER, SUMMARY
from linkage.engines import Engine, engine_for
from linkage.errors import ConfigError
from linkage.intake.io import read_table
from linkage.intake.validate import no_usable_rows, reason_counts, validate_rows
from linkage.pipelines import JobResult
from linkage.progress import Stages
from linkage.resolve.clustering import (
    Conflict,
    cluster_with_cannot_link,
    conflicts_of,
    group_min,
)
from linkage.resolve.household_evidence import household_evidence, with_household_evidence
from linkage.resolve.households import household_clusters
from linkage.resolve.keys import person_cnic, roster_keys
from linkage.resolve.scoring import term_frequencies
from linkage.run_folder import RunFolder, open_run, table_path
from linkage.standardise import OUTPUT_DTYPES, standardise
from models.settings import MODEL_COLUMNS
from models.store import for_dialect

log = logging.getLogger(__name__)

#: Outputs of each batch, accumulated over batches with a ``batch`` column.
REGISTRATIONS = "registrations"
MERGED_CLUSTERS = "merged_clusters"
REGISTRATIONS_REJECTED = "registrations_rejected"
#: A clerk's decisions on pairs (``record_id_l``, ``record_id_r``, ``decision``), kept in
#: the run across batches and carried into re-runs (``--previous``).
DECISIONS = "clerical_decisions.csv"
REGISTRATION_STATUSES = ("new_person", "duplicate", "review")
REGISTRATION_COLUMNS = (
    "batch",
    "record_id",
    "status",
    "cluster_id",
    "household_cluster_id",
    "match_probability",
    "matched_record_id",
)
#: Per record of ``records``: the batch that registered it (0: the run itself).
BATCH = "registered_batch"
#: What clustering and ids read of the run's records.
CLUSTER_INPUT = [
    "record_id",
    "roster_key",
    "gender_std",
    "person_cnic",
    "cluster_id",
    "household_cluster_id",
    BATCH,
]


@dataclass
class Registry:
    """A run's records in the engine with its model and term frequencies, ready to score
    new records against (loaded once: no re-reading, no re-training)."""

    run: RunFolder
    engine: Engine
    table: object  # SplinkDataFrame of the run's records
    linker: Linker
    model: dict
    clustering: ClusteringConfig
    tf_tables: dict = field(default_factory=dict)
    _names: Counter = field(default_factory=Counter)
    #: batches in the engine's copy of the run (a batch written by another process
    #: since would be lost by writing from this copy)
    batches: int = 0

    def name(self, stem: str) -> str:
        """A table name not used before on this engine (Splink refuses re-registering)."""
        self._names[stem] += 1
        return f"{stem}_{self._names[stem]}"

    @property
    def db_api(self):
        return self.engine.db_api

    def register(self, frame: pd.DataFrame, stem: str):
        return self.engine.register(frame, self.name(stem))

    def fetch(self, columns: list[str], key: str, values) -> pd.DataFrame:
        """The run's records whose ``key`` is among ``values``, as pandas (a few thousand
        rows of a million: nothing else of the run is read into Python)."""
        values = pd.Series(list(dict.fromkeys(values)), dtype=object).dropna().astype(str)
        if values.empty:
            return pd.DataFrame(columns=columns)
        keys = self.register(pd.DataFrame({"k": values}), "keys")
        cols = ", ".join(f"r.{c}" for c in columns)
        return self.db_api.query_sql(
            f"SELECT {cols} FROM {self.table.physical_name} r "
            f"JOIN {keys.physical_name} k ON r.{key} = k.k",
            output_type="pandas",
        )

    def roster_sizes(self, new_rosters: pd.Series):
        """Records per roster key, the run's and the new ones, for the rosters asked."""

        def sizes(keys: list[str]) -> pd.Series:
            old = self.fetch(["roster_key"], "roster_key", keys)["roster_key"]
            return pd.concat([old, new_rosters[new_rosters.isin(keys)]]).value_counts()

        return sizes

    def score(
        self, new_table, *, within: bool = True, threshold: float | None = None
    ) -> pd.DataFrame:
        """Pairs of ``new_table`` against the run's records (and among themselves), at or
        above ``threshold`` (the run's pairs threshold), as Splink scores them."""
        threshold = self.clustering.pairs_threshold if threshold is None else threshold
        inference = self.linker.inference
        frames = [
            inference.predict_between(
                self.table, new_table, threshold_match_probability=threshold, warning_mode="never"
            ).as_pandas_dataframe()
        ]
        if within:
            frames.append(
                inference.predict_within(
                    new_table, threshold_match_probability=threshold, warning_mode="never"
                ).as_pandas_dataframe()
            )
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else frames_empty(frames)


def frames_empty(_frames) -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "record_id_l",
            "record_id_r",
            "match_probability",
            "match_weight",
            "source_l",
            "source_r",
            "roster_key_l",
            "roster_key_r",
        ]
    )


def run_clustering(run: RunFolder) -> ClusteringConfig:
    """The clustering settings the run used (its summary's thresholds)."""
    t = run.summary.get("thresholds") or {}
    cfg = ClusteringConfig(
        threshold=t.get("cluster"),
        pairs_threshold=t.get("pairs", 0.5),
        household_overlap=t.get("household_overlap", 0.5),
    )
    if cfg.threshold is None:
        raise ConfigError(
            f"{run.path}: its summary.json has no cluster threshold; was it "
            "written by this version?"
        )
    return cfg


def added_columns(run: RunFolder, names) -> dict[str, str]:
    """Model columns a run written by an earlier version lacks (e.g. ``address_signature``),
    with the SQL type to add them as, empty. Its own model never reads them (a model is
    trained with the records it is saved with); one that does is refused."""
    missing = [c for c in MODEL_COLUMNS if c not in set(names)]
    model_sql = json.dumps(run.model)
    read = [c for c in missing if f"{c}_l" in model_sql]
    if read:
        raise ConfigError(
            f"{run.path}: its model compares {', '.join(read)}, which its "
            "records table does not have; re-run the job that wrote it."
        )
    types = {"Int64": "BIGINT", "Float64": "DOUBLE", "boolean": "BOOLEAN"}
    return {c: types.get(OUTPUT_DTYPES.get(c, ""), "STRING") for c in missing}


def load_registry(run: RunFolder, config: DedupeConfig) -> Registry:
    """Load ``run``'s records into the configured engine with its model and frequencies."""
    engine = engine_for(config.backend)
    db_api = engine.db_api
    path = table_path(run.path, RECORDS)
    if path.suffix == ".csv":
        raise ConfigError(
            f"{run.path}: register needs the run's records as Parquet "
            "(the run was written with --format csv)"
        )
    names = pq.read_schema(next(path.glob("*.parquet")) if path.is_dir() else path).names
    add = {} if BATCH in names else {BATCH: "0"}
    add |= {
        column: f"CAST(NULL AS {sql_type})"
        for column, sql_type in added_columns(run, names).items()
    }
    table = engine.load_table(path, "registry", add)
    model = for_dialect(run.model, config.backend.name)
    # the run's model, checked when it was trained: Splink's column checks (a second
    # each, all SQL parsing) would only log
    linker = Linker(table, model, log_level=logging.WARNING, validate_settings=False)
    tf_tables = term_frequencies(db_api, table, model)
    for column, tf in tf_tables.items():
        linker.table_management.register_term_frequency_lookup(tf, column)
    clustering = run_clustering(run)
    clustering.household_evidence = config.clustering.household_evidence
    clustering.anchor_probability = config.clustering.anchor_probability
    clustering.min_anchors = config.clustering.min_anchors
    return Registry(
        run,
        engine,
        table,
        linker,
        model,
        clustering,
        tf_tables,
        batches=len(run.summary.get("registrations", [])),
    )


def standardise_new(records: pd.DataFrame, config: DedupeConfig) -> pd.DataFrame:
    """New records standardised exactly as ``dedupe`` standardises a wave."""
    std = standardise(records, min_year=config.dates.min_year)
    std["roster_key"] = roster_keys(std)
    std["person_cnic"] = person_cnic(std)
    return std


# --- clerical decisions ------------------------------------------------------------------


def read_decisions(run_path: Path) -> pd.DataFrame:
    """The clerk's decisions kept in a run: one row per pair, ``match`` or ``non-match``."""
    path = Path(run_path) / DECISIONS
    if not path.exists():
        return pd.DataFrame(columns=["record_id_l", "record_id_r", "decision"])
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return df[df["decision"].isin(["match", "non-match"])]


def keep_decisions(run_path: Path, labelled: pd.DataFrame) -> pd.DataFrame:
    """Add a labelled review sample's decided pairs to the run's decisions (a later
    decision on a pair replaces an earlier one); returns all decisions kept."""
    decided = labelled.loc[
        labelled["decision"].isin(["match", "non-match"]),
        ["record_id_l", "record_id_r", "decision"],
    ].astype(str)
    decided = decided.assign(decided_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    old = read_decisions(run_path)
    both = pd.concat([old, decided], ignore_index=True)
    key = both[["record_id_l", "record_id_r"]].apply(sorted, axis=1, result_type="expand")
    both = both.loc[~key.duplicated(keep="last").to_numpy()]
    tmp = Path(run_path) / f".{DECISIONS}.tmp"
    both.to_csv(tmp, index=False)
    os.replace(tmp, Path(run_path) / DECISIONS)
    return both


def rejected_conflict(ids: np.ndarray, decisions: pd.DataFrame) -> Conflict | None:
    """A clerk's rejected pairs as a cannot-link: no cluster may hold both sides."""
    rejected = decisions[decisions["decision"] == "non-match"]
    if rejected.empty:
        return None
    tokens: dict[str, set] = {}
    for k, (a, b) in enumerate(zip(rejected["record_id_l"], rejected["record_id_r"], strict=True)):
        tokens.setdefault(a, set()).add((k, 0))
        tokens.setdefault(b, set()).add((k, 1))
    values = np.array(
        [frozenset(tokens[i]) if i in tokens else None for i in ids.tolist()], dtype=object
    )

    def clash(x: frozenset, y: frozenset) -> bool:
        return any((k, 1 - side) in y for k, side in x)

    return Conflict(values, clash)


def decision_edges(decisions: pd.DataFrame, rejected: bool) -> pd.DataFrame:
    """Confirmed pairs as edges that always merge (probability 1), or the rejected ones."""
    want = "non-match" if rejected else "match"
    d = decisions[decisions["decision"] == want]
    return pd.DataFrame(
        {
            "record_id_l": d["record_id_l"].astype(str),
            "record_id_r": d["record_id_r"].astype(str),
            "match_probability": 1.0,
        }
    )


def without_pairs(edges: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """``edges`` less any pair in ``pairs`` (either orientation)."""
    if pairs.empty or edges.empty:
        return edges
    drop = set(zip(pairs["record_id_l"], pairs["record_id_r"], strict=True))
    drop |= {(b, a) for a, b in drop}
    keep = [
        (a, b) not in drop
        for a, b in zip(
            edges["record_id_l"].astype(str), edges["record_id_r"].astype(str), strict=True
        )
    ]
    return edges[np.asarray(keep, dtype=bool)]


# --- the batch ---------------------------------------------------------------------------


@dataclass
class Assigned:
    """What one batch did: the new records' rows of ``records``, every changed id of the
    run's records, the batch's registrations, merged clusters and pairs."""

    new_records: pd.DataFrame
    changed: pd.Series  # record_id -> new cluster_id, for the run's records that moved
    registrations: pd.DataFrame
    merged: pd.DataFrame
    pairs: pd.DataFrame
    households: dict = field(default_factory=dict)


def _household_evidence(
    engine: Engine,
    table,
    predictions: pd.DataFrame,
    model: dict,
    roster_sizes,
    tf_tables: dict,
    *,
    anchor: float,
    min_anchors: int,
) -> tuple[pd.DataFrame, dict]:
    """Households as evidence on the batch's pandas predictions: the pairs and a summary."""
    groups, picked, summary = household_evidence(
        engine,
        table,
        predictions,
        model,
        roster_sizes,
        tf_tables,
        anchor=anchor,
        min_anchors=min_anchors,
    )
    return with_household_evidence(predictions, groups, picked), summary


def _pairs_table(predictions: pd.DataFrame) -> pd.DataFrame:
    """The batch's scored pairs as ``pairs`` holds them: ids, scores, levels; no PII."""
    gammas = sorted(c for c in predictions.columns if c.startswith(("gamma_", "mw_")))
    household = [
        c
        for c in ("person_match_probability", "person_match_weight", "household_evidence")
        if c in predictions.columns
    ]
    cols = [
        "record_id_l",
        "record_id_r",
        "match_weight",
        "match_probability",
        *household,
        "source_l",
        "source_r",
        *gammas,
    ]
    # one sort of the selected columns, no copy before it (``assign`` adds the ids as text)
    pairs = predictions[cols].assign(
        record_id_l=predictions["record_id_l"].astype(str),
        record_id_r=predictions["record_id_r"].astype(str),
    )
    return pairs.sort_values(["record_id_l", "record_id_r"], kind="mergesort", ignore_index=True)


def assign(
    registry: Registry,
    std: pd.DataFrame,
    predictions: pd.DataFrame,
    decisions: pd.DataFrame,
    batch: int,
) -> Assigned:
    """Cluster the new records (``std``) into the run's people and give every cluster
    its id. Only the run's records near a new one are read (``Registry.fetch``)."""
    cfg = registry.clustering
    new_ids = set(std["record_id"].astype(str))
    for side in ("record_id_l", "record_id_r"):
        predictions[side] = predictions[side].astype(str)
    registry_hh: dict = {}
    if cfg.household_evidence and len(predictions):
        predictions, registry_hh = _household_evidence(
            registry.engine,
            union_table(registry, std),
            predictions,
            registry.model,
            registry.roster_sizes(std["roster_key"]),
            registry.tf_tables,
            anchor=cfg.anchor_probability,
            min_anchors=cfg.min_anchors,
        )
    # Only pairs with a new record: the run's own pairs were settled by the run.
    involved = predictions["record_id_l"].isin(new_ids) | predictions["record_id_r"].isin(new_ids)
    predictions = predictions[involved].reset_index(drop=True)
    pairs = _pairs_table(predictions) if len(predictions) else predictions
    edge_cols = ["record_id_l", "record_id_r", "match_probability"]
    confirmed = decision_edges(decisions, rejected=False)
    edges = without_pairs(
        pairs[edge_cols] if len(pairs) else frames_empty(None)[edge_cols],
        decision_edges(decisions, rejected=True),
    )

    # The people the new records reach (strong pairs, or a clerk's confirmed pair).
    strong = edges[edges["match_probability"] >= cfg.threshold]
    reached = {
        *strong["record_id_l"],
        *strong["record_id_r"],
        *confirmed["record_id_l"],
        *confirmed["record_id_r"],
    } - new_ids
    people = registry.fetch(["cluster_id"], "record_id", reached)["cluster_id"]
    old = registry.fetch(CLUSTER_INPUT, "cluster_id", people)
    old["record_id"] = old["record_id"].astype(str)
    subset = pd.concat(
        [
            old[CLUSTER_INPUT[:4] + [BATCH]].assign(person=old["cluster_id"]),
            std[CLUSTER_INPUT[:4]].assign(person=None, **{BATCH: batch}),
        ],
        ignore_index=True,
    )
    subset["record_id"] = subset["record_id"].astype(str)
    conflicts = conflicts_of(subset)
    rc = rejected_conflict(subset["record_id"].to_numpy(), decisions)
    if rc is not None:
        conflicts.append(rc)
    inside = set(subset["record_id"])
    edges = edges[edges["record_id_l"].isin(inside) & edges["record_id_r"].isin(inside)]
    subset["component"] = cluster_with_cannot_link(
        subset["record_id"],
        subset["roster_key"],
        edges,
        cfg.threshold,
        conflicts,
        groups=fixed_groups(subset, confirmed),
    ).to_numpy()

    # ids: a component's oldest existing person id, else its smallest new record id
    ids, merged = component_ids(subset, old, batch)
    subset["cluster_id"] = subset["component"].map(ids)
    is_new = subset["person"].isna().to_numpy()
    moved = subset[~is_new & (subset["person"] != subset["cluster_id"]).to_numpy()]
    changed = pd.Series(moved["cluster_id"].to_numpy(), index=moved["record_id"].to_numpy())

    std = std.copy()
    std["record_id"] = std["record_id"].astype(str)
    std["cluster_id"] = (
        std["record_id"]
        .map(
            pd.Series(
                subset.loc[is_new, "cluster_id"].to_numpy(),
                index=subset.loc[is_new, "record_id"].to_numpy(),
            )
        )
        .to_numpy()
    )
    std["household_cluster_id"] = new_households(registry, old, std, changed, cfg.household_overlap)
    registrations = registration_rows(std, subset, pairs, batch)
    new_rows = std[
        [
            c
            for c in (*MODEL_COLUMNS, "household_id", "cluster_id", "household_cluster_id")
            if c in std.columns
        ]
    ].copy()
    new_rows[BATCH] = batch
    return Assigned(
        new_rows,
        changed,
        registrations,
        pd.DataFrame(merged, columns=["batch", "cluster_id_old", "cluster_id", "records_moved"]),
        pairs,
        registry_hh,
    )


def component_ids(
    subset: pd.DataFrame, old: pd.DataFrame, batch: int
) -> tuple[pd.Series, list[dict]]:
    """The id of each component: its oldest person's (earliest batch, then smallest id),
    else its smallest record id; and the people merged into another."""
    age = old.groupby("cluster_id")[BATCH].min()
    people = subset.loc[subset["person"].notna(), ["component", "person"]].drop_duplicates()
    people = people.assign(age=people["person"].map(age).to_numpy()).sort_values(
        ["component", "age", "person"], kind="mergesort"
    )
    kept = people.drop_duplicates("component").set_index("component")["person"]
    ids = group_min(subset["record_id"], subset["component"])
    ids.update(kept)
    gone = people[people.duplicated("component")]
    sizes = old["cluster_id"].value_counts()
    merged = [
        {
            "batch": batch,
            "cluster_id_old": p,
            "cluster_id": kept[c],
            "records_moved": int(sizes.get(p, 0)),
        }
        for c, p in zip(gone["component"], gone["person"], strict=True)
    ]
    return ids, merged


def fixed_groups(subset: pd.DataFrame, confirmed: pd.DataFrame) -> pd.Series:
    """What the clustering starts from, unchecked: the run's people, joined by the pairs a
    clerk confirmed (a clerk's word beats the roster and conflict rules)."""
    label = subset["person"].where(subset["person"].notna(), "new:" + subset["record_id"])
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    of = dict(zip(subset["record_id"], label, strict=True))
    for a, b in zip(confirmed["record_id_l"], confirmed["record_id_r"], strict=True):
        if a in of and b in of:
            ra, rb = find(of[a]), find(of[b])
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    joined = {find(x) for x in parent}
    root = label.map(find)
    keep = subset["person"].notna() | root.isin(joined)
    return root.where(keep, None)


def union_table(registry: Registry, std: pd.DataFrame):
    """The run's records and the new ones as one engine view (households as evidence
    re-scores members of linked rosters on both sides)."""
    new = registry.register(std[list(MODEL_COLUMNS)], "new_for_households")
    cols = ", ".join(MODEL_COLUMNS)
    name = registry.name("registry_and_new")
    registry.db_api._execute_sql_against_backend(
        f"CREATE OR REPLACE TEMPORARY VIEW {name} AS SELECT {cols} FROM "
        f"{registry.table.physical_name} UNION ALL SELECT {cols} FROM {new.physical_name}"
    )
    return _Named(name)


@dataclass
class _Named:
    physical_name: str


def new_households(
    registry: Registry, old: pd.DataFrame, std: pd.DataFrame, changed: pd.Series, overlap: float
) -> np.ndarray:
    """Household cluster of each new record: an existing household whose people its
    roster shares (``overlap`` of the smaller roster), else its own roster key. The run's
    records keep theirs."""
    people = set(std["cluster_id"])
    now = old["record_id"].map(changed).fillna(old["cluster_id"])
    rosters = set(old.loc[now.isin(people).to_numpy(), "roster_key"])
    members = registry.fetch(
        ["record_id", "roster_key", "cluster_id", "household_cluster_id"], "roster_key", rosters
    )
    members["record_id"] = members["record_id"].astype(str)
    members["cluster_id"] = members["record_id"].map(changed).fillna(members["cluster_id"])
    keys = pd.concat([members["roster_key"], std["roster_key"]], ignore_index=True)
    persons = pd.concat([members["cluster_id"], std["cluster_id"]], ignore_index=True)
    group = household_clusters(keys, persons, overlap=overlap)
    existing = pd.Series(
        members["household_cluster_id"].to_numpy(), index=group[: len(members)].to_numpy()
    )
    oldest = group_min(existing, existing.index)
    return (
        group[len(members) :]
        .map(oldest)
        .fillna(std["roster_key"].reset_index(drop=True))
        .to_numpy()
    )


def registration_rows(
    std: pd.DataFrame, subset: pd.DataFrame, pairs: pd.DataFrame, batch: int
) -> pd.DataFrame:
    """One row per new record: status, ids, its best match and that match's probability."""
    size = subset["cluster_id"].value_counts()
    cluster_of = pd.Series(subset["cluster_id"].to_numpy(), index=subset["record_id"])
    if len(pairs):
        both = pd.concat(
            [
                pairs[["record_id_l", "record_id_r", "match_probability"]].set_axis(
                    ["record_id", "other", "match_probability"], axis=1
                ),
                pairs[["record_id_r", "record_id_l", "match_probability"]].set_axis(
                    ["record_id", "other", "match_probability"], axis=1
                ),
            ],
            ignore_index=True,
        )
        both = both[both["record_id"].isin(std["record_id"])]
        both["same"] = both["record_id"].map(cluster_of) == both["other"].map(cluster_of)
        # a duplicate's match is its best partner in its cluster; anyone else's, the best
        both = both.sort_values(
            ["record_id", "same", "match_probability", "other"],
            ascending=[True, False, False, True],
            kind="mergesort",
        )
        best = both.drop_duplicates("record_id").set_index("record_id")
    else:
        best = pd.DataFrame(columns=["other", "match_probability"])
    out = pd.DataFrame(
        {
            "batch": batch,
            "record_id": std["record_id"].to_numpy(),
            "cluster_id": std["cluster_id"].to_numpy(),
            "household_cluster_id": std["household_cluster_id"].to_numpy(),
        }
    )
    out["match_probability"] = out["record_id"].map(best["match_probability"]).astype(float)
    out["matched_record_id"] = out["record_id"].map(best["other"])
    dup = out["cluster_id"].map(size).fillna(1).to_numpy() > 1
    review = ~dup & out["match_probability"].notna().to_numpy()
    out["status"] = np.where(dup, "duplicate", np.where(review, "review", "new_person"))
    out.loc[out["status"] == "new_person", "matched_record_id"] = None
    return out[list(REGISTRATION_COLUMNS)]


# --- the job -----------------------------------------------------------------------------


def validated(raw: pd.DataFrame, registry: Registry, *, file: str) -> tuple:
    """``raw`` (as ``read_table`` returns it) validated; rows whose record id the run has
    already are rejected too."""
    valid = validate_rows(raw, kind="registry", file=file)
    rows, rejected = valid.rows, valid.rejected
    have = set(
        registry.fetch(["record_id"], "record_id", rows["record_id"])["record_id"].astype(str)
    )
    taken = rows["record_id"].astype(str).isin(have)
    if taken.any():
        rejected = pd.concat(
            [
                rejected,
                rows[taken].assign(
                    reason="duplicate record_id: the registry has a record with this id already"
                ),
            ],
            ignore_index=True,
        )
        rows = rows[~taken].reset_index(drop=True)
    return rows, rejected


def register_records(
    registry: Registry,
    rows: pd.DataFrame,
    config: DedupeConfig,
    *,
    batch: int,
    decisions: pd.DataFrame,
    stages: Stages,
) -> Assigned:
    """Validated new ``rows`` scored against ``registry`` and assigned: the pure middle."""
    with stages.stage("standardise"):
        std = standardise_new(rows, config)
    with stages.stage("score against the registry"):
        new_table = registry.register(std[list(MODEL_COLUMNS)], "new_records")
        predictions = registry.score(new_table)
    with stages.stage("assign people"):
        return assign(registry, std, predictions, decisions, batch)


def run_register(
    new_path,
    into,
    config: DedupeConfig,
    *,
    mapping=None,
    encoding=None,
    sheet=None,
    stages: Stages | None = None,
) -> JobResult:
    """Register the records of ``new_path`` into the run ``into`` and rewrite it atomically.

    ``into`` is locked for the whole batch (:func:`linkage.outputs.output_folder`).
    """
    from linkage.outputs import output_folder

    stages = stages or Stages()
    with output_folder(into, job="register", inputs=[new_path], backend=config.backend):
        run = open_run(into, label="--into")
        with stages.stage("load the registry"):
            registry = load_registry(run, config)
        try:
            with stages.stage("read"):
                raw = read_table(
                    new_path, mapping=mapping, kind="registry", encoding=encoding, sheet=sheet
                )
            return register_into(registry, raw, config, label=str(new_path), stages=stages)
        finally:
            registry.engine.release()


def register_into(
    registry: Registry, raw: pd.DataFrame, config: DedupeConfig, *, label: str, stages: Stages
) -> JobResult:
    """One batch (``raw`` as ``read_table`` returns it) into a loaded registry: validate,
    score, assign, write the run, and bring the engine's copy of the run up to date (the
    desk service registers one record after another into one loaded registry). The
    caller holds the run's lock."""
    started = dt.datetime.now(dt.UTC)
    registry.run = run = open_run(registry.run.path, label="--into")
    previous = run.summary.get("registrations", [])
    if len(previous) != registry.batches:
        raise ConfigError(
            f"{run.path}: another process registered records into this run "
            "since it was loaded here; restart the service to load them "
            "(nothing was written)"
        )
    batch = len(previous) + 1
    with stages.stage("validate"):
        rows, rejected = validated(raw, registry, file=label)
        if rows.empty:
            raise no_usable_rows(label, reason_counts(rejected["reason"]))
    done = register_records(
        registry, rows, config, batch=batch, decisions=read_decisions(run.path), stages=stages
    )
    with stages.stage("write outputs"):
        entry = {
            "batch": batch,
            "input": label,
            "started_at": started.isoformat(timespec="seconds"),
            "version": linkage.__version__,
            "rows_read": int(len(raw)),
            "rows_used": int(len(rows)),
            "rows_rejected": int(len(rejected)),
            "rejected_by_reason": reason_counts(rejected["reason"]) if len(rejected) else {},
            "status": {k: int(v) for k, v in done.registrations["status"].value_counts().items()},
            "merged_clusters": int(len(done.merged)),
            "household_evidence": done.households,
        }
        write_batch(registry, done, rejected, entry, stages)
    absorb(registry, done)
    registry.batches = batch
    return JobResult(
        tables={
            REGISTRATIONS: done.registrations,
            MERGED_CLUSTERS: done.merged,
            "new_records": done.new_records,
            "changed": done.changed,
        },
        summary=entry,
        model_json=(run.path / MODEL).read_text("utf-8"),
        stages=stages,
    )


def absorb(registry: Registry, done: Assigned) -> None:
    """The batch into the engine's copy of the run's records (the desk service registers
    one record after another into one loaded registry)."""
    registry.table = registry.engine.absorb(
        registry.table, done.new_records, _moves(done.changed), registry.name("registry")
    )


def _moves(changed: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"record_id": changed.index.astype(str), "cluster_id": changed.to_numpy()})


def write_batch(
    registry: Registry, done: Assigned, rejected: pd.DataFrame, entry: dict, stages: Stages
) -> None:
    """Write the run again with the batch in, atomically: records and clusters with the
    moved ids and the new records, pairs, the batch tables and ``summary.json``; every
    other file of the run (golden records, rejected, the service's folder, the clerk's
    decisions) is carried over as it is."""
    run, batch, engine = registry.run, entry["batch"], registry.engine
    moves = _moves(done.changed)
    tables: dict = {
        RECORDS: engine.table_with(registry.table, done.new_records, moves=moves),
        CLUSTERS: engine.table_with(
            registry.table, done.new_records, moves=moves, columns=CLUSTER_COLUMNS
        ),
    }
    counts = registry.db_api.query_sql(
        f"SELECT count(*) AS n, count(DISTINCT cluster_id) AS p, "
        f"count(DISTINCT household_cluster_id) AS h FROM {registry.table.physical_name}",
        output_type="pandas",
    ).iloc[0]
    n, people, households = (int(counts["n"]), int(counts["p"]), int(counts["h"]))
    if len(done.pairs):
        old = table_path(run.path, PAIRS)
        tables[PAIRS] = done.pairs if old is None else engine.table_with(old, done.pairs)
    rej = rejected.assign(batch=batch)
    rej = rej[[c for c in ("batch", "input_row", "record_id", "reason") if c in rej]].astype(
        {"record_id": str, "reason": str}
    )
    for name, frame in (
        (REGISTRATIONS, done.registrations),
        (MERGED_CLUSTERS, done.merged),
        (REGISTRATIONS_REJECTED, rej),
    ):
        old = table_path(run.path, name)
        tables[name] = frame if old is None else engine.table_with(old, frame)
    summary = dict(run.summary)
    new_people = int((done.registrations["status"] != "duplicate").sum())
    summary["records"] = n + len(done.new_records)
    summary["person_clusters"] = people + new_people - len(done.merged)
    hh = set(done.new_records["household_cluster_id"])
    known = set(
        registry.fetch(["household_cluster_id"], "household_cluster_id", hh)["household_cluster_id"]
    )
    summary["household_clusters"] = households + len(hh - known)
    entry["timings_s"] = dict(stages.timings)
    summary["registrations"] = [*run.summary.get("registrations", []), entry]
    keep = [
        p.name
        for p in run.path.iterdir()
        if p.name not in (SUMMARY, MODEL, RUN_MARKER)
        and not p.name.startswith(".")
        and p.name.split(".")[0] not in tables
    ]
    engine.write(
        run.path,
        tables,
        summary=summary,
        model_json=(run.path / MODEL).read_text("utf-8"),
        fmt="parquet",
        job="register",
        carry_over=keep,
    )


CLUSTER_COLUMNS = ("record_id", "source", "cluster_id", "household_cluster_id")
