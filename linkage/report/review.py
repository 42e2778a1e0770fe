"""Clerical review: a stratified sample of scored pairs for clerks, and its scoring.

Why stratified: nearly all scored pairs are certain matches, so a simple random sample
would spend the clerks' time where the model is never wrong. Pairs are split into
match-weight bands set around the cluster threshold's weight ``t_w``; bands near the
threshold get a larger share of the sample (``BAND_PRIORITY``), every non-empty band gets
at least one pair, and the sampling fraction of each band is kept so that estimates
weight each reviewed pair by the number of pairs it stands for (``band size / sampled``).

Files: ``write_sample`` writes the sample as CSV (ids, band, weights and a blank
``decision`` column; no names or CNICs; cells Excel would run as formulas neutralised,
see ``linkage.excel_safe``) and an HTML page beside it that shows each pair's
two records side by side with, per comparison, the level reached and its weight. That
page necessarily shows personal data (a clerk decides on names) and says so on its first
line. ``score_review`` reads the labelled CSV back, reports the match rate per band and
the overall precision and recall with 95% Wilson intervals, and saves them into the run
folder (``review_scores.json``) for the report.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from linkage.errors import NserLinkError
from linkage.excel_safe import neutralise, restore
from linkage.report.auditor import (
    REVIEW_SCORES,
    Run,
    esc,
    fmt,
    load_input,
    load_run,
    table,
)

DECISIONS = ("match", "non-match", "unsure")
#: Band edges as offsets from the threshold weight; 0 is the threshold itself.
BAND_OFFSETS = (-math.inf, -2.0, 0.0, 2.0, 5.0, 10.0, math.inf)
#: Relative share of the sample per band (same order): most just around the threshold.
BAND_PRIORITY = (1.0, 4.0, 4.0, 2.0, 1.0, 1.0)
SAMPLE_COLUMNS = (
    "pair_id",
    "band",
    "record_id_l",
    "record_id_r",
    "match_weight",
    "match_probability",
    "band_pairs",
    "band_sampled",
    "decision",
)
#: Carried into the sample when the run has them: a pair scored with its household as
#: evidence (``linkage.resolve.household_evidence``) and the weight Splink gave it alone.
HOUSEHOLD_COLUMNS = ("household_evidence", "person_match_weight")
#: Text columns of the sample CSV: neutralised for Excel when written (record ids come
#: from input files, and a band label can start with "-"), restored when read back.
TEXT_COLUMNS = ("band", "record_id_l", "record_id_r", "decision")
#: Fields shown side by side on the review page (raw values as given in the input).
REVIEW_FIELDS = (
    "source",
    "household_id",
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
)


class ReviewFileError(NserLinkError):
    """A labelled review file that cannot be scored."""


# --- bands and sampling -------------------------------------------------------------------


def threshold_weight(threshold: float) -> float:
    return math.log2(threshold / (1 - threshold))


def band_labels(threshold: float) -> list[str]:
    t_w = threshold_weight(threshold)
    edges = [t_w + o for o in BAND_OFFSETS]
    labels = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        if math.isinf(lo):
            labels.append(f"w < {hi:.2f}")
        elif math.isinf(hi):
            labels.append(f"w ≥ {lo:.2f}")
        else:
            labels.append(f"{lo:.2f} ≤ w < {hi:.2f}")
    return labels


def assign_bands(pairs: pd.DataFrame, threshold: float) -> np.ndarray:
    """Band index per pair. The side of the threshold comes from the probability (as in
    clustering), so rounding of the weight can never put a pair in the wrong half."""
    t_w = threshold_weight(threshold)
    offsets = pairs["match_weight"].to_numpy(dtype=float) - t_w
    band = np.digitize(offsets, BAND_OFFSETS[1:-1])
    above = pairs["match_probability"].to_numpy(dtype=float) >= threshold
    first_above = BAND_OFFSETS.index(0.0)
    band = np.where(above, np.maximum(band, first_above), np.minimum(band, first_above - 1))
    return band


def allocate(sizes: list[int], priority: tuple[float, ...], n: int) -> list[int]:
    """Sample size per band: at least one from every non-empty band (when ``n`` allows),
    the rest by priority, never more than a band holds; what a small band cannot take
    goes to the others by their priority."""
    take = [0] * len(sizes)
    for i in sorted(range(len(sizes)), key=lambda i: -priority[i]):
        if sizes[i] and sum(take) < n:
            take[i] = 1
    while sum(take) < min(n, sum(sizes)):
        open_ = [i for i, s in enumerate(sizes) if take[i] < s]
        left = min(n, sum(sizes)) - sum(take)
        total = sum(priority[i] for i in open_)
        progressed = False
        for i in open_:
            extra = min(sizes[i] - take[i], int(left * priority[i] / total))
            take[i] += extra
            progressed |= extra > 0
        if not progressed:  # rounding left a few: give them one by one, by priority
            for i in sorted(open_, key=lambda i: -priority[i])[:left]:
                take[i] += 1
    return take


def sample_pairs(run_dir: str | Path, n: int = 200, seed: int = 1) -> pd.DataFrame:
    """A stratified sample of ``n`` scored pairs (fewer if the run has fewer), the same
    for the same seed and run. Columns: ``SAMPLE_COLUMNS`` with ``decision`` blank."""
    if n < 1:
        raise NserLinkError(f"the sample size must be at least 1, not {n}.")
    run = load_run(run_dir)
    return _sample(run, n, seed)


def _sample(run: Run, n: int, seed: int) -> pd.DataFrame:
    pairs = run.pairs.sort_values(["record_id_l", "record_id_r"], kind="mergesort").reset_index(
        drop=True
    )
    if pairs.empty:
        raise NserLinkError("the run has no scored pairs to review.", file=str(run.path))
    pairs["band_index"] = assign_bands(pairs, run.threshold)
    labels = band_labels(run.threshold)
    sizes = [int((pairs["band_index"] == b).sum()) for b in range(len(labels))]
    take = allocate(sizes, BAND_PRIORITY, n)
    rng = np.random.default_rng(seed)
    chosen = []
    for b, k in enumerate(take):
        if k:
            members = np.flatnonzero(pairs["band_index"].to_numpy() == b)
            chosen.append(
                pairs.iloc[np.sort(rng.choice(members, size=k, replace=False))].assign(
                    band_pairs=sizes[b], band_sampled=k
                )
            )
    out = pd.concat(chosen).sort_values(["band_index", "match_weight"], kind="mergesort")
    out["band"] = [labels[b] for b in out["band_index"]]
    out["pair_id"] = np.arange(1, len(out) + 1)
    out["decision"] = ""
    extra = [c for c in HOUSEHOLD_COLUMNS if c in out.columns]
    return out[[*SAMPLE_COLUMNS, *extra]].reset_index(drop=True)


def write_sample(
    run_dir: str | Path, out: str | Path, n: int = 200, seed: int = 1
) -> tuple[Path, Path, pd.DataFrame]:
    """Write the sample CSV to ``out`` and its review page beside it (``.html``)."""
    run = load_run(run_dir)
    sample = _sample(run, n, seed)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # clerks open it in Excel: an id such as =HYPERLINK(...) must stay text
    sample.assign(**{c: sample[c].map(neutralise) for c in TEXT_COLUMNS}).to_csv(out, index=False)
    page = out.with_suffix(".html")
    page.write_text(review_page(run, sample), encoding="utf-8")
    return out, page, sample


# --- the review page: records side by side, and why the model scored them so -------------


def comparison_waterfall(run: Run, std: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Per sampled pair and comparison: the level reached and its weight log2(m/u).

    The level is found by evaluating the model's own level conditions (DuckDB SQL, in
    order, as Splink does) on the pair's standardised records, so the page does not
    depend on the run having kept ``gamma_*`` columns. Term-frequency adjustments are not
    recomputed; the page shows them as the remainder up to the pair's recorded weight.
    """
    from linkage.config import BackendConfig
    from linkage.engines.duckdb import duckdb_connection
    from models.settings import MODEL_COLUMNS
    from models.validation import validate_model

    # the run folder's model.json runs here as SQL: it is checked as --model would be
    validate_model(run.model, file=str(run.path / "model.json"))

    cols = [c for c in MODEL_COLUMNS if c in std.columns]
    side = std[cols].drop_duplicates("record_id").set_index("record_id")
    frame = sample[["pair_id", "record_id_l", "record_id_r"]].copy()
    frame = frame.join(side.add_suffix("_l"), on="record_id_l").join(
        side.add_suffix("_r"), on="record_id_r"
    )
    cases, meta = [], []
    for i, comp in enumerate(run.model["comparisons"]):
        whens, else_idx = [], None
        for j, level in enumerate(comp["comparison_levels"]):
            meta.append((i, j, comp["output_column_name"], level))
            cond = level["sql_condition"].strip()
            if cond.upper() == "ELSE":
                else_idx = j
            else:
                whens.append(f"WHEN ({cond}) THEN {j}")
        cases.append(
            f'CASE {" ".join(whens)} ELSE {else_idx if else_idx is not None else -1} END AS "c{i}"'
        )
    con = duckdb_connection(BackendConfig())
    con.register("review_pairs", frame)
    got = con.execute(f"SELECT pair_id, {', '.join(cases)} FROM review_pairs ORDER BY pair_id").df()
    con.close()
    rows = []
    for i, comp in enumerate(run.model["comparisons"]):
        levels = comp["comparison_levels"]
        for pair_id, j in zip(got["pair_id"], got[f"c{i}"], strict=True):
            level = levels[int(j)] if j >= 0 else {}
            m, u = level.get("m_probability"), level.get("u_probability")
            w = 0.0 if level.get("is_null_level") or not (m and u) else math.log2(m / u)
            rows.append(
                {
                    "pair_id": pair_id,
                    "comparison": comp["output_column_name"],
                    "level": level.get("label_for_charts", "?"),
                    "weight": w,
                }
            )
    return pd.DataFrame(rows)


def review_page(run: Run, sample: pd.DataFrame) -> str:
    """The clerks' HTML page: one card per pair, records side by side and the waterfall."""
    view = load_input(run)
    std = view.std
    prior = run.model.get("probability_two_random_records_match") or 0.5
    prior_w = math.log2(prior / (1 - prior))
    water = comparison_waterfall(run, std, sample) if std is not None else None
    records = std.drop_duplicates("record_id").set_index("record_id") if std is not None else None
    cards = []
    for p in sample.itertuples():
        head = (
            f"<h2>Pair {p.pair_id} <small>band {esc(p.band)} · weight {p.match_weight:.2f}"
            f" · probability {p.match_probability:.4f}</small></h2>"
        )
        if records is not None:
            left, right = records.loc[p.record_id_l], records.loc[p.record_id_r]
            rows = [
                [f, fmt(left.get(f)), fmt(right.get(f)), _differs(left.get(f), right.get(f))]
                for f in REVIEW_FIELDS
                if f in records.columns
            ]
            side = table(rows, ["field", p.record_id_l, p.record_id_r, ""], cls="compact")
            w = water[water["pair_id"] == p.pair_id]
            household = bool(getattr(p, "household_evidence", False))
            person_w = p.person_match_weight if household else p.match_weight
            tf = person_w - prior_w - w["weight"].sum()
            steps = [["prior", "", round(prior_w, 4), round(prior_w, 4)]]
            total = prior_w
            for r in w.itertuples():
                total += r.weight
                steps.append([r.comparison, r.level, round(r.weight, 4), round(total, 4)])
            steps.append(
                [
                    "term-frequency adjustment",
                    "remainder up to the pair's own weight",
                    round(tf, 4) + 0.0,
                    round(person_w, 4),
                ]
            )
            if household:
                steps.append(
                    [
                        "households as evidence",
                        "one household: prior 1/(roster size), its context not counted twice",
                        round(p.match_weight - person_w, 4),
                        round(p.match_weight, 4),
                    ]
                )
            why = table(steps, ["comparison", "level", "weight", "running total"], cls="compact")
        else:
            side = f"<p>{esc(view.note)}</p><p>{esc(p.record_id_l)} · {esc(p.record_id_r)}</p>"
            why = ""
        cards.append(
            f'<div class="card">{head}<div class="two">{side}{why}</div>'
            "<p>Decision (write it in the CSV): match / non-match / unsure</p></div>"
        )
    css = (
        "body{font-family:system-ui,Arial,sans-serif;margin:20px;font-size:13px}"
        ".banner{background:#fdecea;color:#8a1f11;border:2px solid #c0392b;padding:8px;"
        "font-weight:600}.card{border:1px solid #bbb;margin:14px 0;padding:8px 12px;"
        "break-inside:avoid}.two{display:flex;gap:16px;flex-wrap:wrap}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;"
        "text-align:left}td.num{text-align:right}h2{font-size:15px}small{color:#555}"
    )
    return (
        "<!DOCTYPE html>\n<!-- CONTAINS PERSONAL DATA (names, full CNICs) -->\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>[PII] Clerical review of '
        f"{esc(run.path.name)}</title><style>{css}</style></head><body>"
        '<p class="banner">CONTAINS PERSONAL DATA: names and full CNICs, for clerical '
        "review only.</p>"
        f"<h1>Clerical review of {esc(run.path.name)}: {len(sample)} pairs</h1>"
        + "".join(cards)
        + "</body></html>\n"
    )


def _differs(a, b) -> str:
    """'≠' for different values, '≈' when they differ only in case or spacing."""
    a, b = fmt(a), fmt(b)
    if a == b:
        return ""
    return "≈" if " ".join(a.split()).casefold() == " ".join(b.split()).casefold() else "≠"


# --- scoring the labelled file ------------------------------------------------------------


def wilson(k: float, n: float, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval for k successes in n trials (n may be an effective size)."""
    if n <= 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # at p = 0 or 1 the bound is exactly 0 or 1; floating point would miss it by 1e-16
    lo = 0.0 if p <= 0 else max(0.0, centre - half)
    hi = 1.0 if p >= 1 else min(1.0, centre + half)
    return (lo, hi)


def _weighted(values: np.ndarray, weights: np.ndarray) -> dict:
    """A weighted proportion with a Wilson interval on Kish's effective sample size
    ``(Σw)² / Σw²``: the design-based answer when bands are sampled at different rates."""
    if len(values) == 0 or weights.sum() == 0:
        return {"value": None, "ci95": None, "effective_n": 0.0}
    p = float((values * weights).sum() / weights.sum())
    n_eff = float(weights.sum() ** 2 / (weights**2).sum())
    return {"value": p, "ci95": wilson(p * n_eff, n_eff), "effective_n": n_eff}


def read_labelled(path: str | Path) -> pd.DataFrame:
    """The labelled sample, checked: columns present, decisions among ``DECISIONS`` (case
    and spaces ignored; blank means not reviewed yet)."""
    from linkage.intake.io import read_raw

    file = str(path)
    df = read_raw(path)
    for column in set(TEXT_COLUMNS) & set(df.columns):  # as neutralised by write_sample
        df[column] = df[column].map(restore)
    need = ("record_id_l", "record_id_r", "band", "decision")
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ReviewFileError(
            f"missing column(s) {', '.join(missing)}; a labelled review file has the columns "
            f"of `nser-link review sample` ({', '.join(SAMPLE_COLUMNS)}).",
            file=file,
            column=missing[0],
        )
    decision = df["decision"].fillna("").str.strip().str.lower().str.replace("_", "-")
    decision = decision.replace({"nonmatch": "non-match", "non match": "non-match"})
    bad = ~decision.isin([*DECISIONS, ""])
    if bad.any():
        raise ReviewFileError(
            f"column decision must be one of {', '.join(DECISIONS)} (or blank if not yet "
            "reviewed).",
            file=file,
            column="decision",
            rows=[int(i) + 2 for i in df.index[bad.to_numpy()]],
        )
    dup = df.duplicated(["record_id_l", "record_id_r"], keep=False)
    if dup.any():
        raise ReviewFileError(
            "the same pair is labelled more than once.",
            file=file,
            rows=[int(i) + 2 for i in df.index[dup.to_numpy()]],
        )
    return df.assign(decision=decision)


def score_review(run_dir: str | Path, labelled_csv: str | Path) -> dict:
    """Precision per band and overall, and recall among the run's written pairs, from a
    labelled sample; saved as ``review_scores.json`` in the run folder.

    Estimates weight each reviewed pair by its band's size over the number reviewed in
    it (the inverse sampling fraction). Precision covers the bands above the threshold;
    recall is the estimated matches above the threshold over all estimated matches in
    the written pairs, so matches the job never scored are not counted (an upper bound).
    ``unsure`` and blank decisions are left out of the rates and counted. The decided
    pairs are kept in the run (``clerical_decisions.csv``, ``linkage.register``).
    """
    run = load_run(run_dir)
    file = str(labelled_csv)
    labelled = read_labelled(labelled_csv)
    pairs = run.pairs.assign(band_index=assign_bands(run.pairs, run.threshold))
    keyed = pairs.set_index(["record_id_l", "record_id_r"])
    key = pd.MultiIndex.from_frame(labelled[["record_id_l", "record_id_r"]])
    unknown = ~key.isin(keyed.index)
    if unknown.any():
        raise ReviewFileError(
            f"some pairs are not among the scored pairs of {run.path}; was the sample drawn "
            "from another run?",
            file=file,
            rows=[int(i) + 2 for i in labelled.index[unknown]],
        )
    labelled["band_index"] = keyed.loc[key, "band_index"].to_numpy()
    labels = band_labels(run.threshold)
    first_above = BAND_OFFSETS.index(0.0)

    bands, weights_of = [], {}
    for b, label in enumerate(labels):
        size = int((pairs["band_index"] == b).sum())
        mine = labelled[labelled["band_index"] == b]
        k = int((mine["decision"] == "match").sum())
        nm = int((mine["decision"] == "non-match").sum())
        decided = k + nm
        weights_of[b] = size / decided if decided else 0.0
        if size or len(mine):
            bands.append(
                {
                    "band": label,
                    "above_threshold": b >= first_above,
                    "pairs_in_band": size,
                    "sampled": int(len(mine)),
                    "match": k,
                    "non_match": nm,
                    "unsure": int((mine["decision"] == "unsure").sum()),
                    "unreviewed": int((mine["decision"] == "").sum()),
                    "match_rate": k / decided if decided else None,
                    "ci95": wilson(k, decided),
                }
            )
    decided = labelled[labelled["decision"].isin(["match", "non-match"])]
    if decided.empty:
        raise ReviewFileError(
            "no pair has a decision of match or non-match yet.", file=file, column="decision"
        )
    is_match = (decided["decision"] == "match").to_numpy(dtype=float)
    w = decided["band_index"].map(weights_of).to_numpy(dtype=float)
    above = (decided["band_index"] >= first_above).to_numpy()
    result = {
        "run": str(run.path),
        "labelled_file": file,
        "threshold": run.threshold,
        "bands": bands,
        "precision": _weighted(is_match[above], w[above]),
        "recall": _weighted(above[is_match == 1].astype(float), w[is_match == 1]),
        "method": (
            "Stratified by match-weight band; each reviewed pair weighs band size / "
            "pairs decided in its band. Intervals are 95% Wilson, on Kish's effective "
            "sample size for the weighted totals. Recall counts only matches among "
            "the pairs the run wrote (above the pairs threshold): an upper bound. "
            "'unsure' and blank decisions are left out."
        ),
    }
    (run.path / REVIEW_SCORES).write_text(
        json.dumps(result, indent=2, default=_jsonable), encoding="utf-8"
    )
    # Kept in the run: later registrations and re-runs (--previous) follow the clerk.
    from linkage.register import keep_decisions

    keep_decisions(run.path, decided)
    return result


def _jsonable(value):
    if isinstance(value, np.integer | np.floating | np.bool_):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")
