"""Splink comparisons for NSER person records, one small function per field.

Why these levels (see ``shared/NOTES-baseline.md``): the wrong links generic tools make
join members of one family, who share guardian, address, phone, place and family name.
So the fields that tell *people* apart (given name, date of birth, gender, CNIC) get
levels sharp enough to say "different person", and the fields that only say *same
family* (guardian, family name, address, phone, place) are folded into one ``household_context``
comparison: Fellegi-Sunter assumes comparisons are independent, and five family-level
agreements counted as five independent pieces of evidence outvote a different given
name. Each level is a plain Splink level object, so each comparison runs on every
backend Splink supports.
"""

from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl


def typo(column: str) -> cll.Or:
    """Two spellings a typo apart: one edit, or two in names of six letters or more.

    Edit distance rather than Jaro-Winkler because Levenshtein is the same function on
    every backend, and Jaro-Winkler is not: DuckDB and Splink's Spark jar disagree in
    the second decimal on long names, which would give DuckDB and Spark different
    clusters.
    """
    long_enough = f"length({column}_l) >= 6 AND length({column}_r) >= 6"
    return cll.Or(
        cll.LevenshteinLevel(column, 1),
        cll.And(cll.CustomLevel(long_enough), cll.LevenshteinLevel(column, 2)),
    )


def _rare_disagreement(m: float | None) -> cll.ElseLevel:
    """An else level whose m is fixed when given, instead of left to EM.

    EM drives the m of a strong disagreement (another gender, a birth year years off,
    another CNIC) towards zero, since training pairs that disagree so look like
    non-matches; on some inputs it reaches exactly 0.0 and Splink stops. Data-entry
    errors make these disagreements rare among true matches, not impossible: a small
    fixed m says exactly that.
    """
    level = cll.ElseLevel()
    if m is not None:
        level.configure(m_probability=m, fix_m_probability=True)
    return level


def cnic(u_exact: float | None = None, u_one_edit: float | None = None,
         else_m: float | None = None) -> cl.CustomComparison:
    """CNIC: exact / one digit off or two transposed / different / missing.

    ``u_exact`` and ``u_one_edit``, when given, are fixed (see
    ``models.training.identifier_u``): random sampling cannot estimate them.
    """
    exact = cll.ExactMatchLevel("person_cnic")
    one_edit = cll.DamerauLevenshteinLevel("person_cnic", 1).configure(
        label_for_charts="One digit off or two digits transposed"
    )
    if u_exact is not None:
        exact.configure(u_probability=u_exact, fix_u_probability=True)
    if u_one_edit is not None:
        one_edit.configure(u_probability=u_one_edit, fix_u_probability=True)
    return cl.CustomComparison(
        output_column_name="cnic",
        comparison_levels=[
            cll.NullLevel("person_cnic"),
            exact,
            one_edit,
            _rare_disagreement(else_m),
        ],
        comparison_description="CNIC (13 digits, standardised)",
    )


def _tokens(side: str, column: str) -> str:
    return f"str_split({column}_{side}, ' ')"


def given_name() -> cl.CustomComparison:
    """First given name, after Muhammad-style prefixes: the field that tells siblings apart.

    A given name found elsewhere in the other record's name (swapped order, "Mazhar
    Muhammad Aqeel" for "Muhammad Aqeel Mazhar") is its own level, so a changed name
    order is not punished as a different person.
    """
    in_other_name = (
        f"list_contains({_tokens('r', 'name_tokens_key')}, given_name_key_l) OR "
        f"list_contains({_tokens('l', 'name_tokens_key')}, given_name_key_r)"
    )
    return cl.CustomComparison(
        output_column_name="given_name",
        comparison_levels=[
            cll.NullLevel("given_name"),
            cll.ExactMatchLevel("given_name", term_frequency_adjustments=True),
            cll.ExactMatchLevel("given_name_key").configure(
                label_for_charts="Same phonetic key (transliteration variant)"
            ),
            typo("given_name").configure(label_for_charts="Typo apart"),
            cll.CustomLevel(
                in_other_name, label_for_charts="Given name elsewhere in the other name",
                base_dialect_str="duckdb",
            ),
            cll.ElseLevel(),
        ],
        comparison_description="First given name",
    )


def date_of_birth(else_m: float | None = None) -> cl.CustomComparison:
    """Date of birth compared by its precision.

    A year-only or 1 January date agrees with any date of that year, but says less
    than an exact day. Two exact dates that differ only by a typo (the year mistyped,
    day and month swapped) are their own levels: siblings almost never share a day and
    month. A birth year several years off rules a pair out (siblings, parents).
    """
    both_exact = "dob_precision_l = 'day' AND dob_precision_r = 'day'"
    imprecise = "(dob_precision_l <> 'day' OR dob_precision_r <> 'day')"
    month, day = "month", "day"
    levels = [
        (f"{both_exact} AND dob_l = dob_r", "Same day"),
        (f"dob_year_l = dob_year_r AND {imprecise}", "Same year, one side year-only or 1 January"),
        (f"{both_exact} AND dob_year_l = dob_year_r AND {month}(dob_l) = {day}(dob_r) "
         f"AND {day}(dob_l) = {month}(dob_r)", "Day and month swapped"),
        (f"{both_exact} AND {month}(dob_l) = {month}(dob_r) AND {day}(dob_l) = {day}(dob_r) "
         "AND abs(dob_year_l - dob_year_r) <= 10", "Same day and month, year mistyped"),
        ("dob_year_l = dob_year_r", "Same year, different day"),
    ]
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_levels=[
            cll.NullLevel("dob_year"),
            *(cll.CustomLevel(sql, label_for_charts=label, base_dialect_str="duckdb")
              for sql, label in levels),
            cll.AbsoluteDifferenceLevel("dob_year", 1).configure(
                label_for_charts="Birth year one apart"
            ),
            cll.AbsoluteDifferenceLevel("dob_year", 3).configure(
                label_for_charts="Birth year two or three apart"
            ),
            _rare_disagreement(else_m),
        ],
        comparison_description="Date of birth by precision",
    )


def gender(else_m: float | None = None) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="gender",
        comparison_levels=[
            cll.NullLevel("gender_std"),
            cll.ExactMatchLevel("gender_std"),
            _rare_disagreement(else_m),
        ],
        comparison_description="Gender (stated, else from the CNIC)",
    )


def _guardian() -> cll.Or:
    # The whole guardian name: namesakes' fathers often share a first name (Yousuf
    # Rajput, Yousuf Abbasi). Sorted phonetic tokens make "Randhawa Muhammad Ali" and
    # "Muhammad Ali Randhawa", or "Zarar Anas" and "Mohammad Zarar Anas", one guardian.
    return cll.Or(cll.ExactMatchLevel("guardian_tokens_key"), typo("guardian_std"))


def _family() -> cll.Or:
    return cll.Or(cll.ExactMatchLevel("family_name"), typo("family_name"))


def _place() -> cll.ExactMatchLevel:
    return cll.ExactMatchLevel("district_std")


def _near() -> cll.Or:
    """Same address (half of the shorter one's distinctive tokens, at least two) or phone."""
    tokens_l, tokens_r = _tokens("l", "address_tokens"), _tokens("r", "address_tokens")
    shared = f"array_length(array_intersect({tokens_l}, {tokens_r}))"
    address = (
        f"address_tokens_l = address_tokens_r OR ({shared} >= 2 AND {shared} * 2 >= "
        f"least(array_length({tokens_l}), array_length({tokens_r})))"
    )
    return cll.Or(cll.CustomLevel(address, base_dialect_str="duckdb"),
                  cll.ExactMatchLevel("phone_std"))


def _married_between() -> cll.CustomLevel:
    """A daughter in one record, a wife or daughter-in-law in the other: the woman who
    married between two waves (or is still listed on her parents' roster), whose
    guardian, family name and often district all changed with the marriage."""
    wife = "('spouse', 'daughter-in-law')"
    return cll.CustomLevel(
        f"(relation_std_l = 'daughter' AND relation_std_r IN {wife}) OR "
        f"(relation_std_r = 'daughter' AND relation_std_l IN {wife})",
        base_dialect_str="duckdb",
    )


def household_context() -> cl.CustomComparison:
    """Guardian, family name, place, address and phone as one piece of evidence.

    Siblings share all of these; a person's duplicate registration shares them too.
    Kept as a single comparison so that the family of a person does not look like the
    person through several correlated agreements (see the module docstring). A woman
    who married between the records changes guardian, often family name and district:
    her own levels keep that from reading as a different family. Levels are composed
    of Splink's level objects, so each backend gets its own SQL.
    """
    levels = [
        (cll.And(_guardian(), _place(), _near()), "Guardian, district and address or phone"),
        (cll.And(_guardian(), _place()), "Guardian and district"),
        (_guardian(), "Guardian only (moved district?)"),
        (cll.And(_family(), _place(), _near()), "Family name, district and address or phone"),
        (cll.And(_place(), _near()), "District and address or phone"),
        (cll.And(_family(), _place()), "Family name and district"),
        (_family(), "Family name only"),
        (cll.And(_married_between(), _place()), "Married between the records, same district"),
        (_married_between(), "Married between the records (daughter, then wife)"),
        (_place(), "Same district only"),
    ]
    unknown = " AND ".join(
        f"({col}_l IS NULL OR {col}_r IS NULL)"
        for col in ("guardian_std", "family_name", "district_std", "address_tokens", "phone_std")
    )
    return cl.CustomComparison(
        output_column_name="household_context",
        comparison_levels=[
            cll.CustomLevel(unknown, label_for_charts="Nothing to compare").configure(
                is_null_level=True
            ),
            *(level.configure(label_for_charts=label) for level, label in levels),
            cll.ElseLevel(),
        ],
        comparison_description="Household context: guardian, family name, place, address, phone",
    )


def person_comparisons(
    cnic_u: tuple[float, float] | None = None, rare_m: float | None = None
) -> list[cl.CustomComparison]:
    """The comparisons of the person model, in the order charts show them.

    ``cnic_u`` fixes the CNIC's u (counted, see ``models.training.identifier_u``);
    ``rare_m`` fixes the m of the strongest disagreements (see ``_rare_disagreement``).
    """
    return [
        cnic(*(cnic_u or (None, None)), else_m=rare_m),
        given_name(),
        date_of_birth(else_m=rare_m),
        gender(else_m=rare_m),
        household_context(),
    ]
