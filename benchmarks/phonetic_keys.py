"""Which phonetic key for Pakistani given names? Measured, not guessed.

Compares ``linkage.standardise.phonetic.name_key`` with jellyfish's metaphone, NYSIIS,
soundex and match-rating codex. A good key makes spellings of one name agree and keeps
different names apart, so each key is scored on:

same name (share of pairs whose keys agree - higher is better)
  * ``urdu variants``: two Latin spellings of one Urdu spelling (``name_variants_urdu``),
    up to 3 pairs per group: Naveed/Navid, Yousaf/Yusuf, Rehana/Raihana;
  * ``arabic variants``: the same from ``name_variants_arabic`` (partly rule-generated
    spellings such as abdelrahman/abdurrahman);
  * ``typos``: a reference name and a copy with one random edit (substitution,
    deletion, insertion, transposition, doubled letter, changed vowel);

different names (share of pairs whose keys collide - lower is better)
  * ``random pairs``: two canonical names from different variant groups;
  * ``near misses``: Pakistani names (``pk_names``) within edit distance 2 of each other
    that no reference group merges (Hassan/Hussain, Amir/Umar, Fiza/Faiza). Some of
    these are in truth spellings of one name (Shaukat/Shoukat), so this is an upper
    bound on harmful collisions.

With ``--synthetic-households N`` (needs ``evaluation.synthetic``) it also scores the
keys on the generator's truth: the standardised ``given_name`` of two records of the
same person (agreement), of two random people, and of two different people of the same
household (siblings, spouses: collisions).

Usage::

    .venv/bin/python benchmarks/phonetic_keys.py [--seed 42] [--synthetic-households 2000]
                                                 [--json out.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import jellyfish
from rapidfuzz.distance import Levenshtein

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linkage import reference  # noqa: E402
from linkage.standardise.name_rules import latin_tokens  # noqa: E402
from linkage.standardise.name_variants import canonical_map, plainest  # noqa: E402
from linkage.standardise.phonetic import name_key  # noqa: E402

KEYS: dict[str, Callable[[str], str]] = {
    "nser name_key": name_key,
    "metaphone": jellyfish.metaphone,
    "nysiis": jellyfish.nysiis,
    "soundex": jellyfish.soundex,
    "match_rating_codex": jellyfish.match_rating_codex,
}
Pair = tuple[str, str]


def _token(spelling: str) -> str | None:
    tokens = latin_tokens(spelling)
    return tokens[0] if len(tokens) == 1 else None


def spelling_groups(table_column: Sequence[str]) -> list[list[str]]:
    """Reference variant groups as sorted single-token spellings (groups of 2 or more)."""
    groups = []
    for variants in table_column:
        group = sorted({t for t in (_token(v) for v in variants.split("|")) if t})
        if len(group) >= 2:
            groups.append(group)
    return groups


def variant_pairs(groups: list[list[str]], rng: random.Random, per_group: int = 3) -> list[Pair]:
    pairs: list[Pair] = []
    for group in groups:
        candidates = list(itertools.combinations(group, 2))
        rng.shuffle(candidates)
        pairs.extend(candidates[:per_group])
    return pairs


def typo(name: str, rng: random.Random) -> str:
    """One random edit, the kind data-entry makes."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    i = rng.randrange(len(name))
    op = rng.choice(("substitute", "delete", "insert", "transpose", "double", "vowel"))
    if op == "substitute":
        return name[:i] + rng.choice(letters) + name[i + 1 :]
    if op == "delete":
        return name[:i] + name[i + 1 :]
    if op == "insert":
        return name[:i] + rng.choice(letters) + name[i:]
    if op == "transpose" and i < len(name) - 1:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if op == "double":
        return name[:i] + name[i] + name[i:]
    vowels = [j for j, ch in enumerate(name) if ch in "aeiou"]
    if vowels:
        j = rng.choice(vowels)
        return name[:j] + rng.choice("aeiou") + name[j + 1 :]
    return name


def typo_pairs(names: list[str], rng: random.Random, n: int) -> list[Pair]:
    picked = rng.sample(names, min(n, len(names)))
    return [(name, typo(name, rng)) for name in picked]


def distinct_pairs(names: list[str], rng: random.Random, n: int) -> list[Pair]:
    return [tuple(rng.sample(names, 2)) for _ in range(n)]  # type: ignore[misc]


def near_miss_pairs(names: list[str]) -> list[Pair]:
    """Different canonical names within edit distance 2 (no reference group joins them)."""
    return [
        (a, b)
        for a, b in itertools.combinations(sorted(set(names)), 2)
        if Levenshtein.distance(a, b) <= 2
    ]


def share_agreeing(key: Callable[[str], str], pairs: list[Pair]) -> float:
    if not pairs:
        return float("nan")
    return sum(1 for a, b in pairs if a and b and key(a) == key(b)) / len(pairs)


def reference_suites(rng: random.Random) -> dict[str, tuple[str, list[Pair]]]:
    """Name of suite -> ('same'|'different', pairs)."""
    urdu = spelling_groups(reference.name_variants_urdu()["latin_variants"])
    arabic = spelling_groups(reference.name_variants_arabic()["latin_variants"])
    mapping = canonical_map()
    canonicals = sorted({plainest(g) for g in urdu})
    pk = sorted(
        {
            mapping.get(t, t)
            for t in (_token(n) for n in reference.pk_names()["name"])
            if t and len(t) >= 3
        }
    )
    typo_pool = sorted({n for n in canonicals + pk if len(n) >= 4})
    return {
        "urdu variants": ("same", variant_pairs(urdu, rng)),
        "arabic variants": ("same", variant_pairs(arabic, rng)),
        "typos": ("same", typo_pairs(typo_pool, rng, 3000)),
        "random pairs": ("different", distinct_pairs(canonicals, rng, 20000)),
        "near misses": ("different", near_miss_pairs(pk)),
    }


def synthetic_suites(
    households: int, seed: int, rng: random.Random
) -> dict[str, tuple[str, list[Pair]]]:
    """Pairs of standardised given names from the synthetic generator's truth."""
    import pandas as pd

    from evaluation.synthetic import generate_frames
    from linkage.standardise import standardise

    frames = generate_frames(households, seed)
    records = pd.concat(
        [frames["wave_2011"], frames["wave_2021"], frames["partner_flood_2022"]], ignore_index=True
    )
    std = standardise(records)[["record_id", "household_id", "given_name"]]
    std = std.merge(
        frames["truth"][["record_id", "person_id", "household_true_id"]], on="record_id"
    ).dropna(subset=["given_name"])
    by_person = std.groupby("person_id")["given_name"].agg(list)
    same = [(a, b) for names in by_person for a, b in itertools.combinations(names, 2)]
    people = std.drop_duplicates("person_id")
    names = people["given_name"].tolist()
    random_pairs = [tuple(rng.sample(names, 2)) for _ in range(20000)]
    household = people.groupby("household_true_id")["given_name"].agg(list)
    housemates = [(a, b) for members in household for a, b in itertools.combinations(members, 2)]
    return {
        "synthetic same person": ("same", same),
        "synthetic random people": ("different", random_pairs),  # type: ignore[dict-item]
        "synthetic housemates": ("different", housemates),
    }


def measure(suites: dict[str, tuple[str, list[Pair]]]) -> dict[str, dict[str, float]]:
    return {
        key_name: {suite: share_agreeing(key, pairs) for suite, (_, pairs) in suites.items()}
        for key_name, key in KEYS.items()
    }


def table(results: dict[str, dict[str, float]], suites: dict[str, tuple[str, list[Pair]]]) -> str:
    names = list(suites)
    head = (
        "| key | "
        + " | ".join(
            f"{n} ({'agree' if suites[n][0] == 'same' else 'collide'}, n={len(suites[n][1])})"
            for n in names
        )
        + " |"
    )
    rule = "|---|" + "---:|" * len(names)
    rows = [
        f"| {key} | " + " | ".join(f"{100 * results[key][n]:.1f}%" for n in names) + " |"
        for key in results
    ]
    return "\n".join([head, rule, *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--synthetic-households",
        type=int,
        default=0,
        help="also measure on evaluation.synthetic truth (0 = skip)",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    suites = reference_suites(rng)
    if args.synthetic_households:
        try:
            suites |= synthetic_suites(args.synthetic_households, args.seed, rng)
        except ImportError as exc:  # the generator is optional
            print(f"(synthetic truth skipped: {exc})", file=sys.stderr)
    results = measure(suites)
    print(table(results, suites))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
