"""``nser-link validate-partner``: tell a programme partner what is wrong with their list.

Kept apart from ``linkage/cli/commands.py`` so that file needs one line to add it
(:func:`register`).
A thin shell over :mod:`linkage.intake.partner_check`. The report file holds the partner's own
values (it goes back to them); the console shows counts, row numbers and column names
only, never a name or CNIC, because consoles end up in logs and screenshots.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from linkage.errors import ConfigError
from linkage.intake.header import NOT_A_HEADER, looks_like_data
from linkage.intake.mapping import ColumnMapping
from linkage.intake.partner_check import (
    ERROR,
    KIND,
    REPORT_COLUMNS,
    PartnerCheck,
    check_partner_rows,
    complete_mapping,
    extra_columns,
    file_columns,
    is_empty,
    mapping_yaml,
    read_partner_list,
    report_table,
    write_excel_csv,
)
from linkage.outputs import check_report_replaceable

console = Console()

#: Problem kinds shown in the console table; the report file has them all.
TOP_PROBLEMS = 10
#: Row numbers listed per problem kind in the console.
ROWS_SHOWN = 5


def validate_partner(
    file: Annotated[Path, typer.Argument(help="The partner's list: CSV or XLSX.")],
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="YAML column mapping; without it the columns are guessed from the header."
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="The CSV's encoding when detection gets it wrong, e.g. cp1252, utf-16."),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="Sheet of an .xlsx file (default: the first).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Report CSV to write [./<FILE stem>.problems.csv].")
    ] = None,
    show_values: Annotated[
        bool,
        typer.Option(
            "--show-values/--no-show-values",
            help="Put the partner's values and ids in the report (off: row, column, problem only).",
        ),
    ] = True,
) -> None:
    """Check a partner's beneficiary list without matching it: one report line per problem."""
    out = out or Path.cwd() / f"{file.stem}.problems.csv"
    if out.resolve() == file.resolve():
        raise ConfigError(
            "the report would overwrite the list being checked; choose another --out.",
            file=str(out),
        )
    check_report_replaceable(out, REPORT_COLUMNS)  # before the work, not after it
    given = ColumnMapping.from_yaml(mapping) if mapping else None
    raw, rows = read_partner_list(file, encoding=encoding, sheet=sheet)
    columns = file_columns(raw)
    used, guessed = complete_mapping(given, columns)
    # printed before checking, so a partner whose header lacks an id still gets a start
    print_mapping(used, guessed, extra_columns(used, columns), given_path=mapping, columns=columns)
    check = check_partner_rows(raw, used, guessed=guessed, rows=rows, file=str(file))
    written = write_excel_csv(report_table(check, show_values=show_values), out)
    _print_summary(check, file)
    console.print(
        f"Report written to {written}"
        + (" (contains the list's own values)" if show_values else ""),
        markup=False,
        highlight=False,
    )


def print_mapping(
    used: ColumnMapping,
    guessed: ColumnMapping,
    extras: list[str],
    *,
    given_path: Path | None,
    columns: list[str],
) -> None:
    """Show the mapping used when any of it was guessed, as YAML ready to save and edit.

    Column names are shown only when the file's first row looks like a header
    (:mod:`linkage.intake.header`): otherwise they are a person's name, CNIC and phone.
    """
    if looks_like_data(columns):
        console.print(NOT_A_HEADER, markup=False, highlight=False)
        return
    if given_path is None and is_empty(used):
        console.print("The columns already have the contract's names; no mapping needed.")
    elif not is_empty(guessed):
        if given_path is None:
            intro = (
                "Column mapping guessed from the header. Save it as a .yaml file, "
                "correct it, and pass it back with --mapping:"
            )
        else:
            intro = (
                f"{given_path} left some columns unmapped; these were guessed too. "
                "The mapping used, to save and correct:"
            )
        console.print(intro, markup=False, highlight=False)
        console.print(mapping_yaml(used), markup=False, highlight=False)
    if extras:
        console.print(
            "Columns not checked (carried through as they are): " + ", ".join(extras),
            markup=False,
            highlight=False,
        )


def _print_summary(check: PartnerCheck, file: Path) -> None:
    """Counts and row numbers only: no value from the list is printed."""
    s = check.summary
    table = Table("", "", title=f"Check of {escape(file.name)}", show_header=False)
    table.add_row("rows read", f"{s['rows_read']:,}")
    table.add_row("rows usable", f"{s['rows_usable']:,}")
    table.add_row("rows with errors (rejected)", f"{s['rows_with_errors']:,}")
    table.add_row("usable rows with warnings", f"{s['rows_with_warnings']:,}")
    console.print(table)
    if not s["problems"]:
        console.print("No problems found.")
        return
    problems = Table(
        "problem",
        "severity",
        "rows",
        "first rows",
        title="Problems (all of them are in the report)",
    )
    by_kind = dict(tuple(check.problems.groupby(KIND, sort=False)))
    errors_first = sorted(
        s["problems"].items(), key=lambda kv: (by_kind[kv[0]]["severity"].iloc[0] != ERROR, -kv[1])
    )
    for kind, n in errors_first[:TOP_PROBLEMS]:
        group = by_kind[kind]
        rows = sorted(set(group["row"]))
        shown = ", ".join(map(str, rows[:ROWS_SHOWN])) + (" …" if len(rows) > ROWS_SHOWN else "")
        severity = group["severity"].iloc[0]
        style = "red" if severity == ERROR else "yellow"
        problems.add_row(kind, f"[{style}]{severity}[/]", f"{n:,}", shown)
    console.print(problems)


def register(app: typer.Typer) -> None:
    """Add ``validate-partner`` to the ``nser-link`` app."""
    app.command("validate-partner")(validate_partner)
