"""``nser-link``: the command line (``commands``), its shared options and the commands
each in its own module. ``main`` is the console script."""

from linkage.cli.commands import app, main

__all__ = ["app", "main"]
