"""Stated gender -> 'M'/'F', falling back to the CNIC's gender digit.

Forms write gender in English, Roman Urdu and Urdu: M/F, male/female, mard/aurat,
khatoon, larka/larki, مرد/عورت/خاتون/آدمی/لڑکا/لڑکی/مذکر/مؤنث. Third-gender answers
(khawaja sira, transgender, X) are kept apart: the stated value is respected, so no M/F
is taken from the CNIC for them and ``gender_std`` stays null.

``gender_conflict`` is True when both the stated gender and the CNIC's gender digit are
known and disagree, False when both are known and agree, and null otherwise.

>>> standardise_gender(pd.Series(["Male", "عورت", None, "f", "khawaja sira"]),
...                    pd.Series(["M", "F", "F", "M", "M"])).to_numpy().tolist()
[['M', False], ['F', False], ['F', <NA>], ['F', True], [<NA>, <NA>]]
"""

from __future__ import annotations

import re

import pandas as pd

from linkage.standardise._common import STRING, on_uniques, words
from linkage.standardise.name_rules import fold_urdu

__all__ = ["GENDER_COLUMNS", "parse_gender", "standardise_gender"]

GENDER_COLUMNS = ("gender_std", "gender_conflict")
THIRD = "X"

_WORDS: dict[str, str] = {
    **dict.fromkeys(
        words("""m male man men boy mard admi aadmi adami larka larkaa mr he masculine
        gentleman mardana muzakkar muzakar"""),
        "M",
    ),
    **dict.fromkeys(
        words("""f female woman women girl aurat orat khatoon khatun larki larkee mrs ms miss she
        feminine lady zan zanana moannas muannas"""),
        "F",
    ),
    **dict.fromkeys(
        words("""x t tg transgender trans khawajasira khwajasira khawaja sira hijra khusra
        intersex third other"""),
        THIRD,
    ),
    **{
        fold_urdu(k): v
        for k, v in {
            "مرد": "M",
            "آدمی": "M",
            "لڑکا": "M",
            "مذکر": "M",
            "نر": "M",
            "عورت": "F",
            "خاتون": "F",
            "لڑکی": "F",
            "مؤنث": "F",
            "زن": "F",
            "بی بی": "F",
            "خواجہ سرا": THIRD,
            "خواجہسرا": THIRD,
            "ہیجڑا": THIRD,
        }.items()
    },
}
_JUNK = re.compile(r"[^\w\s]")


def _parse_one(value: str | None) -> str | None:
    if value is None:
        return None
    text = fold_urdu(_JUNK.sub(" ", value.lower())).strip()
    text = " ".join(text.split())
    return _WORDS.get(text) or _WORDS.get(text.replace(" ", ""))


def parse_gender(gender: pd.Series) -> pd.Series:
    """'M', 'F', 'X' (third gender) or null for each stated value.

    >>> parse_gender(pd.Series(["M", " FEMALE ", "mard", "خاتون", "آدمی", "??", None])).tolist()
    ['M', 'F', 'M', 'F', 'M', <NA>, <NA>]
    """
    return on_uniques(
        gender, lambda distinct: pd.Series([_parse_one(v) for v in distinct], dtype=STRING)
    )


def standardise_gender(gender: pd.Series, cnic_gender: pd.Series | None = None) -> pd.DataFrame:
    """``gender_std`` (stated, else the CNIC's) and ``gender_conflict`` for a column."""
    stated = parse_gender(gender)
    from_cnic = (
        pd.Series(pd.NA, index=gender.index, dtype=STRING)
        if cnic_gender is None
        else cnic_gender.astype(STRING)
    )
    third = (stated == THIRD).fillna(False)
    binary = stated.mask(third)
    gender_std = binary.fillna(from_cnic).mask(third)
    both = binary.notna() & from_cnic.notna()
    conflict = (binary != from_cnic).astype("boolean").where(both)
    return pd.DataFrame(
        {"gender_std": gender_std.astype(STRING), "gender_conflict": conflict},
        index=gender.index,
    )
