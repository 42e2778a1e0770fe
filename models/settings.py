"""Splink settings for the person model, per link type."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from splink import SettingsCreator

from models.comparisons import person_comparisons


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
        comparisons=person_comparisons(present, cnic_u=cnic_u, other_id_u=other_id_u,
                                       rare_m=rare_m, names=names),
        blocking_rules_to_generate_predictions=list(blocking_rules),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["source", "roster_key"],
        max_iterations=max_iterations,
    )
