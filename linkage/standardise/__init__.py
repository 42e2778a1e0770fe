"""Standardisation of person records: raw contract columns -> ``STANDARDISED_COLUMNS``.

``standardise(df)`` is the entry point; each column family has its own module with a
pure Series -> Series/DataFrame function that can be used and tested alone:

========================  ================================================================
module                    adds
========================  ================================================================
``cnic``                  cnic_std, cnic_status, cnic_province, cnic_gender
``gender``                gender_std, gender_conflict
``names`` (+``phonetic``) name_std, given_name, family_name, given_name_key,
                          name_tokens_key, guardian_std, guardian_given, guardian_key
``dates``                 dob, dob_year, dob_precision
``phones``                phone_std
``places`` (+``gazetteer``, province_std, district_std, district_confidence,
``place_keys``)            district_method, tehsil_std, uc_std
``addresses``             address_tokens
``relations``             relation_std
========================  ================================================================

``name_rules`` (word lists, tokenising, Urdu script) and ``name_variants`` (canonical
spellings from the reference name lists) serve ``names``; ``_common`` holds the
distinct-value helpers.
``record.standardise_record`` gives the same values for one record in plain Python (a
desk's lookup: pandas' fixed cost per call is most of a one-row frame's time).

The distinct names are parsed in a worker process (``_worker``) while the other columns
are standardised here. Everything is computed once per distinct value and broadcast
back, so a frame of a million registry rows (where names and places repeat)
standardises in seconds. The functions are pure and deterministic, keep no state
between calls other than the cached reference tables, and take and return pandas
objects, so they can run per batch inside Spark's ``mapInPandas``.

Output dtypes: pandas ``string[pyarrow]`` (nulls are ``pd.NA``) for text, ``datetime64[ns]`` for
``dob`` (midnight), ``Int64`` for ``dob_year``, nullable ``boolean`` for
``gender_conflict``, ``Float64`` for ``district_confidence``.
"""

from __future__ import annotations

import pandas as pd
from pandas.api.types import pandas_dtype

from linkage.contract import STANDARDISED_COLUMNS
from linkage.standardise._common import STRING, as_series
from linkage.standardise.addresses import (
    address_numbers,
    address_signature,
    address_tokens,
    without_place_words,
)
from linkage.standardise.cnic import standardise_cnic
from linkage.standardise.dates import MIN_YEAR, standardise_dob
from linkage.standardise.gender import parse_gender, standardise_gender
from linkage.standardise.identifiers import standardise_code
from linkage.standardise.names import begin_names, parse_name, standardise_names
from linkage.standardise.phones import standardise_phone
from linkage.standardise.phonetic import name_key, phonetic_key
from linkage.standardise.places import (
    standardise_district,
    standardise_places,
    standardise_province,
    standardise_tehsil,
    standardise_uc,
)
from linkage.standardise.relations import standardise_relation

__all__ = [
    "OUTPUT_DTYPES",
    "address_tokens",
    "name_key",
    "parse_gender",
    "parse_name",
    "phonetic_key",
    "standardise",
    "standardise_cnic",
    "standardise_district",
    "standardise_dob",
    "standardise_gender",
    "standardise_names",
    "standardise_phone",
    "standardise_places",
    "standardise_province",
    "standardise_relation",
    "standardise_tehsil",
    "standardise_uc",
]

#: dtype of every standardised column (text is Arrow-backed ``string[pyarrow]``).
OUTPUT_DTYPES: dict[str, str] = {
    **dict.fromkeys(STANDARDISED_COLUMNS, STRING),
    "dob": "datetime64[ns]",
    "dob_year": "Int64",
    "address_signature": "Int64",
    "gender_conflict": "boolean",
    "dob_out_of_range": "boolean",
    "district_confidence": "Float64",
}
#: the same as dtype objects (``string[pyarrow]`` == "string" would hold as text)
_DTYPES = {c: pandas_dtype(t) for c, t in OUTPUT_DTYPES.items()}


def standardise(
    df: pd.DataFrame, *, min_year: int = MIN_YEAR, names_worker: bool = True
) -> pd.DataFrame:
    """A new frame: the columns of ``df`` and every column of ``STANDARDISED_COLUMNS``.

    Raw columns are kept untouched (their arrays shared with ``df``, not copied); missing
    raw columns are treated as all-null. Row count, order and index are preserved. Birth
    years before ``min_year`` are dropped (``dates.min_year`` in a job's config). A column
    of the same name already in ``df`` is replaced in the new frame (``df`` keeps it).
    ``names_worker=False``: names are parsed in this process whatever their number (a
    Spark task, which has one core).

    >>> out = standardise(pd.DataFrame({"full_name": ["Mohd. Naveed Akhtar"],
    ...                                 "cnic": ["35202-1234567-1"], "district": ["D.G. Khan"]}))
    >>> out[["given_name", "cnic_std", "gender_std", "district_std"]].iloc[0].tolist()
    ['naveed', '3520212345671', 'M', 'dera ghazi khan']
    """

    def col(name: str) -> pd.Series:
        return as_series(df[name] if name in df.columns else None, df.index)

    # names first: they are parsed on a second core while the other columns are done here
    names_done = begin_names(
        col("full_name"),
        col("guardian_name"),
        df["surname"] if "surname" in df.columns else None,
        worker=names_worker,
    )
    cnic = standardise_cnic(col("cnic"))
    gender = standardise_gender(col("gender"), cnic["cnic_gender"])
    dob = standardise_dob(col("date_of_birth"), min_year=min_year)
    places = standardise_places(
        col("province"), col("district"), col("tehsil"), col("union_council")
    )
    tokens = without_place_words(
        address_tokens(col("address")), places["district_std"], places["tehsil_std"]
    )
    others = pd.DataFrame(
        {
            "phone_std": standardise_phone(col("phone")),
            "postcode_std": standardise_code(col("postcode")),
            "id_other_std": standardise_code(col("person_id_other")),
            "address_tokens": tokens,
            "address_numbers": address_numbers(tokens),
            "address_signature": address_signature(tokens),
            "relation_std": standardise_relation(col("relation_to_head")),
        },
        index=df.index,
    )
    added = pd.concat([cnic, gender, names_done(), dob, places, others], axis=1)
    added = added[list(STANDARDISED_COLUMNS)]
    # only the columns not yet of their dtype: ``astype`` costs per column, which is most
    # of the cost of a one-row frame (a desk lookup)
    added = added.astype({c: t for c, t in _DTYPES.items() if added[c].dtype != t})
    # A new frame holding df's own arrays: concat would copy every raw column (about a
    # second at a million rows), and nothing edits a standardised frame's cells in place.
    columns = {c: added[c] if c in added.columns else df[c] for c in df.columns}
    return pd.DataFrame({**columns, **{c: added[c] for c in added.columns}}, copy=False)
