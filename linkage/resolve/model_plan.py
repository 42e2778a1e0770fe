"""Learn from the file in hand: which comparisons, blocking rules and training rounds
the columns a file actually fills can support.

A registry wave has CNICs, guardians and household rosters; a 2011 survey has CNICs for
few women and children; a partner list may have no CNIC column at all; a public
benchmark has separate name parts, a postcode and no household. One fixed model fails on
most of these (a CNIC-only training rule finds no pairs). So the plan is made from a
*profile* of the file (how many records fill each column the model can read):

* comparisons: every comparison of ``models.comparisons`` that has a level the columns
  support, with just those levels;
* blocking: the candidate rules of ``blocking.rules`` whose keys are present, in order,
  while they fit the comparison budget (``blocking.selection``);
* the prior: the deterministic rules whose keys are present;
* EM: rounds taken in order from ``blocking.rules.TRAINING_RULES`` that find enough
  pairs, until every comparison has been trained by one of them. A comparison no round
  can train is left out of the model (an identifier keeps fixed, conservative m instead:
  it is too good to lose).

``ModelPlan.summary()`` says what was used and why; it goes into ``summary.json`` and the
report.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from blocking.rules import DETERMINISTIC_RULES, PERSON_RULES, TRAINING_RULES, Rule
from blocking.selection import Selection, choose_rules, own_count
from models.comparisons import library
from models.settings import MODEL_FIELDS

#: A column counts as present when at least this share of records fill it: a column
#: filled for a handful of rows in a large file cannot train.
MIN_SHARE = 0.01


#: Columns that always exist in a standardised frame whatever the input (derived from
#: others): present exactly when what they are derived from is.
_DERIVED = {
    "dob_precision": "dob_year",
    "given_name_key": "given_name",
    "family_name_key": "family_name",
    "name_tokens_key": "given_name",
    "name_compact": "given_name",
    "name_letters": "given_name",
    "district_confidence": "district_std",
    "guardian_given": "guardian_std",
    "guardian_key": "guardian_std",
    "guardian_tokens_key": "guardian_std",
    "guardian_compact": "guardian_std",
}


@dataclass
class Profile:
    """How many of ``records`` fill each model column; whether rosters exist."""

    records: int
    filled: dict[str, int]
    households: bool

    def present(self) -> frozenset[str]:
        need = max(1, math.ceil(MIN_SHARE * self.records))
        have = {c for c, n in self.filled.items() if n >= need}
        return frozenset(c for c in have if _DERIVED.get(c, c) in have)

    def summary(self) -> dict:
        present = self.present()
        return {
            "records": self.records,
            "households": self.households,
            "columns_used": sorted(present),
            "columns_empty_or_sparse": sorted(c for c in self.filled if c not in present),
            "filled": {c: self.filled[c] for c in sorted(self.filled)},
        }


def profile(db_api, tables: Sequence[str]) -> Profile:
    """Count filled model columns over ``tables`` (engine tables of model columns)."""
    counts = ", ".join(f"count({c}) AS {c}" for c in MODEL_FIELDS)
    union = " UNION ALL ".join(f"SELECT * FROM {t}" for t in tables)
    row = db_api.query_sql(
        f"SELECT count(*) AS records, {counts} FROM ({union}) t", output_type="pandas"
    ).iloc[0]
    rosters = db_api.query_sql(
        f"SELECT count(*) AS n FROM (SELECT roster_key FROM ({union}) t "
        "WHERE roster_key <> CAST(record_id AS VARCHAR) GROUP BY roster_key "
        "HAVING count(*) > 1) r",
        output_type="pandas",
    ).iloc[0]["n"]
    return Profile(
        int(row["records"]), {c: int(row[c]) for c in MODEL_FIELDS}, bool(int(rosters) > 0)
    )


def comparison_columns(comparison) -> set[str]:
    """Columns a built comparison reads (from its DuckDB SQL)."""
    spec = comparison.get_comparison("duckdb").as_dict()
    text = " ".join(lv["sql_condition"] for lv in spec["comparison_levels"])
    return set(re.findall(r'"?([a-z_]+)_[lr]\b"?', text))


@dataclass
class ModelPlan:
    """What the model of this file holds, and why."""

    profile: Profile
    comparisons: list[str]
    reads: dict[str, set[str]]
    blocking: Selection
    prior_rules: list[Rule]
    em_rules: list[Rule]
    em_pairs: dict[str, int] = field(default_factory=dict)
    untrained: dict[str, str] = field(default_factory=dict)
    #: comparisons no EM round reaches (identifiers among them keep fixed m)
    unreached: list[str] = field(default_factory=list)
    #: where the model is trained: "within" one table, or "across" two (link only)
    trained_on: str = "within"

    @property
    def present(self) -> frozenset[str]:
        return self.profile.present()

    def summary(self) -> dict:
        fields = {f.name: f for f in library()}
        return {
            "profile": self.profile.summary(),
            "comparisons": [
                {"name": c, "levels": fields[c].labels(self.present)} for c in self.comparisons
            ],
            "comparisons_left_out": {
                f.name: "no column for it in the data"
                for f in library()
                if f.name not in self.comparisons and f.name not in self.untrained
            }
            | self.untrained,
            "blocking": self.blocking.summary(),
            "trained_on": self.trained_on,
            "prior_rules": [r.name for r in self.prior_rules],
            "em_rules": [
                {"rule": r.name, "pairs": self.em_pairs.get(r.name, 0)} for r in self.em_rules
            ],
        }


#: Comparisons kept with fixed m when no EM round can train them.
IDENTIFIERS = ("cnic", "other_id")


def plan_model(
    db_api,
    tables: Sequence[str],
    *,
    budget: int,
    min_em_pairs: int,
    candidates: Sequence[Rule] = PERSON_RULES,
    train: bool = True,
    block_tables: Sequence[str] | None = None,
    train_tables: Sequence[str] | None = None,
) -> ModelPlan:
    """The plan for the records of ``tables`` (one table: pairs within it).

    ``block_tables`` and ``train_tables`` (two tables: pairs across them, link only)
    size the blocking rules and the training rounds on other pairs than ``tables``:
    a partner list is scored against the registry (across) and its model trained
    within the registry, or across when the registry has no duplicates to learn from.
    """
    prof = profile(db_api, tables)
    present = prof.present()
    built = {f.name: f.build(present) for f in library() if f.applies(present)}
    reads = {name: comparison_columns(c) for name, c in built.items()}
    blocking = choose_rules(db_api, candidates, present, block_tables or tables, budget)
    train_tables = train_tables or tables
    prior = (
        [
            r
            for r in DETERMINISTIC_RULES
            if r.applies(present) and own_count(db_api, r, train_tables) > 0
        ]
        if train
        else []
    )
    em_rules: list[Rule] = []
    em_pairs: dict[str, int] = {}
    untrained: dict[str, str] = {}
    comparisons = list(built)
    if train:
        todo = set(built)
        for rule in TRAINING_RULES:
            if not todo:
                break
            if not rule.applies(present):
                continue
            trains = {name for name in todo if not reads[name] & set(rule.keys)}
            if not trains:
                continue
            pairs = own_count(db_api, rule, train_tables)
            if pairs < min_em_pairs:
                continue
            em_rules.append(rule)
            em_pairs[rule.name] = pairs
            todo -= trains
        unreached = sorted(todo)
        for name in unreached:
            if name in IDENTIFIERS:
                continue  # fixed m: see models.training.fixed_identifier_m
            comparisons.remove(name)
            untrained[name] = (
                f"no training rule finds {min_em_pairs:,} or more pairs that leave it free to learn"
            )
    else:
        unreached = []
    return ModelPlan(
        prof,
        comparisons,
        reads,
        blocking,
        prior,
        em_rules,
        em_pairs,
        untrained,
        unreached,
        "across" if len(train_tables) == 2 else "within",
    )
