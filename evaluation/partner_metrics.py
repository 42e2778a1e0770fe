"""Scoring a match-partner run against the truth of generated data.

A partner row is *right* when it is ``matched`` to a registry record of its own person,
or not matched (``review`` or ``unmatched``) when its person is in no registry wave.
So a row sent to review counts as a miss if its person is registered: review is work
for clerks, and the bar (accuracy >= 0.97 with under 3% of rows in review) prices it.

* accuracy - right rows / rows scored;
* precision - matched rows pointing at their own person / matched rows;
* recall - matched rows pointing at their own person / rows whose person is registered;
* newest_share - of the right matches, the share naming the newest registry record of
  the person (latest year in its source, then the later wave given).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from linkage.errors import InputError
from linkage.intake.io import read_raw

PARTNER_FILE = "partner_flood_2022"


@dataclass(frozen=True)
class PartnerScores:
    rows: int
    registered: int
    matched: int
    review: int
    unmatched: int
    right: int
    accuracy: float
    review_share: float
    precision: float
    recall: float
    wrong_person: int
    matched_unregistered: int
    newest_share: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def score_matches(
    matches: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    partner_file: str = PARTNER_FILE,
    registry_files: tuple[str, ...] | None = None,
) -> PartnerScores:
    """Scores of ``matches`` (the job's table) against ``truth`` (``record_id``,
    ``file``, ``person_id``); the registry is every other file unless named."""
    truth = truth.astype({"record_id": str, "file": str, "person_id": str})
    in_registry = (
        truth["file"] != partner_file
        if registry_files is None
        else truth["file"].isin(registry_files)
    )
    registry = truth[in_registry]
    person = truth.drop_duplicates("record_id").set_index("record_id")["person_id"]
    rows = matches.astype({"record_id": str}).copy()
    rows["person"] = rows["record_id"].map(person)
    if rows["person"].isna().all():
        raise InputError("no partner row of the matches is in the truth file.")
    rows = rows[rows["person"].notna()]
    registered = rows["person"].isin(set(registry["person_id"]))
    matched = rows["status"].eq("matched")
    target = (
        rows["registry_record_id"]
        .astype(object)
        .where(rows["registry_record_id"].notna(), None)
        .map(person)
    )
    own = matched & target.eq(rows["person"]).fillna(False).astype(bool)
    right = own | (~matched & ~registered)

    newest = _newest_records(registry)
    names_newest = rows.loc[own, "registry_record_id"].astype(str).isin(newest)
    n = len(rows)
    return PartnerScores(
        rows=n,
        registered=int(registered.sum()),
        matched=int(matched.sum()),
        review=int(rows["status"].eq("review").sum()),
        unmatched=int(rows["status"].eq("unmatched").sum()),
        right=int(right.sum()),
        accuracy=_ratio(right.sum(), n),
        review_share=_ratio(rows["status"].eq("review").sum(), n),
        precision=_ratio(own.sum(), matched.sum()),
        recall=_ratio(own.sum(), registered.sum()),
        wrong_person=int((matched & ~own & registered).sum()),
        matched_unregistered=int((matched & ~registered).sum()),
        newest_share=_ratio(names_newest.sum(), own.sum()),
    )


def _newest_records(registry: pd.DataFrame) -> set[str]:
    """Per person, the registry records of the latest file (files sort by their year)."""
    files = registry["file"]
    year = files.str.extract(r"(\d{4})", expand=False).astype(float).fillna(-1)
    latest = year.groupby(registry["person_id"]).transform("max")
    return set(registry.loc[year == latest, "record_id"])


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else 1.0


def score_files(run_dir: str | Path, truth_path: str | Path) -> PartnerScores:
    """Scores of a run folder's ``matches`` (Parquet or CSV) against a truth CSV."""
    run_dir = Path(run_dir)
    path = next(
        (p for p in (run_dir / "matches.parquet", run_dir / "matches.csv") if p.exists()), None
    )
    if path is None:
        raise InputError("has no matches.parquet or matches.csv.", file=str(run_dir))
    matches = (
        pd.read_parquet(path)
        if path.suffix == ".parquet"
        else pd.read_csv(path, dtype={"record_id": str, "registry_record_id": str})
    )
    return score_matches(matches, read_raw(truth_path))
