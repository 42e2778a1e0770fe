"""Blocking rules for matching partner rows against the registry (link only).

A partner list has no household ids, often no CNIC (or the husband's, which
``person_cnic`` drops), a short address and a year-only birth date, so the registry
rules (``blocking.rules.PERSON_RULES``) are kept and joined by rules that lean on what
partner lists do carry: the given name with the guardian's given name (a shortened
"W/O Aslam" for "Muhammad Aslam Khan"), and the phone number alone. Partner lists are
small, so rules a registry-wide dedupe could not afford cost little here: each adds at
most the partner rows times the size of one registry block.
"""

from __future__ import annotations

from blocking.rules import PERSON_RULES, Rule

#: Rules for scoring partner rows against registry records, most selective first.
PARTNER_RULES: tuple[Rule, ...] = (
    *PERSON_RULES,
    Rule(
        "given name and guardian's given name, district",
        ("given_name_key", "guardian_key", "district_std"),
    ),
    Rule(
        "given name, birth year and guardian's given name",
        ("given_name_key", "dob_year", "guardian_key"),
    ),
    # Broad rules a registry-wide dedupe cannot afford; here each costs at most the
    # partner rows times one registry block. A woman listed under her husband's name,
    # with a new address and a mistyped year, keeps only her name and district.
    Rule("given name and district", ("given_name_key", "district_std")),
    Rule("given name and birth year", ("given_name_key", "dob_year")),
    Rule("family name and district", ("family_name_key", "district_std")),
    Rule("the name's letters", ("name_letters",)),
)

#: Rules for finding a registry candidate's other records (the same person in another
#: wave): the registry's own dedupe rules.
SAME_PERSON_RULES: tuple[Rule, ...] = PERSON_RULES
