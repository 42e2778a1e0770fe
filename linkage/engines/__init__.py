"""Engines: where a job's records live and Splink runs (DuckDB embedded, Spark
distributed). Jobs are written once against :class:`Engine`; the backend is chosen
here, once, from the configuration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from linkage.config import BackendConfig
from linkage.engines.base import Engine, Intake


def engine_for(cfg: BackendConfig) -> Engine:
    """The engine the configuration names (``backend.name``)."""
    if cfg.name == "spark":
        from linkage.engines.spark import SparkEngine  # pyspark is an optional extra

        return SparkEngine(cfg)
    from linkage.engines.duckdb import DuckDBEngine

    return DuckDBEngine(cfg)


@contextmanager
def job_engine(cfg: BackendConfig) -> Iterator[Engine]:
    """The engine for one job: what the job kept in it is released when the job ends, so
    a long-lived session (a notebook, the test suite) does not fill up job after job."""
    engine = engine_for(cfg)
    try:
        yield engine
    finally:
        engine.release()


__all__ = ["Engine", "Intake", "engine_for", "job_engine"]
