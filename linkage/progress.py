"""Stage timing, shown as a live display on a terminal and as quiet log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

log = logging.getLogger("nser_linkage")


class Stages:
    """Times each stage of a job; ``timings`` goes into ``summary.json``."""

    def __init__(self, *, show: bool | None = None) -> None:
        self.timings: dict[str, float] = {}
        self._show = sys.stderr.isatty() if show is None else show
        self._console = Console(stderr=True)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        if self._show:
            with self._console.status(f"[bold]{name}[/]…"):
                yield
        else:
            log.info("%s…", name)
            yield
        elapsed = time.perf_counter() - start
        self.timings[name] = round(elapsed, 3)
        if self._show:
            self._console.print(f"[green]✓[/] {name} [dim]{elapsed:.1f}s[/]")
        else:
            log.info("%s done in %.1fs", name, elapsed)
