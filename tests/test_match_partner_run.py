"""match-partner --registry RUN: the run's records and model, nothing re-read or re-trained."""

from __future__ import annotations

import json

import pandas as pd

from linkage.partner_config import MatchPartnerConfig
from linkage.pipelines.match_partner_run import match_partner_list as run_match_partner
from tests.reliability.hostile_files import run_cli


def test_cli_matches_against_a_run_with_its_model(generated, first_run, tmp_path):
    run = first_run[0]
    partner = generated / "partner_flood_2022.csv"
    result = run_cli(
        "match-partner", "--registry", run, "--partner", partner, "--out", tmp_path / "m"
    )
    assert result.code == 0, result.err
    summary = json.loads((tmp_path / "m" / "summary.json").read_text())
    assert summary["model"]["trained_here"] is False
    assert summary["model"]["loaded_from"].endswith("model.json")
    assert summary["registry"]["run_job"] == "dedupe"
    records = pd.read_parquet(run / "records.parquet")
    assert summary["registry"]["records_used"] == len(records)
    feedback = pd.read_csv(tmp_path / "m" / "partner_feedback.csv", dtype=str, encoding="utf-8-sig")
    rows = len(pd.read_csv(partner, dtype=str))
    assert len(feedback) == rows  # every partner row is answered
    matched = feedback[feedback["status"] == "matched"]
    assert len(matched) > rows / 2
    # households named are the run's own
    assert set(matched["registry_household_id"]) <= set(records["household_id"].astype(str))
    # the library call gives the same file: the portal uses it
    run_match_partner([str(run)], str(partner), tmp_path / "lib", MatchPartnerConfig())
    assert (tmp_path / "lib" / "partner_feedback.csv").read_bytes() == (
        tmp_path / "m" / "partner_feedback.csv"
    ).read_bytes()


def test_a_run_registry_refuses_another_model(generated, first_run, tmp_path):
    run = first_run[0]
    result = run_cli(
        "match-partner",
        "--registry",
        run,
        "--partner",
        generated / "partner_flood_2022.csv",
        "--model",
        run / "model.json",
        "--out",
        tmp_path / "m",
    )
    assert result.code == 2 and "run folder" in result.err


def test_the_candidates_people_come_from_the_runs_clusters():
    from linkage.derive.partner_matching import registry_people
    from linkage.pipelines.match_partner_run import run_same_person

    registry = pd.DataFrame(
        {
            "record_id": ["a", "b", "c", "d"],
            "source": ["survey_2011", "dynamic_2024", "survey_2021", "survey_2021"],
            "roster_key": ["s|1", "d|9", "s|2", "s|3"],
            "household_id": ["1", "9", "2", "3"],
            "wave_order": [0, 0, 0, 0],
        }
    )
    clusters = pd.Series(["a", "a", "c", "d"])  # a and b: one person in the run
    pairs = pd.DataFrame(
        {"record_id_l": ["p1", "p2"], "record_id_r": ["a", "d"], "match_probability": [0.9, 0.1]}
    )
    same = run_same_person(pairs, registry, clusters, review_threshold=0.3)
    assert same[["record_id_l", "record_id_r"]].values.tolist() == [["a", "b"]]
    pairs = pairs.assign(
        **{
            f"{c}_r": registry.set_index("record_id").loc[pairs["record_id_r"], c].to_numpy()
            for c in ("source", "roster_key", "household_id", "wave_order")
        }
    )
    people = registry_people(pairs, same, 0.9).set_index("record_id")
    # a's person is found by the run; its newest record is b (2024)
    assert people.loc["a", "newest_record_id"] == "b"
    assert people.loc["d", "newest_record_id"] == "d"
