"""Splink comparisons for NSER person records, one small function per field.

Why these levels (see ``shared/NOTES-baseline.md``): the wrong links generic tools make
join members of one family, who share guardian, address, phone, place and family name.
So the fields that tell *people* apart (given name, date of birth, gender, CNIC) get
levels sharp enough to say "different person", and the fields that only say *same
family* (guardian, address, phone, place) are folded into one ``household_context``
comparison: Fellegi-Sunter assumes comparisons are independent, and five family-level
agreements counted as five independent pieces of evidence outvote a different given
name. Each level is a plain Splink level object, so each comparison runs on every
backend Splink supports.
"""

from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl

#: Jaro-Winkler similarity above which two spellings count as a typo of one another.
FUZZY = 0.88


def cnic() -> cl.CustomComparison:
    """CNIC: exact / one digit off or two transposed / different / missing."""
    return cl.CustomComparison(
        output_column_name="cnic",
        comparison_levels=[
            cll.NullLevel("cnic_std"),
            cll.ExactMatchLevel("cnic_std"),
            cll.DamerauLevenshteinLevel("cnic_std", 1).configure(
                label_for_charts="One digit off or two digits transposed"
            ),
            cll.ElseLevel(),
        ],
        comparison_description="CNIC (13 digits, standardised)",
    )


def given_name() -> cl.CustomComparison:
    """First given name, after Muhammad-style prefixes: the field that tells siblings apart.

    A swapped name order ("Khan Ali" for "Ali Khan") is its own level, so it is not
    punished as a different name.
    """
    return cl.CustomComparison(
        output_column_name="given_name",
        comparison_levels=[
            cll.NullLevel("given_name"),
            cll.ExactMatchLevel("given_name", term_frequency_adjustments=True),
            cll.ExactMatchLevel("given_name_key").configure(
                label_for_charts="Same phonetic key (transliteration variant)"
            ),
            cll.JaroWinklerLevel("given_name", FUZZY),
            cll.CustomLevel(
                "given_name_l = family_name_r OR family_name_l = given_name_r",
                label_for_charts="Name order swapped",
            ),
            cll.ElseLevel(),
        ],
        comparison_description="First given name",
    )


def family_name() -> cl.CustomComparison:
    """Last name token; missing for one-word names and for 'Bibi'-style female fillers."""
    return cl.CustomComparison(
        output_column_name="family_name",
        comparison_levels=[
            cll.NullLevel("family_name"),
            cll.ExactMatchLevel("family_name", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("family_name", FUZZY),
            cll.ElseLevel(),
        ],
        comparison_description="Family name",
    )


def date_of_birth() -> cl.CustomComparison:
    """Date of birth compared by its precision.

    A year-only or 1 January date agrees with any date of that year, but says less
    than an exact day; a birth year several years off rules a pair out (siblings).
    """
    imprecise = "(dob_precision_l <> 'day' OR dob_precision_r <> 'day')"
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_levels=[
            cll.NullLevel("dob_year"),
            cll.CustomLevel(
                "dob_precision_l = 'day' AND dob_precision_r = 'day' AND dob_l = dob_r",
                label_for_charts="Same day",
            ),
            cll.CustomLevel(
                f"dob_year_l = dob_year_r AND {imprecise}",
                label_for_charts="Same year, one side year-only or 1 January",
            ),
            cll.CustomLevel(
                "dob_year_l = dob_year_r", label_for_charts="Same year, different day"
            ),
            cll.AbsoluteDifferenceLevel("dob_year", 1).configure(
                label_for_charts="Birth year one apart"
            ),
            cll.AbsoluteDifferenceLevel("dob_year", 3).configure(
                label_for_charts="Birth year two or three apart"
            ),
            cll.ElseLevel(),
        ],
        comparison_description="Date of birth by precision",
    )


def gender() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="gender",
        comparison_levels=[
            cll.NullLevel("gender_std"),
            cll.ExactMatchLevel("gender_std"),
            cll.ElseLevel(),
        ],
        comparison_description="Gender (stated, else from the CNIC)",
    )


def household_context() -> cl.CustomComparison:
    """Guardian, place, address and phone as one piece of evidence: 'same family'.

    Kept as a single comparison so that the family members of a person do not look
    like the person through five correlated agreements (see module docstring).
    """
    guardian = "(guardian_given_l = guardian_given_r OR guardian_key_l = guardian_key_r)"
    address = (
        "(address_tokens_l = address_tokens_r OR "
        "len(list_intersect(str_split(address_tokens_l, ' '), str_split(address_tokens_r, ' ')))"
        " * 2 >= least(len(str_split(address_tokens_l, ' ')), len(str_split(address_tokens_r, ' '))))"
    )
    phone = "phone_std_l = phone_std_r"
    place = "(district_std_l = district_std_r)"
    return cl.CustomComparison(
        output_column_name="household_context",
        comparison_levels=[
            cll.CustomLevel(
                f"{guardian} AND {place} AND ({address} OR {phone})",
                label_for_charts="Guardian, district and address or phone agree",
                base_dialect_str="duckdb",
            ),
            cll.CustomLevel(
                f"{guardian} AND {place}", label_for_charts="Guardian and district agree"
            ),
            cll.CustomLevel(guardian, label_for_charts="Guardian agrees, district not"),
            cll.CustomLevel(
                f"{place} AND ({address} OR {phone})",
                label_for_charts="District and address or phone agree",
                base_dialect_str="duckdb",
            ),
            cll.CustomLevel(place, label_for_charts="Same district"),
            cll.ElseLevel(),
        ],
        comparison_description="Household context: guardian, district, address, phone",
    )


def person_comparisons() -> list[cl.CustomComparison]:
    """The comparisons of the person model, in the order charts show them."""
    return [
        cnic(),
        given_name(),
        family_name(),
        date_of_birth(),
        gender(),
        household_context(),
    ]
