"""The data contract (``../shared/CONTRACT.md``) as code.

Names here are added to, never renamed: tests, benchmarks and users' scripts rely on them.
"""

from __future__ import annotations

# --- person records (registry waves and partner lists) ---------------------------------

RECORD_ID = "record_id"
HOUSEHOLD_ID = "household_id"
SOURCE = "source"

PERSON_COLUMNS: tuple[str, ...] = (
    "record_id",
    "household_id",
    "source",
    "full_name",
    "guardian_name",
    "cnic",
    "gender",
    "date_of_birth",
    "relation_to_head",
    "province",
    "district",
    "tehsil",
    "union_council",
    "address",
    "phone",
    "household_size",
    "pmt_score",
    "urban_rural",
)

#: Optional person columns for files shaped otherwise than NSER's: a surname kept in a
#: column of its own, a postcode, an identifier that is not a CNIC (a programme or
#: social-security number, compared exactly). Not written by the generator.
EXTRA_PERSON_COLUMNS: tuple[str, ...] = ("surname", "postcode", "person_id_other")

#: Columns a registry wave must have; everything else is optional.
REGISTRY_REQUIRED: tuple[str, ...] = ("record_id",)
#: Columns a partner list must have.
PARTNER_REQUIRED: tuple[str, ...] = ("record_id",)

# --- columns added by standardisation (``linkage.standardise``) ------------------------
# Every standardised column is nullable; the raw contract columns are kept untouched
# beside them so outputs can carry the values as given.

STANDARDISED_COLUMNS: dict[str, str] = {
    "cnic_std": "13 digits, no dashes; null when missing or malformed",
    "cnic_status": "'valid'; 'unverified' (13 plausible digits python-stdnum rejects, e.g. "
    "first digit 8 for Azad Kashmir); 'missing'; or 'malformed' (not usable)",
    "cnic_province": "province encoded by the CNIC's first digit",
    "cnic_gender": "'M' (last digit odd) or 'F' (even)",
    "gender_std": "'M' or 'F'; from the gender column, else from the CNIC",
    "gender_conflict": "True when the stated gender disagrees with the CNIC; null when "
    "either is unknown",
    "name_std": "canonical name: lower case, honorifics dropped, variants canonical",
    "given_name": "first given name, skipping Muhammad-style prefixes",
    "family_name": "last token when the name has two or more, else null",
    "given_name_key": "phonetic key of given_name (for blocking and comparison)",
    "family_name_key": "phonetic key of family_name",
    "name_tokens_key": "sorted phonetic keys of all core name tokens, space-joined",
    "name_compact": "the core name tokens run together in their order: 'Omar Khan' and "
    "'Omarkhan' agree",
    "name_letters": "the letters of name_compact, sorted: 'Rauf Abdul Faisal' and 'Abdul "
    "Rauf Faisal' agree however their compounds were joined",
    "guardian_std": "canonical guardian name",
    "guardian_given": "first given name of the guardian",
    "guardian_key": "phonetic key of guardian_given",
    "guardian_tokens_key": "sorted phonetic keys of the guardian's core name tokens",
    "guardian_compact": "the guardian's core name tokens run together (no leading title "
    "such as Muhammad): compared for typos with spaces ignored",
    "dob": "date of birth as a date; null when only the year is known",
    "dob_year": "year of birth (int); known even for year-only dates",
    "dob_precision": "'day', 'year' (year only) or 'jan1' (1 January, likely a default)",
    "dob_out_of_range": "True when a birth year was read but is before dates.min_year or in "
    "the future (dob, dob_year and dob_precision are then null); null otherwise",
    "phone_std": "10-digit Pakistani mobile without leading 0/+92, e.g. '3001234567'",
    "province_std": "reference province name",
    "district_std": "reference district name (lower case key); unknown places keep "
    "their cleaned lower-case text",
    "district_confidence": "how sure district_std is the district written (float 0-1): 1 "
    "exact, ~0.95 alias/abbreviation, 0.9 tehsil, lower for fuzzy/phonetic, raised by a "
    "tehsil of that district; 0 unresolved; null when no district given",
    "district_method": "how district_std was found: 'exact', 'alias', 'abbreviation', "
    "'tehsil', 'partial', 'fuzzy', 'phonetic' or 'unresolved'; null when none given",
    "tehsil_std": "census tehsil name (lower case) when the tehsil resolves within the "
    "district (or, with no district, to one tehsil); else its cleaned lower-case text; "
    "null when blank or when it only repeats the district",
    "uc_std": "union council (lower case key)",
    "address_tokens": "space-joined, sorted, de-duplicated distinctive address tokens "
    "(generic words such as house/street/mohalla and the record's own district and "
    "tehsil names left out)",
    "address_signature": "64-bit integer with one bit per address token (crc32 mod 52): two "
    "addresses whose signatures share no bit share no token, so the address comparison "
    "skips them without splitting either; null when address_tokens is null",
    "postcode_std": "postcode: letters and digits, upper case, no spaces",
    "id_other_std": "person_id_other: letters and digits, upper case, no separators",
    "address_numbers": "space-joined, sorted, de-duplicated numbers of the address (house, "
    "street, chak numbers)",
    "relation_std": "relation to the head: 'head', 'spouse', 'son', 'daughter', 'parent', "
    "'son-in-law', 'daughter-in-law', 'grandchild', 'sibling', 'parent-in-law' or 'other'",
}

# --- outputs ---------------------------------------------------------------------------

CLUSTERS = "clusters"
#: dedupe and link-waves: the records as the model scored them (standardised model
#: columns) with household and cluster ids, for registering new records into the run
RECORDS = "records"
PAIRS = "pairs"
GOLDEN_RECORDS = "golden_records"
REJECTED = "rejected"
SUMMARY = "summary.json"
MODEL = "model.json"
#: Hidden file that marks a folder as a run of this tool (tool, version, job, time; no
#: data): only such a folder, or an empty one, is ever replaced (``linkage.outputs``).
RUN_MARKER = ".nser-run.json"

CLUSTER_COLUMNS: tuple[str, ...] = ("record_id", "source", "cluster_id", "household_cluster_id")
PAIR_COLUMNS: tuple[str, ...] = ("record_id_l", "record_id_r", "match_weight", "match_probability")
#: ``rejected`` carries the input row as given plus these two.
REJECT_COLUMNS: tuple[str, ...] = ("input_row", "reason")

# --- link-waves outputs ----------------------------------------------------------------

HOUSEHOLD_LINKS = "household_links"
HOUSEHOLD_GOLDEN_RECORDS = "household_golden_records"
UPDATES = "updates"

LINK_TYPES: tuple[str, ...] = ("same", "split", "merged", "dissolved", "new")
#: ``household_links`` carries these first, then members counts and all roster ids.
HOUSEHOLD_LINK_COLUMNS: tuple[str, ...] = ("household_id_old", "household_id_new", "link_type")
UPDATE_COLUMNS: tuple[str, ...] = (
    "household_id",
    "record_id",
    "field",
    "old_value",
    "new_value",
    "source",
    "flag",
)

# --- match-partner outputs -------------------------------------------------------------

MATCHES = "matches"
UNREGISTERED = "unregistered"
UNREGISTERED_BY_PLACE = "unregistered_by_place"
#: The partner-facing file (always also a CSV): their ids and our answer, no registry PII.
PARTNER_FEEDBACK = "partner_feedback"
MATCH_STATUSES: tuple[str, ...] = ("matched", "review", "unmatched")
MATCH_COLUMNS: tuple[str, ...] = (
    "record_id",
    "registry_record_id",
    "registry_household_id",
    "match_probability",
    "status",
)
