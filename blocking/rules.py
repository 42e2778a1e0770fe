"""Blocking rules: which pairs of records are compared at all.

Every rule runs on standardised keys, so a district spelled "Larkano", a name written
"Mohd. Navid" or a year-only date of birth still lands its record in the right block,
and the rules overlap on purpose: a missing CNIC (most women's records), a typo in the
given name or a swapped name order each leave at least one rule that still pairs the
record with its duplicate.

Every rule also carries the roster cannot-link: two records of one household roster in
one source are different people, so they are never compared (``roster_key`` is
``source|household_id``, or the record id when a row has no household).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Condition added to every rule: never compare two members of one household roster.
NOT_SAME_ROSTER = "l.roster_key <> r.roster_key"


@dataclass(frozen=True)
class Rule:
    """A blocking rule as equality keys; ``sql`` adds the roster cannot-link.

    ``multi_token`` names keys that must hold two or more words (phonetic tokens) for
    the rule to apply: a one-word name or guardian ("Fatima", "Ahmed") is too common to
    block on without a date, and other rules cover it. The filter is on one side only,
    so engines apply it before the join.
    """

    name: str
    keys: tuple[str, ...]
    multi_token: tuple[str, ...] = ()

    @property
    def sql(self) -> str:
        joins = " AND ".join(f"l.{k} = r.{k}" for k in self.keys)
        several = "".join(f" AND l.{k} LIKE '% %'" for k in self.multi_token)
        return f"{joins}{several} AND {NOT_SAME_ROSTER}"

    def as_splink(self) -> dict[str, str]:
        return {"blocking_rule": self.sql, "sql_dialect": "duckdb"}


#: Rules for scoring person pairs, most selective first.
PERSON_RULES: tuple[Rule, ...] = (
    Rule("cnic", ("person_cnic",)),
    # Country-wide only on the exact date (a moved person); on the year alone only
    # within a district: "Ali, born 1990" country-wide is a block of thousands at 1M.
    Rule("given name and birth date", ("given_name_key", "dob")),
    Rule("given name, birth year and district", ("given_name_key", "dob_year", "district_std")),
    Rule("given name and guardian's whole name", ("given_name_key", "guardian_tokens_key")),
    # Alone, a one-word name such as "Fatima" would pair every Fatima in the district.
    Rule("all name tokens in any order, and district", ("name_tokens_key", "district_std"),
         multi_token=("name_tokens_key",)),
    Rule("guardian, birth year, gender and district",
         ("guardian_key", "dob_year", "gender_std", "district_std")),
    Rule("guardian's whole name, district and gender",
         ("guardian_tokens_key", "district_std", "gender_std")),
    Rule("phone and birth year", ("phone_std", "dob_year")),
)

#: EM rounds. Each trains every comparison its keys do not touch, so together they
#: train them all. Both find mostly true matches (EM needs the match class to be a
#: clear share of the pairs): a looser second rule, such as given name and birth year,
#: pairs so many namesakes that EM takes family resemblance for identity.
TRAINING_RULES: tuple[Rule, ...] = (
    Rule("cnic", ("person_cnic",)),
    Rule("given name, birth date and district", ("given_name_key", "dob", "district_std")),
)

#: Rules so strict that nearly every pair they find is a match: they estimate the
#: prior probability that two random records match.
DETERMINISTIC_RULES: tuple[Rule, ...] = (
    Rule("cnic and birth year", ("person_cnic", "dob_year")),
    Rule("name, birth year and guardian", ("name_tokens_key", "dob_year", "guardian_key")),
)
