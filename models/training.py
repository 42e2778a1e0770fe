"""The unsupervised training recipe: prior from strict rules, u by sampling, m by EM.

Deterministic for a seed: u sampling takes the seed, EM's pair cap uses Splink's
hash-based sampling, and the rule order is fixed.
"""

from __future__ import annotations

from collections.abc import Sequence

from splink import Linker


def train(
    linker: Linker,
    *,
    deterministic_rules: Sequence[dict[str, str]],
    em_rules: Sequence[dict[str, str]],
    prior_recall: float,
    u_max_pairs: float,
    em_max_pairs: float,
    seed: int,
) -> None:
    """Estimate every parameter of ``linker``'s model in place."""
    training = linker.training
    training.estimate_probability_two_random_records_match(
        list(deterministic_rules), recall=prior_recall
    )
    training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    for rule in em_rules:
        training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=em_max_pairs, estimate_without_term_frequencies=True
        )
