"""Splink settings for the person model, per link type."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from splink import SettingsCreator

from models.comparisons import person_comparisons

#: Standardised columns the person model reads; only these go into the engine, and a
#: loaded model's SQL may refer to no other (``models.validation``).
MODEL_FIELDS = (
    "person_cnic",
    "id_other_std",
    "given_name",
    "given_name_key",
    "family_name",
    "family_name_key",
    "name_tokens_key",
    "name_compact",
    "name_letters",
    "guardian_std",
    "guardian_given",
    "guardian_key",
    "guardian_tokens_key",
    "guardian_compact",
    "dob",
    "dob_year",
    "dob_precision",
    "gender_std",
    "district_std",
    "district_confidence",
    "tehsil_std",
    "uc_std",
    "postcode_std",
    "address_tokens",
    "address_signature",
    "address_numbers",
    "phone_std",
    "relation_std",
)
MODEL_COLUMNS = ("record_id", "source", "roster_key", *MODEL_FIELDS)


def person_settings(
    blocking_rules: Sequence[dict[str, str] | str],
    *,
    present: Collection[str],
    link_type: str = "dedupe_only",
    cnic_u: tuple[float, float] | None = None,
    other_id_u: float | None = None,
    rare_m: float | None = None,
    max_iterations: int = 25,
    names: Collection[str] | None = None,
) -> SettingsCreator:
    """Settings for scoring person pairs on the columns ``present``; blocking rules come
    from ``blocking/``."""
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="record_id",
        comparisons=person_comparisons(
            present, cnic_u=cnic_u, other_id_u=other_id_u, rare_m=rare_m, names=names
        ),
        blocking_rules_to_generate_predictions=list(blocking_rules),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["source", "roster_key"],
        max_iterations=max_iterations,
    )
