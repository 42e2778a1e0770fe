"""Engines: where a job's records live and Splink runs (DuckDB embedded, Spark
distributed). Jobs are written once against :class:`Engine`; the backend is chosen
here, once, from the configuration."""

from __future__ import annotations

from linkage.config import BackendConfig
from linkage.engines.base import Engine, Intake


def engine_for(cfg: BackendConfig) -> Engine:
    """The engine the configuration names (``backend.name``)."""
    if cfg.name == "spark":
        from linkage.engines.spark import SparkEngine  # pyspark is an optional extra

        return SparkEngine(cfg)
    from linkage.engines.duckdb import DuckDBEngine

    return DuckDBEngine(cfg)


__all__ = ["Engine", "Intake", "engine_for"]
