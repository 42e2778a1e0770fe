"""End-to-end benchmark: nser-linkage and its peers on one generated NSER wave per size.

Why this shape:

* Data come from the project's generator (``evaluation.synthetic``), so every run has a
  truth file and the speed figures carry their F1 with them: a faster run that links
  less is not faster. Data are cached under ``data/bench/`` (generation is not timed).
* Each tool runs in its own subprocess, so one run's memory does not inflate the next
  one's peak RSS and every run starts cold. The child measures its own stages
  (``benchmarks/measure.py``) and prints one JSON line.
* nser-linkage runs exactly as a user runs it: ``run_dedupe`` from the CSV to the
  output folder, default ``DedupeConfig()``. Its wall time includes reading,
  validating, standardising, counting comparisons, training, scoring, clustering,
  golden records and writing; Python start-up and imports are excluded for every tool.
* Peers (``benchmarks/peers.py``): the strong generic Splink configuration of issue 13
  (no Pakistan-specific table), plain Splink from its tutorial, and recordlinkage.
* Then, unless ``--skip-public``, the public FEBRL benchmarks (``benchmarks/public.py``).

Results: ``benchmarks/results/<date>-<size>.json`` and the generated tables in
``BENCHMARKS.md`` (between the ``bench:`` markers; the prose around them is kept).

Usage::

    .venv/bin/python benchmarks/run.py                  # 10k, 20k households, 100k, 1M rows
    .venv/bin/python benchmarks/run.py --quick          # 10k only: a smoke run
    .venv/bin/python benchmarks/run.py --sizes 1M --skip-peers --skip-public
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DATA = ROOT / "data" / "bench"
REPORT = ROOT / "BENCHMARKS.md"

#: wave_2021 person rows per generated household (141,825 rows from 20,000 households).
ROWS_PER_HOUSEHOLD = 7.09
SIZES = {
    "10k": 10_000,
    "20k": 20_000,
    "20kh": 141_800,
    "100k": 100_000,
    "200k": 200_000,
    "1M": 1_000_000,
    "5M": 5_000_000,
}
#: Sizes given in households: "20kh" is the README's 20,000-household wave (``make demo``).
HOUSEHOLDS = {"20kh": 20_000}
#: Settings of runs over 2M rows (a user deduping a large province would set the same).
LARGE = {"max_comparisons": 600_000_000, "memory_limit": "4GB"}
#: recordlinkage compares pair by pair in Python; beyond this it runs for hours.
RECORDLINKAGE_MAX_ROWS = 100_000
STRONG = "strong generic splink"
TOOLS = ("nser-linkage", STRONG, "plain splink", "recordlinkage")
#: --spark: the same job on DuckDB and on a local Spark session (issue 3's comparison).
SPARK = "nser-linkage on spark local[2]"
SPARK_TOOLS = ("nser-linkage", SPARK)


# --- child processes: one run each, JSON on the last stdout line ------------------------


def _score(labels, truth_path: str) -> dict:
    """Pairwise and B-cubed scores of cluster labels (indexed by record id) on wave_2021."""
    import pandas as pd

    from evaluation.metrics import score_clusters

    truth = pd.read_csv(truth_path, dtype=str, usecols=["record_id", "file", "person_id"])
    truth = truth[truth["file"] == "wave_2021"].set_index("record_id")["person_id"]
    scores = score_clusters(labels, truth).as_dict()
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}


def child(tool: str, input_path: str, truth_path: str, size: str = "") -> dict:
    from measure import MeasuredStages, stopwatch

    stages = MeasuredStages()
    jvm_peak_mb = 0.0
    if tool in ("nser-linkage", SPARK):
        import pandas as pd

        from linkage.config import BackendConfig, DedupeConfig
        from linkage.errors import NserLinkError
        from linkage.pipelines.dedupe import run_dedupe

        config = DedupeConfig()
        if SIZES.get(size, 0) > 2_000_000:
            # Beyond a province's size the default comparison budget refuses the job
            # (about 336M comparisons at 5M rows) and DuckDB should spill, not grow.
            config.blocking.max_comparisons = LARGE["max_comparisons"]
            config.backend.memory_limit = LARGE["memory_limit"]
        if tool == SPARK:
            config.backend = BackendConfig(
                name="spark", spark_master="local[2]", spark_shuffle_partitions=8
            )
        out = Path(tempfile.mkdtemp(prefix="nser-bench-")) / "run"
        try:
            with stopwatch() as wall:
                result = run_dedupe(input_path, out, config, stages=stages)
            clusters = pd.read_parquet(out / "clusters.parquet")
            if tool == SPARK:
                jvm_peak_mb = _jvm_peak_mb()
        except NserLinkError as exc:  # e.g. the comparison budget: a finding, not a crash
            return {**stages.report(wall["s"]), "error": str(exc)}
        finally:
            shutil.rmtree(out.parent, ignore_errors=True)
        labels = clusters.set_index(clusters["record_id"].astype(str))["cluster_id"]
        comparisons = result.summary["comparisons"]["total"]
    else:
        import peers

        run = {
            "plain splink": peers.plain_splink,
            "recordlinkage": peers.recordlinkage_toolkit,
            STRONG: peers.strong_splink,
        }[tool]
        try:
            with stopwatch() as wall:
                labels, comparisons = run(input_path, stages)
        except Exception as exc:  # a peer that cannot run on this file: a finding, not a crash
            first = (str(exc).strip().splitlines() or [""])[0]
            return {**stages.report(wall["s"]), "error": f"{type(exc).__name__}: {first}"}
    report = stages.report(wall["s"])
    if jvm_peak_mb:  # Spark's JVM is a process of its own: its peak counts too
        report["peak_rss_mb"] = round(report["peak_rss_mb"] + jvm_peak_mb, 1)
        report["jvm_peak_rss_mb"] = round(jvm_peak_mb, 1)
    return {
        **report,
        "comparisons": int(comparisons),
        "rows": int(len(labels)),
        **_score(labels, truth_path),
    }


def _jvm_peak_mb() -> float:
    """Peak resident memory of the Spark driver JVM started by this process."""
    from pyspark.sql import SparkSession

    pid = SparkSession.getActiveSession().sparkContext._jvm.ProcessHandle.current().pid()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def generate_child(households: int, seed: int, out: str) -> dict:
    from measure import stopwatch

    from evaluation.synthetic import generate

    with stopwatch() as wall:
        counts = generate(households, seed, Path(out))
    return {"rows": counts["wave_2021"], "wall_s": round(wall["s"], 1)}


def _in_child(*args: str, script: str = __file__) -> dict:
    """Run ``script`` (this one) as a child process and return the JSON it prints."""
    cmd = [sys.executable, str(Path(script).resolve()), "--child", *args]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"benchmark child failed ({done.returncode}): {' '.join(args)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- parent ---------------------------------------------------------------------------


def machine() -> dict:
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    import duckdb
    import splink

    return {
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024**2, 1),
        "cpu": cpu[1].strip() if cpu else platform.processor(),
        "python": platform.python_version(),
        "splink": splink.__version__,
        "duckdb": duckdb.__version__,
        # Other work on a shared machine inflates wall times: say how busy it was.
        "load_average_1m": round(os.getloadavg()[0], 1),
    }


def dataset(size: str, seed: int) -> tuple[Path, int]:
    """wave_2021.csv and truth.csv for about SIZES[size] rows, generated once and cached."""
    households = HOUSEHOLDS.get(size) or round(SIZES[size] / ROWS_PER_HOUSEHOLD)
    folder = DATA / f"h{households}-s{seed}"
    if not (folder / "truth.csv").exists():
        print(f"[{size}] generating {households:,} households…", file=sys.stderr, flush=True)
        info = _in_child("generate", str(households), str(seed), str(folder))
        print(f"[{size}] {info['rows']:,} rows in {info['wall_s']} s", file=sys.stderr)
    return folder, households


def bench_size(size: str, seed: int, skip_peers: bool, when: str, spark: bool = False) -> dict:
    folder, households = dataset(size, seed)
    wave, truth = str(folder / "wave_2021.csv"), str(folder / "truth.csv")
    tools = ["nser-linkage"]
    if spark:
        tools.append(SPARK)
    elif not skip_peers:
        tools += [STRONG, "plain splink"]
        if SIZES[size] <= RECORDLINKAGE_MAX_ROWS:
            tools.append("recordlinkage")
    runs = {}
    for tool in tools:
        print(f"[{size}] {tool}…", file=sys.stderr, flush=True)
        runs[tool] = _in_child("run", tool, wave, truth, size)
        r = runs[tool]
        print(
            f"[{size}] {tool}: {r['wall_s']} s, {r['peak_rss_mb'] / 1024:.2f} GB, "
            f"F1 {r.get('f1')} {r.get('error', '')}",
            file=sys.stderr,
            flush=True,
        )
    rows = next((r["rows"] for r in runs.values() if "rows" in r), SIZES[size])
    result = {
        "date": when,
        "size": size,
        "households": households,
        "seed": seed,
        "rows": rows,
        "machine": machine(),
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{when}-{'spark-' if spark else ''}{size}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"[{size}] wrote {path.relative_to(ROOT)}", file=sys.stderr)
    return result


# --- BENCHMARKS.md --------------------------------------------------------------------


def latest_results(spark: bool = False) -> list[dict]:
    """The newest result file per size, smallest size first."""
    newest: dict[str, dict] = {}
    for path in sorted(RESULTS.glob("*.json")):
        if (
            ("-spark-" in path.name) != spark
            or "-jobs-" in path.name
            or path.name.endswith("-public.json")
        ):
            continue  # bench-spark's, bench-jobs' and bench-public's have tables of their own
        res = json.loads(path.read_text())
        if "size" not in res:
            continue  # another benchmark's file (shapes, desk, portal, places)
        newest[res["size"]] = res  # file names sort by date
    return sorted(newest.values(), key=lambda r: r["rows"])


def spark_table(results: list[dict]) -> str:
    """The Spark section of BENCHMARKS.md: the same job on DuckDB and on local Spark."""
    m = results[-1]["machine"]
    lines = [
        f"Machine: {m['cores']} cores, {m['memory_gb']} GB RAM. Measured "
        f"{', '.join(sorted({r['date'] for r in results}))}. Peak RSS of the Spark run "
        "includes its JVM.",
        "",
        "| rows | backend | wall | × DuckDB | peak RSS | F1 |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for res in results:
        duck = res["runs"]["nser-linkage"]
        for tool in SPARK_TOOLS:
            r = res["runs"].get(tool)
            if not r or "error" in r:
                continue
            lines.append(
                f"| {res['rows']:,} | {'DuckDB' if tool == 'nser-linkage' else tool} "
                f"| {r['wall_s']:.1f} s | {r['wall_s'] / duck['wall_s']:.1f} | "
                f"{r['peak_rss_mb'] / 1024:.2f} GB | {r['f1']:.4f} |"
            )
    return "\n".join(lines)


def measured_on(results: list[dict]) -> str:
    """Dates with their CPU, and how busy the machine was when that was recorded: runs of
    different days may come from different machines of this kind."""
    seen: dict[str, str] = {}
    for r in sorted(results, key=lambda r: r["date"]):
        m = r["machine"]
        load = m.get("load_average_1m")
        busy = f", load average {load} at the start" if load is not None else ""
        seen.setdefault(r["date"], f"{r['date']} ({m['cpu']}{busy})")
    return "; ".join(seen.values())


def tables(results: list[dict]) -> str:
    """The generated part of BENCHMARKS.md: runs, nser-linkage stages, target checks."""
    m = results[-1]["machine"]
    lines = [
        f"Machine: {m['cores']} cores, {m['memory_gb']} GB RAM; Python "
        f"{m['python']}, splink {m['splink']}, duckdb {m['duckdb']}. "
        f"Measured {measured_on(results)}.",
        "",
        "| rows | tool | wall | × nser-linkage | peak RSS | comparisons "
        "| precision | recall | F1 |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        nser = res["runs"]["nser-linkage"]
        for tool in TOOLS:
            r = res["runs"].get(tool)
            if not r:
                continue
            ratio = "" if "error" in nser else f"{r['wall_s'] / nser['wall_s']:.2f}"
            head = (
                f"| {res['rows']:,} | {tool} | {r['wall_s']:.1f} s | {ratio} | "
                f"{r['peak_rss_mb'] / 1024:.2f} GB |"
            )
            if "error" in r:
                lines.append(f"{head} stopped: {r['error'][:120]}… | | | |")
            else:
                lines.append(
                    f"{head} {r['comparisons']:,} | {r['precision']:.4f} | "
                    f"{r['recall']:.4f} | **{r['f1']:.4f}** |"
                )
    lines += ["", "nser-linkage per stage (wall s / peak RSS GB):", ""]
    stage_names = list(
        dict.fromkeys(name for r in results for name in r["runs"]["nser-linkage"]["stages"])
    )
    lines.append("| stage | " + " | ".join(f"{r['rows']:,}" for r in results) + " |")
    lines.append("|---|" + "---:|" * len(results))
    for name in stage_names:
        cells = []
        for r in results:
            s = r["runs"]["nser-linkage"]["stages"].get(name)
            cells.append(f"{s['wall_s']:.1f} / {s['peak_rss_mb'] / 1024:.2f}" if s else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines + ["", *target_checks(results)])


def target_checks(results: list[dict]) -> list[str]:
    """Each target with the measured figure and whether it is met."""
    by = {r["size"]: r["runs"] for r in results}
    checks = []

    def check(name: str, ok: bool, measured: str) -> None:
        checks.append(f"| {name} | {measured} | {'met' if ok else '**not met**'} |")

    if "1M" in by and "error" in by["1M"]["nser-linkage"]:
        check(
            "1M rows with the default configuration",
            False,
            by["1M"]["nser-linkage"]["error"][:90] + "…",
        )
    elif "1M" in by:
        n = by["1M"]["nser-linkage"]
        check("1M rows end to end ≤ 60 s", n["wall_s"] <= 60, f"{n['wall_s']:.1f} s")
        check(
            "1M rows peak RSS ≤ 6 GB",
            n["peak_rss_mb"] <= 6 * 1024,
            f"{n['peak_rss_mb'] / 1024:.2f} GB",
        )
        check("1M rows F1 ≥ 0.98", n["f1"] >= 0.98, f"{n['f1']:.4f}")
        if "100k" in by:
            ratio = n["wall_s"] / by["100k"]["nser-linkage"]["wall_s"]
            check("time(1M) / time(100k) ≤ 11", ratio <= 11, f"{ratio:.1f}")
        s = by["1M"].get("plain splink")
        if s:
            check(
                "faster than plain Splink at 1M, higher F1",
                n["wall_s"] < s["wall_s"] and n["f1"] > s["f1"],
                f"{s['wall_s'] / n['wall_s']:.2f}× faster, F1 {n['f1']:.4f} vs {s['f1']:.4f}",
            )
        s = by["1M"].get(STRONG)
        if s and "error" not in s:
            check(
                "no slower than the strong generic Splink peer at 1M",
                n["wall_s"] <= s["wall_s"],
                f"{n['wall_s']:.1f} s vs {s['wall_s']:.1f} s",
            )
    for res in results:  # issue 13: ahead of the strong generic peer in F1 at every size
        n, s = res["runs"].get("nser-linkage", {}), res["runs"].get(STRONG)
        if s and "error" not in s and "error" not in n:
            check(
                f"F1 above the strong generic Splink peer at {res['rows']:,} rows",
                n["f1"] > s["f1"],
                f"{n['f1']:.4f} vs {s['f1']:.4f}",
            )
    if "5M" in by and "error" not in by["5M"]["nser-linkage"]:
        n = by["5M"]["nser-linkage"]
        check(
            "5M rows complete under 12 GB",
            n["peak_rss_mb"] <= 12 * 1024,
            f"{n['peak_rss_mb'] / 1024:.2f} GB, {n['wall_s'] / 60:.1f} min (comparison "
            f"budget {LARGE['max_comparisons'] // 1_000_000}M, DuckDB memory limit "
            f"{LARGE['memory_limit']})",
        )
    rl = by.get("100k", {}).get("recordlinkage")
    if rl:
        speedup = rl["wall_s"] / by["100k"]["nser-linkage"]["wall_s"]
        check("≥ 20× faster than recordlinkage at 100k", speedup >= 20, f"{speedup:.1f}×")
    if not checks:
        return []
    return ["| target | measured | |", "|---|---:|---|", *checks]


def write_report(results: list[dict], *, spark: bool = False) -> None:
    name = "bench-spark" if spark else "bench"
    start = f"<!-- {name}:start (generated by benchmarks/run.py) -->"
    end = f"<!-- {name}:end -->"
    text = REPORT.read_text() if REPORT.exists() else "# Benchmarks\n"
    if start not in text:
        heading = "\n## Spark local[2] against DuckDB\n\n" if spark else "\n"
        text = f"{text.rstrip()}\n{heading}{start}\n{end}\n"
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    body = spark_table(results) if spark else tables(results)
    REPORT.write_text(f"{before}{start}\n{body}\n{end}{after}")
    print(f"updated {REPORT.relative_to(ROOT)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        help=f"comma-separated, of {', '.join(SIZES)} "
        "(default 10k,20kh,100k,1M, 20kh being 20,000 households; with --spark "
        "20k,200k)",
    )
    parser.add_argument("--skip-peers", action="store_true", help="nser-linkage only")
    parser.add_argument(
        "--skip-public",
        action="store_true",
        help="leave out the public FEBRL benchmarks (benchmarks/public.py)",
    )
    parser.add_argument("--quick", action="store_true", help="10k only: a smoke run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--spark",
        action="store_true",
        help="DuckDB against Spark local[2] (default sizes 20k,200k)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        out = (
            generate_child(int(rest[0]), int(rest[1]), rest[2])
            if kind == "generate"
            else child(*rest)
        )
        print(json.dumps(out))
        return
    chosen = args.sizes or ("20k,200k" if args.spark else "10k,20kh,100k,1M")
    sizes = ["10k"] if args.quick else [s.strip() for s in chosen.split(",")]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose from {list(SIZES)}")
    when = dt.date.today().isoformat()
    for size in sizes:
        bench_size(size, args.seed, args.skip_peers, when, spark=args.spark)
    write_report(latest_results(spark=args.spark), spark=args.spark)
    if not (args.spark or args.skip_public):
        import public  # FEBRL3 and FEBRL4: data the engine was not built for (issue 12)

        public.main([] if not args.skip_peers else ["--systems", public.NSER])


if __name__ == "__main__":
    main()
