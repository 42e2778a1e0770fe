"""The report's results sections for a match-partner run (``nser-link match-partner``).

What an auditor of a partner match needs: how many partner rows were matched, sent to
review or left unmatched, and how sure the model was (the best pair of every row against
the two thresholds); who the list names twice; and where the registry misses people:
partner rows, matched and unmatched by district (a chart and tables down to tehsil and
union council) beside the registry's records against the census population. With a
truth file (``nser-link generate``): accuracy, review share, precision and recall
(``evaluation.partner_metrics``).

Counts and place names only: ``unregistered`` holds partner rows, so it is shown as
counts by place; no partner or registry name, CNIC or id of a person appears.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from linkage.contract import MATCH_STATUSES, MATCHES, UNREGISTERED, UNREGISTERED_BY_PLACE
from linkage.errors import InputError
from linkage.report.auditor import (
    ReportContext,
    esc,
    grid,
    note,
    section,
    svg_histogram,
    table,
)
from linkage.report.waves import pct, svg_stacked_bars

#: Districts in the coverage chart and table; places in the tehsil / union council table.
TOP_DISTRICTS = 20
TOP_PLACES = 25
STATUS_COLOURS = {"matched": "#2b7a3d", "review": "#e0a526", "unmatched": "#b23b3b"}
STATUS_MEANING = {
    "matched": "best registry person at or above match_threshold",
    "review": "best registry person between review_threshold and match_threshold: for a clerk",
    "unmatched": "no registry person at or above review_threshold: not in the registry "
    "as far as the model can tell",
}
UNKNOWN = "(not given)"


def partner_results_section(ctx: ReportContext) -> str:
    """Statuses, partner duplicates, match probabilities and accuracy (section 4), then
    coverage of the registry by place (section 5)."""
    results = (
        _overview(ctx) + _statuses(ctx) + _duplicates(ctx) + _probabilities(ctx) + _accuracy(ctx)
    )
    return section(
        "4. Results: the partner list against the registry", results, "results"
    ) + section("5. Coverage of the registry by place", _coverage(ctx), "coverage")


def _overview(ctx: ReportContext) -> str:
    s = ctx.run.summary
    info, reg = s.get("input", {}), s.get("registry", {})
    rows = [
        ["partner rows read", info.get("rows_read")],
        ["partner rows rejected (not matchable)", info.get("rows_rejected")],
        ["partner rows matched against the registry", info.get("rows_used")],
        ["registry waves", len(reg.get("waves", []))],
        ["registry records", reg.get("records_used")],
        ["registry people considered (candidates)", s.get("registry_people_considered")],
        ["pairs written (≥ pairs_threshold)", s.get("pairs_written")],
        ["comparisons scored (blocking)", s.get("comparisons", {}).get("total")],
    ]
    by_rule = s.get("comparisons", {}).get("by_rule", [])
    return grid(
        ("Overview", table(rows)),
        (
            "Comparisons by blocking rule",
            table(
                [[r["rule"], r["marginal"]] for r in by_rule],
                ["rule", "new comparisons"],
                cls="compact",
            ),
        ),
    )


def _statuses(ctx: ReportContext) -> str:
    statuses = ctx.run.summary.get("statuses", {})
    total = sum(statuses.values())
    th = ctx.run.summary.get("thresholds", {})
    rows = [
        [
            s,
            statuses.get(s, 0),
            pct(statuses.get(s, 0) / total) if total else "–",
            STATUS_MEANING[s],
        ]
        for s in MATCH_STATUSES
    ]
    chart = svg_stacked_bars(
        ["partner rows"],
        [
            (f"{s} {statuses.get(s, 0):,}", [statuses.get(s, 0)], STATUS_COLOURS[s])
            for s in MATCH_STATUSES
        ],
        notes=[f"{total:,} rows"],
        width=720,
        bar=30,
        label_width=100,
        note_width=80,
    )
    return (
        f"<h3>Statuses</h3><p>Of <b>{total:,}</b> partner rows, <b>{statuses.get('matched', 0):,}"
        f"</b> matched, <b>{statuses.get('review', 0):,}</b> sent to review and "
        f"<b>{statuses.get('unmatched', 0):,}</b> unmatched (match_threshold "
        f"{th.get('match_threshold')}, review_threshold {th.get('review_threshold')}).</p>"
        + table(rows + [["total", total, "", ""]], ["status", "rows", "share", "meaning"])
        + chart
    )


def _duplicates(ctx: ReportContext) -> str:
    dup = ctx.run.summary.get("partner_duplicates", {})
    n = sum(dup.values())
    body = (
        "<h3>Listed more than once</h3><p>Rows naming a person the list already names "
        "(by the same CNIC with the same birth year and given name, or both matching "
        f"the same registry person): <b>{n:,}</b>. Each points to the first listing "
        "(<code>partner_duplicate_of</code>); a person registered once should be paid "
        "once.</p>"
    )
    if dup:
        body += table([[k, v] for k, v in dup.items()], ["reason", "rows"])
    return body


def best_pairs(pairs: pd.DataFrame, rows: int) -> tuple[pd.Series, int]:
    """The best match probability per partner row, and how many rows have no pair at or
    above ``pairs_threshold`` (no candidate worth writing)."""
    best = pairs.groupby("record_id_l")["match_probability"].max()
    return best, max(rows - len(best), 0)


def _probabilities(ctx: ReportContext) -> str:
    th = ctx.run.summary.get("thresholds", {})
    rows = int(ctx.run.summary.get("input", {}).get("rows_used") or 0)
    best, none = best_pairs(ctx.run.pairs, rows)
    match_t, review_t = th.get("match_threshold"), th.get("review_threshold")
    counts, edges = np.histogram(best.to_numpy(dtype=float), bins=20, range=(0.0, 1.0))
    markers = [
        (t, f"{name} {t}")
        for t, name in ((review_t, "review_threshold"), (match_t, "match_threshold"))
        if t is not None
    ]
    body = "<h3>Match probability of each row's best registry pair</h3>" + svg_histogram(
        list(edges),
        [int(c) for c in counts],
        log=True,
        markers=markers,
        x_label="match probability of the best pair",
    )
    bands = [[f"no pair at or above pairs_threshold ({th.get('pairs_threshold')})", none]]
    if match_t is not None and review_t is not None:
        p = best.to_numpy(dtype=float)
        bands += [
            [f"below review_threshold ({review_t})", int((p < review_t).sum())],
            [
                f"review_threshold to match_threshold ({review_t}–{match_t})",
                int(((p >= review_t) & (p < match_t)).sum()),
            ],
            [f"at or above match_threshold ({match_t})", int((p >= match_t).sum())],
        ]
    body += table(bands, ["best pair", "partner rows"])
    matches = ctx.run.table(MATCHES)
    if match_t is not None and review_t is not None and matches is not None:
        p = matches["record_id"].astype(str).map(best).astype(float)
        band = np.where(p >= match_t, "matched", np.where(p >= review_t, "review", "unmatched"))
        moved = int((band != matches["status"].to_numpy()).sum())
        body += f"<p>Rows whose status differs from their best pair's band: <b>{moved:,}</b>.</p>"
    body += note(
        "The status can differ from the best pair's band: resolution is one-to-one "
        "(a registry person goes to one listing), so a row whose best person went to "
        "a stronger row falls back to its next person or to unmatched."
    )
    return body


def expected_accuracy(matches: pd.DataFrame) -> dict[str, float]:
    """What the model's probabilities say of the matched rows: expected right matches
    Σp, wrong ones Σ(1−p), and their share (expected precision)."""
    p = (
        pd.to_numeric(
            matches.loc[matches["status"] == "matched", "match_probability"], errors="coerce"
        )
        .dropna()
        .to_numpy(dtype=float)
    )
    return {
        "matched": int(len(p)),
        "expected_right": float(p.sum()),
        "expected_wrong": float((1 - p).sum()),
        "precision": float(p.mean()) if len(p) else 1.0,
    }


def _accuracy(ctx: ReportContext) -> str:
    matches = ctx.run.table(MATCHES)
    est = expected_accuracy(matches)
    body = (
        "<h3>Accuracy</h3>"
        + table(
            [
                ["matched rows", est["matched"]],
                ["expected right matches Σp", est["expected_right"]],
                ["expected wrong matches Σ(1−p)", est["expected_wrong"]],
                ["estimated precision of matched rows", est["precision"]],
            ],
            ["from the model's probabilities", "value"],
        )
        + note(
            "The model's prior is that of two random registry records, while most people on "
            "a partner list are registered, so these probabilities understate partner "
            "matches: the estimate is a floor. Recall cannot be estimated without knowing "
            "who on the list is registered."
        )
    )
    if ctx.truth is None:
        return body
    from evaluation.partner_metrics import score_matches
    from linkage.intake.io import read_raw

    truth = read_raw(ctx.truth)
    s = ctx.run.summary
    partner_file = Path(str(s.get("input", {}).get("path", ""))).stem
    registry = tuple(
        Path(str(w.get("path", ""))).stem for w in s.get("registry", {}).get("waves", [])
    )
    files = set(truth["file"].astype(str)) if "file" in truth else set()
    try:
        scores = score_matches(
            matches,
            truth,
            partner_file=partner_file,
            registry_files=registry if set(registry) <= files else None,
        )
    except (KeyError, ValueError) as exc:
        raise InputError(
            f"cannot be scored against this run: {exc}.", file=str(ctx.truth)
        ) from None
    ctx.extras["measured"] = scores.as_dict()
    return body + (
        f"<h3>Measured against {esc(str(ctx.truth))}</h3>"
        + table(
            [
                ["partner rows scored", scores.rows, ""],
                ["of them registered (in some wave)", scores.registered, ""],
                ["accuracy (right rows / rows)", scores.accuracy, ""],
                ["review share", scores.review_share, ""],
                ["precision of matched rows", scores.precision, est["precision"]],
                ["recall of registered rows", scores.recall, ""],
                ["matched to the wrong person", scores.wrong_person, ""],
                ["matched but in no wave", scores.matched_unregistered, ""],
                ["right matches naming the person's newest record", scores.newest_share, ""],
            ],
            ["", "measured", "estimated"],
        )
        + note(
            "A row is right when matched to its own person, or not matched when its person "
            "is in no registry wave; a registered row sent to review counts as a miss."
        )
    )


# --- coverage by place --------------------------------------------------------------------


def by_district(places: pd.DataFrame) -> pd.DataFrame:
    """``unregistered_by_place`` summed to districts: partner rows by status, the matched
    share, and the registry's records against the census (one figure per district)."""
    df = places.copy()
    for col in ("province", "district"):
        df[col] = df[col].astype(object).where(df[col].notna(), UNKNOWN)
    g = df.groupby(["province", "district"], sort=False)
    out = g[["partner_rows", "matched", "review", "unmatched"]].sum()
    for col in ("registry_records", "census_population_2023"):
        out[col] = g[col].first()
    # recomputed: the table's own figure is rounded to 4 decimals, 0 for small registries
    out["registry_coverage"] = out["registry_records"].astype("Float64") / out[
        "census_population_2023"
    ].astype("Float64")
    out["matched_share"] = out["matched"] / out["partner_rows"]
    out = out.reset_index()
    return out.sort_values(
        ["partner_rows", "unmatched", "district"], ascending=[False, False, True], kind="mergesort"
    ).reset_index(drop=True)


def _coverage(ctx: ReportContext) -> str:
    places = ctx.run.table(UNREGISTERED_BY_PLACE)
    if places is None or places.empty:
        return note("The run folder has no unregistered_by_place table.")
    d = by_district(places)
    top = d.head(TOP_DISTRICTS)
    chart = svg_stacked_bars(
        [f"{r.district}" for r in top.itertuples()],
        [(s, list(top[s]), STATUS_COLOURS[s]) for s in MATCH_STATUSES],
        notes=[
            f"{pct(r.matched_share, 0)} matched · "
            + (
                f"registry {pct(_num(r.registry_coverage), 2)} of census"
                if _num(r.registry_coverage) is not None
                else "no census figure"
            )
            for r in top.itertuples()
        ],
        width=960,
        label_width=170,
        note_width=270,
    )
    total = d[["partner_rows", "matched", "review", "unmatched"]].sum()
    head = (
        f"<p>Partner rows by district, matched, sent to review and unmatched, with two "
        "estimates of how much of the district the registry holds: the <b>matched "
        "share</b> of the partner's rows, and the registry's records (newest wave) "
        "against the district's <b>census population</b> 2023. The partner list spans "
        f"<b>{len(d):,}</b> districts; {min(TOP_DISTRICTS, len(d))} with most rows "
        f"are shown. Overall {int(total['matched']):,} of {int(total['partner_rows']):,} "
        f"rows matched ({pct(total['matched'] / total['partner_rows'])}).</p>"
    )
    rows = [
        [
            r.province,
            r.district,
            r.partner_rows,
            r.matched,
            r.review,
            r.unmatched,
            pct(r.matched_share),
            _int(r.registry_records),
            _int(r.census_population_2023),
            pct(_num(r.registry_coverage), 2),
        ]
        for r in top.itertuples()
    ]
    body = (
        head
        + "<h3>Coverage by district</h3>"
        + chart
        + table(
            rows,
            [
                "province",
                "district",
                "partner rows",
                "matched",
                "review",
                "unmatched",
                "matched share",
                "registry records",
                "census population 2023",
                "registry / census",
            ],
            cls="compact",
        )
    )
    return body + _fine_places(places) + _unregistered(ctx, d)


def _fine_places(places: pd.DataFrame) -> str:
    """Down to tehsil and union council, most unmatched first (the table's own order)."""
    given = places[["tehsil", "union_council"]].notna().any()
    top = places.head(TOP_PLACES)
    rows = [
        [
            _place(r.province),
            _place(r.district),
            _place(r.tehsil),
            _place(r.union_council),
            r.partner_rows,
            r.matched,
            r.review,
            r.unmatched,
            pct(r.matched_share),
        ]
        for r in top.itertuples()
    ]
    text = (
        f"<h3>By tehsil and union council ({len(top)} of {len(places):,} places, most "
        "unmatched first)</h3>"
    )
    if not given.any():
        text += note("The partner list gives no tehsil or union council: places are districts.")
    return text + table(
        rows,
        [
            "province",
            "district",
            "tehsil",
            "union council",
            "partner rows",
            "matched",
            "review",
            "unmatched",
            "matched share",
        ],
        cls="compact",
    )


def _unregistered(ctx: ReportContext, d: pd.DataFrame) -> str:
    """The unregistered (unmatched rows) as counts by province and district, and which
    poverty evidence ranked them; never the rows themselves."""
    prov = (
        d.groupby("province")[["partner_rows", "unmatched"]]
        .sum()
        .sort_values("unmatched", ascending=False)
    )
    rows = [
        [
            k,
            int(r.partner_rows),
            int(r.unmatched),
            pct(r.unmatched / r.partner_rows) if r.partner_rows else "–",
        ]
        for k, r in prov.iterrows()
    ]
    by_d = d[d["unmatched"] > 0].sort_values(
        ["unmatched", "district"], ascending=[False, True], kind="mergesort"
    )
    body = (
        f"<h3>Unregistered by place</h3><p><b>{int(d['unmatched'].sum()):,}</b> partner "
        "rows are unmatched: people the partner reached whom the registry does not hold "
        "(or holds so differently that the model cannot tell). The rows themselves are in "
        "<code>unregistered</code>, poorest first; here only their counts.</p>"
    )
    blocks = [
        (
            "By province",
            table(
                rows, ["province", "partner rows", "unmatched", "unmatched share"], cls="compact"
            ),
        ),
        (
            f"By district ({min(TOP_DISTRICTS, len(by_d))} of {len(by_d)} with unmatched rows)",
            table(
                [
                    [r.district, int(r.unmatched), int(r.partner_rows)]
                    for r in by_d.head(TOP_DISTRICTS).itertuples()
                ],
                ["district", "unmatched", "partner rows"],
                cls="compact",
            ),
        ),
    ]
    unreg = ctx.run.table(UNREGISTERED)
    if unreg is not None and "poverty_basis" in unreg:
        basis = unreg["poverty_basis"].value_counts()
        blocks.append(
            (
                "What ranks them",
                table(
                    [[k, int(v)] for k, v in basis.items()],
                    ["poverty evidence", "rows"],
                    cls="compact",
                ),
            )
        )
    body += grid(*blocks)
    proxy = ctx.run.summary.get("poverty_proxy")
    if proxy:
        body += note(f"Rows without their own poverty evidence are ranked by: {proxy}.")
    return body


def _place(value) -> str:
    return "–" if value is None or pd.isna(value) else str(value)


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _int(value) -> int | str:
    return "–" if value is None or pd.isna(value) else int(value)
