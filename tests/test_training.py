"""Post-processing of a trained model (pure functions on the Splink settings dict)."""

import copy

from models.training import rounded, with_m_floor


def _model(m: float, u: float, prior: float) -> dict:
    return {
        "probability_two_random_records_match": prior,
        "comparisons": [
            {
                "comparison_levels": [
                    {"is_null_level": True, "sql_condition": "x_l IS NULL"},
                    {"m_probability": m, "u_probability": u},
                    {"m_probability": 1 - m, "u_probability": 1 - u},
                    {"m_probability": None},
                ]
            }
        ],
    }


def test_two_trainings_that_differ_in_the_last_bits_give_one_model():
    # what EM's parallel sums leave between two runs on one file
    one = _model(0.48746438276927120, 0.0020336255068785286, 6.950644662043751e-07)
    two = _model(0.48746438276927123, 0.0020336255068785290, 6.950644662043752e-07)
    assert one != two
    assert rounded(copy.deepcopy(one)) == rounded(copy.deepcopy(two))


def test_rounding_keeps_twelve_digits_and_leaves_the_rest():
    model = rounded(_model(0.123456789012345, 0.5, 6.950644662043751e-07))
    levels = model["comparisons"][0]["comparison_levels"]
    assert levels[1]["m_probability"] == 0.123456789012
    assert levels[1]["u_probability"] == 0.5
    assert model["probability_two_random_records_match"] == 6.95064466204e-07
    assert "m_probability" not in levels[0] and levels[3]["m_probability"] is None


def test_floored_then_rounded_still_sums_to_one():
    model = rounded(with_m_floor(_model(0.999999, 0.01, 1e-6), floor=0.01))
    levels = model["comparisons"][0]["comparison_levels"][1:]  # the null level has no m
    assert abs(sum(lv["m_probability"] for lv in levels) - 1) < 1e-11
    assert min(lv["m_probability"] for lv in levels) > 0.009  # floored, then renormalised
