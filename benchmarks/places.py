"""How long do places take to standardise at registry scale? Measured, not guessed.

Builds a frame of N rows (default 1M) by repeating a pool of place rows: for every census
district, its name written several ways (case, district words, one typo of several
kinds) with its own tehsils (also misspelled) and province spellings, 60 rows each. A
wave of a million rows holds a few thousand distinct place strings, and so does this.
Times ``standardise_places`` (wall clock and CPU, which a busy machine disturbs less)
three times: with the gazetteer not yet built (a fresh process), with it built but no
name resolved yet, and again with every name cached (a second Spark batch).

Resolution quality is measured by ``python tests/test_places.py``.

Usage::

    .venv/bin/python benchmarks/places.py [--rows 1000000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linkage import reference  # noqa: E402
from linkage.standardise import gazetteer  # noqa: E402
from linkage.standardise.places import standardise_places  # noqa: E402


def written(name: str, rng: random.Random) -> list[str]:
    """A name as lists carry it: as is, in capitals, with district words, one typo."""
    out = [
        name,
        name.upper(),
        name.lower(),
        name + " District",
        "Distt. " + name,
        " " + name + "  ",
        name.replace(" ", ""),
    ]
    for _ in range(8):
        letters = list(name)
        i = rng.randrange(1, max(2, len(letters) - 1))
        kind = rng.randrange(4)
        if kind == 0 and i + 1 < len(letters):
            letters[i], letters[i + 1] = letters[i + 1], letters[i]
        elif kind == 1:
            letters.insert(i, letters[i])
        elif kind == 2:
            del letters[i]
        else:
            letters[i] = rng.choice("aeiou")
        out.append("".join(letters))
    return out


def place_frame(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = random.Random(seed)
    districts = reference.districts()
    tehsils = reference.tehsils().groupby("district_pbs2017")["tehsil_name"].apply(list)
    pool = []
    for code, name, province in districts[["district", "district_name", "province"]].itertuples(
        index=False
    ):
        names = written(name, rng)
        tehsil_names = [t for tehsil in tehsils.get(code, [name]) for t in written(tehsil, rng)[:6]]
        for _ in range(60):
            pool.append(
                (
                    rng.choice([province, province.upper(), None]),
                    rng.choice(names),
                    rng.choice([*tehsil_names, None]),
                    f"UC-{rng.randrange(1, 120):03d}",
                )
            )
    picks = np.random.default_rng(seed).integers(0, len(pool), rows)
    frame = pd.DataFrame(pool, columns=["province", "district", "tehsil", "union_council"])
    return frame.iloc[picks].reset_index(drop=True).astype(object)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    frame = place_frame(args.rows)
    columns = [frame[c] for c in ("province", "district", "tehsil", "union_council")]
    result = {
        "rows": len(frame),
        "distinct_districts": int(frame["district"].nunique()),
        "distinct_tehsils": int(frame["tehsil"].nunique()),
        "distinct_rows": int(len(frame.drop_duplicates(["province", "district", "tehsil"]))),
    }
    for label in ("cold", "gazetteer_built", "warm"):
        if label == "gazetteer_built":
            gazetteer.resolve_district.cache_clear()
            gazetteer.resolve_tehsil.cache_clear()
            gazetteer.exact_district.cache_clear()
        wall, cpu = time.perf_counter(), time.process_time()
        standardise_places(*columns)
        result[f"{label}_wall_s"] = round(time.perf_counter() - wall, 3)
        result[f"{label}_cpu_s"] = round(time.process_time() - cpu, 3)
    result["load_average_1min"] = round(os.getloadavg()[0], 2)  # other work on the machine
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
