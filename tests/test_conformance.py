"""One suite, every engine: each job on small generated data, its outputs compared table
by table between DuckDB and Spark.

Known differences, marked here rather than hidden:
- row order: DuckDB writes rows in a defined order, Spark's part files have none, so
  tables are compared sorted by their keys;
- types on disk: Spark writes some columns as text that DuckDB writes as numbers or
  flags, so values are compared as text (floats rounded to 6 decimals);
- the model: the engines sample pairs differently when training, so both engines load
  the one model trained here (``model.json`` is then written in each engine's SQL
  dialect: its fingerprint differs);
- ``backend``, ``started_at`` and ``timings_s`` in ``summary.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from linkage.config import BackendConfig, DedupeConfig, LinkWavesConfig
from linkage.engines.spark import java_major_version
from linkage.partner_config import MatchPartnerConfig
from linkage.pipelines.dedupe import run_dedupe
from linkage.pipelines.link_waves import run_link_waves
from linkage.pipelines.match_partner import run_match_partner
from linkage.progress import Stages

SPARK = pytest.param(
    "spark",
    marks=[
        pytest.mark.spark,
        pytest.mark.skipif((java_major_version() or 0) < 17, reason="Java 17 is not installed"),
    ],
)
ENGINES = ["duckdb", SPARK]

#: job -> table -> the columns that identify a row
TABLES = {
    "dedupe": {
        "clusters": ["record_id"],
        "pairs": ["record_id_l", "record_id_r"],
        "golden_records": ["cluster_id"],
        "records": ["record_id"],
        "rejected": ["input_row"],
    },
    # a re-run that keeps an earlier run's ids and a clerk's decisions (``previous``)
    "dedupe --previous": {
        "clusters": ["record_id"],
        "pairs": ["record_id_l", "record_id_r"],
        "golden_records": ["cluster_id"],
        "records": ["record_id"],
        "rejected": ["input_row"],
    },
    "link-waves": {
        "clusters": ["record_id"],
        "pairs": ["record_id_l", "record_id_r"],
        "golden_records": ["cluster_id"],
        "household_golden_records": ["household_cluster_id"],
        "household_links": ["household_id_old", "household_id_new", "link_type"],
        "updates": ["household_id", "record_id", "field"],
        "records": ["record_id"],
        "rejected": ["wave", "input_row"],
    },
    "match-partner": {
        "matches": ["record_id"],
        "pairs": ["record_id_l", "record_id_r"],
        "unregistered": ["record_id"],
        "unregistered_by_place": ["district", "tehsil", "union_council"],
        "partner_feedback": ["input_row"],
        "rejected": ["input_row"],
    },
}
#: summary.json keys that differ by nature between engines (see the module docstring)
_VOLATILE = {"backend", "started_at", "timings_s", "fingerprint"}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    from evaluation.synthetic import generate

    out = tmp_path_factory.mktemp("conformance-data")
    generate(households=300, seed=5, out=out)
    wave = pd.read_csv(out / "wave_2021.csv", dtype=str, keep_default_na=False)
    bad = wave.head(2).copy()
    bad["record_id"] = ["bad-1", ""]  # a row with no id is rejected on every engine
    bad.loc[bad.index[0], ["full_name", "cnic"]] = ["", ""]
    pd.concat([wave, bad]).to_csv(out / "wave_2021.csv", index=False)
    return out


@pytest.fixture(scope="module")
def model(first_run) -> Path:
    """One model for every engine (training samples differ between engines), trained on
    the session's larger wave: 300 households are too few to train names and birth dates
    (a model of CNICs alone would find no duplicates to compare)."""
    return first_run[0] / "model.json"


@pytest.fixture(scope="module")
def partner_model(data, tmp_path_factory) -> Path:
    """match-partner's model, trained on the 300 households themselves: with the session's
    model its Spark scoring broadcasts more than a JVM shared with the other Spark tests
    has room for (see tests/conftest.py); this one still finds the partner's people."""
    out = tmp_path_factory.mktemp("conformance-partner-model") / "run"
    run_dedupe(data / "wave_2021.csv", out, DedupeConfig(), stages=Stages(show=False))
    return out / "model.json"


@pytest.fixture(scope="module")
def previous(data, model, tmp_path_factory) -> Path:
    """An earlier run of the wave (on DuckDB) for ``--previous``: its ids
    renamed (a re-run must give them back), a tenth of its records left out (their
    clusters take ids of their own), and a clerk's rejection of a pair it merged."""
    run = tmp_path_factory.mktemp("conformance-previous") / "run"
    run_dedupe(
        data / "wave_2021.csv", run, DedupeConfig(), model_path=model, stages=Stages(show=False)
    )
    first = pd.read_parquet(run / "clusters.parquet")
    clusters = first.copy()
    clusters = clusters.assign(
        cluster_id="P-" + clusters["cluster_id"].astype(str),
        household_cluster_id="H-" + clusters["household_cluster_id"].astype(str),
    )
    clusters.iloc[::10].pipe(lambda kept: clusters.drop(kept.index)).to_parquet(
        run / "clusters.parquet", index=False
    )
    pairs = pd.read_parquet(run / "pairs.parquet")
    of = first.set_index("record_id")["cluster_id"]
    size = of.value_counts()
    same = pairs[
        (pairs["record_id_l"].map(of) == pairs["record_id_r"].map(of))
        & (pairs["record_id_l"].map(of).map(size) == 2)
    ]
    rejected = same.sort_values("match_probability").tail(1)
    rejected[["record_id_l", "record_id_r"]].assign(decision="non-match").to_csv(
        run / "clerical_decisions.csv", index=False
    )
    return run


def _backend(engine: str) -> BackendConfig:
    if engine == "spark":
        return BackendConfig(name="spark", spark_master="local[2]", spark_shuffle_partitions=2)
    return BackendConfig(threads=1)


def _run_all(
    engine: str, data: Path, model: Path, partner_model: Path, previous: Path, root: Path
) -> dict[str, Path]:
    backend, quiet = _backend(engine), Stages(show=False)
    waves = [str(data / "wave_2011.csv"), str(data / "wave_2021.csv")]
    runs = {job: root / job.replace(" --", "-") for job in TABLES}
    # first: in one Spark session each job leaves a few hundred MB live in the JVM (not
    # what it cached, which it releases; see tests/conftest.py), and match-partner's
    # scoring broadcasts need the room
    run_match_partner(
        waves,
        str(data / "partner_flood_2022.csv"),
        str(runs["match-partner"]),
        MatchPartnerConfig(backend=backend),
        model_path=partner_model,
        stages=quiet,
    )
    run_dedupe(
        str(data / "wave_2021.csv"),
        str(runs["dedupe"]),
        DedupeConfig(backend=backend),
        model_path=model,
        stages=quiet,
    )
    run_link_waves(
        waves,
        str(runs["link-waves"]),
        LinkWavesConfig(backend=backend),
        model_path=model,
        stages=quiet,
    )
    run_dedupe(
        str(data / "wave_2021.csv"),
        str(runs["dedupe --previous"]),
        DedupeConfig(backend=backend),
        model_path=model,
        stages=quiet,
        previous=previous,
    )
    return runs


@pytest.fixture(scope="module")
def duckdb_runs(data, model, partner_model, previous, tmp_path_factory):
    root = tmp_path_factory.mktemp("conformance-duckdb")
    return _run_all("duckdb", data, model, partner_model, previous, root)


@pytest.fixture(scope="module")
def spark_runs(data, model, partner_model, previous, tmp_path_factory):
    pytest.importorskip("pyspark")
    root = tmp_path_factory.mktemp("conformance-spark")
    return _run_all("spark", data, model, partner_model, previous, root)


def _rounded(col: pd.Series) -> pd.Series:
    """Floats to 6 decimals; whole floats as integers (a bigint Spark brought through
    pandas as float64 would gain digits from rounding at 1e15)."""
    if col.dtype.kind != "f":
        return col
    known = col.dropna()
    return col.astype("Int64") if (known == known.round()).all() else col.round(6)


def _table(run: Path, name: str, keys: list[str]) -> pd.DataFrame:
    """A written table (a file on DuckDB, a folder of part files on Spark) as text."""
    # Nullable dtypes: a 64-bit integer column with nulls (address_signature) read as
    # float would lose its low bits.
    frame = pd.read_parquet(run / f"{name}.parquet", dtype_backend="numpy_nullable")
    text = frame.apply(_rounded)
    text = (
        text.astype(object)
        .where(text.notna(), None)
        .map(lambda v: None if v is None else str(v).removesuffix(".0"))
    )
    return text.sort_values(keys, na_position="first").reset_index(drop=True)


def _summary(run: Path) -> dict:
    return json.loads((run / "summary.json").read_text())


def _shape(value, path=""):
    """Keys and value types of a summary, nested; volatile keys left out."""
    if isinstance(value, dict):
        return {k: _shape(v, f"{path}.{k}") for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_shape(v, path) for v in value]
    return value


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("job", list(TABLES))
def test_every_job_writes_its_tables_and_says_its_backend(request, engine, job):
    run = request.getfixturevalue(f"{engine}_runs")[job]
    summary = _summary(run)
    assert summary["backend"] == engine
    assert summary["job"] == job.split()[0]
    assert summary["model"]["trained_here"] is False
    for name in TABLES[job]:
        assert (run / f"{name}.parquet").exists(), name
    waves = summary.get("input", {}).get("waves") or summary.get("registry", {}).get("waves")
    for order, wave in enumerate(waves or []):
        assert wave["wave_order"] == order  # one type on every engine: an integer
    rows = summary["input"]
    assert rows["rows_read"] == rows["rows_used"] + rows["rows_rejected"]
    assert len(pd.read_parquet(run / "rejected.parquet")) == rows["rows_rejected"]


@pytest.mark.spark
@pytest.mark.parametrize(("job", "name"), [(j, t) for j in TABLES for t in TABLES[j]])
@pytest.mark.skipif((java_major_version() or 0) < 17, reason="Java 17 is not installed")
def test_spark_writes_duckdbs_tables(duckdb_runs, spark_runs, job, name):
    keys = TABLES[job][name]
    duck = _table(duckdb_runs[job], name, keys)
    spark = _table(spark_runs[job], name, keys)
    assert sorted(duck.columns) == sorted(spark.columns)
    pd.testing.assert_frame_equal(duck, spark[duck.columns])


@pytest.mark.spark
@pytest.mark.parametrize("job", list(TABLES))
@pytest.mark.skipif((java_major_version() or 0) < 17, reason="Java 17 is not installed")
def test_spark_writes_duckdbs_summary(duckdb_runs, spark_runs, job):
    assert _shape(_summary(spark_runs[job])) == _shape(_summary(duckdb_runs[job]))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("job", list(TABLES))
def test_the_report_reads_every_engines_run(request, engine, job, tmp_path):
    """``nser-link report`` on a run folder: Spark writes each table as a folder of part
    files, DuckDB as one file."""
    from typer.testing import CliRunner

    from linkage.cli import app

    run = request.getfixturevalue(f"{engine}_runs")[job]
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(run), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rerun_keeps_the_previous_ids_and_the_clerks_word(request, engine, previous):
    """On every engine: each cluster that shares records with an earlier one takes its id,
    the rest their own, and the pair the clerk rejected is apart."""
    run = request.getfixturevalue(f"{engine}_runs")["dedupe --previous"]
    now = pd.read_parquet(run / "clusters.parquet")
    old = pd.read_parquet(previous / "clusters.parquet").set_index("record_id")
    now = now.assign(old=now["record_id"].map(old["cluster_id"]))
    kept = now.dropna(subset=["old"])
    assert (kept["cluster_id"] == kept["old"]).mean() > 0.95
    unseen = now.groupby("cluster_id")["old"].transform("count") == 0
    assert unseen.sum() > 10 and not now.loc[unseen, "cluster_id"].str.startswith("P-").any()
    assert kept["household_cluster_id"].str.startswith("H-").mean() > 0.95
    clerk = pd.read_csv(previous / "clerical_decisions.csv")
    of = now.set_index("record_id")["cluster_id"]
    assert len(clerk) == 1
    assert of[clerk["record_id_l"].iloc[0]] != of[clerk["record_id_r"].iloc[0]]
