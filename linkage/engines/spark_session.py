"""Starting Spark for the engine: the Java check, the session, Splink's jar."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile

from linkage.config import BackendConfig
from linkage.errors import ConfigError


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
