"""The one place where backends differ: creating the engine and its Splink database API.

Everything else talks to tables through Splink or SQL that runs on every backend.
"""

from __future__ import annotations

import os

import duckdb
from splink import DuckDBAPI

from linkage.config import BackendConfig


def duckdb_connection(cfg: BackendConfig) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB sized from the config (threads, memory limit, spill folder)."""
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(cfg.threads or os.cpu_count() or 1)}")
    if cfg.memory_limit:
        con.execute("SET memory_limit = ?", [cfg.memory_limit])
    if cfg.temp_directory:
        con.execute("SET temp_directory = ?", [cfg.temp_directory])
    # Rows come back in insertion order for queries without ORDER BY: reproducible runs.
    con.execute("SET preserve_insertion_order = true")
    return con


def make_db_api(cfg: BackendConfig) -> DuckDBAPI:
    """Splink's database API for the configured backend."""
    return DuckDBAPI(connection=duckdb_connection(cfg))
