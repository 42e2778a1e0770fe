"""Who in a partner list is which registry person: pure functions over scored pairs.

The match-partner job (``linkage.pipelines.match_partner``) scores partner rows against
registry records on an engine; everything after that is here and works on small pandas
frames (a few scored pairs per partner row), so DuckDB and Spark give the same answer
from the same pairs: the registry's people among the candidates, one-to-one assignment,
partner-list duplicates, statuses, the ``matches`` table and the partner-facing file.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from linkage.derive.golden import source_year
from linkage.partner_config import MatchPartnerConfig
from linkage.resolve.clustering import cluster_with_cannot_link

MATCHED, REVIEW, UNMATCHED = "matched", "review", "unmatched"
SIDE_COLUMNS = ("record_id", "source", "roster_key", "household_id", "wave_order")


def _side(pairs: pd.DataFrame, side: str) -> pd.DataFrame:
    cols = {f"{c}_{side}": c for c in SIDE_COLUMNS}
    return pairs[list(cols)].rename(columns=cols)


def registry_people(pairs: pd.DataFrame, same: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Every registry record a partner row was scored against, with its person and that
    person's newest record.

    Records of one person are joined by ``same`` (``same_person_pairs``) strongest
    first, never two of one household roster (``linkage.resolve.clustering``). Newest means the
    latest year in the record's ``source`` (``survey_2021``, ``dynamic_2024``), then
    the latest wave in the order the waves were given, then the smallest record id.
    """
    records = pd.concat(
        [_side(pairs, "r"), _side(same, "l"), _side(same, "r")], ignore_index=True
    ).drop_duplicates("record_id", ignore_index=True)
    records["record_id"] = records["record_id"].astype(str)
    records["person_id"] = cluster_with_cannot_link(
        records["record_id"], records["roster_key"], same, threshold
    ).to_numpy()
    records["_year"] = source_year(records["source"]).astype("Float64").fillna(-1).to_numpy()
    records["_wave"] = pd.to_numeric(records["wave_order"]).astype("Float64").fillna(-1)
    newest = records.sort_values(
        ["person_id", "_year", "_wave", "record_id"],
        ascending=[True, False, False, True],
        kind="mergesort",
    ).drop_duplicates("person_id")[["person_id", "record_id", "household_id", "source"]]
    newest.columns = ["person_id", "newest_record_id", "newest_household_id", "newest_source"]
    return records[["record_id", "person_id"]].merge(newest, on="person_id", how="left")


def person_candidates(pairs: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Per partner row and registry person, the best pair: a person registered in two
    waves is one candidate, scored by the record that resembles the row most."""
    c = pairs[["record_id_l", "record_id_r", "match_probability", "match_weight"]].rename(
        columns={"record_id_l": "record_id", "record_id_r": "scored_record_id"}
    )
    c = c.astype({"record_id": str, "scored_record_id": str}).merge(
        people[["record_id", "person_id"]].rename(columns={"record_id": "scored_record_id"}),
        on="scored_record_id",
    )
    return (
        c.sort_values(
            ["match_probability", "scored_record_id"], ascending=[False, True], kind="mergesort"
        )
        .drop_duplicates(["record_id", "person_id"])
        .reset_index(drop=True)
    )


def same_listing(partner: pd.DataFrame) -> pd.Series:
    """For each partner row, the first row (by ``input_row``) that lists the same person.

    Rows are one listing when they share the CNIC as evidence of the person
    (``person_cnic``: a husband's CNIC on a wife's row does not count) and agree on
    birth year or given name with the first such row, so a husband and wife both
    under his CNIC, or a mistyped CNIC shared by strangers, stay apart.
    """
    rows = partner.sort_values("input_row", kind="mergesort")
    first = pd.Series(
        rows["record_id"].astype(str).to_numpy(), index=rows["record_id"].astype(str).to_numpy()
    )
    keyed = rows[rows["person_cnic"].notna()]
    for _, group in keyed.groupby("person_cnic", sort=False):
        if len(group) < 2:
            continue
        head = group.iloc[0]
        same_year = group["dob_year"].eq(head["dob_year"]).fillna(False)
        same_name = group["given_name_key"].eq(head["given_name_key"]).fillna(False)
        agree = (same_year | same_name).to_numpy(dtype=bool)
        first[group["record_id"].astype(str).to_numpy()[agree]] = str(head["record_id"])
    return first.rename("listing")


@dataclass(frozen=True)
class Assignment:
    """The registry person a listing gets, by its best pair with that person."""

    person_id: str
    match_probability: float
    match_weight: float
    scored_record_id: str
    duplicate_of: str | None = None  # the listing that claimed the person first


def assign_one_to_one(
    candidates: pd.DataFrame, listing: pd.Series, *, review_threshold: float, match_threshold: float
) -> dict[str, Assignment]:
    """Registry persons for partner listings, strongest pair first, one-to-one.

    A listing (rows of one person, ``same_listing``) takes its best free person at or
    above ``review_threshold``. A person already taken is given to a second listing
    only when both score at or above ``match_threshold``: the partner list then names
    that person twice, and the second listing is its duplicate. Otherwise the second
    listing falls back to its next candidate, if any (two sisters: the one in the
    registry keeps her record, the other is not matched to her).
    """
    edges = candidates.assign(listing=candidates["record_id"].map(listing))
    edges = (
        edges[edges["match_probability"] >= review_threshold]
        .sort_values(
            ["match_probability", "listing", "person_id", "scored_record_id"],
            ascending=[False, True, True, True],
            kind="mergesort",
        )
        .drop_duplicates(["listing", "person_id"])
    )
    taken: dict[str, str] = {}
    out: dict[str, Assignment] = {}
    cols = ["listing", "person_id", "match_probability", "match_weight", "scored_record_id"]
    for group, person, p, w, scored in edges[cols].itertuples(index=False):
        if group in out:
            continue
        owner = taken.get(person)
        if owner is None:
            taken[person] = group
            out[group] = Assignment(person, float(p), float(w), scored)
        elif p >= match_threshold:  # the owner scored at least p: both are matches
            out[group] = Assignment(person, float(p), float(w), scored, duplicate_of=owner)
    return out


def status_of(p: pd.Series, *, review_threshold: float, match_threshold: float) -> pd.Series:
    """``matched`` / ``review`` / ``unmatched`` by the two thresholds."""
    values = pd.to_numeric(p).astype("Float64").fillna(-1.0).to_numpy()
    status = pd.Series(UNMATCHED, index=p.index, dtype=object)
    status[values >= review_threshold] = REVIEW
    status[values >= match_threshold] = MATCHED
    return status


#: Columns of ``matches``, in order.
MATCH_COLUMNS = (
    "record_id",
    "input_row",
    "status",
    "registry_record_id",
    "registry_household_id",
    "registry_source",
    "match_probability",
    "match_weight",
    "scored_record_id",
    "partner_duplicate_of",
    "duplicate_reason",
)


def matches_table(
    partner: pd.DataFrame,
    candidates: pd.DataFrame,
    people: pd.DataFrame,
    config: MatchPartnerConfig,
) -> pd.DataFrame:
    """One row per usable partner row: status, registry person (its newest record) and
    the probability of the best pair with that person (``scored_record_id``).

    Rows of one listing share its person and score; ``partner_duplicate_of`` names the
    row that lists the person first, ``duplicate_reason`` says how that was seen
    ("same CNIC", "same registry person").
    """
    m = config.matching
    listing = same_listing(partner)
    chosen = assign_one_to_one(
        candidates, listing, review_threshold=m.review_threshold, match_threshold=m.match_threshold
    )
    ids = partner["record_id"].astype(str).reset_index(drop=True)
    group = ids.map(listing)
    got = group.map(chosen)
    newest = people.drop(columns="record_id").drop_duplicates("person_id").set_index("person_id")

    def pick(attribute: str) -> pd.Series:
        return got.map(lambda a: getattr(a, attribute) if isinstance(a, Assignment) else None)

    person = pick("person_id")
    by_person = pick("duplicate_of")
    by_cnic = group != ids
    duplicate_of = by_person.where(~by_cnic, group)
    reason = pd.Series(None, index=ids.index, dtype=object)
    reason[by_person.notna()] = "same registry person"
    reason[by_cnic] = "same CNIC"
    p = pick("match_probability").astype("Float64")
    table = pd.DataFrame(
        {
            "record_id": ids,
            "input_row": partner["input_row"].to_numpy(),
            "status": status_of(
                p, review_threshold=m.review_threshold, match_threshold=m.match_threshold
            ),
            "registry_record_id": person.map(newest["newest_record_id"]),
            "registry_household_id": person.map(newest["newest_household_id"]),
            "registry_source": person.map(newest["newest_source"]),
            "match_probability": p,
            "match_weight": pick("match_weight").astype("Float64"),
            "scored_record_id": pick("scored_record_id"),
            "partner_duplicate_of": duplicate_of,
            "duplicate_reason": reason,
        }
    )
    return table[list(MATCH_COLUMNS)]


#: The partner-facing file: the partner's own ids and our answer, no registry data
#: beyond the household id (no names, CNICs, addresses, phones, dates of birth).
FEEDBACK_COLUMNS = (
    "record_id",
    "input_row",
    "status",
    "registry_household_id",
    "match_probability",
    "partner_duplicate_of",
    "reason",
)


def feedback_table(matches: pd.DataFrame, rejected: pd.DataFrame) -> pd.DataFrame:
    """Every row of the partner's file with our answer, in their row order: their record
    id, row number, status (or ``rejected`` and why), the registry household and the
    match probability. Nothing else of the registry leaves."""
    kept = matches.assign(reason=None)
    if len(rejected):
        turned_down = pd.DataFrame(
            {
                "record_id": rejected["record_id"],
                "input_row": rejected["input_row"],
                "status": "rejected",
                "reason": rejected["reason"],
            }
        )
        kept = pd.concat([kept, turned_down], ignore_index=True)
    out = kept.reindex(columns=list(FEEDBACK_COLUMNS))
    out["match_probability"] = pd.to_numeric(out["match_probability"]).round(4)
    return out.sort_values("input_row", kind="mergesort").reset_index(drop=True)


def newest_wave(sources: pd.DataFrame) -> int:
    """The newest wave of ``sources`` (``wave_order``, ``source``; one row per distinct
    pair is enough): the latest year in its sources, then the last given."""
    years = source_year(sources["source"]).astype("Float64").fillna(-1)
    by_wave = (
        pd.DataFrame(
            {"wave": pd.to_numeric(sources["wave_order"]).to_numpy(), "year": years.to_numpy()}
        )
        .groupby("wave")["year"]
        .max()
    )
    return int(by_wave.reset_index().sort_values(["year", "wave"]).iloc[-1]["wave"])


_WIFE = r"^\s*(?:w\s*/\s*o\b|wife\s+of\b|widow\s+of\b|زوجہ|بیوہ)"


def partner_relations(std: pd.DataFrame) -> pd.DataFrame:
    """Partner rows with ``relation_std`` 'spouse' where the row says she is a wife.

    Partner lists carry no relation to a household head, but a guardian written "W/O
    ..." or a woman listed under a man's CNIC (her husband's) says she is married: the
    person model then recognises the daughter of an older registry wave who married
    since, whose guardian, family name and district all changed.
    """
    if "relation_std" not in std:
        return std
    guardian = (
        std["guardian_name"]
        if "guardian_name" in std
        else pd.Series(None, index=std.index, dtype=object)
    )
    wife = guardian.astype("string").str.lower().str.contains(_WIFE, regex=True)
    husbands_cnic = std["gender_conflict"].fillna(False).astype(bool) & std["gender_std"].eq(
        "F"
    ).fillna(False).astype(bool)
    married = (wife.fillna(False).astype(bool) | husbands_cnic) & std["relation_std"].isna()
    std = std.copy()
    std["relation_std"] = std["relation_std"].astype("string").mask(married, "spouse")
    return std
