"""Splink settings for the person model, per link type."""

from __future__ import annotations

from collections.abc import Sequence

from splink import SettingsCreator

from models.comparisons import person_comparisons

#: Standardised columns the person model reads; only these go into the engine, and a
#: loaded model's SQL may refer to no other (``models.validation``).
MODEL_COLUMNS = (
    "record_id", "source", "roster_key",
    "person_cnic", "given_name", "given_name_key", "family_name", "name_tokens_key",
    "guardian_std", "guardian_given", "guardian_key", "guardian_tokens_key",
    "dob", "dob_year", "dob_precision", "gender_std", "district_std", "address_tokens",
    "phone_std", "relation_std",
)


def person_settings(
    blocking_rules: Sequence[dict[str, str] | str],
    *,
    link_type: str = "dedupe_only",
    cnic_u: tuple[float, float] | None = None,
    rare_m: float | None = None,
) -> SettingsCreator:
    """Settings for scoring person pairs; blocking rules come from ``blocking/``."""
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="record_id",
        comparisons=person_comparisons(cnic_u, rare_m),
        blocking_rules_to_generate_predictions=list(blocking_rules),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["source", "roster_key"],
    )
