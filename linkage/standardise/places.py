"""Province, district, tehsil and union council -> reference names, confidence and keys.

Places are resolved by similarity against the gazetteer, not by a list of misspellings:

1. **Province** -> one of ``PROVINCES`` (the names stdnum uses for CNIC digits, with Azad
   Kashmir added): NWFP/KPK/KP/Sarhad -> Khyber Pakhtunkhwa, Sind -> Sindh, Baluchistan
   -> Balochistan, ICT -> Islamabad, AJK -> Azad Kashmir, GB/Northern Areas ->
   Gilgit-Baltistan, Tribal Areas -> FATA, Urdu names too; a close spelling (ratio >= 85)
   of one of these; else the cleaned lower-case text.
2. **District** -> lower-case reference name (the 135 PBS 2017 census districts plus the
   AJK and Gilgit-Baltistan districts of the 2018 hierarchy), by the first of these
   steps that names one district (``gazetteer``, where the confidences are listed):
   the same compact key (case, spaces, dots and District/Distt/Zila ignored: "Gujran
   Wala", "DERAISMAILKHAN Distt."); an old or colloquial name (Lyallpur, Nawabshah) or a
   district seat (Turbat -> kech); an abbreviation derived from the name ("R.Y. Khan",
   "D.I.Khan", "T.T. Singh", "M.B. Din", "DGK"); a tehsil, resolved to its district
   ("Sadiqabad", "Kandhkot", "Kot Addu"); extra, reordered or partial words ("Jhang
   Sadar", "East Karachi", "Kachhi (Bolan)", "Toba"); a Damerau-Levenshtein (OSA)
   neighbour on the compact form, closer than any other place ("Lahroe", "Mulltan",
   "Shekhupura"); a phonetic key only one place shares ("Badeen", "Jekababad"). The
   stated province narrows the candidates. Anything else keeps its cleaned lower-case
   text ("karachi" is not guessed into one of Karachi's districts).
3. **Tehsil** -> the census tehsil name (lower case) when the written name resolves among
   the tehsils of the record's district by the same steps (no province or district
   table beyond the gazetteer); when the district is unknown, among the tehsils of the
   province (or country), provided it names one. Otherwise its cleaned lower-case text.
4. **Consistency.** The tehsil and district of a record are read together: a tehsil of
   the resolved district raises ``district_confidence`` halfway to 1; a tehsil that is
   in another district lowers a non-exact district's confidence; a district name tied
   between places ("Karachi") is resolved by a tehsil that belongs to only one of them
   (method "tehsil"); a tehsil written in the district field becomes ``tehsil_std`` when
   the tehsil field is blank; a tehsil field that only repeats the district (and names
   no tehsil of it) gives a null ``tehsil_std``, as it carries no tehsil.
5. **Union council** -> cleaned lower-case key without "UC"/"Union Council"/"No." and
   without leading zeros in numbers: "UC-012" and "Union Council No. 12" -> "12".

Unknown values are never dropped: they come back cleaned, with ``district_method``
'unresolved' and ``district_confidence`` 0, for the model to compare fuzzily.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from linkage.standardise._common import (
    STRING,
    as_text,
    on_unique_pairs,
    on_uniques,
    text_or_none,
)
from linkage.standardise.gazetteer import (
    METHODS,
    district_reference,
    exact_district,
    resolve_district,
    resolve_tehsil,
)
from linkage.standardise.place_keys import (
    PROVINCES,
    admin_key,
    place_key,
    province_name,
    sound_key,
)

__all__ = [
    "METHODS",
    "PLACE_COLUMNS",
    "PROVINCES",
    "admin_key",
    "district_reference",
    "place_key",
    "resolve_district",
    "resolve_tehsil",
    "sound_key",
    "standardise_district",
    "standardise_places",
    "standardise_province",
    "standardise_tehsil",
    "standardise_uc",
]

#: The columns ``standardise_places`` returns.
PLACE_COLUMNS = (
    "province_std",
    "district_std",
    "district_confidence",
    "district_method",
    "tehsil_std",
    "uc_std",
)
#: Confidence of a district tied between places and decided by the record's tehsil.
DECIDED_BY_TEHSIL = 0.8
#: Factor on a non-exact district's confidence when the tehsil lies in another district.
TEHSIL_ELSEWHERE = 0.8


def standardise_province(province: pd.Series) -> pd.Series:
    """``province_std``: a name from ``PROVINCES``, else the cleaned lower-case text.

    >>> standardise_province(pd.Series(["NWFP", "Sind", "K.P.K", "baluchistan", "ICT",
    ...                                 "A.J.K", "Northern Areas", "Punjaab", None])).tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['Khyber Pakhtunkhwa', 'Sindh', 'Khyber Pakhtunkhwa', 'Balochistan', 'Islamabad',
     'Azad Kashmir', 'Gilgit-Baltistan', 'Punjab', <NA>]
    """
    return on_uniques(province, lambda d: pd.Series([province_name(v) for v in d], dtype=STRING))


def standardise_district(district: pd.Series, province_std: pd.Series | None = None) -> pd.Series:
    """``district_std`` alone (no tehsil to check it against): reference district (lower
    case), else the cleaned text. ``province_std`` (from ``standardise_province``)
    narrows the candidates.

    >>> standardise_district(pd.Series(["D.G. Khan", "Larkano", "RY Khan", "T.T. Singh",
    ...                                 "Rawal Pindi", "Lyallpur", "Lahore Distt.", "Karachi",
    ...                                 "Muzafargarh", "Peshawer", None])).tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['dera ghazi khan', 'larkana', 'rahim yar khan', 'toba tek singh', 'rawalpindi',
     'faisalabad', 'lahore', 'karachi', 'muzaffargarh', 'peshawar', <NA>]
    """
    if province_std is None:
        province_std = pd.Series(None, index=district.index, dtype=object)

    def run(districts: pd.Series, provinces: pd.Series) -> pd.Series:
        return pd.Series(
            [resolve_district(d, p).name for d, p in zip(districts, provinces, strict=True)],
            dtype=STRING,
        )

    return on_unique_pairs(district, province_std, run)


def standardise_tehsil(tehsil: pd.Series, district_std: pd.Series | None = None) -> pd.Series:
    """``tehsil_std`` given ``district_std``: the reference spelling when the name resolves
    among that district's tehsils; with no reference district, among all tehsils.

    >>> standardise_tehsil(pd.Series(["Fort Abas", "Chishtian Tehsil", "Sadar"]),
    ...                    pd.Series(["bahawalnagar"] * 3)).tolist()
    ['fort abbas', 'chishtian', 'sadar']
    """
    if district_std is None:
        district_std = pd.Series(None, index=tehsil.index, dtype=object)

    def run(tehsils: pd.Series, districts: pd.Series) -> pd.Series:
        return pd.Series(
            [resolve_tehsil(t, d).name for t, d in zip(tehsils, districts, strict=True)],
            dtype=STRING,
        )

    return on_unique_pairs(tehsil, district_std, run)


def standardise_places(
    province: pd.Series, district: pd.Series, tehsil: pd.Series, union_council: pd.Series
) -> pd.DataFrame:
    """``PLACE_COLUMNS`` for aligned raw columns, the district and tehsil read together.

    >>> out = standardise_places(pd.Series(["Sindh", None, None, "Punjab"]),
    ...                          pd.Series(["Karachi", "Lahroe", "Sadiqabad", "Gujran Wala"]),
    ...                          pd.Series(["Gulshan-e-Iqbal", "Raiwind", None, None]),
    ...                          pd.Series([None] * 4))
    >>> out[["district_std", "district_confidence", "district_method", "tehsil_std"]]
    ... # doctest: +NORMALIZE_WHITESPACE
         district_std  district_confidence district_method       tehsil_std
    0    karachi east                  0.8          tehsil  gulshan e iqbal
    1          lahore                0.938           fuzzy          raiwind
    2  rahim yar khan                  0.9          tehsil        sadiqabad
    3      gujranwala                  1.0           exact             <NA>
    """
    codes, rows, (_, (province_codes, provinces), _) = _distinct_rows(district, province, tehsil)
    resolved = [_place_row(d, province_name(p), t) for d, p, t in rows]
    district_std, confidence, method, tehsil_std = (
        (list(column) for column in zip(*resolved, strict=True)) if resolved else ([],) * 4
    )
    distinct = {
        "district_std": pd.array(district_std, dtype=STRING),
        "district_confidence": pd.array(confidence, dtype="Float64"),
        "district_method": pd.array(method, dtype=STRING),
        "tehsil_std": pd.array(tehsil_std, dtype=STRING),
    }
    columns = {
        "province_std": pd.array([province_name(p) for p in provinces], dtype=STRING).take(
            province_codes
        ),
        **{name: values.take(codes) for name, values in distinct.items()},
        "uc_std": standardise_uc(union_council).array,
    }
    per_row = pd.DataFrame(columns, index=district.index, copy=False)
    return per_row


def _place_row(
    district: str | None, province: str | None, tehsil: str | None
) -> tuple[str | None, float | None, str | None, str | None]:
    """(district_std, district_confidence, district_method, tehsil_std) of one record."""
    found = resolve_district(district, province)
    tehsil_given = text_or_none(tehsil) is not None
    if found.method is None:
        return None, None, None, resolve_tehsil(tehsil, None, province).name
    if not found.resolved:
        fits = (
            [c for c in found.candidates if resolve_tehsil(tehsil, c).resolved]
            if tehsil_given
            else []
        )
        if len(fits) != 1:
            return found.name, 0.0, "unresolved", resolve_tehsil(tehsil, None, province).name
        return fits[0], DECIDED_BY_TEHSIL, "tehsil", resolve_tehsil(tehsil, fits[0]).name
    confidence = found.confidence
    if not tehsil_given:
        return found.name, confidence, found.method, found.tehsil
    in_district = resolve_tehsil(tehsil, found.name)
    if in_district.resolved:
        confidence += (1.0 - confidence) / 2
        return found.name, round(confidence, 3), found.method, in_district.name
    as_district = exact_district(tehsil, province)
    if (
        as_district is not None
        and as_district.name == found.name
        and as_district.method != "tehsil"
    ):
        return found.name, confidence, found.method, None  # the district again
    if (
        as_district is not None
        and as_district.method == "tehsil"
        and found.method not in ("exact", "alias", "abbreviation")
    ):
        confidence = round(confidence * TEHSIL_ELSEWHERE, 3)  # a tehsil of another district
    return found.name, confidence, found.method, in_district.name


def _distinct_rows(
    *columns: pd.Series,
) -> tuple[np.ndarray, list[tuple], list[tuple[np.ndarray, np.ndarray]]]:
    """Codes (one per row) into the distinct rows of aligned columns, those rows as tuples
    of text (None for nulls), and each column's own codes and distinct values (None
    last): the work is done once per combination, and each column is hashed once.

    >>> codes, rows, _ = _distinct_rows(pd.Series(["a", "b", "a"]), pd.Series([1, None, 1]))
    >>> codes.tolist(), rows
    ([0, 1, 0], [('a', '1'), ('b', None)])
    """
    combined, size = np.zeros(len(columns[0]), dtype=np.int64), 1
    per_column = []
    for column in columns:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        codes = np.where(codes < 0, len(uniques), codes)
        per_column.append((codes, np.array([*(as_text(u) for u in uniques), None], dtype=object)))
        if size * (len(uniques) + 1) >= 1 << 62:  # renumber before int64 overflows
            combined = pd.factorize(combined)[0].astype(np.int64)
            size = int(combined.max(initial=-1)) + 1
        combined, size = combined * (len(uniques) + 1) + codes, size * (len(uniques) + 1)
    combined = pd.factorize(combined)[0].astype(np.int64)
    # factorize numbers combinations in order of appearance: a new code is a new maximum
    first = np.flatnonzero(np.diff(np.maximum.accumulate(combined), prepend=-1) > 0)
    rows = list(zip(*(values[codes[first]] for codes, values in per_column), strict=True))
    return combined, rows, per_column


# --- union councils -----------------------------------------------------------------------

_UC_WORDS = re.compile(r"\b(?:union council|unioncouncil|uc|u c|no|number|nmbr)\b")
_LEADING_ZEROS = re.compile(r"\b0+(?=\d)")


def _uc_one(value: str | None) -> str | None:
    text = text_or_none(value)
    if text is None:
        return None
    key = place_key(text.replace("#", " "))
    key = " ".join(_LEADING_ZEROS.sub("", _UC_WORDS.sub(" ", key)).split())
    return key or None


def standardise_uc(union_council: pd.Series) -> pd.Series:
    """``uc_std``: cleaned union-council key.

    >>> standardise_uc(pd.Series(["UC-012", "Union Council No. 12", "U.C. Chak 45 JB", ""])
    ...                ).tolist()
    ['12', '12', 'chak 45 jb', <NA>]
    """
    return on_uniques(union_council, lambda d: pd.Series([_uc_one(v) for v in d], dtype=STRING))
