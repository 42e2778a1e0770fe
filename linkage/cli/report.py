"""``nser-link report`` and ``nser-link review sample|score``: auditing a finished run.

Kept apart from ``linkage/cli/commands.py`` so that file only needs one line to register them
(:func:`register`). Like the rest of the CLI these are thin shells: the work is in
``linkage.report.auditor`` and ``linkage.report.review``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()

RunDir = Annotated[
    Path, typer.Argument(help="Output folder of a run (nser-link dedupe or link-waves --out).")
]
AnyRunDir = Annotated[
    Path,
    typer.Argument(
        help="Output folder of a run (nser-link dedupe, link-waves or match-partner --out)."
    ),
]


def report(
    run_dir: AnyRunDir,
    out: Annotated[
        Path | None, typer.Option(help="HTML file to write [RUN_DIR/report.html].")
    ] = None,
    show_pii: Annotated[
        bool, typer.Option("--show-pii", help="Include names and full CNICs.")
    ] = False,
    truth: Annotated[
        Path | None, typer.Option(help="Truth file (nser-link generate): add measured accuracy.")
    ] = None,
) -> None:
    """Write a self-contained HTML match-quality report of a run, for auditors.

    Runs of dedupe, link-waves (lineage, updates) and match-partner (coverage by place).
    """
    from linkage.report.auditor import write_report

    path = write_report(run_dir, out or run_dir / "report.html", show_pii=show_pii, truth=truth)
    console.print(f"Report written to {path}" + (" (contains personal data)" if show_pii else ""))


def review_sample(
    run_dir: RunDir,
    out: Annotated[Path, typer.Option(help="CSV for the clerks; an .html page goes beside it.")],
    n: Annotated[int, typer.Option(min=1, help="Pairs to sample.")] = 200,
    seed: Annotated[int, typer.Option(help="Same seed and run, same sample.")] = 1,
) -> None:
    """Draw a stratified sample of scored pairs for clerical review (more near the threshold)."""
    from linkage.report.review import write_sample

    csv, page, sample = write_sample(run_dir, out, n=n, seed=seed)
    table = Table("band (match weight)", "pairs", "sampled", title=f"{len(sample)} pairs → {csv}")
    for band, g in sample.groupby("band", sort=False):
        table.add_row(band, f"{g['band_pairs'].iloc[0]:,}", f"{len(g):,}")
    console.print(table)
    console.print(f"Review page (contains personal data): {page}")
    console.print("Clerks write match / non-match / unsure in the decision column.")


def review_score(
    run_dir: RunDir,
    labelled: Annotated[Path, typer.Argument(help="The sample CSV with decisions filled in.")],
) -> None:
    """Score a labelled review sample: precision per band and overall, with Wilson intervals."""
    from linkage.report.review import score_review

    result = score_review(run_dir, labelled)
    table = Table(
        "band (match weight)",
        "pairs",
        "decided",
        "match rate",
        "95% Wilson",
        title=f"Clerical review of {run_dir}",
    )
    for b in result["bands"]:
        table.add_row(
            b["band"],
            f"{b['pairs_in_band']:,}",
            f"{b['match'] + b['non_match']:,}",
            _num(b["match_rate"]),
            _ci(b["ci95"]),
        )
    console.print(table)
    for name in ("precision", "recall"):
        r = result[name]
        console.print(f"{name}: {_num(r['value'])} {_ci(r['ci95'])}")
    console.print(f"Saved to {run_dir / 'review_scores.json'} (the report includes it).")


def _num(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def _ci(ci) -> str:
    return "–" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def register(app: typer.Typer) -> None:
    """Add ``report`` and the ``review`` group to the ``nser-link`` app."""
    app.command()(report)
    review = typer.Typer(help="Clerical review of a run's pairs.", no_args_is_help=True)
    review.command("sample")(review_sample)
    review.command("score")(review_score)
    app.add_typer(review, name="review")
