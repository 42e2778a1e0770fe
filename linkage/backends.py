"""The one place where backends differ: creating the engine and its Splink database API.

Everything else talks to tables through Splink or SQL that runs on every backend.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile

import duckdb
import pandas as pd
from splink import DuckDBAPI

from linkage.config import BackendConfig
from linkage.errors import ConfigError


def duckdb_connection(cfg: BackendConfig) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB sized from the config (threads, memory limit, spill folder and
    its size)."""
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(cfg.threads or os.cpu_count() or 1)}")
    if cfg.memory_limit:
        con.execute("SET memory_limit = ?", [cfg.memory_limit])
    if cfg.temp_directory:
        con.execute("SET temp_directory = ?", [cfg.temp_directory])
    if cfg.max_temp_directory_size:
        con.execute("SET max_temp_directory_size = ?", [cfg.max_temp_directory_size])
    # Rows come back in insertion order for queries without ORDER BY: reproducible runs.
    con.execute("SET preserve_insertion_order = true")
    return con


def java_major_version() -> int | None:
    """The major version of the Java that Spark would start, or None when there is none."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major


def spark_session(cfg: BackendConfig):
    """The running Spark session (spark-submit's), or a new one set up for Splink.

    Checks Java first, so a missing JDK is one clear sentence instead of a Py4J trace.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            "the Spark backend needs pyspark: pip install 'nser-linkage[spark]'."
        ) from None
    from splink.backends.spark import similarity_jar_location

    active = SparkSession.getActiveSession()
    if active is None:
        version = java_major_version()
        if version is None or version < 17:
            found = "not found" if version is None else f"is Java {version}"
            raise ConfigError(
                f"Java 17 {found}: install openjdk-17-jre-headless or set JAVA_HOME to a "
                "Java 17 (or newer) installation."
            )
        # Python workers (mapInPandas) must run this interpreter, which has pandas.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        builder = SparkSession.builder
        if cfg.spark_master:
            builder = builder.master(cfg.spark_master)
        active = (
            builder.appName("nser-linkage")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", str(cfg.spark_shuffle_partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        active.sparkContext.setLogLevel("ERROR")
    checkpoints = cfg.spark_checkpoint_dir or tempfile.mkdtemp(prefix="nser-spark-ckpt-")
    active.sparkContext.setCheckpointDir(checkpoints)
    return active


def make_db_api(cfg: BackendConfig):
    """Splink's database API for the configured backend."""
    if cfg.name == "spark":
        from splink import SparkAPI

        api = SparkAPI(spark_session=spark_session(cfg))
        _check_similarity_jar(api.spark)
        return api
    return DuckDBAPI(connection=duckdb_connection(cfg))


def _check_similarity_jar(spark) -> None:
    """Splink's string-similarity functions live in a jar; without it predict fails late."""
    try:
        spark.sql("SELECT damerau_levenshtein('a', 'b')").collect()
    except Exception:  # any failure here means the functions are not there
        from splink.backends.spark import similarity_jar_location

        raise ConfigError(
            "Splink's similarity functions are not on Spark's classpath. With spark-submit, "
            f"pass --jars {similarity_jar_location()} (the jar ships in the splink package)."
        ) from None


def register_frame(db_api, frame, table_name: str):
    """Register a pandas (or, on Spark, a Spark) frame as an engine table, nulls as SQL
    NULL on every engine. On Spark a view of that name left by an earlier job in the
    same session is replaced: sessions are shared within a process."""
    if type(db_api).__name__ == "SparkAPI":
        from linkage.spark_frames import from_pandas

        db_api.spark.catalog.dropTempView(table_name)
        if isinstance(frame, pd.DataFrame):
            frame = from_pandas(db_api.spark, frame)
    return db_api.register(frame, table_name=table_name)
