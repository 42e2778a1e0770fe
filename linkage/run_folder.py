"""An earlier run's output folder, opened as a registry: its summary, model and records.

``register`` (new desk registrations into a run), ``serve`` (desk lookup, the partner
portal) and ``match-partner --registry RUN`` read a run instead of re-reading and
re-standardising its input. Only ``dedupe`` and ``link-waves`` runs qualify: they write
``records`` (the records as the model scored them, with person and household cluster
ids) next to ``model.json``. Tables may be a Parquet file or, from Spark, a folder of
part files; both read the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from linkage.contract import CLUSTERS, MODEL, RECORDS, RUN_MARKER, SUMMARY
from linkage.errors import ConfigError
from linkage.outputs import is_marker
from models.store import load_model

REGISTRY_JOBS = ("dedupe", "link-waves")


def table_path(run: Path, name: str) -> Path | None:
    """``name`` in ``run`` as Parquet (a file, or Spark's folder of part files), or CSV."""
    for candidate in (run / f"{name}.parquet", run / name, run / f"{name}.csv"):
        if candidate.exists():
            return candidate
    return None


def read_table(run: Path, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    path = table_path(run, name)
    if path is None:
        raise ConfigError(f"{run}: has no {name} table; was it written by this version?")
    if path.suffix == ".csv":
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        return df[columns] if columns else df
    return pd.read_parquet(path, columns=columns)


@dataclass
class RunFolder:
    """A dedupe or link-waves run, checked once; tables are read when first asked for."""

    path: Path
    summary: dict = field(repr=False)

    @cached_property
    def model(self) -> dict:
        return load_model(self.path / MODEL)

    @cached_property
    def records(self) -> pd.DataFrame:
        return read_table(self.path, RECORDS)

    @cached_property
    def clusters(self) -> pd.DataFrame:
        return read_table(self.path, CLUSTERS)

    @property
    def job(self) -> str:
        return str(self.summary.get("job", ""))


def open_run(path: str | Path, *, label: str = "--registry") -> RunFolder:
    """``path`` as a registry run, or a ConfigError saying what it is not."""
    run = Path(path)
    marker = run / RUN_MARKER
    if (
        not run.is_dir()
        or not marker.exists()
        or not is_marker(marker.read_text("utf-8", errors="replace"))
    ):
        raise ConfigError(
            f"{label} {run}: not an output folder of nser-link (no {RUN_MARKER}); "
            "give the --out folder of a dedupe or link-waves run"
        )
    missing = [n for n in (MODEL, SUMMARY) if not (run / n).exists()]
    if table_path(run, RECORDS) is None:
        missing.append(RECORDS)
    if missing:
        raise ConfigError(
            f"{label} {run}: has no {', '.join(missing)}; it must be the output "
            f"of a dedupe or link-waves run of this version"
        )
    try:
        summary = json.loads((run / SUMMARY).read_text("utf-8"))
    except ValueError as exc:
        raise ConfigError(f"{label} {run}: {SUMMARY} is not JSON ({exc})") from None
    return RunFolder(run, summary)
