"""Command-line options every job shares, declared once so their help reads the same."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

Out = Annotated[str | None, typer.Option(
    help="Output folder: new, empty or an earlier run, replaced atomically; or `out:` in "
         "the config.")]
Config = Annotated[Path | None, typer.Option(help="YAML settings (see README).")]
Model = Annotated[str | None, typer.Option(help="A saved model.json to reuse.")]
Threshold = Annotated[float | None, typer.Option(help="Cluster match probability.")]
Format = Annotated[Literal["parquet", "csv"] | None, typer.Option(help="Output format.")]
Backend = Annotated[Literal["duckdb", "spark"] | None,
                    typer.Option(help="SQL engine (default: duckdb, or the config's).")]
Encoding = Annotated[str | None, typer.Option(
    help="The CSV's encoding when not UTF-8 (or not detected), e.g. cp1252, utf-16.")]
Sheet = Annotated[str | None, typer.Option(help="Sheet of an .xlsx file (default: the first).")]
MemoryLimit = Annotated[str | None, typer.Option(
    help="DuckDB memory limit, e.g. 6GB; DuckDB spills to disk beyond it.")]
Truth = Annotated[Path | None, typer.Option(
    help="truth.csv of generated data: also print accuracy.")]
