"""How well link-waves did against the generator's truth: people across waves, and the
lineage type of each household of the older wave.

The true lineage applies the rule of ``linkage.derive.lineage`` to the true people, true
households and true heads (``truth.csv``), so a wrong type here is a linkage error
(people or heads not found), not a different definition.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evaluation.metrics import Scores, score_clusters
from linkage.derive.lineage import classify


@dataclass(frozen=True)
class LineageScores:
    households: int  # households of the older wave scored
    type_accuracy: float  # share whose link type is right
    successor_accuracy: float  # share whose type and continuing household are right
    by_type: dict[str, dict[str, float]]  # true type -> {"n", "recall"}


def true_links(
    truth: pd.DataFrame,
    waves: dict[str, pd.DataFrame],
    old: str,
    new: str,
    *,
    merge_share: float = 0.5,
) -> pd.DataFrame:
    """Link type of each household of wave ``old`` (by its ``household_id``) computed on
    true identities; ``waves`` maps truth ``file`` names to wave frames."""
    rows = []
    for order, name in enumerate((old, new)):
        frame = waves[name][["record_id", "household_id"]].merge(truth, on="record_id")
        rows.append(
            pd.DataFrame(
                {
                    "wave": order,
                    "unit": name + "#" + frame["household_true_id"],
                    "person": frame["person_id"],
                    "head": frame["household_head"].astype(int) == 1,
                    "household_id": frame["household_id"],
                }
            )
        )
    members = pd.concat(rows, ignore_index=True)
    links = classify(members, 0, 1, merge_share=merge_share)
    per_old = (
        links[links["unit_old"].notna()]
        .sort_values(["unit_old", "continues"], ascending=[True, False])
        .drop_duplicates("unit_old")
    )
    # the household ids of the older wave in each true unit (usually one)
    old_ids = members[members["wave"] == 0].drop_duplicates(["unit", "household_id"])
    out = old_ids[["household_id", "unit"]].merge(
        per_old[["unit_old", "unit_new", "link_type"]], left_on="unit", right_on="unit_old"
    )
    return out.rename(columns={"unit_new": "true_unit_new"})[
        ["household_id", "link_type", "true_unit_new"]
    ]


def score_lineage(
    household_links: pd.DataFrame,
    truth: pd.DataFrame,
    waves: dict[str, pd.DataFrame],
    old: str,
    new: str,
) -> LineageScores:
    """Compare ``household_links`` (a link-waves output) with the true lineage."""
    expected = true_links(truth, waves, old, new)
    got = (
        household_links[household_links["household_id_old"].notna()]
        .sort_values(["household_id_old", "continues"], ascending=[True, False])
        .drop_duplicates("household_id_old")
    )
    # the continuing new household, as a true unit, to check where "same" points
    new_unit = (
        waves[new][["record_id", "household_id"]]
        .merge(truth, on="record_id")
        .groupby("household_id")["household_true_id"]
        .agg(lambda s: s.mode().iloc[0])
    )
    both = expected.merge(
        got, left_on="household_id", right_on="household_id_old", how="left", suffixes=("_true", "")
    )
    right_type = both["link_type"] == both["link_type_true"]
    got_unit = new + "#" + both["household_id_new"].map(new_unit)
    right_place = right_type & (
        (both["link_type_true"].isin(["dissolved"])) | (got_unit == both["true_unit_new"])
    )
    by_type = {
        t: {"n": int(n), "recall": round(float(right_type[both["link_type_true"] == t].mean()), 4)}
        for t, n in both["link_type_true"].value_counts().sort_index().items()
    }
    return LineageScores(
        len(both), round(float(right_type.mean()), 4), round(float(right_place.mean()), 4), by_type
    )


def score_people(clusters: pd.DataFrame, truth: pd.DataFrame) -> tuple[Scores, Scores]:
    """Pairwise scores of person clusters over all waves, and over cross-wave pairs only
    (each wave's records scored with the other waves' records of the same cluster)."""
    labels = truth.set_index("record_id")["person_id"]
    predicted = clusters.set_index("record_id")["cluster_id"]
    overall = score_clusters(predicted, labels)
    # One record per true person and wave: no true pair is left inside a wave, so what
    # is scored is finding people across waves (and not merging two people of one wave).
    firsts = clusters.assign(person=clusters["record_id"].map(labels)).dropna(subset=["person"])
    reps = firsts.drop_duplicates(["wave", "person"])
    cross = score_clusters(
        reps.set_index("record_id")["cluster_id"], reps.set_index("record_id")["person"]
    )
    return overall, cross
