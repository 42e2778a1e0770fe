"""Splink settings for the person model, per link type."""

from __future__ import annotations

from collections.abc import Sequence

from splink import SettingsCreator

from models.comparisons import person_comparisons


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
