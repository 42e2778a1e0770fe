"""The report's results section for a link-waves run (``nser-link link-waves``).

What an auditor of linked waves needs: how many people were found in more than one
wave, what became of each household of the older wave (lineage, per wave step), which
changes the newer wave brings (updates) and which of them are flagged for checking, by
district, and the rules that decided all this. With a truth file (``nser-link
generate``): person F1 over all pairs and across waves only, and how often the lineage
type is right, per true type (``evaluation.lineage_truth``).

Counts, district names and field names only: no name, CNIC or value of an update
appears (the largest clusters mask CNICs unless ``show_pii``, as for dedupe).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from linkage.contract import HOUSEHOLD_GOLDEN_RECORDS, HOUSEHOLD_LINKS, LINK_TYPES, UPDATES
from linkage.errors import InputError
from linkage.report.auditor import (
    ReportContext,
    _largest_clusters,
    esc,
    grid,
    note,
    section,
    svg_bars,
    svg_histogram,
    table,
)

#: Districts listed in the flags-by-district table and chart.
TOP_DISTRICTS = 15
PALETTE = (
    "#2b7a3d",
    "#e0a526",
    "#b23b3b",
    "#3b6ea5",
    "#7a4fa0",
    "#4fa0a0",
    "#a0704f",
    "#888888",
    "#c45c9a",
)

LINK_MEANING = {
    "same": "one household of the newer wave descends from it",
    "split": "two or more households descend from it",
    "merged": "none continues it, but merge_share of its members live in one newer household",
    "dissolved": "none continues it and its members are not together in one household",
    "new": "a newer household with no one seen in the older wave",
}

RULE_MEANING = {
    "cluster": "pairs at or above this match probability join one person",
    "pairs": "pairs at or above this probability are written to pairs",
    "household_overlap": "rosters of one wave sharing this share of people are one household",
    "merge_share": "share of an ended household's members that must live in one newer "
    "household for it to count as merged",
    "max_size_change": "household size changes by more people than this are flagged (size_jump)",
    "max_size_vs_roster": "reported size differing from the members listed by more is "
    "flagged (size_disagrees_with_roster)",
    "min_head_age": "a head younger than this (years) is flagged (head_under_15)",
}


def svg_stacked_bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], str]],
    *,
    notes: Sequence[str] | None = None,
    width: int = 900,
    bar: int = 18,
    label_width: int = 200,
    note_width: int = 250,
) -> str:
    """Horizontal stacked bars, one per label; ``series`` is ``(name, values, colour)``
    with a legend above; ``notes`` are written right of each bar."""
    n = len(labels)
    totals = [sum(float(vals[i]) for _, vals, _ in series) for i in range(n)]
    peak = max([*totals, 1e-9])
    plot = width - label_width - note_width
    legend = 20
    height = legend + bar * n + 6
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
    ]
    x = float(label_width)
    for name, _, colour in series:
        parts.append(
            f'<rect x="{x:.1f}" y="4" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14:.1f}" y="13">{esc(name)}</text>'
        )
        x += 14 + 6.5 * len(name) + 14
    for i, lab in enumerate(labels):
        y = legend + i * bar
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar - 5}" text-anchor="end">'
            f"{esc(_shorten(str(lab), 34))}</text>"
        )
        x = float(label_width)
        for name, vals, colour in series:
            v = float(vals[i])
            w = plot * v / peak
            if v > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 2}" width="{max(w, 0.5):.1f}" '
                    f'height="{bar - 4}" fill="{colour}"><title>{esc(str(lab))}, '
                    f"{esc(name)}: {v:,.0f}</title></rect>"
                )
            x += w
        text = notes[i] if notes is not None else f"{totals[i]:,.0f}"
        parts.append(f'<text x="{x + 4:.1f}" y="{y + bar - 5}" class="val">{esc(text)}</text>')
    parts.append(
        f'<line x1="{label_width}" x2="{label_width}" y1="{legend}" '
        f'y2="{height - 4}" stroke="#333"/></svg>'
    )
    return "".join(parts)


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def pct(x: float | None, digits: int = 1) -> str:
    """A share as a percentage; tiny shares keep two significant digits."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "–"
    value = float(x) * 100
    if value and abs(value) < 10**-digits:
        return f"{value:.2g}%"
    return f"{value:.{digits}f}%"


# --- the section --------------------------------------------------------------------------


def waves_results_section(ctx: ReportContext) -> str:
    """People across waves, household lineage, updates and flags, the rules used, and
    (with a truth file) person F1 and lineage accuracy."""
    body = (
        _overview(ctx)
        + _people_across_waves(ctx)
        + _lineage(ctx)
        + _updates(ctx)
        + _rules(ctx)
        + _weights(ctx)
        + _largest(ctx)
        + _measured(ctx)
    )
    return section("4. Results: people, households and updates across waves", body, "results")


def wave_order(ctx: ReportContext) -> list[str]:
    """Wave names oldest first, as the run read them."""
    names = [w["wave"] for w in ctx.run.summary.get("input", {}).get("waves", []) if w.get("wave")]
    return names or sorted(ctx.run.clusters["wave"].dropna().unique())


def _overview(ctx: ReportContext) -> str:
    s = ctx.run.summary
    rows = [
        ["records (all waves)", s.get("records")],
        ["people (person clusters)", s.get("person_clusters")],
        ["people found in several waves", s.get("people_in_several_waves")],
        ["records joined to another record (in or across waves)", s.get("duplicate_records")],
        ["household clusters (lineages over all waves)", s.get("household_clusters")],
        ["largest person cluster", s.get("largest_cluster")],
        ["pairs written (≥ pairs threshold)", s.get("pairs_written")],
        ["comparisons scored (blocking)", s.get("comparisons", {}).get("total")],
    ]
    body = table(rows)
    by_rule = s.get("comparisons", {}).get("by_rule", [])
    if by_rule:
        body = grid(
            ("Overview", body),
            (
                "Comparisons by blocking rule",
                table(
                    [[r["rule"], r["marginal"]] for r in by_rule],
                    ["rule", "new comparisons"],
                    cls="compact",
                ),
            ),
        )
    return body


def people_by_wave(clusters: pd.DataFrame, waves: Sequence[str]) -> pd.DataFrame:
    """Per wave: records, people, records of a person registered twice in the wave, and
    people also found in another wave (with their share)."""
    n_waves = clusters.groupby("cluster_id")["wave"].nunique()
    rows = []
    for w in waves:
        mine = clusters[clusters["wave"] == w]
        people = mine["cluster_id"].drop_duplicates()
        also = int((n_waves.reindex(people) > 1).sum())
        rows.append(
            {
                "wave": w,
                "records": len(mine),
                "people": len(people),
                "registered twice in the wave": len(mine) - len(people),
                "people also in another wave": also,
                "share": also / len(people) if len(people) else 0.0,
            }
        )
    return pd.DataFrame(rows)


def _people_across_waves(ctx: ReportContext) -> str:
    """Who was found again: by wave, and how many waves each person appears in."""
    clusters = ctx.run.clusters
    waves = wave_order(ctx)
    per_wave = people_by_wave(clusters, waves)
    n_waves = clusters.groupby("cluster_id")["wave"].nunique().value_counts().sort_index()
    rows = [
        [r.wave, r.records, r.people, r[3], r[4], pct(r.share)]
        for r in per_wave.itertuples(index=False)
    ]
    chart = svg_bars(
        [f"in {k} wave{'s' if k > 1 else ''}" for k in n_waves.index],
        list(n_waves.to_numpy()),
        value_fmt="{:,.0f}",
        label_width=120,
        width=520,
    )
    several = int(ctx.run.summary.get("people_in_several_waves", (n_waves.index > 1).sum()))
    return (
        "<h3>People found in several waves</h3>"
        f"<p><b>{several:,}</b> people are found in more than one wave. A person missing "
        "from the newer wave may have died, moved away or not been re-surveyed; a low "
        "share in one wave is where to look for missed links first.</p>"
        + grid(
            (
                "By wave",
                table(
                    rows,
                    [
                        "wave",
                        "records",
                        "people",
                        "registered twice in the wave",
                        "people also in another wave",
                        "share",
                    ],
                ),
            ),
            ("People by number of waves", chart),
        )
    )


def lineage_table(counts: dict[str, int], households_new: int | None) -> list[list]:
    """Rows (type, households, share, meaning) of one wave step: the older wave's types
    as shares of its households, ``new`` as a share of the newer wave's households."""
    old_total = sum(int(counts.get(t, 0)) for t in LINK_TYPES if t != "new")
    rows = []
    for t in LINK_TYPES:
        n = int(counts.get(t, 0))
        den = households_new if t == "new" else old_total
        rows.append([t, n, pct(n / den) if den else "–", LINK_MEANING[t]])
    return rows


def _lineage(ctx: ReportContext) -> str:
    """What became of each household of the older wave, per step between waves."""
    lineage = ctx.run.summary.get("lineage", {})
    if not lineage:
        return note("The run recorded no household lineage.")
    clusters = ctx.run.clusters
    units = (
        clusters.groupby("wave")["household_unit"].nunique()
        if "household_unit" in clusters
        else pd.Series(dtype=int)
    )
    body = (
        "<h3>Household lineage</h3><p>Each household of the older wave is <i>same</i>, "
        "<i>split</i>, <i>merged</i> or <i>dissolved</i> (shares of the older wave's "
        "households); <i>new</i> households are a share of the newer wave's.</p>"
    )
    labels, values = [], []
    for step, counts in lineage.items():
        old, _, new = step.partition("->")
        rows = lineage_table(counts, int(units[new]) if new in units.index else None)
        old_total = sum(r[1] for r in rows if r[0] != "new")
        body += f"<h3>{esc(old)} → {esc(new)}</h3>" + table(
            rows + [["households of the older wave", old_total, "", ""]],
            ["type", "households", "share", "meaning"],
        )
        labels += [f"{old} → {new}: {t}" for t in LINK_TYPES]
        values += [int(counts.get(t, 0)) for t in LINK_TYPES]
    body += svg_bars(labels, values, value_fmt="{:,.0f}", label_width=300, width=760)
    golden = ctx.run.table(HOUSEHOLD_GOLDEN_RECORDS)
    if golden is not None and "status" in golden:
        status = golden["status"].value_counts()
        body += "<h3>Household golden records by status</h3>" + table(
            [[k, int(v), pct(v / len(golden))] for k, v in status.items()],
            ["status", "household clusters", "share"],
        )
    return body


def _updates(ctx: ReportContext) -> str:
    """Changes the newer wave brings, by field and by flag, and the flags by district."""
    u = ctx.run.summary.get("updates", {})
    by_field, by_flag = u.get("by_field", {}), u.get("by_flag", {})
    total = sum(by_field.values())
    updates = ctx.run.table(UPDATES)
    flagged = int(updates["flag"].notna().sum()) if updates is not None else None
    head = (
        f"<h3>Updates</h3><p><b>{total:,}</b> changes to records the registry already "
        "holds"
        + (
            f", <b>{flagged:,}</b> of them flagged for checking before they are applied"
            if flagged is not None
            else ""
        )
        + ". Values are not shown here (they are in <code>updates</code>).</p>"
    )
    flags_chart = svg_bars(
        list(by_flag), list(by_flag.values()), value_fmt="{:,.0f}", label_width=260, width=560
    )
    body = head + grid(
        (
            "By field",
            table(
                [
                    [k, v, pct(v / total) if total else "–"]
                    for k, v in sorted(by_field.items(), key=lambda kv: -kv[1])
                ],
                ["field", "changes", "share"],
                cls="compact",
            ),
        ),
        (
            "By flag",
            table([[k, v] for k, v in by_flag.items()], ["flag", "changes"], cls="compact")
            + flags_chart,
        ),
    )
    return body + _flags_by_district(u.get("by_district", {}))


def flags_by_district(by_district: dict[str, dict[str, int]]) -> pd.DataFrame:
    """Districts by flagged changes (most first), one column per flag seen, and total."""
    if not by_district:
        return pd.DataFrame(columns=["district", "total"])
    df = pd.DataFrame.from_dict(by_district, orient="index").fillna(0).astype(int)
    df = df[sorted(df.columns)]
    df["total"] = df.sum(axis=1)
    df = df.rename_axis("district").reset_index()
    return df.sort_values(
        ["total", "district"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)


def _flags_by_district(by_district: dict[str, dict[str, int]]) -> str:
    df = flags_by_district(by_district)
    if df.empty:
        return "<h3>Flags by district</h3>" + note("No change is flagged.")
    top = df.head(TOP_DISTRICTS)
    flags = [c for c in df.columns if c not in ("district", "total")]
    chart = svg_stacked_bars(
        list(top["district"]),
        [(f, list(top[f]), PALETTE[i % len(PALETTE)]) for i, f in enumerate(flags)],
        width=900,
        label_width=170,
        note_width=60,
    )
    rows = [list(r) for r in top[["district", *flags, "total"]].itertuples(index=False)]
    return (
        f"<h3>Flags by district ({min(TOP_DISTRICTS, len(df))} of {len(df)} districts "
        "with flags, most first)</h3>"
        + chart
        + table(rows, ["district", *[f.replace("_", " ") for f in flags], "total"], cls="compact")
    )


def _rules(ctx: ReportContext) -> str:
    th = ctx.run.summary.get("thresholds", {})
    rows = [[k, th[k], RULE_MEANING[k]] for k in RULE_MEANING if k in th]
    rows += [[k, v, ""] for k, v in th.items() if k not in RULE_MEANING]
    return "<h3>Rules and thresholds used</h3>" + table(
        rows, ["setting", "value", "meaning"], cls="compact"
    )


def _weights(ctx: ReportContext) -> str:
    pairs, t = ctx.run.pairs, ctx.run.summary.get("thresholds", {}).get("cluster")
    if not len(pairs) or t is None:
        return ""
    t_w = math.log2(t / (1 - t))
    w = pairs["match_weight"].to_numpy(dtype=float)
    lo, hi = math.floor(min(w.min(), t_w)), math.ceil(max(w.max(), t_w))
    counts, edges = np.histogram(w, bins=min(60, max(10, (hi - lo) * 2)), range=(lo, hi))
    return "<h3>Match weights of the scored pairs (within and across waves)</h3>" + svg_histogram(
        list(edges),
        [int(c) for c in counts],
        marker=t_w,
        log=True,
        marker_label=f"cluster threshold p={t} (weight {t_w:.2f})",
        x_label="match weight",
    )


def _largest(ctx: ReportContext) -> str:
    n = len(wave_order(ctx))
    return _largest_clusters(ctx, ctx.run.clusters["cluster_id"].value_counts()) + note(
        f"With {n} waves a person can rightly have {n} records (one per wave); more than "
        "that means a duplicate within a wave, or two people chained together."
    )


# --- measured against the truth -----------------------------------------------------------


def _measured(ctx: ReportContext) -> str:
    if ctx.truth is None:
        return ""
    from evaluation.lineage_truth import score_lineage, score_people
    from linkage.intake.io import read_raw

    truth = read_raw(ctx.truth)
    missing = [
        c
        for c in ("record_id", "file", "person_id", "household_true_id", "household_head")
        if c not in truth.columns
    ]
    if missing:
        raise InputError(
            f"cannot score a link-waves run: column(s) {', '.join(missing)} "
            "missing (the truth.csv of nser-link generate has them).",
            file=str(ctx.truth),
        )
    try:
        overall, cross = score_people(ctx.run.clusters, truth)
    except ValueError as exc:
        raise InputError(
            f"cannot be scored against this run: {exc}.", file=str(ctx.truth)
        ) from None
    body = (
        f"<h3>Measured against {esc(str(ctx.truth))}</h3>"
        + table(
            [
                ["all pairs", overall.precision, overall.recall, overall.f1],
                ["across waves only", cross.precision, cross.recall, cross.f1],
            ],
            ["person pairs", "precision", "recall", "F1"],
        )
        + note(
            "Across waves only: one record per true person and wave, so what is scored is "
            "finding people again in another wave."
        )
    )
    ctx.extras["measured_people"] = {"overall": overall.as_dict(), "cross_wave": cross.as_dict()}
    return body + _measured_lineage(ctx, truth, score_lineage)


def _measured_lineage(ctx: ReportContext, truth: pd.DataFrame, score_lineage) -> str:
    links = ctx.run.table(HOUSEHOLD_LINKS)
    std = ctx.input.std
    if links is None:
        return note("Lineage accuracy needs household_links, which the run folder lacks.")
    if std is None or "wave" not in std:
        return note(
            "Lineage accuracy needs the wave files (to know each record's "
            f"household): {ctx.input.note}"
        )
    if ctx.run.summary.get("input", {}).get("record_ids_qualified"):
        return note(
            "Lineage accuracy is not measured: the run qualified record ids "
            "(wave:record_id), which the truth file does not use."
        )
    files = set(truth["file"].astype(str))
    frames = {w: g[["record_id", "household_id"]].astype(str) for w, g in std.groupby("wave")}
    waves = wave_order(ctx)
    steps, per_type = [], []
    for old, new in zip(waves[:-1], waves[1:], strict=True):
        if old not in files or new not in files:
            steps.append([f"{old} → {new}", "not in the truth file", None, None])
            continue
        s = score_lineage(
            links[links["wave_old"].eq(old) | links["wave_new"].eq(new)], truth, frames, old, new
        )
        steps.append([f"{old} → {new}", s.households, s.type_accuracy, s.successor_accuracy])
        per_type += [[f"{old} → {new}", t, v["n"], v["recall"]] for t, v in s.by_type.items()]
        ctx.extras.setdefault("measured_lineage", {})[f"{old}->{new}"] = {
            "households": s.households,
            "type_accuracy": s.type_accuracy,
            "successor_accuracy": s.successor_accuracy,
            "by_type": s.by_type,
        }
    body = "<h3>Household lineage against the true lineage</h3>" + table(
        steps,
        [
            "step",
            "households of the older wave",
            "type right",
            "type and continuing household right",
        ],
    )
    if per_type:
        chart = svg_bars(
            [f"{r[0]}: {r[1]} (n={r[2]:,})" for r in per_type],
            [r[3] for r in per_type],
            value_fmt="{:.3f}",
            label_width=280,
            width=640,
        )
        body += grid(
            (
                "Recall of each true type",
                table(per_type, ["step", "true type", "households", "recall"], cls="compact"),
            ),
            ("", chart),
        )
    return body + note(
        "The true lineage applies the same rule to the generator's true "
        "people, households and heads: a wrong type is a linkage error."
    )
