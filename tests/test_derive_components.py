"""The claim that lets Spark derive link-waves' tables on its executors: every table of
``derive_tables`` depends only on the connected component of records joined by one
person cluster or one roster of one wave (``CLOSED_UNDER``). Checked on generated waves
with people linked by the truth (no model): the tables derived per batch of whole
components are the tables derived from all records, row for row; and on Spark, through
the engine's ``derive`` (components by Splink's connected components, batches run by
``applyInPandas``), against DuckDB's."""

from functools import partial

import numpy as np
import pandas as pd
import pytest
from graph_labels import component_labels

from linkage.config import BackendConfig, LinkWavesConfig
from linkage.engines.spark import java_major_version
from linkage.pipelines.link_waves import CLOSED_UNDER, derive_tables
from linkage.resolve.keys import with_person_keys
from linkage.standardise import standardise

ORDER = pd.Series({0: "wave_2011", 1: "wave_2021"})


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> pd.DataFrame:
    """Two generated waves, standardised, each person's records one cluster (its truth
    id, named by its smallest record id as the engine names clusters)."""
    from evaluation.synthetic import generate

    out = tmp_path_factory.mktemp("derive-components")
    generate(households=150, seed=11, out=out)
    truth = (
        pd.read_csv(out / "truth.csv", dtype=str)
        .drop_duplicates("record_id")
        .set_index("record_id")["person_id"]
    )
    frames = []
    for order, wave in ORDER.items():
        raw = pd.read_csv(out / f"{wave}.csv", dtype=str)
        std = with_person_keys(standardise(raw))
        frames.append(std.assign(wave=wave, wave_order=order))
    std = pd.concat(frames, ignore_index=True)
    person = std["record_id"].map(truth)
    std["cluster_id"] = std.groupby(person)["record_id"].transform("min")
    return std


def components(std: pd.DataFrame) -> np.ndarray:
    """A component label per record: connected through person clusters and wave rosters."""
    edges = [
        (("p", person), ("r", wave, roster))
        for person, wave, roster in zip(
            std["cluster_id"], std["wave"], std["roster_key"], strict=True
        )
    ]
    return component_labels(edges, (("p", p) for p in std["cluster_id"]))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows as text in one order (a count Spark hands back as 3.0 is DuckDB's 3)."""
    text = (
        frame.astype(object)
        .where(frame.notna(), None)
        .map(lambda v: None if v is None else str(v).removesuffix(".0"))
    )
    return text.sort_values(list(text.columns), na_position="first").reset_index(drop=True)


def test_tables_of_batches_of_whole_components_are_the_tables_of_all(records):
    config = LinkWavesConfig()
    whole = derive_tables(records.copy(), config, ORDER)
    label = components(records)
    assert 50 < len(set(label)) < len(records)  # many components, most of several records
    batch = pd.factorize(label)[0] % 7
    parts = [
        derive_tables(records[batch == b].copy().reset_index(drop=True), config, ORDER)
        for b in range(7)
    ]
    for name, table in whole.items():
        assert len(table), name
        joined = pd.concat([p[name] for p in parts], ignore_index=True)
        pd.testing.assert_frame_equal(_sorted(joined), _sorted(table), obj=name)


def test_a_batch_holding_one_wave_or_nothing_derives_empty_or_partial_tables(records):
    config = LinkWavesConfig()
    only_2011 = derive_tables(records[records["wave_order"] == 0].copy(), config, ORDER)
    links = only_2011["household_links"]
    assert len(links) and set(links["link_type"]) == {"dissolved"}
    empty = derive_tables(records.head(0).copy(), config, ORDER)
    assert all(len(t) == 0 for t in empty.values())
    assert set(empty) == set(only_2011)


@pytest.mark.spark
@pytest.mark.skipif((java_major_version() or 0) < 17, reason="Java 17 is not installed")
def test_spark_derives_per_batch_on_its_executors_what_duckdb_derives(records):
    """``SparkEngine.derive`` with batches of about 300 records (several batches, each a
    set of whole components found by Splink's connected components) gives DuckDB's
    tables; the records reach ``derive_tables`` only inside ``applyInPandas``."""
    pytest.importorskip("pyspark")
    from linkage.engines import engine_for

    config = LinkWavesConfig()
    fn = partial(derive_tables, config=config, order=ORDER)
    # Text columns as text (as Spark holds them), so both engines start from one input.
    records = records.copy()
    for c in records.select_dtypes(include="object").columns:
        records[c] = records[c].map(lambda v: None if pd.isna(v) else str(v))
    duck = engine_for(BackendConfig(threads=1)).derive(
        records.copy(), fn, closed_under=CLOSED_UNDER
    )
    spark = engine_for(
        BackendConfig(
            name="spark", spark_master="local[2]", spark_shuffle_partitions=2, derive_batch_rows=300
        )
    )
    tables = spark.derive(spark.from_pandas(records), fn, closed_under=CLOSED_UNDER)
    for name, table in duck.items():
        got = tables[name].toPandas()
        assert sorted(got.columns) == sorted(table.columns), name
        pd.testing.assert_frame_equal(_sorted(got[list(table.columns)]), _sorted(table), obj=name)

    # What each run of the function saw: on the driver only the no-record run that types
    # the tables; on the workers batches of whole components, together every record once.
    seen_here = []

    def probe(batch: pd.DataFrame) -> dict[str, pd.DataFrame]:
        seen_here.append(len(batch))
        return {
            "batches": pd.DataFrame(
                {"rows": [len(batch)], "people": [batch["cluster_id"].nunique()]}
            )
        }

    seen = spark.derive(spark.from_pandas(records), probe, closed_under=CLOSED_UNDER)[
        "batches"
    ].toPandas()
    assert seen_here == [0]
    assert len(seen) > 1 and seen["rows"].sum() == len(records)
    assert seen["rows"].max() < len(records)
    assert seen["people"].sum() == records["cluster_id"].nunique()  # no person split
