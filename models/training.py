"""The unsupervised training recipe: prior from strict rules, u by sampling, m by EM.

Deterministic for a seed: u sampling takes the seed, EM's pair cap uses Splink's
hash-based sampling, and the rule order is fixed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from splink import Linker

#: Values one edit apart are counted from one value in this many (and scaled back): the
#: count sizes a rare level, and an exact count costs seconds at a million CNICs.
NEAR_SAMPLE = 8
#: At most about this many candidate pairs are checked for one edit: identifiers given
#: out in sequence (CNIC serials of one locality, programme numbers) share long prefixes,
#: so a fixed sample would compare billions of pairs; the sample thins out instead. At a
#: million generated records a million candidates gave the one-edit u within 0.2% of
#: what four million gave, in 2.0 s instead of 3.2 s.
NEAR_CANDIDATES = 1_000_000


@dataclass(frozen=True)
class IdentifierU:
    """u of a near-unique identifier: two random people share it, or one edit apart."""

    exact: float
    one_edit: float


def identifier_u(
    db_api, table: str, column: str = "person_cnic", *, near: bool = True
) -> IdentifierU:
    """Count, not sample pairs for, how often two records with an identifier agree on it.

    Random sampling of a few million pairs almost never meets two records sharing a
    CNIC, so Splink would leave those levels untrained and weightless; the CNIC would
    count for nothing. Counting is cheap: equal values group, and values one edit apart
    share their first seven, their last six, or their first six and last five digits
    (counted from a sample of the values, 1 in ``NEAR_SAMPLE`` or fewer when they share
    long prefixes, ``NEAR_CANDIDATES``, and scaled back). True
    duplicates are counted too, so the u is an upper bound (the evidence is
    understated, never overstated).
    """
    near_blocks = [
        "substr(a.v, 1, 7) = substr(b.v, 1, 7)",
        "substr(a.v, 8, 6) = substr(b.v, 8, 6)",
        "substr(a.v, 1, 6) = substr(b.v, 1, 6) AND substr(a.v, 9, 5) = substr(b.v, 9, 5)",
    ]
    candidates = " UNION ".join(
        f"SELECT a.v AS va, b.v AS vb FROM sampled a JOIN vals b ON {cond} AND a.v <> b.v"
        for cond in near_blocks
    )
    if not near:  # another identifier: only its exact level is counted
        candidates = "SELECT a.v AS va, b.v AS vb FROM vals a JOIN vals b ON false"
    rate = NEAR_SAMPLE
    if near:
        rate = max(rate, math.ceil(_block_pairs(db_api, table, column) / NEAR_CANDIDATES))
    sql = f"""
    WITH vals AS (
        SELECT {column} AS v, count(*) AS k FROM {table}
        WHERE {column} IS NOT NULL GROUP BY {column}
    ),
    sampled AS (  -- near pairs are counted on a 1-in-{rate} sample of values
        SELECT * FROM vals WHERE hash(v) % {rate} = 0
    ),
    near AS (
        SELECT p.va, p.vb FROM ({candidates}) p
        WHERE damerau_levenshtein(p.va, p.vb) = 1
    )
    SELECT
        (SELECT coalesce(sum(k), 0) FROM vals) AS n,
        (SELECT coalesce(sum(k * (k - 1)), 0) FROM vals) AS same_pairs,
        (SELECT coalesce(sum(a.k * b.k), 0) * {rate} FROM near
            JOIN vals a ON a.v = near.va JOIN vals b ON b.v = near.vb) AS near_pairs
    """
    row = db_api.query_sql(sql, output_type="pandas").iloc[0]
    ordered_pairs = max(float(row["n"]) * (float(row["n"]) - 1), 2.0)
    floor = 1.0 / ordered_pairs  # never zero: an unseen level is rare, not impossible
    return IdentifierU(
        exact=max(float(row["same_pairs"]) / ordered_pairs, floor),
        one_edit=max(float(row["near_pairs"]) / ordered_pairs, floor),
    )


def _block_pairs(db_api, table: str, column: str) -> float:
    """Pairs of distinct values sharing a near-block key, over all three keys."""
    keys = ("substr(v, 1, 7)", "substr(v, 8, 6)", "substr(v, 1, 6) || substr(v, 9, 5)")
    sums = " + ".join(
        f"(SELECT coalesce(sum(c * c), 0) FROM (SELECT count(*) AS c FROM vals GROUP BY {k}))"
        for k in keys
    )
    sql = f"""
    WITH vals AS (SELECT DISTINCT {column} AS v FROM {table} WHERE {column} IS NOT NULL)
    SELECT {sums} AS pairs
    """
    return float(db_api.query_sql(sql, output_type="pandas").iloc[0]["pairs"])


#: m of an identifier's levels when no EM round could train them (a file whose only
#: strict rule is the identifier itself): conservative, since a shared identifier is
#: near-proof of identity and a typo in it is rare.
IDENTIFIER_M = {
    "Exact match on person_cnic": 0.85,
    "One digit off or two digits transposed": 0.05,
    "Exact match on id_other_std": 0.85,
}


def fixed_identifier_m(settings: dict) -> dict:
    """The model with fixed m for identifier levels EM left untrained (in place)."""
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            label = level.get("label_for_charts")
            if label in IDENTIFIER_M and level.get("m_probability") is None:
                level["m_probability"] = IDENTIFIER_M[label]
    return settings


#: Significant digits a trained model keeps (see :func:`rounded`).
DIGITS = 12


def rounded(settings: dict, digits: int = DIGITS) -> dict:
    """The model with its m and u probabilities and its prior to ``digits`` significant
    digits (in place).

    EM sums match probabilities on all cores, in an order that varies from run to run,
    so two trainings on one file differ in the last bits (1e-15); rounded, they give one
    model, and the same match weights in ``pairs``, almost always (only a value that
    falls on a rounding boundary can still differ).
    """

    def to_digits(value):
        return float(f"{value:.{digits}g}") if isinstance(value, float) else value

    if "probability_two_random_records_match" in settings:
        prior = settings["probability_two_random_records_match"]
        settings["probability_two_random_records_match"] = to_digits(prior)
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            for key in ("m_probability", "u_probability"):
                if key in level:
                    level[key] = to_digits(level[key])
    return settings


def with_m_floor(settings: dict, floor: float, against: float = 0.0) -> dict:
    """The model with m probabilities floored, renormalised.

    Two floors, for two reasons:

    * ``floor``, absolute: EM on clean training pairs can drive an m to nearly zero (a
      gender disagreement, a birth year five years off: never seen among the matches
      it trained on), which makes that level an absolute veto (-40 bits and more).
      It never lifts m above the level's u: a level rarer than the floor among random
      pairs that EM never saw among matches is unknown, not evidence for a match (the
      floor would otherwise give it many bits for nothing).
    * ``against``, relative to u: no level may weigh more than log2(1/against) bits
      against a match (m >= against * u). EM trains on blocks whose records agree on
      the blocking keys, and errors come in bunches (a record keyed carelessly is
      wrong in several fields), so its pairs are cleaner than true duplicates at large
      and it underestimates how often a duplicate disagrees on another field. This
      floor bites on the broad disagreement levels (u near 1), not on rare levels.

    Real registers have data-entry errors of every kind, so no single disagreement
    should outweigh all other evidence; the floors keep it strong but finite.
    """
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels:
            # A level EM never saw among its matches (None) is rare, not impossible.
            u = level.get("u_probability")
            lowest = floor if u is None else min(floor, u)
            level["m_probability"] = max(
                level.get("m_probability") or 0.0, lowest, against * (u or 0.0)
            )
        total = sum(level["m_probability"] for level in levels)
        for level in levels:
            level["m_probability"] /= total
            if level.get("u_probability") is None:
                # Never seen among random pairs either (an earlier level always wins):
                # no evidence either way, so the level weighs nothing.
                level["u_probability"] = level["m_probability"]
    return settings


@dataclass(frozen=True)
class EMRound:
    """What one EM round did: its blocking rule, iterations, whether it converged, and
    the share of its pairs EM took for matches (a rule that finds mostly true matches
    shows a high share)."""

    rule: str
    iterations: int
    converged: bool
    match_share: float | None
    trained: tuple[str, ...]

    def summary(self) -> dict:
        return {
            "rule": self.rule,
            "iterations": self.iterations,
            "converged": self.converged,
            "match_share": self.match_share,
            "trained": list(self.trained),
        }


def train(
    linker: Linker,
    *,
    deterministic_rules: Sequence[dict[str, str]],
    em_rules: Sequence[tuple[str, dict[str, str]]],
    prior_recall: float,
    u_max_pairs: float,
    em_max_pairs: float,
    seed: int,
    max_iterations: int,
) -> list[EMRound]:
    """Estimate every parameter of ``linker``'s model in place; returns the EM rounds.

    ``em_rules`` are (name, Splink rule) pairs. EM stops at ``max_iterations`` whether
    or not it converged, and works on at most ``em_max_pairs`` pairs, so training time
    is bounded on any data; each round reports whether it converged.
    """
    training = linker.training
    training.estimate_probability_two_random_records_match(
        list(deterministic_rules), recall=prior_recall
    )
    training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    rounds = []
    for name, rule in em_rules:
        # The probe that sizes the pair cap samples records on both sides; at 1% (the
        # default) a CNIC rule finds no pairs at all, so probe 10%.
        session = training.estimate_parameters_using_expectation_maximisation(
            rule,
            max_pairs=em_max_pairs,
            estimate_without_term_frequencies=True,
            record_sample_proportion=0.1,
        )
        history = session._core_model_settings_history  # Splink keeps no public record
        iterations = max(len(history) - 1, 0)
        share = history[-1].probability_two_random_records_match if history else None
        trained = tuple(c.output_column_name for c in session.core_model_settings.comparisons)
        rounds.append(
            EMRound(
                name,
                iterations,
                iterations < max_iterations,
                None if share is None else round(float(share), 4),
                trained,
            )
        )
    return rounds
