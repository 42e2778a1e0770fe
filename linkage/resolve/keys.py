"""The keys every engine table of person records carries besides the model's columns."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def person_cnic(std: pd.DataFrame) -> pd.Series:
    """The CNIC as evidence of *this* person: dropped when its gender digit contradicts
    the stated gender, as when a woman is registered under her husband's CNIC."""
    conflict = std["gender_conflict"].fillna(False).astype(bool)
    return std["cnic_std"].where(~conflict).rename("person_cnic")


def roster_keys(records: pd.DataFrame) -> pd.Series:
    """``[wave|]source|household_id``: the roster whose members are different people.

    A row without a household gets its own record id, so it conflicts with no one.
    """
    hh = records.get("household_id")
    if hh is None:
        return records["record_id"].astype(str).rename("roster_key")
    key = records["source"].fillna("").astype(str) + "|" + hh.astype("string").fillna("")
    if "wave" in records:  # two waves may reuse a source name and household ids
        key = records["wave"].astype(str) + "|" + key
    return (
        key.where(hh.notna() & (hh.astype(str) != ""), records["record_id"].astype(str))
        .astype(str)
        .rename("roster_key")
    )


def roster_key(record: Mapping[str, object]) -> str:
    """:func:`roster_keys` of one raw record (a desk's lookup)."""

    def text(name: str) -> str | None:
        value = record.get(name)
        return None if value is None or value == "" else str(value)

    household = text("household_id")
    if household is None:
        return str(record.get("record_id"))
    key = f"{text('source') or ''}|{household}"
    return f"{text('wave')}|{key}" if "wave" in record else key


def with_person_keys(std: pd.DataFrame) -> pd.DataFrame:
    """``std`` with ``roster_key`` and ``person_cnic`` (in place; one batch on Spark)."""
    std["roster_key"] = roster_keys(std).to_numpy()
    std["person_cnic"] = person_cnic(std).astype("string").to_numpy()
    return std
