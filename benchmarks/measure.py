"""Wall time and peak memory per stage, measured inside the process that does the work.

Peak RSS per stage uses Linux's own high-water mark: writing ``5`` to
``/proc/self/clear_refs`` resets ``VmHWM`` to the current RSS, so ``VmHWM`` read at the
end of a stage is that stage's exact peak (a sampling thread would miss short peaks
while pandas or DuckDB hold the GIL). The reset also lowers ``ru_maxrss``, which is why
the process peak is the maximum over the stages, kept here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from linkage.progress import Stages

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def peak_rss_mb() -> float:
    """This process's peak resident memory since the last reset, in MB."""
    for line in _STATUS.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def reset_peak() -> None:
    _CLEAR_REFS.write_text("5")


class MeasuredStages(Stages):
    """``linkage.progress.Stages`` that also records each stage's peak RSS (MB).

    Passed to ``run_dedupe(stages=...)``, so the pipeline's own stage names are kept.
    """

    def __init__(self) -> None:
        super().__init__(show=False)
        self.peak_mb: dict[str, float] = {}
        self.process_peak_mb = peak_rss_mb()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.process_peak_mb = max(self.process_peak_mb, peak_rss_mb())
        reset_peak()
        start = time.perf_counter()
        try:
            with super().stage(name):
                yield
        finally:  # a stage that fails (the comparison budget) is measured too
            self.timings[name] = round(time.perf_counter() - start, 3)
            peak = peak_rss_mb()
            self.peak_mb[name] = round(peak, 1)
            self.process_peak_mb = max(self.process_peak_mb, peak)

    def report(self, wall_s: float) -> dict:
        """Stages as ``{name: {wall_s, peak_rss_mb}}`` plus the totals."""
        self.process_peak_mb = max(self.process_peak_mb, peak_rss_mb())
        return {
            "wall_s": round(wall_s, 2),
            "peak_rss_mb": round(self.process_peak_mb, 1),
            "stages": {
                n: {"wall_s": self.timings[n], "peak_rss_mb": self.peak_mb[n]} for n in self.timings
            },
        }


@contextmanager
def stopwatch() -> Iterator[dict]:
    """``with stopwatch() as t: ...`` then ``t["s"]`` holds the elapsed seconds."""
    out: dict = {}
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["s"] = time.perf_counter() - start
