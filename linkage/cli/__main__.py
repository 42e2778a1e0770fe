"""``python -m linkage.cli``: the same as ``nser-link``."""

from linkage.cli.commands import main

main()
