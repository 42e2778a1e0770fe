import pandas as pd

from blocking.rules import Rule
from evaluation.blocking_recall import blocking_recall


def test_counts_pairs_each_rule_adds_and_respects_rosters():
    std = pd.DataFrame(
        {
            "record_id": ["a1", "a2", "b1", "b2", "c1", "c2"],
            "roster_key": ["s|1", "d|9", "s|2", "d|8", "s|3", "s|3"],
            "cnic": ["1", "1", None, None, "5", "5"],
            "name": ["ali", "aly", "zain", "zain", "x", "x"],
        }
    )
    truth = pd.Series({"a1": "A", "a2": "A", "b1": "B", "b2": "B", "c1": "C", "c2": "C"})
    result = blocking_recall(std, truth, [Rule("cnic", ("cnic",)), Rule("name", ("name",))])
    assert result.true_pairs == 3
    # c1-c2 share a roster: never compared, whatever they share
    assert result.covered == 2
    assert result.by_rule == {"cnic": 1, "name": 1}
    assert abs(result.recall - 2 / 3) < 1e-12
