"""``nser-link match-partner``: match a partner beneficiary list against the registry.

Kept apart from ``linkage/cli/commands.py`` so that file needs one line to add it
(:func:`register`). A thin shell over ``linkage.pipelines.match_partner``; it prints
counts, never a name or CNIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from linkage.cli import options as opt

console = Console()


def match_partner(
    registry: Annotated[
        list[str] | None,
        typer.Option(
            help="A registry wave (CSV or Parquet); repeat for several waves. Or the --out "
            "folder of a dedupe or link-waves run: its records and model are used, nothing "
            "is re-trained. Or `registry:` in the config."
        ),
    ] = None,
    partner: Annotated[
        str | None,
        typer.Option(
            help="The partner's list (CSV, Parquet or .xlsx); or `partner:` in the config."
        ),
    ] = None,
    out: opt.Out = None,
    mapping: Annotated[
        str | None, typer.Option(help="YAML column mapping of the partner list.")
    ] = None,
    registry_mapping: Annotated[
        str | None, typer.Option(help="YAML column mapping of the registry waves (all of them).")
    ] = None,
    model: opt.Model = None,
    config: opt.Config = None,
    backend: opt.Backend = None,
    format: opt.Format = None,
    match_threshold: Annotated[
        float | None,
        typer.Option(help="Match probability for `matched` (matching.match_threshold)."),
    ] = None,
    review_threshold: Annotated[
        float | None,
        typer.Option(help="Match probability for `review` (matching.review_threshold)."),
    ] = None,
    encoding: opt.Encoding = None,
    sheet: opt.Sheet = None,
    memory_limit: opt.MemoryLimit = None,
    truth: opt.Truth = None,
) -> None:
    """Match a partner list against the registry, one-to-one; rank the unregistered poor."""
    from linkage.config import load_config, override
    from linkage.errors import ConfigError
    from linkage.intake.mapping import ColumnMapping
    from linkage.partner_config import MatchPartnerConfig
    from linkage.pipelines.match_partner_run import match_partner_list

    cfg: MatchPartnerConfig = load_config(config, MatchPartnerConfig)
    cfg = override(
        cfg,
        match_threshold=match_threshold,
        review_threshold=review_threshold,
        format=format,
        backend=backend,
        memory_limit=memory_limit,
    )
    registry = registry or cfg.registry
    partner, out = partner or cfg.partner, out or cfg.out
    mapping, model = mapping or cfg.mapping, model or cfg.model
    registry_mapping = registry_mapping or cfg.registry_mapping
    for value, flag in ((registry, "registry"), (partner, "partner"), (out, "out")):
        if not value:
            raise ConfigError(
                f"match-partner needs --{flag}: give it on the command line or "
                f"as `{flag}:` in the config."
            )
    column_mapping = _mapping_used(partner, mapping, encoding=encoding, sheet=sheet)
    result = match_partner_list(
        list(registry),
        partner,
        out,
        cfg,
        mapping=column_mapping,
        registry_mapping=ColumnMapping.from_yaml(registry_mapping) if registry_mapping else None,
        model_path=model,
        encoding=encoding,
        sheet=sheet,
    )

    s = result.summary
    table = Table(
        "",
        "",
        title=f"{Path(partner).name} against {len(registry)} registry wave(s) → {out}",
        show_header=False,
    )
    table.add_row("partner rows read", f"{s['input']['rows_read']:,}")
    table.add_row("rejected", f"{s['input']['rows_rejected']:,}")
    for status, n in s["statuses"].items():
        table.add_row(status, f"{n:,}")
    table.add_row("listed twice in the partner list", f"{sum(s['partner_duplicates'].values()):,}")
    table.add_row("registry records", f"{s['registry']['records_used']:,}")
    if truth is not None:
        _add_accuracy(table, result.tables["matches"], truth)
    console.print(table)
    for note in opt.notes(s, cfg.dates.min_year):
        console.print(f"note: {note}", highlight=False, soft_wrap=True)


def _mapping_used(partner: str, mapping: str | None, *, encoding: str | None, sheet: str | None):
    """The partner's mapping, with guesses from the header for what it leaves out, printed
    when anything was guessed (as validate-partner does) so the partner can save it."""
    from linkage.cli.validate import print_mapping
    from linkage.intake.mapping import ColumnMapping
    from linkage.intake.partner_check import (
        complete_mapping,
        extra_columns,
        file_columns,
        read_partner_list,
    )

    given = ColumnMapping.from_yaml(mapping) if mapping else None
    if not Path(partner).is_file():  # a remote path on Spark: the mapping as given
        return given
    raw, _ = read_partner_list(partner, encoding=encoding, sheet=sheet)
    columns = file_columns(raw)
    used, guessed = complete_mapping(given, columns)
    print_mapping(
        used,
        guessed,
        extra_columns(used, columns),
        given_path=Path(mapping) if mapping else None,
        columns=columns,
    )
    return used


def _add_accuracy(table: Table, matches, truth: Path) -> None:
    from evaluation.partner_metrics import score_matches
    from linkage.intake.io import read_raw

    scores = score_matches(matches, read_raw(truth))
    table.add_row("accuracy", f"[bold]{scores.accuracy:.4f}[/]")
    table.add_row("sent to review", f"{scores.review_share:.2%}")
    table.add_row("precision of matched", f"{scores.precision:.4f}")
    table.add_row("recall of registered", f"{scores.recall:.4f}")


def register(app: typer.Typer) -> None:
    """Add ``match-partner`` to the ``nser-link`` app."""
    app.command("match-partner")(match_partner)
