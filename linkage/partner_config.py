"""Configuration of the match-partner job: the dedupe job's sections plus ``matching:``.

Loaded with ``linkage.config.load_config(path, MatchPartnerConfig)``; every setting has
a default, and command-line flags win over the file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from linkage.config import JobConfig, _Strict


class MatchingConfig(_Strict):
    """How a partner row's scores against the registry become a status.

    A row's best registry person at or above ``match_threshold`` is ``matched``, at or
    above ``review_threshold`` ``review``, else ``unmatched``. The defaults were
    measured on generated data (20,000 households, seeds 1 and 2; README, "Matching a
    partner list"): the model's prior is that of two random registry records, while
    most people on a partner list are registered, so its probabilities understate
    partner matches (in one measurement pairs scored 0.5-0.7 were right 13 times in
    14). With the one-to-one resolution guarding against relatives, 0.5 gave the best
    accuracy (0.990 and 0.992, against 0.983 at 0.9) at a matched precision of 0.999.
    """

    match_threshold: float = Field(0.5, gt=0, lt=1)
    review_threshold: float = Field(0.3, gt=0, lt=1)
    #: Two registry records at or above this probability are one person, and a match
    #: points to that person's newest record. Stricter than the dedupe job's 0.7: the
    #: links of many candidates chain, and a wrong one moves a right match to a
    #: stranger (measured on seed 1: 0.7 did so twice in 4,136 rows, 0.9 never, and
    #: still named the newest record for 99.5% or more of right matches).
    same_person_threshold: float = Field(0.9, gt=0, lt=1)
    #: Scored partner-registry pairs at or above this go to ``pairs``; must not exceed
    #: ``review_threshold``.
    pairs_threshold: float = Field(0.2, gt=0, lt=1)
    #: Where the scoring model learns: ``auto`` on partner-registry pairs when they can
    #: train every comparison, else on the registry's own duplicates; or force one.
    train_on: Literal["auto", "registry", "link"] = "auto"
    #: Blocking rules are taken while their partner-registry comparisons stay within
    #: this many per partner row (and ``blocking.min_comparisons`` at least). On the
    #: 20,000-household data a budget of 1M comparisons for 4,200 rows matched as well
    #: as 5.2M (accuracy 0.988 against 0.989).
    comparisons_per_partner_row: float = Field(50.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> MatchingConfig:
        if not self.pairs_threshold <= self.review_threshold <= self.match_threshold:
            raise ValueError(
                "thresholds must satisfy pairs_threshold <= review_threshold <= match_threshold"
            )
        return self


class MatchPartnerConfig(JobConfig):
    """Everything ``nser-link match-partner`` needs. Paths are strings: on Spark they may
    be hdfs://, s3a://, abfss://. ``registry`` lists the waves, in any order: recency
    comes from the year in each record's ``source``, then from this order (later is
    newer). ``mapping`` is the partner list's; ``registry_mapping`` the registry waves'
    (for a registry whose columns are not named as in the data contract)."""

    registry: list[str] = []
    registry_mapping: str | None = None
    partner: str | None = None
    matching: MatchingConfig = MatchingConfig()
