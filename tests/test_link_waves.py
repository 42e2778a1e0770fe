"""link-waves end to end: generated waves with an accuracy floor, bad input, and Spark
giving DuckDB's answers."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from evaluation.lineage_truth import score_lineage, score_people
from linkage.cli import app
from linkage.config import LinkWavesConfig
from linkage.engines.spark import java_major_version
from linkage.errors import ConfigError, InputError
from linkage.pipelines.link_waves import run_link_waves
from linkage.progress import Stages

OUTPUTS = (
    "clusters",
    "pairs",
    "golden_records",
    "household_golden_records",
    "household_links",
    "updates",
    "rejected",
)


@pytest.fixture(scope="module")
def waves(generated, tmp_path_factory):
    """The session's generated waves, three bad rows added to the 2011 one."""
    out = tmp_path_factory.mktemp("waves")
    w11 = pd.read_csv(generated / "wave_2011.csv", dtype=str, keep_default_na=False)
    bad = w11.head(2).copy()
    bad["record_id"] = ["bad-1", "bad-2"]
    bad.loc[bad.index[0], "household_id"] = ""
    bad.loc[bad.index[1], ["full_name", "cnic"]] = ["", ""]
    pd.concat([w11, bad]).to_csv(out / "wave_2011.csv", index=False)
    (out / "wave_2021.csv").write_bytes((generated / "wave_2021.csv").read_bytes())
    return out


@pytest.fixture(scope="module")
def linked(waves, tmp_path_factory):
    out = tmp_path_factory.mktemp("linked") / "run"
    result = run_link_waves(
        [waves / "wave_2011.csv", waves / "wave_2021.csv"],
        out,
        LinkWavesConfig(),
        stages=Stages(show=False),
    )
    return out, result


def test_people_and_households_are_linked_across_waves(generated, waves, linked):
    out, result = linked
    truth = pd.read_csv(generated / "truth.csv", dtype=str)
    overall, cross = score_people(pd.read_parquet(out / "clusters.parquet"), truth)
    assert cross.f1 >= 0.95 and overall.precision >= 0.98
    frames = {n: pd.read_csv(waves / f"{n}.csv", dtype=str) for n in ("wave_2011", "wave_2021")}
    lineage = score_lineage(
        pd.read_parquet(out / "household_links.parquet"), truth, frames, "wave_2011", "wave_2021"
    )
    assert lineage.type_accuracy >= 0.95
    assert {"same", "split", "dissolved"} <= set(lineage.by_type)


def test_every_output_is_written_and_every_row_accounted_for(waves, linked):
    out, result = linked
    for name in OUTPUTS:
        assert (out / f"{name}.parquet").exists(), name
    summary = json.loads((out / "summary.json").read_text())
    rows = sum(len(pd.read_csv(waves / f)) for f in ("wave_2011.csv", "wave_2021.csv"))
    clusters = pd.read_parquet(out / "clusters.parquet")
    rejected = pd.read_parquet(out / "rejected.parquet")
    assert summary["input"]["rows_read"] == rows == len(clusters) + len(rejected)
    assert set(rejected["record_id"].dropna()) >= {"bad-2"} and len(rejected) == 2
    assert set(rejected["wave"]) == {"wave_2011"}
    assert summary["people_in_several_waves"] > 0
    assert sum(summary["updates"]["by_field"].values()) == len(
        pd.read_parquet(out / "updates.parquet")
    )
    assert set(summary["lineage"]["wave_2011->wave_2021"]) == {
        "same",
        "split",
        "merged",
        "dissolved",
        "new",
    }


def test_outputs_carry_no_raw_names_in_pairs_or_links(waves, linked):
    out, _ = linked
    names = set(pd.read_csv(waves / "wave_2021.csv", dtype=str)["full_name"].dropna())
    for table in ("pairs", "household_links"):
        frame = pd.read_parquet(out / f"{table}.parquet").astype(str)
        assert not names & set(frame.to_numpy().ravel()), table


def test_updates_point_at_the_older_households(waves, linked):
    out, _ = linked
    updates = pd.read_parquet(out / "updates.parquet")
    old_ids = set(pd.read_csv(waves / "wave_2011.csv", dtype=str)["household_id"])
    household_rows = updates[updates["record_id"].isna()]
    assert len(household_rows) and set(household_rows["household_id"]) <= old_ids
    assert {"household_size", "membership", "date_of_birth"} <= set(updates["field"])


# --- bad input -------------------------------------------------------------------------


def _write(path, frame):
    frame.to_csv(path, index=False)
    return path


def _small(generated, tmp_path):
    w11 = pd.read_csv(generated / "wave_2011.csv", dtype=str)
    w21 = pd.read_csv(generated / "wave_2021.csv", dtype=str)
    return w11, w21


def test_waves_with_different_columns_are_linked_and_the_gap_is_reported(generated, tmp_path):
    w11, w21 = _small(generated, tmp_path)
    w11 = w11.drop(columns=["phone", "address"]).assign(enumerator="E-7")
    result = run_link_waves(
        [_write(tmp_path / "a.csv", w11), _write(tmp_path / "b.csv", w21)],
        tmp_path / "out",
        LinkWavesConfig(),
        stages=Stages(show=False),
    )
    waves = {w["wave"]: w for w in result.summary["input"]["waves"]}
    assert waves["a"]["columns_missing"] == ["address", "phone"]
    assert waves["b"]["columns_missing"] == ["enumerator"]
    assert len(result.tables["clusters"]) == len(w11) + len(w21)


def test_overlapping_record_ids_are_qualified_by_wave(generated, tmp_path):
    w11, w21 = _small(generated, tmp_path)
    w11["record_id"] = [f"r{i}" for i in range(len(w11))]
    w21["record_id"] = [f"r{i}" for i in range(len(w21))]
    result = run_link_waves(
        [_write(tmp_path / "old.csv", w11), _write(tmp_path / "new.csv", w21)],
        tmp_path / "out",
        LinkWavesConfig(),
        stages=Stages(show=False),
    )
    clusters = result.tables["clusters"]
    assert result.summary["input"]["record_ids_qualified"] is True
    assert clusters["record_id"].is_unique and len(clusters) == len(w11) + len(w21)
    assert clusters.loc[clusters["wave"] == "old", "record_id"].str.startswith("old:").all()


def test_an_empty_wave_is_refused_by_name(generated, tmp_path):
    w11, w21 = _small(generated, tmp_path)
    empty = _write(tmp_path / "wave_2024.csv", w21.head(0))
    with pytest.raises(InputError, match="wave_2024.csv.*no rows"):
        run_link_waves([generated / "wave_2011.csv", empty], tmp_path / "out", LinkWavesConfig())
    assert not (tmp_path / "out").exists()


def test_a_wave_with_no_usable_row_is_refused(generated, tmp_path):
    w11, w21 = _small(generated, tmp_path)
    useless = w21.head(5).assign(full_name=None, cnic=None)
    # the reasons, counted, as dedupe and match-partner give them
    with pytest.raises(
        InputError,
        match=r"none of its 5 rows can be used \(5 rows "
        r"rejected: 5 no name and no CNIC",
    ):
        run_link_waves(
            [generated / "wave_2011.csv", _write(tmp_path / "x.csv", useless)],
            tmp_path / "out",
            LinkWavesConfig(),
        )


def test_one_wave_is_not_enough(generated, tmp_path):
    with pytest.raises(ConfigError, match="at least two waves"):
        run_link_waves([generated / "wave_2011.csv"], tmp_path / "out", LinkWavesConfig())


def test_cli_reports_bad_input_without_a_traceback(generated, tmp_path):
    (tmp_path / "empty.csv").write_text("record_id,household_id\n")
    result = CliRunner().invoke(
        app,
        [
            "link-waves",
            str(generated / "wave_2011.csv"),
            str(tmp_path / "empty.csv"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_cli_scores_people_and_lineage_against_the_truth(generated, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "link-waves",
            str(generated / "wave_2011.csv"),
            str(generated / "wave_2021.csv"),
            "--out",
            str(tmp_path / "o"),
            "--truth",
            str(generated / "truth.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "person F1, across waves" in result.output
    assert "lineage right, wave_2011->wave_2021" in result.output


# --- Spark gives DuckDB's answers --------------------------------------------------------


@pytest.mark.spark
@pytest.mark.skipif((java_major_version() or 0) < 17, reason="Java 17 is not installed")
def test_spark_links_waves_as_duckdb_does(tmp_path):
    pytest.importorskip("pyspark")
    from evaluation.synthetic import generate
    from linkage.config import BackendConfig

    generate(households=400, seed=5, out=tmp_path)
    paths = [tmp_path / "wave_2011.csv", tmp_path / "wave_2021.csv"]
    duck = run_link_waves(paths, tmp_path / "duck", LinkWavesConfig(), stages=Stages(show=False))
    config = LinkWavesConfig(
        backend=BackendConfig(name="spark", spark_master="local[2]", spark_shuffle_partitions=4)
    )
    run_link_waves(
        [str(p) for p in paths],
        tmp_path / "spark",
        config,
        model_path=tmp_path / "duck" / "model.json",
        stages=Stages(show=False),
    )

    def read(run, name, keys):
        return (
            pd.read_parquet(tmp_path / run / f"{name}.parquet")
            .astype(str)
            .sort_values(keys)
            .reset_index(drop=True)
        )

    for name, keys, cols in (
        ("clusters", ["record_id"], ["record_id", "cluster_id", "household_cluster_id"]),
        (
            "household_links",
            ["household_id_old", "household_id_new"],
            ["household_id_old", "household_id_new", "link_type", "members_carried"],
        ),
        (
            "updates",
            ["household_id", "record_id", "field"],
            ["household_id", "record_id", "field", "old_value", "new_value", "flag"],
        ),
    ):
        d, s = read("duck", name, keys)[cols], read("spark", name, keys)[cols]
        pd.testing.assert_frame_equal(d, s, check_dtype=False)
    summary = json.loads((tmp_path / "spark" / "summary.json").read_text())
    assert summary["backend"] == "spark"
    assert summary["lineage"] == duck.summary["lineage"]
