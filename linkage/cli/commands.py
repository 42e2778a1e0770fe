"""``nser-link``: the command line, a thin shell over the library.

Errors users can cause (``NserLinkError``) become one readable paragraph and exit
code 2; the library never prints names or CNICs unless asked.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from linkage.cli import options as opt
from linkage.cli.partner import register as register_partner
from linkage.cli.register import register as register_registration
from linkage.cli.report import register
from linkage.cli.service import register as register_service
from linkage.cli.validate import register as register_validate
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
register(app)  # report, review sample, review score (linkage/cli/report.py)
register_validate(app)  # validate-partner (linkage/cli/validate.py)
register_partner(app)  # match-partner (linkage/cli/partner.py)
register_service(app)  # serve, tokens (linkage/cli/service.py)
register_registration(app)  # register (linkage/cli/register.py)


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
    input: Annotated[
        str | None,
        typer.Argument(
            help="A wave of person records (CSV or Parquet); or `input:` in the config."
        ),
    ] = None,
    out: opt.Out = None,
    config: opt.Config = None,
    mapping: Annotated[str | None, typer.Option(help="YAML column mapping.")] = None,
    model: opt.Model = None,
    threshold: opt.Threshold = None,
    format: opt.Format = None,
    backend: opt.Backend = None,
    encoding: opt.Encoding = None,
    sheet: opt.Sheet = None,
    memory_limit: opt.MemoryLimit = None,
    truth: opt.Truth = None,
    previous: Annotated[
        str | None,
        typer.Option(
            help="An earlier run of this wave: keep its cluster ids and clerical decisions."
        ),
    ] = None,
) -> None:
    """Find people registered more than once in one wave; write clusters and golden records.

    Paths are strings, not local paths only: on Spark they may be hdfs://, s3a://, ...
    """
    from linkage.config import DedupeConfig, load_config, override
    from linkage.errors import ConfigError
    from linkage.intake.mapping import ColumnMapping
    from linkage.pipelines.dedupe import run_dedupe

    cfg: DedupeConfig = load_config(config)
    cfg = override(
        cfg, threshold=threshold, format=format, backend=backend, memory_limit=memory_limit
    )
    input, out = input or cfg.input, out or cfg.out
    mapping, model = mapping or cfg.mapping, model or cfg.model
    if not input or not out:
        missing = "an input file" if not input else "an output folder (--out)"
        raise ConfigError(
            f"dedupe needs {missing}: give it on the command line or as "
            f"`{'input' if not input else 'out'}:` in the config."
        )
    column_mapping = ColumnMapping.from_yaml(mapping) if mapping else None
    result = run_dedupe(
        input,
        out,
        cfg,
        mapping=column_mapping,
        model_path=model,
        encoding=encoding,
        sheet=sheet,
        previous=previous,
    )
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
            clusters = (
                pd.read_parquet(out / "clusters.parquet")
                if cfg.output_format == "parquet"
                else pd.read_csv(next((out / "clusters.csv").glob("*.csv")), dtype=str)
            )
        scores = score_clusters(clusters.set_index("record_id")["cluster_id"], read_truth(truth))
        _add_scores(table, scores)
        from evaluation.blocking_recall import recall_of_run

        compared = recall_of_run(
            input,
            s,
            read_truth(truth),
            mapping=column_mapping,
            encoding=encoding,
            sheet=sheet,
            min_year=cfg.dates.min_year,
        )
        if compared is not None:
            table.add_row("blocking recall (true pairs compared)", f"{compared.recall:.4f}")
    console.print(table)
    _print_notes(s, cfg)


@app.command("link-waves")
def link_waves(
    waves: Annotated[
        list[str] | None,
        typer.Argument(
            help="Two or more waves, oldest first (CSV or Parquet); or `waves:` in the config."
        ),
    ] = None,
    out: opt.Out = None,
    config: opt.Config = None,
    mapping: Annotated[str | None, typer.Option(help="YAML column mapping (all waves).")] = None,
    model: opt.Model = None,
    threshold: opt.Threshold = None,
    format: opt.Format = None,
    backend: opt.Backend = None,
    encoding: opt.Encoding = None,
    memory_limit: opt.MemoryLimit = None,
    truth: opt.Truth = None,
    previous: Annotated[
        str | None,
        typer.Option(
            help="An earlier run of these waves: keep its person ids and clerical decisions."
        ),
    ] = None,
) -> None:
    """Link waves: people across waves, household lineage, golden records, updates."""
    from linkage.config import LinkWavesConfig, load_config, override
    from linkage.errors import ConfigError
    from linkage.intake.mapping import ColumnMapping
    from linkage.pipelines.link_waves import run_link_waves

    cfg: LinkWavesConfig = load_config(config, LinkWavesConfig)
    cfg = override(
        cfg, threshold=threshold, format=format, backend=backend, memory_limit=memory_limit
    )
    waves, out = waves or cfg.waves, out or cfg.out
    mapping, model = mapping or cfg.mapping, model or cfg.model
    if not waves or not out:
        missing = "waves" if not waves else "an output folder (--out)"
        raise ConfigError(
            f"link-waves needs {missing}: give it on the command line or as "
            f"`{'waves' if not waves else 'out'}:` in the config."
        )
    column_mapping = ColumnMapping.from_yaml(mapping) if mapping else None
    result = run_link_waves(
        waves,
        out,
        cfg,
        mapping=column_mapping,
        model_path=model,
        encoding=encoding,
        previous=previous,
    )
    s = result.summary
    table = Table("", "", title=f"Link waves → {out}", show_header=False)
    for w in s["input"]["waves"]:
        table.add_row(
            f"{w['wave']}: rows read / rejected", f"{w['rows_read']:,} / {w['rows_rejected']:,}"
        )
        if w["columns_missing"]:
            table.add_row(
                f"{w['wave']}: columns missing (empty there)", ", ".join(w["columns_missing"])
            )
    if s["input"]["record_ids_qualified"]:
        table.add_row("record ids", "reused across waves: written as wave:record_id")
    table.add_row("people (person clusters)", f"{s['person_clusters']:,}")
    table.add_row("people found in several waves", f"{s['people_in_several_waves']:,}")
    for step, counts in s["lineage"].items():
        table.add_row(f"households {step}", ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    flagged = {k: v for k, v in s["updates"]["by_flag"].items() if v}
    table.add_row("updates", f"{sum(s['updates']['by_field'].values()):,}")
    table.add_row(
        "flagged for checking", ", ".join(f"{k} {v:,}" for k, v in flagged.items()) or "none"
    )
    if truth is not None:
        _add_wave_scores(table, result, waves, out, cfg, truth)
    console.print(table)
    _print_notes(s, cfg)


def _add_wave_scores(table: Table, result, waves: list[str], out, cfg, truth: Path) -> None:
    from evaluation.lineage_truth import score_lineage, score_people
    from linkage.intake.io import read_raw
    from linkage.pipelines.waves import wave_names

    t = read_raw(truth)
    clusters, links = result.tables["clusters"], result.tables["household_links"]
    if not isinstance(clusters, pd.DataFrame):  # a Spark run: read what it wrote
        clusters, links = (
            _read_output(Path(out), n, cfg.output_format) for n in ("clusters", "household_links")
        )
    overall, cross = score_people(clusters, t)
    table.add_row(
        "person F1, all pairs (P / R)",
        f"[bold]{overall.f1:.4f}[/] ({overall.precision:.4f} / {overall.recall:.4f})",
    )
    table.add_row(
        "person F1, across waves (P / R)",
        f"[bold]{cross.f1:.4f}[/] ({cross.precision:.4f} / {cross.recall:.4f})",
    )
    names = wave_names(waves)
    frames = {n: read_raw(p) for n, p in zip(names, waves, strict=True)}
    files = set(t["file"])
    for old, new in zip(names[:-1], names[1:], strict=True):
        if old in files and new in files:
            s = score_lineage(links, t, frames, old, new)
            table.add_row(
                f"lineage right, {old}->{new}",
                f"[bold]{s.type_accuracy:.4f}[/] of {s.households:,} households "
                f"(and pointing to the right household: {s.successor_accuracy:.4f})",
            )


def _read_output(out: Path, name: str, fmt: str) -> pd.DataFrame:
    if fmt == "parquet":
        return pd.read_parquet(out / f"{name}.parquet")
    return pd.concat(pd.read_csv(f, dtype=str) for f in sorted((out / f"{name}.csv").glob("*.csv")))


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


def _print_notes(summary: dict, cfg) -> None:
    for note in opt.notes(summary, cfg.dates.min_year):
        console.print(f"note: {note}", highlight=False, soft_wrap=True)


def _add_scores(table: Table, scores) -> None:
    table.add_row("true duplicate pairs", f"{scores.true_pairs:,}")
    table.add_row("predicted pairs", f"{scores.predicted_pairs:,}")
    table.add_row("pairwise precision", f"{scores.precision:.4f}")
    table.add_row("pairwise recall", f"{scores.recall:.4f}")
    table.add_row("pairwise F1", f"[bold]{scores.f1:.4f}[/]")
    table.add_row("B-cubed F1", f"{scores.bcubed_f1:.4f}")


def main(args: list[str] | None = None) -> None:
    """The ``nser-link`` command: errors a user can fix are one paragraph and exit 2."""
    from linkage.failures import explain

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    for noisy in ("splink", "py4j"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        app(args=args)
    except NserLinkError as exc:
        _fail(exc)
    except Exception as exc:
        # out of memory or disk (often wrapped by Splink), a file that cannot be written
        known = explain(exc)
        if known is None:
            raise
        _fail(known)


def _fail(exc: NserLinkError) -> None:
    # escaped: a message may hold brackets ("[completeness, source]") that are not markup
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
