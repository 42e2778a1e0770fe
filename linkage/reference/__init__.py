"""Packaged public reference data, loaded once.

The CSV files in ``data/`` are copies of ``shared/data`` (sources, licences and changes
in ``data/SOURCES.md``; keep its attributions when adding or changing a file). They ship
with the package because a user's clone has no ``shared/`` folder beside it.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd


def _read(name: str) -> pd.DataFrame:
    with resources.files(__name__).joinpath("data", name).open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False, encoding="utf-8")


@cache
def districts() -> pd.DataFrame:
    """PBS 2017 census districts with 2017/2023 population (one row per district)."""
    df = _read("pk_districts_census2017_2023.csv")
    for col in ("population_2017", "population_2023", "urban_proportion_pct_2017"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    return df


@cache
def tehsils() -> pd.DataFrame:
    """PBS 2017 tehsils with population; subtotal rows removed."""
    df = _read("pk_tehsils_census2017.csv")
    df = df[df["is_subtotal_row"] != "1"].reset_index(drop=True)
    df["population_2017"] = pd.to_numeric(df["population_2017"], errors="coerce")
    return df


@cache
def admin_hierarchy() -> pd.DataFrame:
    """2018 province/division/district/tehsil names, including AJK and Gilgit-Baltistan."""
    return _read("pk_admin_hierarchy_2018_incl_ajk_gb.csv")


@cache
def cnic_localities() -> pd.DataFrame:
    """Community-compiled 5-digit CNIC locality prefixes (not an official NADRA list)."""
    return _read("cnic_locality_codes_graysuit.csv")


@cache
def names_latin_urdu() -> pd.DataFrame:
    """Latin/Urdu-script name pairs with gender (urdupoint, via hussein6065/islamic_names)."""
    return _read("names_latin_urdu_urdupoint.csv")


@cache
def name_variants_urdu() -> pd.DataFrame:
    """Latin spellings grouped by one Urdu spelling (``latin_variants`` joined by '|')."""
    return _read("name_variants_by_urdu_spelling.csv")


@cache
def name_variants_arabic() -> pd.DataFrame:
    """Latin spellings grouped by one Arabic spelling (arabnamer, CC-BY-4.0)."""
    return _read("name_variants_by_arabic_spelling_arabnamer.csv")


@cache
def pk_names() -> pd.DataFrame:
    """Pakistani given names, family names and castes (faker-pk, MIT)."""
    return _read("pk_names_faker_pk.csv")


@cache
def top_forenames() -> pd.DataFrame:
    """Top-10 male and female given names for Pakistan (Wikipedia via sigpwned, CC0)."""
    return _read("pk_top_forenames_wikipedia.csv")
