"""Dedupe F1 when a wave lacks the columns the registry model leans on (issue 12).

The 20,000-household wave of ``make demo`` as generated, and four variants a real NSER
file may be: no CNIC column, CNICs that never repeat (each record its own number), no
``household_id``, no guardian names. Each runs through ``run_dedupe`` with default
settings and is scored against the truth. Results: ``benchmarks/results/<date>-shapes.json``
and the table printed in Markdown (README, "Accuracy").

Usage::

    .venv/bin/python benchmarks/file_shapes.py --data data/bench/20kh-s1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from evaluation.metrics import score_clusters
from evaluation.synthetic import generate
from linkage.config import DedupeConfig
from linkage.pipelines.dedupe import run_dedupe

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def _unique_cnics(w: pd.DataFrame) -> pd.DataFrame:
    w = w.copy()
    w["cnic"] = [f"35202{i:07d}1" if v else "" for i, v in enumerate(w["cnic"])]
    return w


SHAPES = {
    "all columns": lambda w: w,
    "no CNIC column": lambda w: w.drop(columns=["cnic"]),
    "CNICs never repeat": _unique_cnics,
    "no household_id": lambda w: w.drop(columns=["household_id"]),
    "no guardian names": lambda w: w.drop(columns=["guardian_name"]),
}


def measure(data: Path, work: Path) -> list[dict]:
    wave = pd.read_csv(data / "wave_2021.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(data / "truth.csv", dtype=str).set_index("record_id")["person_id"]
    rows = []
    for name, change in SHAPES.items():
        path = work / "wave.csv"
        change(wave).to_csv(path, index=False)
        out = work / "out"
        started = time.perf_counter()
        result = run_dedupe(path, out, DedupeConfig())
        seconds = time.perf_counter() - started
        clusters = pd.read_parquet(out / "clusters.parquet")
        s = score_clusters(clusters.set_index("record_id")["cluster_id"], truth)
        rows.append(
            {
                "shape": name,
                "precision": s.precision,
                "recall": s.recall,
                "f1": s.f1,
                "seconds": round(seconds, 1),
                "threshold": result.summary.get("thresholds", {}).get("cluster"),
            }
        )
        print(
            f"| {name} | {s.precision:.4f} | {s.recall:.4f} | **{s.f1:.4f}** | {seconds:.0f} s |",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a generated folder (else generated here)")
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = Path(tmp) / "data"
            generate(households=args.households, seed=args.seed, out=data)
        print("| wave | precision | recall | F1 | time |\n|---|---|---|---|---|")
        rows = measure(data, Path(tmp))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{dt.date.today().isoformat()}-shapes-s{args.seed}.json"
    out.write_text(json.dumps({"data": str(data), "seed": args.seed, "rows": rows}, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
