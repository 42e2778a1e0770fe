"""``register`` on the Spark backend gives DuckDB's answers (needs pyspark and Java 17)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from linkage.engines.spark_session import java_major_version

pyspark = pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif((java_major_version() or 0) < 17, reason="Java 17 is not installed"),
]


def test_register_on_spark_matches_duckdb(generated, first_run, tmp_path):
    """The session's wave less its 2024 desk registrations, deduped with the session
    run's model; two batches of those registrations registered on each backend into one
    loaded registry (the second scored against the first, absorbed by the engine)."""
    from linkage.config import BackendConfig, DedupeConfig
    from linkage.intake.io import read_table
    from linkage.pipelines.dedupe import run_dedupe
    from linkage.progress import Stages
    from linkage.register import load_registry, register_into
    from linkage.run_folder import open_run

    wave = pd.read_csv(generated / "wave_2021.csv", dtype=str, keep_default_na=False)
    later = wave["source"] == "dynamic_2024"
    wave[~later].to_csv(tmp_path / "base.csv", index=False)
    batch = wave[later].head(40)
    for k, part in enumerate((batch.iloc[:20], batch.iloc[20:])):
        part.to_csv(tmp_path / f"batch{k}.csv", index=False)
    base = tmp_path / "base"
    run_dedupe(
        tmp_path / "base.csv",
        base,
        DedupeConfig(),
        model_path=first_run[0] / "model.json",
        stages=Stages(show=False),
    )
    runs = {}
    for name, backend in (
        ("duckdb", BackendConfig()),
        ("spark", BackendConfig(name="spark", spark_master="local[2]", spark_shuffle_partitions=2)),
    ):
        runs[name] = tmp_path / name
        shutil.copytree(base, runs[name])
        config = DedupeConfig(backend=backend)
        registry = load_registry(open_run(runs[name]), config)
        for k in range(2):
            raw = read_table(tmp_path / f"batch{k}.csv", kind="registry")
            register_into(registry, raw, config, label=f"batch{k}.csv", stages=Stages(show=False))
    cols = ["batch", "record_id", "status", "cluster_id", "matched_record_id"]
    duck, spark = (
        pd.read_parquet(runs[n] / "registrations.parquet")[cols]
        .sort_values("record_id")
        .reset_index(drop=True)
        for n in runs
    )
    assert len(duck) == len(batch) and (duck["status"] == "duplicate").sum() > 30
    assert set(duck["batch"]) == {1, 2}
    pd.testing.assert_frame_equal(duck, spark)
    clusters = {
        n: open_run(p).clusters.set_index("record_id")["cluster_id"].sort_index()
        for n, p in runs.items()
    }
    pd.testing.assert_series_equal(clusters["duckdb"], clusters["spark"])
    summaries = {n: open_run(p).summary for n, p in runs.items()}
    for key in ("records", "person_clusters", "household_clusters"):
        assert summaries["duckdb"][key] == summaries["spark"][key], key
    assert summaries["spark"]["records"] == len(open_run(base).clusters) + len(batch)
