"""A match-quality report an auditor can trust without re-running the job.

One self-contained HTML file per run folder: every style and chart is inline (charts
are SVG drawn here, no JavaScript), nothing is fetched, and it prints to PDF. It
reads only the run folder (``summary.json``, ``model.json``, ``pairs``, ``clusters``,
``golden_records``, the job's own tables, ``review_scores.json`` if a clerical review was
scored) and, when they still exist, the input files named in ``summary.json`` (checked
against the run's fingerprints: every wave of a link-waves run, the partner list of a
match-partner run). A match-partner folder has no clusters; the sections that need them
are left out.

PII discipline: by default no name and no full CNIC appears (CNICs are masked to their
last four digits); ``show_pii=True`` includes them and the report says so on its first
line. The data-quality section shows only counts, never values.

Sections are functions ``(ReportContext) -> str``. Sections every run has are in
``COMMON_SECTIONS``; a pipeline's own results are one function per pipeline in
``PIPELINE_SECTIONS`` keyed by ``summary["job"]``: ``dedupe`` here, ``link-waves`` in
``linkage.report.waves`` and ``match-partner`` in ``linkage.report.partner``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

import linkage
from linkage.contract import (
    CLUSTERS,
    GOLDEN_RECORDS,
    MATCHES,
    MODEL,
    PAIRS,
    PERSON_COLUMNS,
    SUMMARY,
)
from linkage.errors import InputError, NserLinkError
from models.store import fingerprint

#: Written into the run folder by ``linkage.report.review.score_review``; shown when present.
REVIEW_SCORES = "review_scores.json"
#: How many of the largest clusters are listed for inspection.
LARGEST_CLUSTERS = 10


class RunFolderError(NserLinkError):
    """The folder given is not the output folder of a run (or is missing a part)."""


# --- the run folder ----------------------------------------------------------------------


@dataclass
class Run:
    """A run's output folder, read once: what every section works from."""

    path: Path
    summary: dict
    model: dict
    model_text: str
    pairs: pd.DataFrame
    clusters: pd.DataFrame | None  # None for a job without clusters (match-partner)
    golden: pd.DataFrame | None
    _tables: dict = field(default_factory=dict, repr=False)

    @property
    def threshold(self) -> float:
        """The cluster threshold; a run without one (match-partner) cannot be banded."""
        th = self.summary["thresholds"]
        if "cluster" not in th:
            raise RunFolderError(
                f"is a {self.summary.get('job')} run, which has no cluster "
                "threshold (only dedupe and link-waves runs can be "
                "reviewed this way).",
                file=str(self.path),
            )
        return float(th["cluster"])

    def table(self, name: str) -> pd.DataFrame | None:
        """Another output table of the folder (``household_links``, ``matches``...), read
        once; None when the folder has none."""
        if name not in self._tables:
            found = _table_path(self.path, name)
            self._tables[name] = _read_output(found) if found else None
        return self._tables[name]


#: Tables a run folder must hold, by job (any other job: a dedupe's).
REQUIRED_TABLES = {"match-partner": (PAIRS, MATCHES)}


def load_run(run_dir: str | Path) -> Run:
    """Read a run folder; a folder that is not one is a :class:`RunFolderError`."""
    path = Path(run_dir)
    if not path.is_dir():
        raise RunFolderError(
            "is not a folder (expected the output folder of a run).", file=str(path)
        )
    missing = [n for n in (SUMMARY, MODEL) if not (path / n).is_file()]
    summary = {}
    try:
        if not missing:
            summary = json.loads((path / SUMMARY).read_text(encoding="utf-8"))
            model_text = (path / MODEL).read_text(encoding="utf-8")
            model = json.loads(model_text)
    except json.JSONDecodeError as exc:
        raise RunFolderError(f"has an unreadable JSON file ({exc.msg}).", file=str(path)) from None
    required = REQUIRED_TABLES.get(summary.get("job"), (PAIRS, CLUSTERS))
    missing += [n for n in required if _table_path(path, n) is None]
    if missing:
        raise RunFolderError(
            f"is not a run folder: {', '.join(missing)} missing (a dedupe run writes "
            "summary.json, model.json, pairs and clusters; a match-partner run matches "
            "instead of clusters).",
            file=str(path),
        )
    if "thresholds" not in summary or "comparisons" not in model:
        raise RunFolderError(
            "summary.json or model.json is not from an nser-link run.", file=str(path)
        )
    golden_path = _table_path(path, GOLDEN_RECORDS)
    clusters_path = _table_path(path, CLUSTERS)
    return Run(
        path=path,
        summary=summary,
        model=model,
        model_text=model_text,
        pairs=_read_output(_table_path(path, PAIRS)),
        clusters=_read_output(clusters_path) if clusters_path else None,
        golden=_read_output(golden_path) if golden_path else None,
    )


def _table_path(folder: Path, name: str) -> Path | None:
    """A table's file, or its folder of part files (a Spark run)."""
    for ext in (".parquet", ".csv"):
        if (folder / f"{name}{ext}").exists():
            return folder / f"{name}{ext}"
    return None


def _read_output(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)  # a file, or Spark's folder of part files
    ids = {
        c: str
        for c in (
            "record_id",
            "record_id_l",
            "record_id_r",
            "cluster_id",
            "household_cluster_id",
            "cnic",
            "phone",
            "household_id",
            "household_id_old",
            "household_id_new",
            "registry_record_id",
            "registry_household_id",
            "scored_record_id",
        )
    }
    parts = sorted(path.glob("part-*.csv")) if path.is_dir() else [path]
    frames = [pd.read_csv(p, dtype=ids, keep_default_na=False, na_values=[""]) for p in parts]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


@dataclass
class InputView:
    """The run's input file re-read and standardised, or why it could not be."""

    std: pd.DataFrame | None
    note: str
    rows_in_file: int | None = None


def load_input(run: Run) -> InputView:
    """Re-read the input named in ``summary.json`` exactly as the job did (read, validate,
    standardise): every wave of a link-waves run (one frame, ids qualified as the run did),
    the partner list of a match-partner run. Absent, changed (fingerprint differs) or
    unreadable inputs are not an error: the report says so and works from the run folder
    alone."""
    from linkage.resolve.keys import person_cnic, roster_keys
    from linkage.standardise import standardise

    info = run.summary.get("input", {})
    kind = "partner" if run.summary.get("job") == "match-partner" else "registry"
    files = info.get("waves") or [info]
    parts, read = [], 0
    for f in files:
        got = _reread(f, info.get("mapping"), kind)
        if isinstance(got, str):
            return InputView(None, got)
        rows, n = got
        parts.append(rows.assign(wave=f["wave"]) if "wave" in f else rows)
        read += n
    rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    if info.get("record_ids_qualified"):
        rows["record_id"] = rows["wave"] + ":" + rows["record_id"].astype(str)
    std = standardise(rows)
    std["roster_key"] = roster_keys(std)
    std["person_cnic"] = person_cnic(std)
    where = ", ".join(repr(str(f.get("path"))) for f in files)
    agree = "fingerprints match" if len(files) > 1 else "fingerprint matches"
    return InputView(std, f"Input re-read from {where}; {agree} the run.", rows_in_file=read)


def _reread(info: dict, mapping: dict | None, kind: str) -> tuple[pd.DataFrame, int] | str:
    """One input file's validated rows and rows read, or why it is not used."""
    from linkage.intake.io import read_table
    from linkage.intake.mapping import ColumnMapping
    from linkage.intake.validate import validate_rows
    from linkage.pipelines.summary import file_fingerprint

    path = Path(info.get("path") or "")
    if not info.get("path") or not path.is_file():
        return (
            f"The input file {str(path)!r} is absent; the sections below that need it "
            "use only the run folder."
        )
    if file_fingerprint(path) != info.get("fingerprint"):
        return (
            f"The input file {str(path)!r} has changed since the run (its fingerprint "
            "differs); it is not used."
        )
    try:
        raw = read_table(path, kind=kind, mapping=ColumnMapping(**mapping) if mapping else None)
        rows = validate_rows(raw, kind=kind, file=str(path)).rows
    except NserLinkError as exc:
        return (
            f"The input file could not be re-read without the run's column mapping "
            f"({exc}); it is not used."
        )
    return rows, len(raw)


# --- estimating accuracy from the model ---------------------------------------------------


def estimate_accuracy(pairs: pd.DataFrame, clusters: pd.DataFrame) -> dict:
    """Expected pairwise precision and recall of the clusters from match probabilities.

    Assumptions (said in the report too): each scored pair's ``match_probability`` is
    calibrated (the chance it is a true match) and pairs are independent. A predicted
    pair is two records in one cluster; its probability is the pair's score, or, for two
    members of one cluster that were never scored together (linked through a third), the
    lowest score in that cluster. Then ``E[TP] = Σ p`` over predicted pairs,
    ``E[FP] = Σ (1 - p)``, and ``E[FN] = Σ p`` over scored pairs that ended in different
    clusters (below the threshold, or refused because they would merge a roster).
    Matches the job never scored (below ``pairs_threshold``, or never brought together
    by blocking) are invisible to the model, so estimated recall is an upper bound.
    """
    cluster_of = clusters.set_index("record_id")["cluster_id"]
    p = pairs["match_probability"].to_numpy(dtype=float)
    cl = cluster_of.reindex(pairs["record_id_l"]).to_numpy()
    same = cl == cluster_of.reindex(pairs["record_id_r"]).to_numpy()
    sizes = cluster_of.value_counts()
    predicted = int((sizes * (sizes - 1) // 2).sum())

    scored = pd.DataFrame({"cluster": cl[same], "p": p[same]})
    per_cluster = scored.groupby("cluster")["p"].agg(["count", "min"])
    n_in = sizes.reindex(per_cluster.index)
    unscored = (n_in * (n_in - 1) // 2 - per_cluster["count"]).clip(lower=0)
    tp = float(scored["p"].sum() + (unscored * per_cluster["min"]).sum())
    fp = float(predicted - tp)
    fn = float(p[~same].sum())
    return {
        "predicted_pairs": predicted,
        "expected_tp": tp,
        "expected_fp": fp,
        "expected_fn": fn,
        "precision": tp / predicted if predicted else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        # the spread of the TP count if pairs are independent Bernoulli(p)
        "tp_sd": float(math.sqrt((p[same] * (1 - p[same])).sum())),
    }


def threshold_tradeoff(pairs: pd.DataFrame, thresholds: Sequence[float]) -> pd.DataFrame:
    """Pair-level expected precision/recall if the cut were at other probabilities
    (ignores clustering: each scored pair above the cut counts as predicted)."""
    p = pairs["match_probability"].to_numpy(dtype=float)
    rows = []
    for t in thresholds:
        above = p >= t
        tp, fp, fn = p[above].sum(), (1 - p[above]).sum(), p[~above].sum()
        rows.append(
            {
                "threshold": t,
                "pairs": int(above.sum()),
                "precision": tp / (tp + fp) if above.any() else 1.0,
                "recall": tp / (tp + fn) if tp + fn else 1.0,
            }
        )
    return pd.DataFrame(rows)


# --- HTML building blocks -----------------------------------------------------------------

esc = html.escape


def mask_cnic(value) -> str:
    """All but the last four digits hidden: enough to tell records apart, not to use."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if not digits:
        return ""
    return "•" * max(len(digits) - 4, 0) + digits[-4:]


def fmt(value, digits: int = 4) -> str:
    if value is None or value is pd.NA:
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return "–"
        if value and abs(value) < 10**-digits:
            return f"{value:.3g}"
        return f"{value:,.{digits}f}"
    return str(value)


def table(
    rows: Sequence[Sequence],
    header: Sequence[str] | None = None,
    *,
    cls: str = "",
    raw_cols: frozenset[int] = frozenset(),
) -> str:
    """An HTML table; every cell escaped except the column indexes in ``raw_cols``."""

    def cell(i, v, tag):
        text = v if i in raw_cols else esc(fmt(v))
        num = isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        return f"<{tag}{' class=num' if num else ''}>{text}</{tag}>"

    head = "<tr>" + "".join(cell(-1, h, "th") for h in header) + "</tr>" if header else ""
    body = "".join(
        "<tr>" + "".join(cell(i, v, "td") for i, v in enumerate(r)) + "</tr>" for r in rows
    )
    return f'<table class="{cls}"><thead>{head}</thead><tbody>{body}</tbody></table>'


def frame_table(df: pd.DataFrame, **kw) -> str:
    return table(df.itertuples(index=False, name=None), list(df.columns), **kw)


def svg_bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    width: int = 720,
    bar: int = 16,
    value_fmt: str = "{:.2f}",
    label_width: int = 330,
) -> str:
    """Horizontal bars from a zero line; negative values go left in red."""
    values = [float(v) for v in values]
    lo, hi = min([0.0, *values]), max([0.0, *values])
    span = (hi - lo) or 1.0
    plot = width - label_width - 60
    x0 = label_width + plot * (-lo / span)
    height = bar * len(values) + 24
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
    ]
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y = 4 + i * bar
        w = plot * abs(v) / span
        x = x0 if v >= 0 else x0 - w
        colour = "#2b7a3d" if v >= 0 else "#b23b3b"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar - 5}" text-anchor="end">'
            f"{esc(_shorten(lab, 52))}</text>"
        )
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 2}" width="{max(w, 0.5):.1f}" '
            f'height="{bar - 4}" fill="{colour}"/>'
        )
        # negative values are labelled right of the zero line, clear of the bar labels
        tx = x + w + 3 if v >= 0 else x0 + 3
        anchor = "start"
        parts.append(
            f'<text x="{tx:.1f}" y="{y + bar - 5}" text-anchor="{anchor}" '
            f'class="val">{esc(value_fmt.format(v))}</text>'
        )
    parts.append(
        f'<line x1="{x0:.1f}" x2="{x0:.1f}" y1="0" y2="{height - 18}" stroke="#333"/></svg>'
    )
    return "".join(parts)


def svg_histogram(
    edges: Sequence[float],
    counts: Sequence[int],
    *,
    marker: float | None = None,
    marker_label: str = "",
    x_label: str = "",
    width: int = 720,
    height: int = 220,
    log: bool = False,
    markers: Sequence[tuple[float, str]] = (),
) -> str:
    """Vertical bars over bins ``edges[i]..edges[i+1]``; optional dashed marker lines
    (``marker``, and more as ``(value, label)`` in ``markers``)."""
    left, bottom, top = 50, 36, 16
    plot_w, plot_h = width - left - 20, height - bottom - top
    lo, hi = float(edges[0]), float(edges[-1])
    span = (hi - lo) or 1.0
    heights = [math.log10(c + 1) if log else float(c) for c in counts]
    peak = max(heights + [1e-9])
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
    ]
    for i, c in enumerate(counts):
        x = left + plot_w * (edges[i] - lo) / span
        w = plot_w * (edges[i + 1] - edges[i]) / span
        h = plot_h * heights[i] / peak
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{max(w - 1, 0.5):.1f}" '
            f'height="{h:.1f}" fill="#3b6ea5"><title>{edges[i]:.2f}–{edges[i + 1]:.2f}: '
            f"{c:,}</title></rect>"
        )
    for t in np.linspace(lo, hi, 6):
        x = left + plot_w * (t - lo) / span
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle">{t:.1f}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle">'
        f"{esc(x_label)}{' (bar height: log scale)' if log else ''}</text>"
    )
    parts.append(
        f'<text x="{left - 6}" y="{top + 8}" text-anchor="end">{max(counts + [0]):,}</text>'
    )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}" stroke="#333"/>'
    )
    lines = ([(marker, marker_label)] if marker is not None else []) + list(markers)
    for k, (value, label) in enumerate(lines):
        if not lo <= value <= hi:
            continue
        x = left + plot_w * (value - lo) / span
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{top + plot_h}" '
            'stroke="#c0392b" stroke-width="2" stroke-dasharray="5,3"/>'
        )
        parts.append(
            f'<text x="{x + 4:.1f}" y="{top + 4 + 13 * k}" fill="#c0392b">{esc(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def section(title: str, body: str, anchor: str) -> str:
    return f'<section id="{anchor}"><h2>{esc(title)}</h2>{body}</section>'


def grid(*blocks: tuple[str, str]) -> str:
    """Titled blocks side by side on screen and paper (they wrap when narrow)."""
    return (
        '<div class="grid">'
        + "".join(f"<div><h3>{esc(t)}</h3>{b}</div>" for t, b in blocks)
        + "</div>"
    )


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


# --- sections -----------------------------------------------------------------------------


@dataclass
class ReportContext:
    """What the sections share: the run, options, and lazily the re-read input."""

    run: Run
    show_pii: bool = False
    truth: Path | None = None
    extras: dict = field(default_factory=dict)

    @cached_property
    def input(self) -> InputView:
        return load_input(self.run)

    @cached_property
    def estimate(self) -> dict:
        return estimate_accuracy(self.run.pairs, self.run.clusters)


Section = Callable[[ReportContext], str]


def identity_section(ctx: ReportContext) -> str:
    """What was run, on what, with which model, by which software: enough to tie the
    report to files an auditor holds (fingerprints) without re-running anything."""
    s = ctx.run.summary
    info = s.get("input", {})
    model_hash = fingerprint(ctx.run.model_text)
    recorded = s.get("model", {}).get("fingerprint")
    waves = info.get("waves") or []
    inputs = [] if waves else [["path", info.get("path")]]
    inputs += [
        ["rows read", info.get("rows_read")],
        ["rows used", info.get("rows_used")],
        ["rows rejected", info.get("rows_rejected")],
    ]
    inputs += [] if waves else [["content fingerprint", info.get("fingerprint")]]
    for reason, n in (info.get("rejected_by_reason") or {}).items():
        inputs.append([f"rejected: {reason}", n])
    for w in waves:  # link-waves: every wave read
        name = w.get("wave", "")
        inputs += [
            [f"{name}: path", w.get("path")],
            [
                f"{name}: rows read / used / rejected",
                f"{w.get('rows_read', 0):,} / {w.get('rows_used', 0):,} / "
                f"{w.get('rows_rejected', 0):,}",
            ],
            [f"{name}: content fingerprint", w.get("fingerprint")],
        ]
        if w.get("columns_missing"):
            inputs.append([f"{name}: columns missing", ", ".join(w["columns_missing"])])
    blocks = [("Input" + (" (partner list)" if s.get("registry") else ""), table(inputs))]
    if s.get("registry"):  # match-partner: the registry waves matched against
        reg = [["records used", s["registry"].get("records_used")]]
        for w in s["registry"].get("waves", []):
            reg += [
                [f"wave {w.get('wave_order')}: path", w.get("path")],
                [
                    f"wave {w.get('wave_order')}: rows read / used / rejected",
                    f"{w.get('rows_read', 0):,} / {w.get('rows_used', 0):,} / "
                    f"{w.get('rows_rejected', 0):,}",
                ],
                [f"wave {w.get('wave_order')}: content fingerprint", w.get("fingerprint")],
            ]
        blocks.append(("Registry", table(reg)))
    timings = s.get("timings_s", {})
    model_rows = [
        ["model.json sha256 (now)", model_hash],
        ["model fingerprint recorded by the run", recorded],
        [
            "model.json unchanged since the run",
            "yes" if recorded in (None, model_hash) else "NO — the file was changed",
        ],
        ["trained in this run", s.get("model", {}).get("trained_here")],
        ["loaded from", s.get("model", {}).get("loaded_from") or "–"],
        [
            "prior: probability two random records match",
            ctx.run.model.get("probability_two_random_records_match"),
        ],
    ]
    th = s.get("thresholds", {})
    sw = [
        ["job", s.get("job")],
        ["nser-linkage (run)", s.get("version")],
        ["nser-linkage (report)", linkage.__version__],
        ["splink / duckdb / pandas (report)", _versions()],
        ["python (report)", platform.python_version()],
        ["started at", s.get("started_at")],
        ["duration (sum of stages)", f"{sum(timings.values()):.1f} s"],
    ]
    return section(
        "1. Run identity",
        (
            grid(*blocks, ("Model", table(model_rows)))
            + grid(
                ("Thresholds", table([[k, v] for k, v in th.items()], ["threshold", "value"])),
                ("Software", table(sw)),
                (
                    "Timing",
                    table(
                        [[k, v] for k, v in timings.items()], ["stage", "seconds"], cls="compact"
                    ),
                ),
            )
        ),
        "identity",
    )


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in ("splink", "duckdb", "pandas"):
        try:
            out.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            out.append(f"{pkg} ?")
    return ", ".join(out)


def data_quality_section(ctx: ReportContext) -> str:
    """Counts only, never values: how complete the input is, how many CNICs are unusable
    and dates year-only, per province, so an auditor can see where duplicates will hide."""
    view = ctx.input
    flags = ctx.run.summary.get("flags", {})
    body = note(view.note)
    flag_table = table([[k, v] for k, v in flags.items()], ["flag", "records"])
    std = view.std
    if std is None:
        body += grid(("Flags recorded by the run", flag_table))
        return section("2. Data quality of the input", body, "quality")
    n = len(std)
    comp = []
    for col in PERSON_COLUMNS:
        if col in std.columns:
            filled = int(std[col].notna().sum())
            comp.append([col, filled, filled / n if n else 0.0])
    status = std["cnic_status"].fillna("missing").value_counts()
    prec = std["dob_precision"].fillna("missing").value_counts()
    body += grid(
        ("Completeness per column", table(comp, ["column", "filled", "share"], cls="compact")),
        ("Flags recorded by the run", flag_table),
        (
            "CNIC status",
            table([[k, int(v), v / n] for k, v in status.items()], ["status", "records", "share"])
            + "<h3>Date-of-birth precision</h3>"
            + table(
                [[k, int(v), v / n] for k, v in prec.items()], ["precision", "records", "share"]
            ),
        ),
    )
    prov = std.assign(
        province=std["province_std"].fillna("(unknown)"),
        bad_cnic=~std["cnic_status"].isin(["valid", "unverified"]),
        year_only=std["dob_precision"].eq("year"),
        conflict=std["gender_conflict"].fillna(False).astype(bool),
    )
    g = prov.groupby("province").agg(
        records=("record_id", "size"),
        cnic_missing_or_invalid=("bad_cnic", "mean"),
        dob_year_only=("year_only", "mean"),
        gender_conflicts_cnic=("conflict", "mean"),
    )
    body += "<h3>By province (shares of records)</h3>" + frame_table(g.reset_index())
    return section("2. Data quality of the input", body, "quality")


def model_levels(model: dict) -> pd.DataFrame:
    """One row per comparison level: m, u and the match weight log2(m/u)."""
    rows = []
    for comp in model["comparisons"]:
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            w = math.log2(m / u) if m and u else float("nan")
            rows.append(
                {
                    "comparison": comp["output_column_name"],
                    "level": level["label_for_charts"],
                    "m": m,
                    "u": u,
                    "match_weight": w,
                }
            )
    return pd.DataFrame(rows)


def model_section(ctx: ReportContext) -> str:
    """The model as trained: a level with m far above u is strong evidence of a match;
    the chart shows which agreements and disagreements decide a pair."""
    levels = model_levels(ctx.run.model)
    prior = ctx.run.model.get("probability_two_random_records_match")
    prior_w = math.log2(prior / (1 - prior)) if prior else float("nan")
    chart = svg_bars(
        [f"{r.comparison}: {r.level}" for r in levels.itertuples()],
        levels["match_weight"].fillna(0),
        width=900,
        label_width=460,
    )
    rows = [
        [r.comparison, r.level, _sci(r.m), _sci(r.u), r.match_weight] for r in levels.itertuples()
    ]
    body = (
        f"<p>Prior (two random records match): {fmt(prior, 8)}, match weight "
        f"{fmt(prior_w, 2)}. A pair's match weight is the prior plus one level weight "
        "per comparison (plus term-frequency adjustments for common names); null levels "
        "weigh 0.</p>"
        + chart
        + table(rows, ["comparison", "level", "m", "u", "weight log2(m/u)"], cls="compact")
    )
    return section("3. The model", body, "model")


def _sci(x) -> str:
    return "–" if x is None else f"{x:.3g}"


def dedupe_results_section(ctx: ReportContext) -> str:
    """Results of a dedupe run: weights around the threshold, cluster sizes (large
    clusters are where chaining errors show), where the duplicates are, and the accuracy
    the model expects of itself."""
    run = ctx.run
    pairs, clusters, t = run.pairs, run.clusters, run.threshold
    s = run.summary
    t_w = math.log2(t / (1 - t))
    body = table(
        [
            ["records", s.get("records")],
            ["person clusters", s.get("person_clusters")],
            ["duplicate registrations found", s.get("duplicate_records")],
            ["household clusters", s.get("household_clusters")],
            ["pairs written (≥ pairs threshold)", s.get("pairs_written")],
            ["pairs at or above the cluster threshold", s.get("pairs_at_threshold")],
            ["comparisons scored (blocking)", s.get("comparisons", {}).get("total")],
        ]
    )
    by_rule = s.get("comparisons", {}).get("by_rule", [])
    if by_rule:
        body += "<h3>Comparisons by blocking rule</h3>" + table(
            [[r["rule"], r["marginal"]] for r in by_rule], ["rule", "new comparisons"]
        )
    if len(pairs):
        w = pairs["match_weight"].to_numpy(dtype=float)
        lo, hi = math.floor(min(w.min(), t_w)), math.ceil(max(w.max(), t_w))
        counts, edges = np.histogram(w, bins=min(60, max(10, (hi - lo) * 2)), range=(lo, hi))
        body += "<h3>Match weights of the scored pairs</h3>" + svg_histogram(
            list(edges),
            [int(c) for c in counts],
            marker=t_w,
            log=True,
            marker_label=f"cluster threshold p={t} (weight {t_w:.2f})",
            x_label="match weight",
        )
    sizes = clusters["cluster_id"].value_counts()
    dist = sizes.value_counts().sort_index()
    body += "<h3>Cluster sizes</h3>" + svg_bars(
        [f"{k} record{'s' if k > 1 else ''}" for k in dist.index],
        list(dist.to_numpy()),
        value_fmt="{:,.0f}",
        label_width=120,
        width=600,
    )
    body += _largest_clusters(ctx, sizes)
    body += _by_place(ctx)
    return section("4. Results", body, "results")


def _largest_clusters(ctx: ReportContext, sizes: pd.Series) -> str:
    """The largest clusters, each flagged when bigger than two registrations (a person
    registered three or more times is rare; chaining through look-alikes is not)."""
    top = sizes.sort_index().sort_values(ascending=False, kind="stable").head(LARGEST_CLUSTERS)
    std = ctx.input.std
    members = ctx.run.clusters[ctx.run.clusters["cluster_id"].isin(top.index)]
    if std is not None:
        cols = ["record_id", "full_name", "cnic", "date_of_birth", "dob_year", "district"]
        members = members.merge(
            std[[c for c in cols if c in std.columns]], on="record_id", how="left"
        )
    rows = []
    for cid, size in top.items():
        for m in members[members["cluster_id"] == cid].itertuples():
            cnic = getattr(m, "cnic", None)
            row = [
                cid,
                int(size),
                "suspicious" if size > 2 else "",
                m.record_id,
                m.source,
                mask_cnic(cnic) if not ctx.show_pii else fmt(cnic),
            ]
            if ctx.show_pii:
                row.append(fmt(getattr(m, "full_name", None)))
            born = getattr(m, "date_of_birth" if ctx.show_pii else "dob_year", None)
            row += [fmt(born) if ctx.show_pii else _year(born), fmt(getattr(m, "district", None))]
            rows.append(row)
    header = [
        "cluster",
        "size",
        "flag",
        "record",
        "source",
        "CNIC" if ctx.show_pii else "CNIC (masked)",
    ]
    header += ["name"] if ctx.show_pii else []
    header += ["date of birth" if ctx.show_pii else "birth year", "district"]
    text = (
        "<h3>Largest clusters</h3><p>Clusters of three or more registrations are "
        "flagged: check them first."
    )
    if len(sizes) and sizes.max() <= 2:
        text += " No cluster here has more than two records."
    text += "</p>"
    if std is None:
        text += note("Input absent: member details cannot be shown.")
    return text + table(rows, header, cls="compact")


def _year(value) -> str:
    return "–" if value is None or pd.isna(value) else str(int(value))


def _by_place(ctx: ReportContext) -> str:
    std = ctx.input.std
    if std is None:
        return note("Counts by province and district need the input file.")
    df = ctx.run.clusters[["record_id", "cluster_id"]].merge(
        std[["record_id", "province_std", "district_std"]], on="record_id", how="left"
    )
    df["dup"] = df["cluster_id"].duplicated()  # every record after its cluster's first

    def counts(keys):
        g = df.fillna({k: "(unknown)" for k in keys}).groupby(keys)
        out = g.agg(records=("record_id", "size"), duplicates=("dup", "sum")).reset_index()
        out["duplicate share"] = out["duplicates"] / out["records"]
        return out.sort_values(["duplicates", "records"], ascending=False)

    return (
        "<h3>By province</h3>"
        + frame_table(counts(["province_std"]))
        + "<h3>By district (20 with most duplicates)</h3>"
        + frame_table(counts(["province_std", "district_std"]).head(20), cls="compact")
    )


def accuracy_section(ctx: ReportContext) -> str:
    """Precision and recall the model expects of itself, and measured ones when a truth
    file is given: the two side by side tell an auditor how far to trust the estimate.
    Left out for a run without clusters (match-partner: its results section has them)."""
    if ctx.run.clusters is None:
        return ""
    est = ctx.estimate
    rows = [
        ["predicted pairs (two records in one cluster)", est["predicted_pairs"]],
        ["expected true positives Σp", est["expected_tp"]],
        ["expected false positives Σ(1−p)", est["expected_fp"]],
        ["expected false negatives Σp (scored, not clustered)", est["expected_fn"]],
        ["estimated precision", est["precision"]],
        ["estimated recall (upper bound)", est["recall"]],
    ]
    body = table(rows, ["at the cluster threshold", "value"])
    body += (
        "<p class=note>Assumptions: each pair's match probability is calibrated and "
        "pairs are independent; two members of one cluster never scored together get "
        "the cluster's lowest score; matches never scored (below the pairs threshold or "
        "not brought together by blocking) are invisible, so recall is an upper bound. "
        f"Standard deviation of the true-positive count under these assumptions: "
        f"{est['tp_sd']:.1f} pairs.</p>"
    )
    trade = threshold_tradeoff(
        ctx.run.pairs, sorted({0.5, 0.7, 0.9, 0.95, 0.99, ctx.run.threshold})
    )
    body += "<h3>At other thresholds (pairs only, before clustering)</h3>" + frame_table(trade)
    if ctx.truth is not None:
        from evaluation.metrics import read_truth, score_clusters

        try:
            measured = score_clusters(
                ctx.run.clusters.set_index("record_id")["cluster_id"], read_truth(ctx.truth)
            )
        except ValueError as exc:
            raise InputError(
                f"cannot be scored against this run: {exc}.", file=str(ctx.truth)
            ) from None
        body += f"<h3>Measured against {esc(str(ctx.truth))}</h3>" + table(
            [
                [
                    "pairwise precision",
                    measured.precision,
                    est["precision"],
                    est["precision"] - measured.precision,
                ],
                [
                    "pairwise recall",
                    measured.recall,
                    est["recall"],
                    est["recall"] - measured.recall,
                ],
                ["pairwise F1", measured.f1, None, None],
                ["B-cubed F1", measured.bcubed_f1, None, None],
                ["true pairs", measured.true_pairs, None, None],
                ["predicted pairs", measured.predicted_pairs, None, None],
            ],
            ["", "measured", "estimated", "estimate − measured"],
        )
        ctx.extras["measured"] = measured.as_dict()
    return section("5. Estimated precision and recall", body, "accuracy")


def review_section(ctx: ReportContext) -> str:
    """Clerical review results, when ``nser-link review score`` has been run."""
    path = ctx.run.path / REVIEW_SCORES
    if ctx.run.clusters is None:
        return section(
            "6. Clerical review",
            note(
                "nser-link review samples pairs around a cluster threshold, which this job does "
                "not have; the rows with status review are its clerical queue."
            ),
            "review",
        )
    if not path.is_file():
        return section(
            "6. Clerical review",
            note("No clerical review scored for this run (nser-link review sample / score)."),
            "review",
        )
    r = json.loads(path.read_text(encoding="utf-8"))
    rows = [
        [
            b["band"],
            b["pairs_in_band"],
            b["sampled"],
            b["match"],
            b["non_match"],
            b["unsure"],
            b["unreviewed"],
            b["match_rate"],
            _ci(b["ci95"]),
        ]
        for b in r["bands"]
    ]
    body = table(
        rows,
        [
            "band (match weight)",
            "pairs",
            "sampled",
            "match",
            "non-match",
            "unsure",
            "unreviewed",
            "match rate",
            "95% Wilson",
        ],
    )
    body += table(
        [
            ["precision above the threshold", r["precision"]["value"], _ci(r["precision"]["ci95"])],
            ["recall among written pairs", r["recall"]["value"], _ci(r["recall"]["ci95"])],
        ],
        ["estimated from the review", "value", "95% CI"],
    )
    body += note(r.get("method", ""))
    return section("6. Clerical review", body, "review")


def _ci(ci) -> str:
    return "–" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def _elsewhere(module: str, name: str) -> Section:
    """A section defined in another module (which imports this one), imported when used."""

    def run(ctx: ReportContext) -> str:
        import importlib

        return getattr(importlib.import_module(module), name)(ctx)

    run.__name__ = name
    return run


COMMON_SECTIONS: tuple[Section, ...] = (identity_section, data_quality_section, model_section)
#: One results function per pipeline (``summary["job"]``); it may return several sections.
PIPELINE_SECTIONS: dict[str, Section] = {
    "dedupe": dedupe_results_section,
    "link-waves": _elsewhere("linkage.report.waves", "waves_results_section"),
    "match-partner": _elsewhere("linkage.report.partner", "partner_results_section"),
}
CLOSING_SECTIONS: tuple[Section, ...] = (accuracy_section, review_section)


# --- the document -------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:24px auto;
max-width:1000px;color:#222;font-size:14px;line-height:1.4}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;border-bottom:2px solid #3b6ea5;
padding-bottom:3px;margin-top:28px}h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#eef2f7}td.num{text-align:right;
font-variant-numeric:tabular-nums}table.compact td,table.compact th{font-size:12px;padding:2px 6px}
.banner{padding:8px 12px;font-weight:600;border-radius:4px}
.pii{background:#fdecea;color:#8a1f11;border:2px solid #c0392b}
.nopii{background:#eaf4ea;color:#1f5a2a;border:1px solid #5a9a5f}
.note{color:#555;font-size:13px}.grid{display:flex;flex-wrap:wrap;gap:0 28px;
align-items:flex-start}svg.chart{display:block;margin:6px 0}
svg.chart text{font-size:11px;fill:#222}nav a{margin-right:10px}
@media print{body{margin:0;max-width:none;font-size:11px}nav{display:none}
section{break-inside:avoid-page}h2{break-after:avoid}table{break-inside:auto}
tr{break-inside:avoid}@page{size:A4;margin:14mm}}
"""


def build_report(
    run_dir: str | Path, *, show_pii: bool = False, truth: str | Path | None = None
) -> str:
    """The report of one run folder as one self-contained HTML string."""
    run = load_run(run_dir)
    ctx = ReportContext(run=run, show_pii=show_pii, truth=Path(truth) if truth else None)
    job = run.summary.get("job", "dedupe")
    pipeline = PIPELINE_SECTIONS.get(job)
    sections = [*COMMON_SECTIONS, *([pipeline] if pipeline else []), *CLOSING_SECTIONS]
    body = "".join(fn(ctx) for fn in sections)
    if pipeline is None:
        body = note(f"No results section for job {job!r}.") + body
    banner = (
        '<p class="banner pii">CONTAINS PERSONAL DATA: this report shows names and full '
        "CNICs (--show-pii). Handle and share it as personal data.</p>"
        if show_pii
        else '<p class="banner nopii">No personal data: names are left out and CNICs are masked '
        "to their last four digits.</p>"
    )
    title = f"Match-quality report: {run.path.name}"
    generated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html>\n"
        + ("<!-- CONTAINS PERSONAL DATA (names, full CNICs) -->\n" if show_pii else "")
        + f'<html lang="en"><head><meta charset="utf-8"><title>{"[PII] " if show_pii else ""}'
        f"{esc(title)}</title><style>{CSS}</style></head><body>{banner}"
        f"<h1>{esc(title)}</h1><p class=note>Run folder {esc(str(run.path.resolve()))}; "
        f"report generated "
        f"{generated} by nser-linkage {esc(linkage.__version__)}.</p>"
        f"{body}</body></html>\n"
    )


def write_report(
    run_dir: str | Path, out: str | Path, *, show_pii: bool = False, truth: str | Path | None = None
) -> Path:
    """Write :func:`build_report` to ``out`` (UTF-8); returns the path."""
    out = Path(out)
    text = build_report(run_dir, show_pii=show_pii, truth=truth)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
