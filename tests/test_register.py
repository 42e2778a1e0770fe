"""``nser-link register``: batches of later registrations give the same people as a
one-shot dedupe, existing ids stay put, and a clerk's decisions hold.

The wave is the session's generated one (``tests/conftest.py``): the base is everything
but the 2024 desk registrations, which come in five batches of whole households. The
base run uses the one-shot run's model, so the comparison is of registering against
re-running, not of two models trained on different records.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from evaluation.metrics import read_truth, score_clusters
from linkage.config import DedupeConfig
from linkage.pipelines.dedupe import run_dedupe
from linkage.progress import Stages
from linkage.register import (
    MERGED_CLUSTERS,
    REGISTRATION_STATUSES,
    REGISTRATIONS,
    keep_decisions,
    run_register,
)
from linkage.run_folder import open_run
from tests.reliability.hostile_files import run_cli


@pytest.fixture(scope="module")
def split(generated, first_run, tmp_path_factory):
    """(base run, the five batch files, the one-shot run) in a folder this module owns."""
    folder = tmp_path_factory.mktemp("register")
    wave = pd.read_csv(generated / "wave_2021.csv", dtype=str, keep_default_na=False)
    later = wave["source"] == "dynamic_2024"
    wave[~later].to_csv(folder / "base.csv", index=False)
    households = wave.loc[later, "household_id"].drop_duplicates().to_numpy()
    batches = []
    for i, part in enumerate(np.array_split(households, 5), start=1):
        path = folder / f"batch{i}.csv"
        wave[later & wave["household_id"].isin(part)].to_csv(path, index=False)
        batches.append(path)
    base = folder / "base"
    run_dedupe(
        folder / "base.csv",
        base,
        DedupeConfig(),
        model_path=first_run[0] / "model.json",
        stages=Stages(show=False),
    )
    return base, batches, first_run[0]


@pytest.fixture(scope="module")
def registered(split, tmp_path_factory):
    """The base run with the five batches registered one after another."""
    base, batches, _ = split
    run = tmp_path_factory.mktemp("batches") / "run"
    shutil.copytree(base, run)
    summaries = [
        run_register(b, run, DedupeConfig(), stages=Stages(show=False)).summary for b in batches
    ]
    return run, summaries


def clusters_of(run) -> pd.Series:
    return open_run(run).clusters.set_index("record_id")["cluster_id"]


def test_batches_give_the_people_of_a_one_shot_run(registered, split, generated):
    run, summaries = registered
    truth = read_truth(generated / "truth.csv")
    one_shot = clusters_of(split[2])
    batched = clusters_of(run)
    assert set(batched.index) == set(one_shot.index)  # every record registered, once
    truth = truth.loc[one_shot.index]
    f1_batched = score_clusters(batched, truth).f1
    f1_one_shot = score_clusters(one_shot, truth).f1
    assert f1_batched >= f1_one_shot - 0.005, (f1_batched, f1_one_shot)
    # the desk registrations are mostly people registered already
    assert sum(s["status"].get("duplicate", 0) for s in summaries) > 0.5 * sum(
        s["rows_used"] for s in summaries
    )


def test_base_records_keep_their_ids_unless_merged(registered, split):
    run, _ = registered
    before = clusters_of(split[0])
    after = clusters_of(run).loc[before.index]
    merged = open_run(run).summary  # the summary lists each batch
    assert [r["batch"] for r in merged["registrations"]] == [1, 2, 3, 4, 5]
    moved = before[after != before]
    gone = set(pd.read_parquet(run / f"{MERGED_CLUSTERS}.parquet")["cluster_id_old"])
    assert set(moved) <= gone


def test_registrations_table(registered, split):
    run, _ = registered
    reg = pd.read_parquet(run / f"{REGISTRATIONS}.parquet")
    new_ids = pd.concat(pd.read_csv(b, dtype=str)["record_id"] for b in split[1])
    assert sorted(reg["record_id"]) == sorted(new_ids)
    assert set(reg["status"]) <= set(REGISTRATION_STATUSES)
    assert sorted(reg["batch"].unique()) == [1, 2, 3, 4, 5]
    clusters = clusters_of(run)
    dup = reg[reg["status"] == "duplicate"]
    # a duplicate's match is a record of its own person
    assert (clusters.loc[dup["matched_record_id"]].to_numpy() == dup["cluster_id"].to_numpy()).all()
    assert (dup["match_probability"] >= open_run(run).summary["thresholds"]["cluster"]).all()
    records = open_run(run).records.set_index("record_id")
    assert (
        records.loc[reg["record_id"], "registered_batch"].to_numpy() == reg["batch"].to_numpy()
    ).all()


def test_clerk_decisions_hold(split, tmp_path):
    base, batches, _ = split
    run = tmp_path / "run"
    shutil.copytree(base, run)
    # What the first batch would do without the clerk.
    trial = tmp_path / "trial"
    shutil.copytree(base, trial)
    first = run_register(batches[0], trial, DedupeConfig(), stages=Stages(show=False))
    dup = first.tables[REGISTRATIONS].query("status == 'duplicate'").iloc[0]
    # Two people of the base, of two households, that the model keeps apart.
    people = clusters_of(base)
    records = open_run(base).records.set_index("record_id")
    firsts = records.loc[people.drop_duplicates().index].drop_duplicates("roster_key")
    a, b = firsts.index[:2]
    keep_decisions(
        run,
        pd.DataFrame(
            {
                "record_id_l": [dup["record_id"], a],
                "record_id_r": [dup["matched_record_id"], b],
                "decision": ["non-match", "match"],
            }
        ),
    )
    run_register(batches[0], run, DedupeConfig(), stages=Stages(show=False))
    after = clusters_of(run)
    assert after[dup["record_id"]] != after[dup["matched_record_id"]]  # rejected: apart
    assert after[a] == after[b]  # confirmed: one person, the change listed
    merged = pd.read_parquet(run / f"{MERGED_CLUSTERS}.parquet")
    assert {people[a], people[b]} == {*merged["cluster_id_old"], *merged["cluster_id"]}


def test_known_ids_are_rejected_and_other_files_kept(split, tmp_path):
    base, batches, _ = split
    run = tmp_path / "run"
    shutil.copytree(base, run)
    (run / "service").mkdir()
    (run / "service" / "tokens.json").write_text('{"tokens": []}')
    batch = pd.read_csv(batches[1], dtype=str, keep_default_na=False)
    known = open_run(run).records["record_id"].iloc[:2].tolist()
    again = pd.concat([batch, batch.iloc[:2].assign(record_id=known)])
    again.to_csv(tmp_path / "again.csv", index=False)
    result = run_cli("register", tmp_path / "again.csv", "--into", run)
    assert result.code == 0, result.err
    s = open_run(run).summary["registrations"][-1]
    assert s["rows_rejected"] == 2 and s["rows_used"] == len(batch)
    assert "already" in next(iter(s["rejected_by_reason"]))
    rejected = pd.read_parquet(run / "registrations_rejected.parquet")
    assert sorted(rejected["record_id"]) == sorted(known)
    # files the batch does not rewrite are carried over
    assert (run / "service" / "tokens.json").exists()
    assert (run / "golden_records.parquet").exists() and (run / "rejected.parquet").exists()
    assert len(open_run(run).records) == len(open_run(base).records) + len(batch)


def test_rerun_with_previous_keeps_ids_decisions_and_the_service_folder(split, generated, tmp_path):
    """A full re-run of the whole wave into the base run's own folder, ``--previous`` it."""
    from linkage.service.tokens import TokenStore

    base, _, one_shot = split
    run = tmp_path / "run"
    shutil.copytree(base, run)
    token = TokenStore(run).add("desk-1", "desk")
    before = clusters_of(run)
    # a pair the one-shot run merges, both in the base: the clerk says no
    people = clusters_of(one_shot)
    sizes = people.groupby(people).size()
    in_base = people[people.isin(sizes.index[sizes == 2]) & people.index.isin(before.index)]
    a, b = in_base[in_base == in_base.iloc[0]].index
    assert people[a] == people[b]
    keep_decisions(
        run, pd.DataFrame({"record_id_l": [a], "record_id_r": [b], "decision": ["non-match"]})
    )
    run_dedupe(
        generated / "wave_2021.csv",
        run,
        DedupeConfig(),
        model_path=one_shot / "model.json",
        previous=run,
        stages=Stages(show=False),
    )
    after = clusters_of(run)
    assert after[a] != after[b]  # the clerk's rejection holds in a re-run
    kept = (after.loc[before.index] == before).mean()
    assert kept > 0.99, kept
    # the same people as the one-shot run, but for the rejected pair: only names differ
    truthlike = people.copy()
    truthlike[b] = "split-" + b
    assert score_clusters(after, truthlike).f1 == 1.0
    assert after.groupby(after).size().max() == people.groupby(people).size().max()
    assert TokenStore(run).authenticate(token) is not None  # service/ carried over
    assert (run / "clerical_decisions.csv").exists()


def test_a_run_written_before_address_signature_takes_registrations(split, tmp_path):
    """Runs of the previous release have no ``address_signature`` in ``records`` and a
    model that never reads it: the column is added empty. A model that reads a column
    its records lack is refused in one paragraph."""
    base, batches, _ = split
    run = tmp_path / "old"
    shutil.copytree(base, run)
    records = pd.read_parquet(run / "records.parquet").drop(columns=["address_signature"])
    records.to_parquet(run / "records.parquet", index=False)
    refused = run_cli("register", batches[0], "--into", run)
    assert refused.code == 2 and "address_signature" in refused.err
    assert "Traceback" not in refused.err
    model = (run / "model.json").read_text()
    signed = "(address_signature_l & address_signature_r) <> 0 AND "
    assert signed in model
    (run / "model.json").write_text(model.replace(signed, ""))
    result = run_cli("register", batches[0], "--into", run)
    assert result.code == 0, result.err
    assert len(open_run(run).records) == len(records) + len(
        pd.read_csv(batches[0], dtype=str, keep_default_na=False)
    )


def test_batches_into_one_loaded_registry_match_batches_loaded_each_time(
    registered, split, tmp_path
):
    """The desk service keeps one registry loaded and registers into it batch after batch
    (each absorbed by the engine, households as evidence re-run each time): the same
    registrations and people as loading the run again for every batch."""
    from linkage.intake.io import read_table
    from linkage.register import load_registry, register_into

    base, batches, _ = split
    run = tmp_path / "run"
    shutil.copytree(base, run)
    registry = load_registry(open_run(run), DedupeConfig())
    for path in batches:
        register_into(
            registry,
            read_table(path, kind="registry"),
            DedupeConfig(),
            label=str(path),
            stages=Stages(show=False),
        )
    cols = ["batch", "record_id", "status", "cluster_id", "matched_record_id"]
    loaded_once, each_time = (
        pd.read_parquet(r / "registrations.parquet")[cols]
        .sort_values("record_id")
        .reset_index(drop=True)
        for r in (run, registered[0])
    )
    pd.testing.assert_frame_equal(loaded_once, each_time)
    pd.testing.assert_series_equal(
        clusters_of(run).sort_index(), clusters_of(registered[0]).sort_index()
    )
