"""``nser-link register``: new registrations into an earlier run, with stable ids.

Kept apart from ``linkage/cli.py`` so that file needs one line to add it (:func:`register`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from linkage.cli import options as opt

console = Console()


def register_command(
    new: Annotated[str, typer.Argument(help="New person records (CSV, Parquet or XLSX).")],
    into: Annotated[
        Path,
        typer.Option(
            "--into", help="The --out folder of a dedupe or link-waves run; rewritten atomically."
        ),
    ],
    config: opt.Config = None,
    mapping: Annotated[str | None, typer.Option(help="YAML column mapping.")] = None,
    backend: opt.Backend = None,
    encoding: opt.Encoding = None,
    sheet: opt.Sheet = None,
    memory_limit: opt.MemoryLimit = None,
) -> None:
    """Register new records into a run: each joins a person already there or becomes a
    new one; existing ids never change except when a new record joins two people."""
    from linkage.config import DedupeConfig, load_config, override
    from linkage.intake.mapping import ColumnMapping
    from linkage.register import run_register

    cfg: DedupeConfig = load_config(config)
    cfg = override(cfg, backend=backend, memory_limit=memory_limit)
    mapping = mapping or cfg.mapping
    column_mapping = ColumnMapping.from_yaml(mapping) if mapping else None
    result = run_register(new, into, cfg, mapping=column_mapping, encoding=encoding, sheet=sheet)
    s = result.summary
    table = Table("", "", title=f"Batch {s['batch']}: {Path(new).name} → {into}", show_header=False)
    table.add_row("records read", f"{s['rows_read']:,}")
    table.add_row("rejected", f"{s['rows_rejected']:,}")
    for status in ("new_person", "duplicate", "review"):
        table.add_row(status.replace("_", " "), f"{s['status'].get(status, 0):,}")
    table.add_row("existing people merged", f"{s['merged_clusters']:,}")
    console.print(table)
    console.print(f"registrations, merged_clusters written to {into} (batch {s['batch']})")


def register(app: typer.Typer) -> None:
    """Add ``register`` to the ``nser-link`` command."""
    app.command("register")(register_command)
