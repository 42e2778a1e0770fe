import pandas as pd
import pytest

from blocking.guard import check_comparison_budget, count_comparisons
from blocking.rules import PERSON_RULES, Rule
from linkage.config import BackendConfig
from linkage.engines import engine_for
from linkage.errors import BlockingTooLargeError


def _table(frame):
    return engine_for(BackendConfig(threads=1)).db_api.register(frame)


def _frame():
    # four people named Ali born 1990: two on one roster (never compared), two elsewhere
    return pd.DataFrame(
        {
            "record_id": ["a", "b", "c", "d", "e"],
            "roster_key": ["s|h1", "s|h1", "s|h2", "s|h3", "s|h4"],
            "given_name_key": ["AL", "AL", "AL", "AL", "ZN"],
            "dob_year": [1990, 1990, 1990, 1990, 1990],
        }
    )


def test_counts_exclude_pairs_of_one_roster():
    rule = Rule("given name and year", ("given_name_key", "dob_year"))
    [count] = count_comparisons(_table(_frame()), [rule])
    # a-b share roster h1: 4 Alis give 6 pairs, minus the one roster pair
    assert count.marginal == 5
    assert count.cumulative == 5


def test_years_apart_leaves_out_namesakes_of_another_generation():
    # Ali son of Akbar: born 1990, 1992, 1965 (a cousin's generation) and unknown
    frame = pd.DataFrame(
        {
            "record_id": ["a", "b", "c", "d"],
            "roster_key": ["s|h1", "s|h2", "s|h3", "s|h4"],
            "given_name_key": ["AL"] * 4,
            "dob_year": [1990, 1992, 1965, None],
        }
    )
    rule = Rule("given name", ("given_name_key",), years_apart=3)
    table = _table(frame)
    pairs = table.db_api.query_sql(
        f"SELECT l.record_id || r.record_id AS p FROM {table.physical_name} l "
        f"JOIN {table.physical_name} r ON l.record_id < r.record_id AND {rule.sql}",
        output_type="pandas",
    )
    # a-b two years apart; any pair with d (year unknown); never c with a or b
    assert sorted(pairs["p"]) == ["ab", "ad", "bd", "cd"]
    [count] = count_comparisons(table, [rule])
    assert count.marginal == 4


def test_marginal_counts_do_not_double_count_overlapping_rules():
    rules = [Rule("name", ("given_name_key",)), Rule("year", ("dob_year",))]
    counts = count_comparisons(_table(_frame()), rules)
    assert [c.marginal for c in counts] == [5, 4]  # e pairs with a, b, c, d on the year
    assert counts[-1].cumulative == 9


def test_guard_refuses_a_rule_set_over_budget_and_names_the_rule():
    counts = count_comparisons(_table(_frame()), [Rule("year", ("dob_year",))])
    with pytest.raises(BlockingTooLargeError) as info:
        check_comparison_budget(counts, limit=3)
    assert "'year' adds 9" in str(info.value)
    assert "blocking.max_comparisons" in str(info.value)
    assert check_comparison_budget(counts, limit=9) == 9


def test_every_person_rule_carries_the_roster_cannot_link():
    assert all("l.roster_key <> r.roster_key" in rule.sql for rule in PERSON_RULES)
