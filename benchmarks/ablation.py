"""Ablation (issue 13): what each accuracy measure adds, in F1 and seconds.

Each variant is the full engine with one measure taken out, run as a user runs it
(``run_dedupe`` on a generated wave, default settings) in its own process:

* ``places by similarity`` - district and tehsil resolved by exact names, seats,
  abbreviations and the hand aliases only (the gazetteer's similarity steps off:
  word reorders, edit distance, sound, dropped words, letter codes);
* ``names by similarity`` - the name comparison without the levels that read spelling
  (phonetic keys and typos, names run together, same letters in another order, one
  given name beginning the other);
* ``households as evidence`` - ``clustering.household_evidence: false``;
* ``chain stops`` - clusters held apart by the roster cannot-link only.

The measures are switched off here, by patching the engine inside the child process,
not by settings: they are not options a user should turn off, only ones to measure.

Usage::

    .venv/bin/python benchmarks/ablation.py                 # 20,000 households, seeds 1 and 7
    .venv/bin/python benchmarks/ablation.py --seeds 1 --households 5000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DATA = ROOT / "data" / "bench"

VARIANTS = (
    "full",
    "-places by similarity",
    "-names by similarity",
    "-households as evidence",
    "-chain stops",
)
#: Name levels that read spelling rather than equality (models.comparisons.name).
SPELLING_LEVELS = {
    "Given and family name alike",
    "Same name, spaces ignored",
    "Same letters, words in another order",
    "Given name alike, a family name missing",
    "Given name alike, another family name",
    "One given name begins the other",
    "Family name alike, a given name missing",
    "Family name alike, another given name",
}


def _switch_off(variant: str, config) -> None:
    """Patch the engine in this (child) process so that ``variant``'s measure is off."""
    if variant == "-places by similarity":
        from linkage.standardise import gazetteer

        original = gazetteer.Index.resolve

        def exact_only(self, key, scope=None):
            found = gazetteer._pick(self.exact(gazetteer.compact(key), scope))
            return found or gazetteer.Resolution(key or None, 0.0, "unresolved")

        gazetteer.Index.resolve = exact_only
        gazetteer.resolve_district.cache_clear()
        gazetteer.resolve_tehsil.cache_clear()
        assert original is not exact_only
    elif variant == "-names by similarity":
        from models import comparisons

        full = comparisons.name

        def equality_only():
            f = full()
            levels = tuple(lv for lv in f.levels if lv.label not in SPELLING_LEVELS)
            return comparisons.Field(f.name, f.description, f.columns, levels)

        comparisons.name = equality_only
    elif variant == "-households as evidence":
        config.clustering.household_evidence = False
    elif variant == "-chain stops":
        from linkage.resolve import people

        people.conflicts_of = lambda std: []


def child(variant: str, folder: str) -> dict:
    import time

    import pandas as pd

    from evaluation.metrics import score_clusters
    from linkage.config import DedupeConfig
    from linkage.pipelines.dedupe import run_dedupe

    config = DedupeConfig()
    _switch_off(variant, config)
    out = Path(folder) / f"ablation-{variant.strip('-').replace(' ', '-')}"
    started = time.perf_counter()
    result = run_dedupe(Path(folder) / "wave_2021.csv", out, config)
    seconds = time.perf_counter() - started
    truth = pd.read_csv(Path(folder) / "truth.csv", dtype=str)
    truth = truth[truth["file"] == "wave_2021"].set_index("record_id")["person_id"]
    clusters = result.tables["clusters"].set_index("record_id")["cluster_id"]
    scores = score_clusters(clusters, truth)
    return {
        "variant": variant,
        "seconds": round(seconds, 1),
        "f1": round(scores.f1, 4),
        "precision": round(scores.precision, 4),
        "recall": round(scores.recall, 4),
    }


def dataset(households: int, seed: int) -> Path:
    folder = DATA / f"h{households}-s{seed}"
    if not (folder / "truth.csv").exists():
        from evaluation.synthetic import generate

        generate(households, seed, folder)
    return folder


def table(results: list[dict]) -> str:
    seeds = sorted({r["seed"] for r in results})
    head = (
        "| variant | "
        + " | ".join(f"F1 (seed {s})" for s in seeds)
        + f" | mean F1 change | seconds (seed {seeds[0]}) |"
    )
    lines = [head, "|---" * (len(seeds) + 3) + "|"]
    full = {
        s: next(r["f1"] for r in results if r["seed"] == s and r["variant"] == "full")
        for s in seeds
    }
    for variant in VARIANTS:
        rows = {r["seed"]: r for r in results if r["variant"] == variant}
        change = sum(rows[s]["f1"] - full[s] for s in seeds) / len(seeds)
        cells = " | ".join(f"{rows[s]['f1']:.4f}" for s in seeds)
        delta = "" if variant == "full" else f"{change:+.4f}"
        lines.append(f"| {variant} | {cells} | {delta} | {rows[seeds[0]]['seconds']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seeds", default="1,7")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(VARIANTS[int(args.child[0])], args.child[1])))
        return
    results = []
    for seed in (int(s) for s in args.seeds.split(",")):
        folder = dataset(args.households, seed)
        for variant in VARIANTS:
            # the variant by its index: argparse reads "-households ..." as the -h option
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(VARIANTS.index(variant)), str(folder)],
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
                check=True,
            )
            row = json.loads(done.stdout.strip().splitlines()[-1]) | {"seed": seed}
            print(row, file=sys.stderr, flush=True)
            results.append(row)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.date.today().isoformat()
    (RESULTS / f"{stamp}-ablation-h{args.households}.json").write_text(
        json.dumps({"households": args.households, "results": results}, indent=2) + "\n"
    )
    print(table(results))


if __name__ == "__main__":
    main()
