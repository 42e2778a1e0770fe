"""Blocking rules: which pairs of records are compared at all.

Every rule runs on standardised keys, so a district spelled "Larkano", a name written
"Mohd. Navid" or a year-only date of birth still lands its record in the right block.
The rules are *candidates*: a job keeps those whose keys the file has, in this order,
until the comparison budget is spent (``blocking.selection``). They overlap on purpose
and pair fields of different kinds (an identifier; a name key with a date; a name key
with a place; a date with a place; an address number with a place), so one bad field
(a typo in the first letters of a given name, a blank given name, a missing CNIC, a
district spelled past recognition) still leaves a rule that pairs a record with its
duplicate.

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
    #: birth years (where both are known) at most this far apart: for a rule without a
    #: date or a place, whose blocks are namesakes of every age (``ABS`` in capitals: the
    #: rule's text is then the same after sqlglot writes it for Spark, and so is the
    #: summary's count by rule)
    years_apart: int | None = None

    @property
    def sql(self) -> str:
        joins = " AND ".join(f"l.{k} = r.{k}" for k in self.keys)
        several = "".join(f" AND l.{k} LIKE '% %'" for k in self.multi_token)
        near = (
            ""
            if self.years_apart is None
            else " AND (l.dob_year IS NULL OR r.dob_year IS NULL OR "
            f"ABS(l.dob_year - r.dob_year) <= {self.years_apart})"
        )
        return f"{joins}{several}{near} AND {NOT_SAME_ROSTER}"

    def as_splink(self) -> dict[str, str]:
        return {"blocking_rule": self.sql, "sql_dialect": "duckdb"}

    def applies(self, present: frozenset[str] | set[str]) -> bool:
        return set(self.keys) <= set(present)


#: Candidate rules for scoring person pairs, in the order they are taken: identifiers,
#: then a name key with a date, with a guardian, with a place, then dates with places,
#: then the broad rules that only small files can afford.
PERSON_RULES: tuple[Rule, ...] = (
    Rule("cnic", ("person_cnic",)),
    Rule("other identifier", ("id_other_std",)),
    # Country-wide only on the exact date (a moved person); on the year alone only
    # within a district: "Ali, born 1990" country-wide is a block of thousands at 1M.
    Rule("given name and birth date", ("given_name_key", "dob")),
    Rule("family name and birth date", ("family_name_key", "dob")),
    Rule("given name, birth year and district", ("given_name_key", "dob_year", "district_std")),
    # Country-wide for movers, but not across generations: a son named after his
    # father's brother has his cousin's given name and guardian (more than half the
    # comparisons at 1M rows, without the years).
    Rule(
        "given name and guardian's whole name",
        ("given_name_key", "guardian_tokens_key"),
        years_apart=3,
    ),
    # Alone, a one-word name such as "Fatima" would pair every Fatima in the district.
    Rule(
        "all name tokens in any order, and district",
        ("name_tokens_key", "district_std"),
        multi_token=("name_tokens_key",),
    ),
    Rule(
        "guardian, birth year, gender and district",
        ("guardian_key", "dob_year", "gender_std", "district_std"),
    ),
    Rule(
        "guardian's whole name, district and gender",
        ("guardian_tokens_key", "district_std", "gender_std"),
    ),
    Rule("phone and birth year", ("phone_std", "dob_year")),
    Rule("all name tokens in any order, and birth year", ("name_tokens_key", "dob_year")),
    Rule("the name's letters, any order, and district", ("name_letters", "district_std")),
    Rule("birth date and postcode", ("dob", "postcode_std")),
    Rule("birth date and tehsil", ("dob", "tehsil_std")),
    Rule("given name and postcode", ("given_name_key", "postcode_std")),
    Rule("family name and postcode", ("family_name_key", "postcode_std")),
    Rule("given name and tehsil", ("given_name_key", "tehsil_std")),
    Rule("family name and tehsil", ("family_name_key", "tehsil_std")),
    Rule("address numbers and postcode", ("address_numbers", "postcode_std")),
    Rule("address numbers and tehsil", ("address_numbers", "tehsil_std")),
    Rule("phone and given name", ("phone_std", "given_name_key")),
    Rule("given name, union council and tehsil", ("given_name_key", "uc_std", "tehsil_std")),
    Rule("family name, union council and tehsil", ("family_name_key", "uc_std", "tehsil_std")),
    Rule("all name tokens in any order", ("name_tokens_key",), multi_token=("name_tokens_key",)),
    Rule("birth date", ("dob",)),
    Rule("birth year and postcode", ("dob_year", "postcode_std")),
    Rule("birth year and tehsil", ("dob_year", "tehsil_std")),
    Rule("family name and birth year", ("family_name_key", "dob_year")),
)

#: EM rounds, in the order they are tried. Each trains every comparison its keys do
#: not touch; a job takes rounds until every comparison is trained. Every one finds
#: mostly true matches (EM needs the match class to be a clear share of the pairs): a
#: looser rule, such as given name and birth year, or a locality, pairs so many
#: namesakes or housemates that EM takes family resemblance for identity.
TRAINING_RULES: tuple[Rule, ...] = (
    Rule("cnic", ("person_cnic",)),
    Rule("other identifier", ("id_other_std",)),
    Rule("given name, birth date and district", ("given_name_key", "dob", "district_std")),
    Rule(
        "all name tokens and birth date",
        ("name_tokens_key", "dob"),
        multi_token=("name_tokens_key",),
    ),
    Rule("phone, given name and birth year", ("phone_std", "given_name_key", "dob_year")),
    Rule("birth date and postcode", ("dob", "postcode_std")),
    Rule("birth date and guardian's whole name", ("dob", "guardian_tokens_key")),
    Rule(
        "all name tokens and postcode",
        ("name_tokens_key", "postcode_std"),
        multi_token=("name_tokens_key",),
    ),
    Rule(
        "all name tokens, guardian and district",
        ("name_tokens_key", "guardian_tokens_key", "district_std"),
    ),
    Rule(
        "all name tokens, tehsil and address numbers",
        ("name_tokens_key", "tehsil_std", "address_numbers"),
    ),
)

#: Rules so strict that nearly every pair they find is a match: they estimate the
#: prior probability that two random records match (those whose keys a file has).
DETERMINISTIC_RULES: tuple[Rule, ...] = (
    Rule("cnic and birth year", ("person_cnic", "dob_year")),
    Rule("other identifier and birth year", ("id_other_std", "dob_year")),
    Rule("name, birth year and guardian", ("name_tokens_key", "dob_year", "guardian_key")),
    Rule(
        "all name tokens and birth date",
        ("name_tokens_key", "dob"),
        multi_token=("name_tokens_key",),
    ),
)
