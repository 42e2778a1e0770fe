"""The Spark backend gives the DuckDB default's answers (needs pyspark and Java 17)."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from linkage.engines.spark import java_major_version

pyspark = pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif((java_major_version() or 0) < 17, reason="Java 17 is not installed"),
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from evaluation.synthetic import generate

    out = tmp_path_factory.mktemp("spark-data")
    generate(households=700, seed=11, out=out)
    wave = pd.read_csv(out / "wave_2021.csv", dtype=str, keep_default_na=False)
    bad = wave.head(3).copy()
    bad["record_id"] = ["bad-1", "bad-2", "bad-3"]
    bad.loc[bad.index[0], "household_id"] = ""  # no household
    bad.loc[bad.index[1], ["full_name", "cnic"]] = ["", ""]  # nothing to match on
    bad.loc[bad.index[2], "record_id"] = ""  # no id
    pd.concat([wave, bad]).to_csv(out / "wave_2021.csv", index=False)
    return out


@pytest.fixture(scope="module")
def duckdb_run(generated, tmp_path_factory):
    from linkage.config import DedupeConfig
    from linkage.pipelines.dedupe import run_dedupe

    out = tmp_path_factory.mktemp("duck") / "run"
    run_dedupe(generated / "wave_2021.csv", out, DedupeConfig())
    return out


@pytest.fixture(scope="module")
def spark_run(generated, duckdb_run, tmp_path_factory):
    """One Spark session for the module: local[2], few partitions, the DuckDB model."""
    from linkage.config import BackendConfig, DedupeConfig
    from linkage.pipelines.dedupe import run_dedupe

    config = DedupeConfig(
        backend=BackendConfig(name="spark", spark_master="local[2]", spark_shuffle_partitions=4)
    )
    out = tmp_path_factory.mktemp("spark") / "run"
    run_dedupe(generated / "wave_2021.csv", out, config, model_path=duckdb_run / "model.json")
    return out


def test_same_pairs_and_probabilities_as_duckdb(duckdb_run, spark_run):
    duck = pd.read_parquet(duckdb_run / "pairs.parquet")
    spark = pd.read_parquet(spark_run / "pairs.parquet")
    merged = duck.merge(
        spark,
        on=["record_id_l", "record_id_r"],
        how="outer",
        suffixes=("_duck", "_spark"),
        indicator=True,
    )
    assert len(duck) > 20
    assert (merged["_merge"] == "both").all()
    diff = (merged["match_probability_duck"] - merged["match_probability_spark"]).abs()
    assert diff.max() <= 1e-6


def test_same_clusters_as_duckdb(duckdb_run, spark_run):
    duck = pd.read_parquet(duckdb_run / "clusters.parquet").set_index("record_id")
    spark = pd.read_parquet(spark_run / "clusters.parquet").set_index("record_id")
    spark = spark.loc[duck.index]
    # every pair co-clustered on one backend is co-clustered on the other: with the
    # smallest record id as cluster id, that means equal ids
    assert (duck["cluster_id"] == spark["cluster_id"]).all()
    assert (duck["household_cluster_id"] == spark["household_cluster_id"]).all()
    assert duck["cluster_id"].nunique() < len(duck)  # duplicates were found at all


def test_same_golden_records_as_duckdb(duckdb_run, spark_run):
    # values, not pandas dtypes: DuckDB's file says its text is pandas' string dtype
    # (NA for blanks), Spark's file carries no pandas metadata (object, None)
    duck, spark = (
        _plain(pd.read_parquet(run / "golden_records.parquet")).set_index("cluster_id")
        for run in (duckdb_run, spark_run)
    )
    assert set(duck.columns) == set(spark.columns)
    spark = spark.loc[duck.index, duck.columns]
    assert (duck.astype(str) == spark.astype(str)).all().all()


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None)


def test_bad_rows_are_rejected_on_spark_too(spark_run, duckdb_run):
    duck = json.loads((duckdb_run / "summary.json").read_text())["input"]
    spark = json.loads((spark_run / "summary.json").read_text())["input"]
    for key in ("rows_read", "rows_used", "rows_rejected", "rejected_by_reason"):
        assert duck[key] == spark[key]


def test_the_spark_run_records_its_model(spark_run, duckdb_run):
    summary = json.loads((spark_run / "summary.json").read_text())
    assert summary["model"]["trained_here"] is False
    saved = json.loads((spark_run / "model.json").read_text())
    assert saved["sql_dialect"] == "spark"


def test_missing_java_is_one_clear_sentence(tmp_path):
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java"), "PATH": str(tmp_path)}
    code = (
        "from linkage.engines.spark import spark_session\n"
        "from linkage.config import BackendConfig\n"
        "spark_session(BackendConfig(name='spark'))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    assert "Java 17 not found: install openjdk-17-jre-headless or set JAVA_HOME" in proc.stderr


def test_spark_submit_runs_the_job_script(generated, duckdb_run, tmp_path):
    from splink.backends.spark import similarity_jar_location

    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    bin_dir = os.path.dirname(sys.executable)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }
    proc = subprocess.run(
        [
            os.path.join(bin_dir, "spark-submit"),
            "--master",
            "local[2]",
            "--jars",
            similarity_jar_location(),
            "jobs/dedupe.py",
            str(generated / "wave_2021.csv"),
            "--out",
            str(tmp_path / "submitted"),
            "--config",
            "jobs/examples/dedupe.yaml",
            "--model",
            str(duckdb_run / "model.json"),
            # the example config's threshold is for its own data: compare at the DuckDB run's
            "--threshold",
            str(json.loads((duckdb_run / "summary.json").read_text())["thresholds"]["cluster"]),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    duck = pd.read_parquet(duckdb_run / "clusters.parquet").set_index("record_id")
    submitted = pd.read_parquet(tmp_path / "submitted" / "clusters.parquet")
    submitted = submitted.set_index("record_id").loc[duck.index]
    assert (duck["cluster_id"] == submitted["cluster_id"]).all()


def test_a_file_that_is_not_utf8_is_refused_on_spark_too(spark_run, tmp_path):
    from linkage.config import BackendConfig, DedupeConfig
    from linkage.errors import InputError
    from linkage.pipelines.dedupe import run_dedupe

    bad = tmp_path / "cp1252.csv"
    bad.write_bytes("record_id,household_id,full_name\nr1,h1,Caf\xe9 Ali\n".encode("cp1252"))
    config = DedupeConfig(backend=BackendConfig(name="spark", spark_master="local[2]"))
    with pytest.raises(InputError, match="not valid UTF-8"):
        run_dedupe(bad, tmp_path / "out", config)
    assert not (tmp_path / "out").exists()


def test_same_data_quality_flags_as_duckdb(duckdb_run, spark_run):
    duck = json.loads((duckdb_run / "summary.json").read_text())["flags"]
    spark = json.loads((spark_run / "summary.json").read_text())["flags"]
    assert duck == spark and duck["dob_year_only"] > 0
