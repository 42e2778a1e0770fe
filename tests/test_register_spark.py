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
    run's model; a batch of those registrations registered on each backend."""
    from linkage.config import BackendConfig, DedupeConfig
    from linkage.pipelines.dedupe import run_dedupe
    from linkage.progress import Stages
    from linkage.register import run_register
    from linkage.run_folder import open_run

    wave = pd.read_csv(generated / "wave_2021.csv", dtype=str, keep_default_na=False)
    later = wave["source"] == "dynamic_2024"
    wave[~later].to_csv(tmp_path / "base.csv", index=False)
    batch = wave[later].head(40)
    batch.to_csv(tmp_path / "batch.csv", index=False)
    base = tmp_path / "base"
    run_dedupe(tmp_path / "base.csv", base, DedupeConfig(),
               model_path=first_run[0] / "model.json", stages=Stages(show=False))
    runs = {}
    for name, backend in (("duckdb", BackendConfig()), ("spark", BackendConfig(
            name="spark", spark_master="local[2]", spark_shuffle_partitions=2))):
        runs[name] = tmp_path / name
        shutil.copytree(base, runs[name])
        run_register(tmp_path / "batch.csv", runs[name], DedupeConfig(backend=backend),
                     stages=Stages(show=False))
    cols = ["record_id", "status", "cluster_id", "matched_record_id"]
    duck, spark = (pd.read_parquet(runs[n] / "registrations.parquet")[cols]
                   .sort_values("record_id").reset_index(drop=True) for n in runs)
    assert len(duck) == len(batch) and (duck["status"] == "duplicate").sum() > 30
    pd.testing.assert_frame_equal(duck, spark)
    clusters = {n: open_run(p).clusters.set_index("record_id")["cluster_id"].sort_index()
                for n, p in runs.items()}
    pd.testing.assert_series_equal(clusters["duckdb"], clusters["spark"])
