"""Choose the blocking rules a file can afford: the candidates whose keys it has, in
order, until the comparison budget is spent; the chosen ones are run largest first.

Each rule's own comparison count is counted exactly and cheaply, from the size of its
blocks (no join): the sum of n(n-1)/2 over blocks within one table, of n_left x n_right
across two. The sum over the chosen rules bounds their union from above, so choosing
by it keeps the real total (counted afterwards, ``blocking.guard``) within budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from blocking.rules import Rule


@dataclass
class Selection:
    """The rules chosen (largest first), each rule's own count, and the rules left out
    with the reason."""

    rules: list[Rule]
    counts: dict[str, int]
    skipped: list[dict] = field(default_factory=list)
    budget: int = 0

    def summary(self) -> dict:
        return {
            "budget": self.budget,
            "chosen": [
                {"rule": r.name, "comparisons": self.counts.get(r.name, 0)} for r in self.rules
            ],
            "skipped": self.skipped,
        }


def _filters(rule: Rule) -> str:
    conds = [f"{k} IS NOT NULL" for k in rule.keys]
    conds += [f"{k} LIKE '% %'" for k in rule.multi_token]
    return " AND ".join(conds)


def block_sizes_sql(rule: Rule, table: str) -> str:
    keys = ", ".join(rule.keys)
    return f"SELECT {keys}, count(*) AS n FROM {table} WHERE {_filters(rule)} GROUP BY {keys}"


def own_count(db_api, rule: Rule, tables: Sequence[str]) -> int:
    """Comparisons ``rule`` generates on its own: within one table, or across two."""
    if len(tables) == 1:
        sql = (
            f"SELECT coalesce(sum(n * (n - 1) / 2), 0) AS c FROM "
            f"({block_sizes_sql(rule, tables[0])}) b"
        )
    else:
        on = " AND ".join(f"a.{k} = b.{k}" for k in rule.keys)
        sql = (
            f"SELECT coalesce(sum(a.n * b.n), 0) AS c FROM "
            f"({block_sizes_sql(rule, tables[0])}) a JOIN "
            f"({block_sizes_sql(rule, tables[1])}) b ON {on}"
        )
    return int(db_api.query_sql(sql, output_type="pandas").iloc[0]["c"] or 0)


def choose_rules(
    db_api,
    candidates: Sequence[Rule],
    present: frozenset[str],
    tables: Sequence[str],
    budget: int,
    *,
    always: Sequence[str] = ("cnic", "other identifier"),
) -> Selection:
    """The candidates whose keys are ``present``, in order, while their counts fit
    ``budget``; identifier rules (``always``) are kept whatever they cost, since a
    shared identifier is the best evidence there is and its blocks are small."""
    chosen: list[Rule] = []
    counts: dict[str, int] = {}
    skipped: list[dict] = []
    spent = 0
    for rule in candidates:
        missing = [k for k in rule.keys if k not in present]
        if missing:
            skipped.append({"rule": rule.name, "why": f"no {', '.join(missing)} in the data"})
            continue
        n = own_count(db_api, rule, tables)
        counts[rule.name] = n
        if n == 0:
            skipped.append({"rule": rule.name, "why": "pairs no records"})
            continue
        if rule.name not in always and spent + n > budget:
            skipped.append(
                {
                    "rule": rule.name,
                    "why": f"{n:,} comparisons would exceed the "
                    f"budget of {budget:,} ({spent:,} already chosen)",
                }
            )
            continue
        chosen.append(rule)
        spent += n
    # Handed to Splink largest first: Splink leaves out of each rule's pairs those of the
    # rules before it, a test on every pair the rule blocks, so the rules with the most
    # pairs go where that list is shortest (the 1M run's pairs: 10 s -> 7 s). The union,
    # and so every pair scored, is the same in any order.
    chosen.sort(key=lambda r: counts[r.name], reverse=True)
    return Selection(chosen, counts, skipped, budget)
