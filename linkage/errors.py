"""Errors a user can cause, with messages a user can act on.

The CLI turns every ``NserLinkError`` into one readable paragraph and exit code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class NserLinkError(Exception):
    """A problem with the user's input or configuration, explained in plain words."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        rows: list[int] | None = None,
    ) -> None:
        """``rows``: the rows at fault as Excel numbers them (header = row 1)."""
        self.file = file
        self.column = column
        self.rows = rows or []
        parts = []
        if file:
            parts.append(f"{file}:")
        parts.append(message)
        if rows:  # as Excel numbers them, so the user finds them there
            shown = ", ".join(str(r) for r in rows[:5])
            more = f" (and {len(rows) - 5} more)" if len(rows) > 5 else ""
            parts.append(f"Rows (as numbered in Excel, header = row 1): {shown}{more}.")
        super().__init__(" ".join(parts))


class InputError(NserLinkError):
    """The input file cannot be read or does not follow the data contract."""


class ConfigError(NserLinkError):
    """The configuration or column mapping is wrong."""


class BlockingTooLargeError(NserLinkError):
    """The blocking rules would generate more comparisons than allowed."""
