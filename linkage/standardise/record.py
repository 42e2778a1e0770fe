"""One record standardised without pandas: the desk's lookup, answered in milliseconds.

``standardise`` is built for frames: each column family is worked out once per distinct
value and broadcast back, in pandas and Arrow. On a one-row frame that machinery is the
whole cost (about 30 ms of fixed cost per call, for a millisecond of actual work), and a
desk looks up one person at a time. ``standardise_record`` gives the same values for one
record from the same per-value rules (``parse_name``, the date reader, the gazetteer's
resolution, the address tokeniser, ...); only the few steps the frame path writes as
Arrow expressions (CNIC and phone digits, codes, the name pre-fold, address phrases) are
written here again for one value, with the same patterns. ``tests/test_standardise_record``
holds the two to the same answer, column by column, on generated, FEBRL and malformed
records.

Arrow's regular expressions (RE2) read ``\\d``, ``\\s``, ``\\w`` and ``\\b`` as ASCII, so
the patterns below are compiled with ``re.ASCII``; RE2's ``$`` is Python's ``\\Z``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from linkage.contract import STANDARDISED_COLUMNS
from linkage.standardise._common import NULL_TOKENS, as_text, fold_text, is_placeholder
from linkage.standardise.addresses import _PHRASES, _tokens_one, signature_of, without_words
from linkage.standardise.cnic import _PLACEHOLDER_RUNS, CNIC_PROVINCES, stdnum_cnic
from linkage.standardise.dates import MIN_YEAR, _read
from linkage.standardise.gender import THIRD, _parse_one
from linkage.standardise.name_rules import fold_urdu
from linkage.standardise.names import NameParts, parse_name
from linkage.standardise.place_keys import province_name
from linkage.standardise.places import _place_row, _uc_one
from linkage.standardise.relations import relation_of

__all__ = ["standardise_record"]

_A = re.ASCII
_TRAILING_ZERO = re.compile(r"\.0\Z", _A)
_CNIC_SEPARATORS = re.compile(r"[\s\-./_\\]", _A)
_CNIC = re.compile(r"[1-8]\d{12}", _A)
_PHONE_REST = re.compile(r"(?:[,;/|]|\bor\b).*\Z", _A)
_NOT_DIGIT = re.compile(r"\D", _A)
_COUNTRY = re.compile(r"(?:00)?92\d{9,10}", _A)
_COUNTRY_PREFIX = re.compile(r"^(?:00)?92", _A)
_TRUNK = re.compile(r"0[1-9]", _A)
_MOBILE = re.compile(r"3\d{9}", _A)
_LANDLINE = re.compile(r"[124-9]\d{8,9}", _A)
_NOT_WORD = re.compile(r"[\W_]+", _A)
_SPACES = re.compile(r"\s+", _A)
_NUMBER_WORD = re.compile(r"(?:^| )[^0-9 ][^ ]*", _A)
_ADDRESS_PHRASES = tuple((re.compile(p, _A), r) for p, r in _PHRASES)


def _text(value: object) -> str | None:
    """A raw value as the frame path's distinct values see it (None for nulls)."""
    if value is None or value != value:  # None, NaN, pd.NA
        return None
    return as_text(value)


def _folded(text: str) -> str:
    """``fold_digits`` of one value: only non-ASCII text is touched."""
    return text if text.isascii() else fold_text(text)


def _same_digit_run(text: str) -> bool:
    return text[:-1] == text[1:]


def _cnic(raw: str | None) -> tuple[str | None, str, str | None, str | None]:
    """(cnic_std, cnic_status, cnic_province, cnic_gender), as ``standardise_cnic``."""
    if raw is None:
        return None, "missing", None, None
    text = _folded(raw)
    if is_placeholder(text):
        return None, "missing", None, None
    number = _CNIC_SEPARATORS.sub("", _TRAILING_ZERO.sub("", text.strip()))
    kept = (
        _CNIC.fullmatch(number) is not None
        and not _same_digit_run(number)
        and number[5:12] != "0000000"
        and number not in _PLACEHOLDER_RUNS
    )
    if not kept:
        return None, "malformed", None, None
    accepted = number[0] in stdnum_cnic.PROVINCES and number[12] in "123456789"
    gender = "M" if int(number[12]) % 2 else "F"
    return number, "valid" if accepted else "unverified", CNIC_PROVINCES.get(number[0]), gender


def _gender(raw: str | None, cnic_gender: str | None) -> tuple[str | None, bool | None]:
    """(gender_std, gender_conflict), as ``standardise_gender``."""
    stated = _parse_one(raw)
    if stated == THIRD:
        return None, None
    conflict = None if stated is None or cnic_gender is None else stated != cnic_gender
    return stated or cnic_gender, conflict


def _prefold(raw: str | None) -> str | None:
    """``names._prefold`` of one value."""
    if raw is None:
        return None
    return _SPACES.sub(" ", raw.lower()).strip()


def _names(full_name: object, guardian_name: object, surname: object) -> dict:
    own = parse_name(_prefold(_text(full_name)), surname=_prefold(_text(surname)))
    stated = _prefold(_text(guardian_name))
    if stated is not None and is_placeholder(stated):
        stated = None
    guardian = parse_name(stated if stated is not None else own.guardian_text)
    out = {f: getattr(own, f) for f in NameParts._fields if f != "guardian_text"}
    out.update(
        guardian_std=guardian.name_std,
        guardian_given=guardian.given_name,
        guardian_key=guardian.given_name_key,
        guardian_tokens_key=guardian.name_tokens_key,
        guardian_compact=guardian.name_compact,
    )
    return out


def _phone(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = _TRAILING_ZERO.sub("", _folded(raw))
    number = _NOT_DIGIT.sub("", _PHONE_REST.sub("", text, count=1))
    if _COUNTRY.fullmatch(number):
        number = _COUNTRY_PREFIX.sub("", number, count=1)
    if _TRUNK.match(number):
        number = number[1:]
    usable = _MOBILE.fullmatch(number) or _LANDLINE.fullmatch(number)
    return number if usable and not _same_digit_run(number[-7:]) else None


def _code(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = _folded(raw).strip()
    if text.lower() in NULL_TOKENS:
        return None
    code = _NOT_WORD.sub("", _TRAILING_ZERO.sub("", text)).upper()
    return code or None


def _address_tokens(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = raw.lower()
    if not text.isascii():
        text = fold_urdu(text)
    for pattern, repl in _ADDRESS_PHRASES:
        text = pattern.sub(repl, text)
    return _tokens_one(text)


def _address_numbers(tokens: str | None) -> str | None:
    if tokens is None:
        return None
    return _NUMBER_WORD.sub("", tokens).strip() or None


def standardise_record(record: Mapping[str, object], *, min_year: int = MIN_YEAR) -> dict:
    """Every column of ``STANDARDISED_COLUMNS`` for one raw record (contract column ->
    value; absent columns are null), as ``standardise`` gives for a one-row frame but in
    plain Python values: text or None, ``datetime`` for ``dob``, ``int`` for ``dob_year``
    and ``address_signature``, ``float`` for ``district_confidence``, ``bool`` or None
    for the flags.

    >>> out = standardise_record({"full_name": "Mohd. Naveed Akhtar",
    ...                           "cnic": "35202-1234567-1", "district": "D.G. Khan"})
    >>> [out[c] for c in ("given_name", "cnic_std", "gender_std", "district_std")]
    ['naveed', '3520212345671', 'M', 'dera ghazi khan']
    """

    def raw(name: str) -> str | None:
        return _text(record.get(name))

    cnic_std, cnic_status, cnic_province, cnic_gender = _cnic(raw("cnic"))
    gender_std, gender_conflict = _gender(raw("gender"), cnic_gender)
    dob, dob_year, dob_precision, dob_out_of_range = _read(raw("date_of_birth"), min_year)
    district_std, confidence, method, tehsil_std = _place_row(
        raw("district"), province_name(raw("province")), raw("tehsil")
    )
    tokens = without_words(_address_tokens(raw("address")), district_std, tehsil_std)
    out = {
        "cnic_std": cnic_std,
        "cnic_status": cnic_status,
        "cnic_province": cnic_province,
        "cnic_gender": cnic_gender,
        "gender_std": gender_std,
        "gender_conflict": gender_conflict,
        **_names(record.get("full_name"), record.get("guardian_name"), record.get("surname")),
        "dob": dob if dob is None else dt.datetime(dob.year, dob.month, dob.day),
        "dob_year": dob_year,
        "dob_precision": dob_precision,
        "dob_out_of_range": dob_out_of_range,
        "province_std": province_name(raw("province")),
        "district_std": district_std,
        "district_confidence": confidence,
        "district_method": method,
        "tehsil_std": tehsil_std,
        "uc_std": _uc_one(raw("union_council")),
        "phone_std": _phone(raw("phone")),
        "postcode_std": _code(raw("postcode")),
        "id_other_std": _code(raw("person_id_other")),
        "address_tokens": tokens,
        "address_numbers": _address_numbers(tokens),
        "address_signature": signature_of(tokens),
        "relation_std": relation_of(record.get("relation_to_head")),
    }
    return {c: out[c] for c in STANDARDISED_COLUMNS}
