"""Count the comparisons a rule set would generate, and refuse an explosive one.

Counting first costs seconds; scoring a rule set that pairs every "Muhammad" in Lahore
with every other would cost hours and the machine's memory.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from splink.blocking_analysis import count_comparisons_from_blocking_rules

from blocking.rules import Rule
from linkage.errors import BlockingTooLargeError


@dataclass(frozen=True)
class RuleCount:
    rule: str
    marginal: int
    cumulative: int


def _name(rule: Rule | dict | str) -> str:
    if isinstance(rule, Rule):
        return rule.name
    return rule["blocking_rule"] if isinstance(rule, dict) else rule


def _splink(rule: Rule | dict | str) -> dict | str:
    return rule.as_splink() if isinstance(rule, Rule) else rule


def count_comparisons(
    table,
    rules: Sequence[Rule | dict | str],
    *,
    link_type: str = "dedupe_only",
    sample: float = 1.0,
) -> list[RuleCount]:
    """Comparisons each rule adds beyond the rules before it (exact when sample=1).

    ``rules`` are ours (``Rule``) or Splink's, as a saved model holds them. A sampled
    count only sizes the job against its budget, so Splink's warning that a rare rule's
    estimate rests on few sampled pairs is not shown to the user.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The sampled blocking analysis estimate")
        records = count_comparisons_from_blocking_rules(
            table,
            blocking_rules=[_splink(r) for r in rules],
            link_type=link_type,
            unique_id_column_name="record_id",
            record_sample_proportion=sample,
        )
    return [
        RuleCount(
            _name(rule),
            int(rec["marginal_comparison_count"]),
            int(rec["cumulative_comparison_count"]),
        )
        for rule, rec in zip(rules, records, strict=True)
    ]


def check_comparison_budget(counts: Sequence[RuleCount], limit: int) -> int:
    """Return the total, or raise naming the rules that blow the budget."""
    total = counts[-1].cumulative if counts else 0
    if total > limit:
        worst = sorted(counts, key=lambda c: c.marginal, reverse=True)[:3]
        detail = ", ".join(f"'{c.rule}' adds {c.marginal:,}" for c in worst)
        raise BlockingTooLargeError(
            f"the blocking rules would generate about {total:,} comparisons, more than the "
            f"limit of {limit:,} (blocking.max_comparisons). Largest: {detail}. Tighten "
            "those rules or raise the limit in the job's config."
        )
    return total
