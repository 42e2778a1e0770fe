"""One generated wave and one dedupe run, shared by the test modules that need them.

Generating and deduping takes seconds; doing it once per session keeps the suite
fast. Modules that write into a run folder (the review saves its scores there) work on
their own copy (``run``).
"""

import os
import shutil

import pytest

# All Spark tests of one xdist worker share one local JVM, whose default 1 GB heap the
# register, conformance and dedupe tests together outgrow (an OutOfMemoryError there
# stops the session for every later test of that worker). Each job leaves a few hundred
# MB live in that JVM even after it released what it cached (Spark's own state of the
# finished queries; measured with jmap, not found to be ours), so the conformance suite's
# match-partner, after two jobs scored with the session's model, needs more than 3 GB.
# Broadcast joins off: Spark builds a broadcast on the driver's heap, which the earlier
# tests' jobs have filled (a sort-merge join gives the same rows).
os.environ.setdefault(
    "PYSPARK_SUBMIT_ARGS",
    "--driver-memory 4g --conf spark.sql.autoBroadcastJoinThreshold=-1 pyspark-shell",
)

from evaluation.synthetic import generate
from linkage.config import DedupeConfig
from linkage.pipelines.dedupe import run_dedupe


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    generate(households=1500, seed=3, out=out)
    return out


@pytest.fixture(scope="session")
def first_run(generated, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "first"
    result = run_dedupe(generated / "wave_2021.csv", out, DedupeConfig())
    return out, result


@pytest.fixture(scope="module")
def run(generated, first_run, tmp_path_factory):
    """(data folder, a copy of the first run's output folder that this module owns)."""
    copy = tmp_path_factory.mktemp("run-copy") / "dedupe"
    shutil.copytree(first_run[0], copy)
    return generated, copy
