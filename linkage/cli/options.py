"""Command-line options every job shares, declared once so their help reads the same."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

Out = Annotated[
    str | None,
    typer.Option(
        help="Output folder: new, empty or an earlier run, replaced atomically; or `out:` in "
        "the config."
    ),
]
Config = Annotated[Path | None, typer.Option(help="YAML settings (see README).")]
Model = Annotated[str | None, typer.Option(help="A saved model.json to reuse.")]
Threshold = Annotated[float | None, typer.Option(help="Cluster match probability.")]
Format = Annotated[Literal["parquet", "csv"] | None, typer.Option(help="Output format.")]
Backend = Annotated[
    Literal["duckdb", "spark"] | None,
    typer.Option(help="SQL engine (default: duckdb, or the config's)."),
]
Encoding = Annotated[
    str | None,
    typer.Option(help="The CSV's encoding when not UTF-8 (or not detected), e.g. cp1252, utf-16."),
]
Sheet = Annotated[str | None, typer.Option(help="Sheet of an .xlsx file (default: the first).")]
MemoryLimit = Annotated[
    str | None, typer.Option(help="DuckDB memory limit, e.g. 6GB; DuckDB spills to disk beyond it.")
]
Truth = Annotated[
    Path | None, typer.Option(help="truth.csv of generated data: also print accuracy.")
]


def notes(summary: dict, min_year: int) -> list[str]:
    """What a user should know about how the file was used, once each (no data)."""
    out = []
    plan = summary.get("model", {}).get("plan")
    if plan and not plan["profile"]["households"]:
        out.append(
            "no household rosters (no household_id, or one person per household): "
            "each record is its own household and household features are off."
        )
    dropped = summary.get("flags", {}).get("dob_out_of_range", 0)
    if dropped:
        out.append(
            f"{dropped:,} birth date(s) before {min_year} or in the future were "
            "ignored (set dates.min_year in the config for an older register)."
        )
    if plan:
        left_out = plan.get("comparisons_left_out", {})
        trainable = {k: v for k, v in left_out.items() if v != "no column for it in the data"}
        for name, why in trainable.items():
            out.append(f"comparison '{name}' left out of the model: {why}.")
    for em in summary.get("model", {}).get("em_rounds", []):
        if not em["converged"]:
            out.append(
                f"EM on '{em['rule']}' stopped after {em['iterations']} iterations "
                "without converging (training.max_iterations)."
            )
    return out
