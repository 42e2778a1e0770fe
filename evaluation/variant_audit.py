"""How many of the generator's variants the engine has seen before: the honesty check.

A generator that draws its spelling variants from the tables the engine uses to undo
them measures the tables, not the engine. This audit generates the same world twice,
with the default recording errors and with none (errors never change who is listed, so
the two line up record by record), and asks, for every value an error changed, whether
the engine's standardisation alone maps it back to the clean value:

* **names** (``full_name`` and ``guardian_name``): the noisy name *collapses* when its
  core tokens as the engine standardises them (canonical spellings from
  ``parse_name``, without leading titles, fillers and initials, order ignored) equal
  the clean name's. Case and spacing changes are not counted as variants.
* **districts**: each changed value is classed by how ``standardise_district`` treats it:
  ``alias`` (found word for word in the engine's hand alias table), ``exact`` (found by
  exact key in the rest of the lookup: reference names after case/dot/"District"
  folding, district seats), ``similarity`` (resolved to the right district by the
  fuzzy, phonetic or word-drop steps), ``wrong`` (resolved to another district) or
  ``unresolved`` (kept as written).
* **tehsils**: the share of changed values ``standardise_tehsil`` maps to the clean
  tehsil's standard form.

Two table-level figures complete it: the share of the generator's attested name-variant
pairs (``name_pools().variants``) that collapse to one token in the engine, and the
share of its hand-written district spellings that are keys of the engine's alias table.

``python -m evaluation.variant_audit --households 2000 --seed 1 [--by-error]`` prints
the figures; ``--by-error`` adds the collapse share of each name error on its own.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from collections import Counter
from collections.abc import Iterable

import pandas as pd

from evaluation.synthetic import generate_frames
from evaluation.synthetic_errors import DEFAULT_RATES, ErrorRates
from evaluation.synthetic_vocab import DISTRICT_VARIANTS, name_pools
from linkage.standardise import (
    gazetteer,
    parse_name,
    place_keys,
    standardise_district,
    standardise_province,
    standardise_tehsil,
)
from linkage.standardise.name_rules import latin_tokens
from linkage.standardise.name_variants import canonical_tokens
from linkage.standardise.names import core_tokens

SOURCES = tuple(DEFAULT_RATES)
FILES = ("wave_2011", "wave_2021", "partner_flood_2022")
_SPACES = re.compile(r"\s+")


def _fold(values: pd.Series) -> pd.Series:
    """Lower case, single spaces: differences these remove are not spelling variants."""
    return (
        values.fillna("")
        .astype(str)
        .str.casefold()
        .str.replace(_SPACES, " ", regex=True)
        .str.strip()
    )


def _std_tokens(memo: dict[str, tuple[str, ...]], text: str) -> tuple[str, ...]:
    """The name's core tokens as the engine compares them: canonical spellings, leading
    titles (Muhammad, Syed...), fillers (Bibi...) and initials left out, order ignored."""
    if text not in memo:
        std = parse_name(text).name_std
        memo[text] = tuple(sorted(core_tokens(std.split()))) if std else ()
    return memo[text]


def name_collapse(noisy: pd.Series, clean: pd.Series) -> dict[str, float | int]:
    """Changed names, and the share whose standardised tokens equal the clean name's."""
    changed = (_fold(noisy) != _fold(clean)).to_numpy()
    memo: dict[str, tuple[str, ...]] = {}
    pairs = zip(noisy[changed].astype(str), clean[changed].astype(str), strict=True)
    same = sum(_std_tokens(memo, a) == _std_tokens(memo, b) for a, b in pairs)
    n = int(changed.sum())
    return {"changed": n, "collapsed": int(same), "share": same / n if n else 0.0}


def _district_path(value: str, province: str | None, clean_std: str) -> str:
    """How the engine resolves one changed district value (classes in the module doc)."""
    found = gazetteer.exact_district(value, province)
    if found is not None and found.resolved:
        if found.name != clean_std:
            return "wrong"
        return "alias" if found.method == "alias" else "exact"
    std = gazetteer.resolve_district(value, province).name
    if std == clean_std:
        return "similarity"
    return "wrong" if std in gazetteer.district_reference() else "unresolved"


def district_resolution(noisy: pd.DataFrame, clean: pd.DataFrame) -> dict[str, float | int]:
    """Changed district values (per record) by how the engine resolves them."""
    changed = (noisy["district"] != clean["district"]).to_numpy()
    province = (
        standardise_province(noisy["province"])
        if "province" in noisy
        else pd.Series(None, index=noisy.index, dtype=object)
    )
    clean_std = standardise_district(clean["district"]).to_numpy()
    memo: dict[tuple, str] = {}
    counts: Counter[str] = Counter()
    for value, prov, target in zip(
        noisy["district"].to_numpy()[changed],
        province.astype(object).to_numpy()[changed],
        clean_std[changed],
        strict=True,
    ):
        prov = None if pd.isna(prov) else prov
        k = (value, prov, target)
        if k not in memo:
            memo[k] = _district_path(value, prov, target)
        counts[memo[k]] += 1
    n = int(changed.sum())
    out: dict[str, float | int] = {"changed": n}
    for path in ("alias", "exact", "similarity", "wrong", "unresolved"):
        out[path] = counts[path] / n if n else 0.0
    return out


def tehsil_resolution(noisy: pd.DataFrame, clean: pd.DataFrame) -> dict[str, float | int]:
    """Changed tehsil values and the share the engine maps to the clean tehsil."""
    if "tehsil" not in noisy:
        return {"changed": 0, "resolved": 0.0}
    changed = (noisy["tehsil"] != clean["tehsil"]).to_numpy()
    n = int(changed.sum())
    if not n:
        return {"changed": 0, "resolved": 0.0}
    sub_n, sub_c = noisy[changed], clean[changed]
    d_noisy = standardise_district(sub_n["district"], standardise_province(sub_n["province"]))
    d_clean = standardise_district(sub_c["district"])
    got = standardise_tehsil(sub_n["tehsil"], d_noisy).to_numpy()
    want = standardise_tehsil(sub_c["tehsil"], d_clean).to_numpy()
    return {"changed": n, "resolved": float((got == want).mean())}


def variant_pair_collapse(variants: dict[str, Iterable[str]]) -> dict[str, float | int]:
    """Share of the generator's (token, attested variant) pairs that the engine's
    tokenising and canonical table turn into the same tokens."""
    pairs = [(tok, v) for tok, vs in variants.items() for v in vs]
    same = sum(
        canonical_tokens(latin_tokens(t)) == canonical_tokens(latin_tokens(v)) for t, v in pairs
    )
    return {"pairs": len(pairs), "collapsed": same, "share": same / len(pairs) if pairs else 0.0}


def district_list_overlap() -> dict[str, float | int]:
    """The generator's hand-written district spellings that are engine alias keys."""
    keys = {place_keys.place_key(a) for a in gazetteer.all_aliases()}
    keys |= {k.replace(" ", "") for k in keys}
    spellings = [v for vs in DISTRICT_VARIANTS.values() for v in vs]
    hits = sum(
        place_keys.place_key(v) in keys or place_keys.place_key(v).replace(" ", "") in keys
        for v in spellings
    )
    return {
        "spellings": len(spellings),
        "alias_keys": hits,
        "share": hits / len(spellings) if spellings else 0.0,
    }


def audit_frames(
    noisy: dict[str, pd.DataFrame], clean: dict[str, pd.DataFrame], files: Iterable[str] = FILES
) -> dict[str, dict]:
    """Data-level figures per file (names, guardians, districts, tehsils)."""
    out = {}
    for name in files:
        a, b = noisy[name].reset_index(drop=True), clean[name].reset_index(drop=True)
        if not a["record_id"].equals(b["record_id"]):
            raise ValueError(f"{name}: noisy and clean views do not line up")
        out[name] = {
            "full_name": name_collapse(a["full_name"], b["full_name"]),
            "guardian_name": name_collapse(a["guardian_name"], b["guardian_name"]),
            "district": district_resolution(a, b),
            "tehsil": tehsil_resolution(a, b),
        }
    return out


def _only(error: str) -> dict[str, ErrorRates]:
    """Every source with all errors off except ``error`` (at its default rate)."""
    none = ErrorRates.none()
    return {
        s: dataclasses.replace(none, **{error: getattr(DEFAULT_RATES[s], error)}) for s in SOURCES
    }


def by_error(
    households: int, seed: int, clean: dict[str, pd.DataFrame], file: str = "wave_2021"
) -> dict[str, dict]:
    """Collapse share of ``full_name`` under each name error alone, in ``file``."""
    out = {}
    for field in dataclasses.fields(ErrorRates):
        if not field.name.startswith("name_"):
            continue
        noisy = generate_frames(households, seed, error_rates=_only(field.name))
        out[field.name] = name_collapse(noisy[file]["full_name"], clean[file]["full_name"])
    return out


def audit(households: int, seed: int, with_errors: bool = False) -> dict[str, dict]:
    """All figures for one generated world (``households``, ``seed``)."""
    noisy = generate_frames(households, seed)
    clean = generate_frames(households, seed, error_rates={s: ErrorRates.none() for s in SOURCES})
    report = {
        "tables": {
            "name_variant_pairs": variant_pair_collapse(name_pools().variants),
            "district_spellings": district_list_overlap(),
        },
        "data": audit_frames(noisy, clean),
    }
    if with_errors:
        report["by_error"] = by_error(households, seed, clean)
    return report


def _print(report: dict[str, dict]) -> None:
    t = report["tables"]
    p, d = t["name_variant_pairs"], t["district_spellings"]
    print(
        f"generator's attested name-variant pairs collapsing in the engine: "
        f"{p['collapsed']}/{p['pairs']} = {p['share']:.1%}"
    )
    print(
        f"generator's hand district spellings that are engine alias keys: "
        f"{d['alias_keys']}/{d['spellings']} = {d['share']:.1%}"
    )
    for name, f in report["data"].items():
        fn, gn, di, te = f["full_name"], f["guardian_name"], f["district"], f["tehsil"]
        print(
            f"{name}: names changed {fn['changed']}, collapsed {fn['share']:.1%}; "
            f"guardians changed {gn['changed']}, collapsed {gn['share']:.1%}"
        )
        print(
            f"  districts changed {di['changed']}: alias {di['alias']:.1%}, exact "
            f"{di['exact']:.1%}, similarity {di['similarity']:.1%}, wrong {di['wrong']:.1%}, "
            f"unresolved {di['unresolved']:.1%}; tehsils changed {te['changed']}, "
            f"resolved {te['resolved']:.1%}"
        )
    for error, f in report.get("by_error", {}).items():
        print(f"  {error:<24} changed {f['changed']:>6}, collapsed {f['share']:.1%}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--by-error", action="store_true", help="also the collapse share of each name error alone"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    report = audit(args.households, args.seed, args.by_error)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)


if __name__ == "__main__":
    main()
