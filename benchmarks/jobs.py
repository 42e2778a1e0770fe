"""Benchmark of the other two jobs: link-waves and match-partner, with their accuracy.

``make bench-jobs`` (or ``.venv/bin/python benchmarks/jobs.py [--households 20000,100000]``)
generates the project's synthetic data (cached under ``data/bench/``), then runs, each
in its own process as a user would (CSV in, output folder out, default settings):

* **link-waves** on ``wave_2011`` + ``wave_2021``: person F1 over all pairs and across
  waves only, lineage type right for the 2011 households (``evaluation.lineage_truth``);
* **match-partner** of ``partner_flood_2022`` against both waves: accuracy, share sent
  to review, precision and recall (``evaluation.partner_metrics``).

Wall time, peak RSS per stage (``benchmarks/measure.py``). Results:
``benchmarks/results/<date>-jobs-h<households>.json`` and a table in ``BENCHMARKS.md``
between the ``bench-jobs:`` markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DATA = ROOT / "data" / "bench"
REPORT = ROOT / "BENCHMARKS.md"
JOBS = ("link-waves", "match-partner")


def child(job: str, folder: str) -> dict:
    """Run one job on the generated data in ``folder``; return timings and scores."""
    import pandas as pd
    from measure import MeasuredStages, stopwatch

    data = Path(folder)
    truth = pd.read_csv(data / "truth.csv", dtype=str)
    stages = MeasuredStages()
    out = Path(tempfile.mkdtemp(prefix="nser-bench-")) / "run"
    waves = [data / "wave_2011.csv", data / "wave_2021.csv"]
    try:
        if job == "link-waves":
            from evaluation.lineage_truth import score_lineage, score_people
            from linkage.config import LinkWavesConfig
            from linkage.pipelines.link_waves import run_link_waves

            with stopwatch() as wall:
                result = run_link_waves(waves, out, LinkWavesConfig(), stages=stages)
            overall, cross = score_people(result.tables["clusters"], truth)
            frames = {w.stem: pd.read_csv(w, dtype=str) for w in waves}
            lineage = score_lineage(
                result.tables["household_links"], truth, frames, "wave_2011", "wave_2021"
            )
            scores = {
                "f1": overall.f1,
                "precision": overall.precision,
                "recall": overall.recall,
                "cross_wave_f1": cross.f1,
                "lineage_accuracy": lineage.type_accuracy,
                "lineage_successor_accuracy": lineage.successor_accuracy,
            }
        else:
            from evaluation.partner_metrics import score_matches
            from linkage.partner_config import MatchPartnerConfig
            from linkage.pipelines.match_partner import run_match_partner

            with stopwatch() as wall:
                result = run_match_partner(
                    [str(w) for w in waves],
                    str(data / "partner_flood_2022.csv"),
                    out,
                    MatchPartnerConfig(),
                    stages=stages,
                )
            s = score_matches(result.tables["matches"], truth)
            scores = {
                "accuracy": s.accuracy,
                "review_share": s.review_share,
                "precision": s.precision,
                "recall": s.recall,
            }
        records = result.summary["input"]["rows_used"]
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    return {
        **stages.report(wall["s"]),
        "records": int(records),
        **{k: round(float(v), 4) for k, v in scores.items()},
    }


def dataset(households: int, seed: int) -> Path:
    folder = DATA / f"h{households}-s{seed}"
    if not (folder / "truth.csv").exists():
        print(f"generating {households:,} households…", file=sys.stderr, flush=True)
        from evaluation.synthetic import generate

        generate(households, seed, folder)
    return folder


def table(results: list[dict]) -> str:
    from run import machine

    m = machine()
    lines = [
        f"Machine: {m['cores']} cores, {m['memory_gb']} GB RAM. Measured "
        f"{', '.join(sorted({r['date'] for r in results}))}.",
        "",
        "| households | job | records | wall | peak RSS | accuracy |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for res in results:
        for job in JOBS:
            r = res["runs"][job]
            if job == "link-waves":
                acc = (
                    f"person F1 {r['f1']:.4f} (across waves {r['cross_wave_f1']:.4f}); "
                    f"lineage right {r['lineage_accuracy']:.2%}"
                )
            else:
                acc = (
                    f"accuracy {r['accuracy']:.4f}, review {r['review_share']:.2%}, "
                    f"precision {r['precision']:.4f}, recall {r['recall']:.4f}"
                )
            lines.append(
                f"| {res['households']:,} | {job} | {r['records']:,} | "
                f"{r['wall_s']:.1f} s | {r['peak_rss_mb'] / 1024:.2f} GB | {acc} |"
            )
    return "\n".join(lines)


def write_report(results: list[dict]) -> None:
    start, end = (
        "<!-- bench-jobs:start (generated by benchmarks/jobs.py) -->",
        "<!-- bench-jobs:end -->",
    )
    text = REPORT.read_text()
    if start not in text:
        text = f"{text.rstrip()}\n\n## Link-waves and match-partner\n\n{start}\n{end}\n"
    before, rest = text.split(start, 1)
    REPORT.write_text(f"{before}{start}\n{table(results)}\n{end}{rest.split(end, 1)[1]}")


def latest_results() -> list[dict]:
    newest: dict[int, dict] = {}
    for path in sorted(RESULTS.glob("*-jobs-h*.json")):
        res = json.loads(path.read_text())
        newest[res["households"]] = res
    return [newest[h] for h in sorted(newest)]


def main(argv: list[str] | None = None) -> None:
    from run import _in_child

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--households", default="20000", help="comma-separated household counts (default 20000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    when = dt.date.today().isoformat()
    for households in (int(h) for h in args.households.split(",")):
        folder = dataset(households, args.seed)
        runs = {}
        for job in JOBS:
            print(f"[{households:,} households] {job}…", file=sys.stderr, flush=True)
            runs[job] = _in_child(job, str(folder), script=__file__)
            print(
                f"  {runs[job]['wall_s']} s, {runs[job]['peak_rss_mb'] / 1024:.2f} GB",
                file=sys.stderr,
                flush=True,
            )
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{when}-jobs-h{households}.json"
        path.write_text(
            json.dumps(
                {"date": when, "households": households, "seed": args.seed, "runs": runs}, indent=1
            )
            + "\n"
        )
    write_report(latest_results())


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
