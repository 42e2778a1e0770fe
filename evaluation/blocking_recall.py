"""How many true pairs a blocking rule set compares at all: the ceiling on recall.

A pair no rule generates is never scored, so no model can find it. Measured on
standardised records against a truth column, rule by rule, in pandas (the truth pairs
are few: one per duplicate registration), with the same roster cannot-link as the
engine's rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from blocking.rules import Rule


@dataclass(frozen=True)
class BlockingRecall:
    true_pairs: int
    covered: int
    #: True pairs each rule adds beyond the rules before it.
    by_rule: dict[str, int]

    @property
    def recall(self) -> float:
        return self.covered / self.true_pairs if self.true_pairs else 1.0


def _values(column: pd.Series) -> np.ndarray:
    """Object values with every kind of null as None, so that == never meets pd.NA."""
    values = column.astype(object)
    return values.where(values.notna(), None).to_numpy()


def blocking_recall(std: pd.DataFrame, truth: pd.Series, rules: Sequence[Rule]) -> BlockingRecall:
    """``std`` has ``record_id``, ``roster_key`` and the rules' keys; ``truth`` maps
    record id to true person id."""
    person = std["record_id"].map(truth)
    groups = [
        idx
        for idx in pd.Series(np.arange(len(std))).groupby(person.to_numpy()).indices.values()
        if len(idx) > 1
    ]
    pairs = np.array([p for idx in groups for p in combinations(idx, 2)], dtype=np.int64)
    if len(pairs) == 0:
        return BlockingRecall(0, 0, {r.name: 0 for r in rules})
    left, right = std.iloc[pairs[:, 0]], std.iloc[pairs[:, 1]]
    different_roster = left["roster_key"].to_numpy() != right["roster_key"].to_numpy()
    covered = np.zeros(len(pairs), dtype=bool)
    by_rule = {}
    for rule in rules:
        hit = different_roster.copy()
        for key in rule.keys:
            lv, rv = _values(left[key]), _values(right[key])
            hit &= pd.notna(lv) & (lv == rv)
        for key in rule.multi_token:
            hit &= (
                left[key]
                .astype("string")
                .str.contains(" ", regex=False)
                .fillna(False)
                .to_numpy(dtype=bool)
            )
        by_rule[rule.name] = int((hit & ~covered).sum())
        covered |= hit
    return BlockingRecall(len(pairs), int(covered.sum()), by_rule)


def recall_of_run(
    input_path: str,
    summary: dict,
    truth: pd.Series,
    *,
    mapping=None,
    encoding: str | None = None,
    sheet: str | None = None,
    min_year: int = 1900,
) -> BlockingRecall | None:
    """Blocking recall of the rules a dedupe run chose (``summary.json``) on its input,
    or None when the run used a loaded model's rules (they have no names here)."""
    from blocking.rules import PERSON_RULES
    from linkage.intake.io import read_table
    from linkage.intake.validate import validate_rows
    from linkage.resolve.keys import person_cnic, roster_keys
    from linkage.standardise import standardise

    plan = summary.get("model", {}).get("plan")
    if not plan or not summary["model"].get("trained_here", True):
        return None
    by_name = {r.name: r for r in PERSON_RULES}
    rules = [by_name[c["rule"]] for c in plan["blocking"]["chosen"] if c["rule"] in by_name]
    raw = read_table(input_path, mapping=mapping, kind="registry", encoding=encoding, sheet=sheet)
    std = standardise(
        validate_rows(raw, kind="registry", file=str(input_path)).rows, min_year=min_year
    )
    std["roster_key"] = roster_keys(std)
    std["person_cnic"] = person_cnic(std)
    return blocking_recall(std, truth, rules)
