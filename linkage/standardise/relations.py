"""Relation to the head of household, as written on a roster, to a short canonical word.

Rosters say ``Head``, ``Self``, ``HOH``, ``Head of household`` or ``سربراہ``; lineage
needs to know who heads a household, and updates compare relations across waves, so
both need one spelling per relation.
"""

from __future__ import annotations

import re

import pandas as pd

from linkage.standardise._common import is_placeholder

RELATIONS: dict[str, tuple[str, ...]] = {
    "head": (
        "head",
        "self",
        "hoh",
        "head of household",
        "household head",
        "head of family",
        "sarbarah",
        "سربراہ",
        "خود",
    ),
    "spouse": ("spouse", "wife", "husband", "begum", "بیوی", "شوہر", "زوجہ"),
    "son": ("son", "بیٹا"),
    "daughter": ("daughter", "بیٹی"),
    "parent": ("parent", "father", "mother", "والد", "والدہ"),
    "son-in-law": ("son-in-law", "son in law", "damad", "داماد"),
    "daughter-in-law": ("daughter-in-law", "daughter in law", "bahu", "بہو"),
    "grandchild": (
        "grandchild",
        "grandson",
        "granddaughter",
        "pota",
        "poti",
        "nawasa",
        "nawasi",
        "پوتا",
        "پوتی",
        "نواسا",
        "نواسی",
    ),
    "sibling": ("sibling", "brother", "sister", "بھائی", "بہن"),
    "parent-in-law": (
        "parent-in-law",
        "father-in-law",
        "mother-in-law",
        "father in law",
        "mother in law",
        "سسر",
        "ساس",
    ),
    "other": ("other", "other relative", "relative", "non-relative", "non relative", "servant"),
}
_LOOKUP = {spelling: canon for canon, spellings in RELATIONS.items() for spelling in spellings}
_SPACE = re.compile(r"[\s_]+")


def relation_of(value: object) -> str | None:
    """One value's canonical relation (see :func:`standardise_relation`)."""
    if not isinstance(value, str) or is_placeholder(value):
        return None
    text = _SPACE.sub(" ", value.strip().lower())
    return _LOOKUP.get(text, _LOOKUP.get(text.replace("-", " "), "other"))


def standardise_relation(values: pd.Series) -> pd.Series:
    """Canonical relation per value; unknown spellings become ``other``, blanks and
    placeholders ("N/A", "-") null."""
    unique = pd.unique(values.astype(object))
    mapping = {v: relation_of(v) for v in unique if v is not None and v == v}
    return values.map(mapping).astype("object").rename("relation_std")
