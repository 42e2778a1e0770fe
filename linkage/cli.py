"""``nser-link``: the command line, a thin shell over the library.

Errors users can cause (``NserLinkError``) become one readable paragraph and exit
code 2; the library never prints names or CNICs unless asked.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from linkage.cli_report import register
from linkage.errors import NserLinkError

app = typer.Typer(
    name="nser-link",
    help="Record linkage and deduplication for the National Socio-Economic Registry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)
register(app)  # report, review sample, review score (linkage/cli_report.py)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder for the generated CSV files.")],
    households: Annotated[int, typer.Option(min=1, help="Households in the 2021 survey.")] = 20000,
    seed: Annotated[int, typer.Option(help="Same seed, same files.")] = 1,
) -> None:
    """Generate synthetic NSER waves, a partner list and the truth behind them."""
    from evaluation.synthetic import generate as run

    counts = run(households=households, seed=seed, out=out)
    table = Table("file", "rows", title=f"Generated into {out}")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)


@app.command()
def dedupe(
    input: Annotated[str | None, typer.Argument(
        help="A wave of person records (CSV or Parquet); or `input:` in the config.")] = None,
    out: Annotated[str | None, typer.Option(
        help="Output folder, replaced atomically; or `out:` in the config.")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML settings (see README).")] = None,
    mapping: Annotated[str | None, typer.Option(help="YAML column mapping.")] = None,
    model: Annotated[str | None, typer.Option(help="A saved model.json to reuse.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Cluster match probability.")] = None,
    format: Annotated[Literal["parquet", "csv"] | None, typer.Option(help="Output format.")] = None,
    backend: Annotated[Literal["duckdb", "spark"] | None,
                       typer.Option(help="SQL engine (default: duckdb, or the config's).")] = None,
    encoding: Annotated[str | None, typer.Option(
        help="The CSV's encoding when not UTF-8, e.g. cp1252, utf-16.")] = None,
    sheet: Annotated[str | None, typer.Option(help="Sheet of an .xlsx file (default: the first).")] = None,
    memory_limit: Annotated[str | None, typer.Option(
        help="DuckDB memory limit, e.g. 6GB; DuckDB spills to disk beyond it.")] = None,
    truth: Annotated[Path | None, typer.Option(help="Truth file: also print accuracy.")] = None,
) -> None:
    """Find people registered more than once in one wave; write clusters and golden records.

    Paths are strings, not local paths only: on Spark they may be hdfs://, s3a://, ...
    """
    from linkage.config import DedupeConfig, load_config
    from linkage.errors import ConfigError
    from linkage.mapping import ColumnMapping
    from linkage.pipelines.dedupe import run_dedupe

    cfg: DedupeConfig = load_config(config)
    if threshold is not None:
        cfg.clustering.threshold = threshold
        cfg.clustering.pairs_threshold = min(cfg.clustering.pairs_threshold, threshold)
    if format is not None:
        cfg.output_format = format
    if backend is not None:
        cfg.backend.name = backend
    if memory_limit is not None:
        cfg.backend.memory_limit = memory_limit
    input, out = input or cfg.input, out or cfg.out
    mapping, model = mapping or cfg.mapping, model or cfg.model
    if not input or not out:
        missing = "an input file" if not input else "an output folder (--out)"
        raise ConfigError(f"dedupe needs {missing}: give it on the command line or as "
                          f"`{'input' if not input else 'out'}:` in the config.")
    column_mapping = ColumnMapping.from_yaml(mapping) if mapping else None
    result = run_dedupe(input, out, cfg, mapping=column_mapping, model_path=model,
                        encoding=encoding, sheet=sheet)
    out = Path(out)

    s = result.summary
    table = Table("", "", title=f"Dedupe of {Path(input).name} → {out}", show_header=False)
    table.add_row("records read", f"{s['input']['rows_read']:,}")
    table.add_row("rejected", f"{s['input']['rows_rejected']:,}")
    table.add_row("person clusters", f"{s['person_clusters']:,}")
    table.add_row("duplicate registrations found", f"{s['duplicate_records']:,}")
    table.add_row("household clusters", f"{s['household_clusters']:,}")
    if truth is not None:
        from evaluation.metrics import read_truth, score_clusters

        clusters = result.tables["clusters"]
        if not isinstance(clusters, pd.DataFrame):  # a Spark run: read what it wrote
            clusters = pd.read_parquet(out / "clusters.parquet") if cfg.output_format == \
                "parquet" else pd.read_csv(next((out / "clusters.csv").glob("*.csv")), dtype=str)
        scores = score_clusters(clusters.set_index("record_id")["cluster_id"], read_truth(truth))
        _add_scores(table, scores)
    console.print(table)


@app.command()
def evaluate(
    clusters: Annotated[Path, typer.Option(help="clusters.parquet or .csv of a run.")],
    truth: Annotated[Path, typer.Option(help="truth.csv from `nser-link generate`.")],
) -> None:
    """Pairwise precision, recall, F1 and B-cubed of a run's clusters against the truth."""
    from evaluation.metrics import score_files

    scores = score_files(clusters, truth)
    table = Table("", "", title=f"{clusters} against {truth}", show_header=False)
    _add_scores(table, scores)
    console.print(table)


def _add_scores(table: Table, scores) -> None:
    table.add_row("true duplicate pairs", f"{scores.true_pairs:,}")
    table.add_row("predicted pairs", f"{scores.predicted_pairs:,}")
    table.add_row("pairwise precision", f"{scores.precision:.4f}")
    table.add_row("pairwise recall", f"{scores.recall:.4f}")
    table.add_row("pairwise F1", f"[bold]{scores.f1:.4f}[/]")
    table.add_row("B-cubed F1", f"{scores.bcubed_f1:.4f}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    for noisy in ("splink", "py4j"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        app()
    except NserLinkError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
