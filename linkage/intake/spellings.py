"""The column names files use for contract columns: what guessing a mapping and telling
a header from data both need (``mapping``, ``header``)."""

from __future__ import annotations

from functools import cache

from linkage.contract import EXTRA_PERSON_COLUMNS, PERSON_COLUMNS

#: Columns a mapping may produce: the person columns plus the partner-list extras the
#: contract names. Anything else would be an "extra" column, which needs no mapping.
MAPPABLE_COLUMNS: tuple[str, ...] = (*PERSON_COLUMNS, *EXTRA_PERSON_COLUMNS, "poverty_flag")

#: Normalised spellings (lower case, letters and digits only) -> contract column.
#: Within one column, earlier spellings win when a file has several ("ID" over "Sr No").
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "record_id": (
        "recordid",
        "id",
        "recid",
        "memberid",
        "personid",
        "beneficiaryid",
        "applicantid",
        "rowid",
        "srno",
        "sno",
        "sr",
        "srnumber",
        "serialno",
        "serialnumber",
        "sn",
        "s",
        "no",
    ),
    "household_id": (
        "householdid",
        "hhid",
        "householdno",
        "householdnumber",
        "hhno",
        "hhcode",
        "householdcode",
        "familyid",
        "familyno",
        "household",
    ),
    "source": ("source", "datasource"),
    "full_name": (
        "fullname",
        "name",
        "beneficiaryname",
        "applicantname",
        "personname",
        "membername",
        "respondentname",
        "nameofbeneficiary",
        "nameofapplicant",
        "candidatename",
    ),
    "guardian_name": (
        "guardianname",
        "fatherhusbandname",
        "fatherorhusbandname",
        "fathershusbandsname",
        "fathername",
        "fathersname",
        "husbandname",
        "husbandsname",
        "guardian",
        "fhname",
        "sowodo",
        "sodowo",
        "parentname",
    ),
    "cnic": (
        "cnic",
        "cnicno",
        "cnicnumber",
        "nic",
        "nicno",
        "nicnumber",
        "cnicbform",
        "cnicbformno",
        "idcardno",
        "idcardnumber",
        "nationalidcard",
        "cnicnum",
    ),
    "gender": ("gender", "sex"),
    "date_of_birth": ("dateofbirth", "dob", "birthdate", "dateofbirthddmmyyyy", "dobddmmyyyy"),
    "relation_to_head": (
        "relationtohead",
        "relation",
        "relationship",
        "relationwithhead",
        "relationshipwithhead",
        "relationshiptohead",
    ),
    "province": ("province", "provincename", "prov", "region"),
    "district": ("district", "districtname", "dist", "distt", "zila", "zilla"),
    "tehsil": ("tehsil", "tehsilname", "taluka", "tehsiltaluka", "subdivision"),
    "union_council": ("unioncouncil", "uc", "ucname", "unioncouncilname", "ucno"),
    "address": (
        "address",
        "homeaddress",
        "residentialaddress",
        "presentaddress",
        "currentaddress",
        "permanentaddress",
        "postaladdress",
    ),
    "phone": (
        "phone",
        "mobile",
        "mobileno",
        "mobilenumber",
        "phoneno",
        "phonenumber",
        "cellno",
        "cellnumber",
        "cell",
        "contactno",
        "contactnumber",
        "contact",
    ),
    "household_size": (
        "householdsize",
        "hhsize",
        "familysize",
        "familymembers",
        "noofmembers",
        "totalmembers",
        "members",
    ),
    "pmt_score": ("pmtscore", "pmt", "povertyscore"),
    "urban_rural": ("urbanrural", "ruralurban", "area", "areatype"),
    "poverty_flag": ("povertyflag", "poor"),
}

#: Name parts a file may split the name into, in the order they are joined.
_NAME_PARTS: tuple[tuple[str, ...], ...] = (
    ("firstname", "givenname", "fname", "forename"),
    ("middlename", "mname"),
    ("lastname", "surname", "familyname", "lname", "caste", "qaum"),
)


def normalise_header(name: str) -> str:
    """Lower case, letters and digits only: "Father/Husband Name" -> "fatherhusbandname"."""
    return "".join(ch for ch in str(name).casefold() if ch.isalnum())


def is_known_column(name: str) -> bool:
    """True when ``name`` is a contract column or a spelling :func:`guess_mapping` knows."""
    return normalise_header(name) in _known_columns()


@cache
def _known_columns() -> frozenset[str]:
    known = {normalise_header(c) for c in MAPPABLE_COLUMNS}
    known.update(s for spellings in (*_SPELLINGS.values(), *_NAME_PARTS) for s in spellings)
    return frozenset(known)
