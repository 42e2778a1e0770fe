"""The Spark driver's memory for dedupe and link-waves (issue 14): it must not grow with
the input.

Each run is this script in its own process: the job as a user runs it (CSV in, output
folder out, ``backend: spark``, ``local[2]``), then one JSON line. On Spark the driver is
this Python process; its peak resident memory is ``ru_maxrss`` of
``getrusage(RUSAGE_SELF)``, which does not count the JVM (a child process: Spark's
executors run in it in local mode, and the pandas work of ``mapInPandas`` and
``applyInPandas`` in Python workers it starts). The JVM's own peak is printed beside it
(``VmHWM`` of the java child, read before the session stops), for context only.

Usage::

    PYSPARK_SUBMIT_ARGS="--driver-memory 6g pyspark-shell" \\
    .venv/bin/python benchmarks/driver_memory.py dedupe OUT wave_2021.csv --model model.json
    .venv/bin/python benchmarks/driver_memory.py link-waves OUT wave_2011.csv wave_2021.csv \\
        --model model.json

A saved model (``--model``) skips training, as the conformance tests do: training on
Spark at a million records takes longer than this machine's time allows, and what it
brings to the driver (parameters, a few sampled counts) does not grow with the input.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from pathlib import Path


def _jvm_peak_mb() -> float | None:
    """Peak RSS of this process's java child (Spark's JVM), from /proc."""
    me = str(os.getpid())
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == me and fields.get("Name", "").strip() == "java":
            return round(int(fields["VmHWM"].split()[0]) / 1024, 1)
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("job", choices=["dedupe", "link-waves"])
    parser.add_argument("out")
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--model")
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args()

    from linkage.config import BackendConfig, DedupeConfig, LinkWavesConfig
    from linkage.pipelines.dedupe import run_dedupe
    from linkage.pipelines.link_waves import run_link_waves
    from linkage.progress import Stages

    backend = BackendConfig(
        name="spark", spark_master="local[2]", spark_shuffle_partitions=args.partitions
    )
    load_before = os.getloadavg()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    stages = Stages(show=False)
    if args.job == "dedupe":
        result = run_dedupe(
            args.inputs[0],
            args.out,
            DedupeConfig(backend=backend),
            model_path=args.model,
            stages=stages,
        )
    else:
        result = run_link_waves(
            args.inputs,
            args.out,
            LinkWavesConfig(backend=backend),
            model_path=args.model,
            stages=stages,
        )
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "job": args.job,
                "inputs": args.inputs,
                "records": result.summary["input"]["rows_used"],
                "driver_peak_rss_mb": round(peak / 1024, 1),
                "driver_rss_after_imports_mb": round(rss_before / 1024, 1),
                "jvm_peak_rss_mb": _jvm_peak_mb(),
                "wall_s": round(wall, 1),
                "stages_s": {k: round(v, 1) for k, v in stages.timings.items()},
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "spark_submit_args": os.environ.get("PYSPARK_SUBMIT_ARGS"),
            }
        ),
        flush=True,
    )
    shutil.rmtree(args.out, ignore_errors=True)


if __name__ == "__main__":
    main()
