"""Splink's scores of one record against a few dozen candidates, in a few milliseconds.

A desk lookup scores one record against the candidates its key index found. DuckDB binds
Splink's ``score_pairs`` SQL (25 kB, some fifty comparison levels) again on every
execution, prepared or not: 15-20 ms of planning for 2 ms of work. SQLite keeps a
compiled statement, so the desk runs the same Splink SQL there:

* **Splink writes it**, once, with its SQLite backend, from the run's saved model with
  each level's condition translated to SQLite by sqlglot (as Splink translates its own
  custom levels; ``LEFT``/``RIGHT``, keywords in SQLite, become ``SUBSTR``), and SQLite
  compiles it once. Nothing of the scoring is written here.
* **The functions SQLite lacks** are added for the names sqlglot gives DuckDB's in
  SQLite SQL (``SPLIT``, ``ARRAY_CONTAINS``, ``ARRAY_INTERSECT``, ``ARRAY_LENGTH``,
  ``MONTH``, ``DAY``, ``EDITDIST3`` for ``levenshtein``), and the edit distances are null
  when a side is, as in DuckDB (Splink's SQLite functions compare the text "None").
  Lists travel as text, each item after a separator no standardised value holds.
* **Splink's steps are materialised** (``AS MATERIALIZED``): SQLite would otherwise
  inline each step into the next, and compute every level's condition once per weight
  that reads it (30 ms instead of 2).

``tests/test_lookup.py`` holds the desk's scores to Splink's own batch scoring on DuckDB,
pair by pair.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
import sqlite3
import threading

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from rapidfuzz.distance import DamerauLevenshtein, Jaro, JaroWinkler, Levenshtein
from splink import Linker
from splink.backends.sqlite import SQLiteAPI
from sqlglot import exp

CANDIDATES, RECORD = "desk_candidates", "desk_record"
_SEP = "\x1f"  # a list's items in one text value
#: SQLite compiles the ``WITH ... AS MATERIALIZED`` hint from 3.35 (2021); older ones
#: give the same answers more slowly.
_MATERIALIZE = sqlite3.sqlite_version_info >= (3, 35)


def _null_safe(fn):
    """``fn`` returning null when an argument is null, as SQL functions do."""

    def call(*args):
        return None if any(a is None for a in args) else fn(*args)

    return call


# A list as text: each item preceded by the separator, so that [] is "" and [""] is "\x1f".
def _list(items: list[str]) -> str:
    return "".join(_SEP + item for item in items)


def _items(text: str) -> list[str]:
    return text.split(_SEP)[1:]


def _intersect(left: str | None, right: str | None) -> str | None:
    """DuckDB's ``array_intersect``: the items of both, each once; null when the first is
    null, empty when the second is."""
    if left is None:
        return None
    theirs = set(_items(right)) if right is not None else set()
    return _list([t for t in dict.fromkeys(_items(left)) if t in theirs])


#: name -> (number of arguments, function); SQLite prefers a function registered with
#: its exact number of arguments, so these replace Splink's of the same name.
FUNCTIONS = {
    "split": (2, _null_safe(lambda text, sep: _list(text.split(sep)))),
    "array_contains": (2, _null_safe(lambda items, item: int(item in _items(items)))),
    "array_intersect": (2, _intersect),
    "array_length": (1, _null_safe(lambda items: len(_items(items)))),
    "month": (1, _null_safe(lambda d: int(d[5:7]))),
    "day": (1, _null_safe(lambda d: int(d[8:10]))),
    "editdist3": (2, _null_safe(Levenshtein.distance)),
    "levenshtein": (2, _null_safe(Levenshtein.distance)),
    "damerau_levenshtein": (2, _null_safe(DamerauLevenshtein.distance)),
    "jaro_winkler": (2, _null_safe(JaroWinkler.similarity)),
    "jaro": (2, _null_safe(Jaro.similarity)),
}


def _sqlite_type(field: pa.Field) -> str:
    if pa.types.is_integer(field.type) or pa.types.is_boolean(field.type):
        return "INTEGER"
    if pa.types.is_floating(field.type):
        return "REAL"
    return "TEXT"  # text, and dates as ISO text (what MONTH and DAY read)


def _sqlite_condition(sql: str, dialect: str) -> str:
    """One level's SQL condition written for SQLite."""

    def substr(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Left):
            return exp.Substring(
                this=node.this, start=exp.Literal.number(1), length=node.expression
            )
        if isinstance(node, exp.Right):
            return exp.Substring(this=node.this, start=exp.Neg(this=node.expression))
        return node

    return sqlglot.parse_one(sql, read=dialect).transform(substr).sql(dialect="sqlite")


def for_sqlite(model: dict) -> dict:
    """The saved model with every comparison level's condition in SQLite's dialect (the
    trained parameters untouched)."""
    dialect = model.get("sql_dialect") or "duckdb"
    out = copy.deepcopy(model)
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("sql_condition", "ELSE") != "ELSE":
                level["sql_condition"] = _sqlite_condition(level["sql_condition"], dialect)
    out["sql_dialect"] = "sqlite"
    out["blocking_rules_to_generate_predictions"] = []  # scoring given pairs blocks nothing
    return out


def _materialised(sql: str) -> str:
    """Every Splink step of ``sql`` computed once (see the module's docstring)."""
    if not _MATERIALIZE:
        return sql
    out, n = re.subn(r"^(__splink__\w+) as \(", r"\1 AS MATERIALIZED (", sql, flags=re.M)
    if not n:
        raise RuntimeError("Splink's score_pairs SQL has changed shape: no step found")
    return out


class DeskScorer:
    """Splink's ``score_pairs`` for (candidates × one record) on an in-memory SQLite.

    ``schema``: the columns both sides carry (the model's, with their ``tf_`` columns).
    One score at a time (a lock); the connection is this object's own."""

    def __init__(self, model: dict, schema: pa.Schema):
        self.schema = schema
        self.columns = schema.names
        self.dates = [f.name for f in schema if pa.types.is_temporal(f.type)]
        self.lock = threading.Lock()
        self.con = sqlite3.connect(":memory:", check_same_thread=False)
        api = SQLiteAPI(self.con)
        for name, (arity, fn) in FUNCTIONS.items():  # after Splink's: null-safe ones
            self.con.create_function(name, arity, fn, deterministic=True)
        defs = ", ".join(f'"{f.name}" {_sqlite_type(f)}' for f in schema)
        for table in (CANDIDATES, RECORD):
            self.con.execute(f"CREATE TABLE {table} ({defs})")
        self.sql = _materialised(self._splink_sql(api, model))
        self.con.row_factory = None  # tuples: Splink's API set dictionaries
        self._insert = {
            t: f"INSERT INTO {t} VALUES ({', '.join('?' * len(self.columns))})"
            for t in (CANDIDATES, RECORD)
        }

    def _splink_sql(self, api: SQLiteAPI, model: dict) -> str:
        """The SQL Splink runs for ``score_pairs(CANDIDATES, RECORD)``, captured."""
        left = api.register(CANDIDATES, table_name="desk_left")
        right = api.register(RECORD, table_name="desk_right")
        linker = Linker(left, for_sqlite(model), log_level=logging.WARNING, validate_settings=False)
        captured: list[str] = []
        original = api._execute_sql

        def capture(sql, templated):
            captured.append(sql)
            return original(sql, templated)

        api._execute_sql = capture
        try:
            linker.inference.score_pairs(left, right).as_pandas_dataframe()
        finally:
            api._execute_sql = original
        return captured[-1]

    def _rows(self, table: pa.Table) -> list[tuple]:
        columns = []
        for name in self.columns:
            column = table.column(name)
            if name in self.dates:
                column = pc.strftime(column, "%Y-%m-%d")
            columns.append(column.to_pylist())
        return list(zip(*columns, strict=True))

    def record_row(self, record: dict) -> tuple:
        return tuple(
            v.strftime("%Y-%m-%d") if isinstance(v, dt.date) else v
            for v in (record.get(c) for c in self.columns)
        )

    def score(self, candidates: pa.Table, record: dict) -> pd.DataFrame:
        """Splink's scores (``match_weight``, ``match_probability``, ``gamma_*``, ``mw_*``,
        both sides' values) of ``record`` against each candidate row."""
        rows, one = self._rows(candidates), self.record_row(record)
        with self.lock:
            self.con.execute(f"DELETE FROM {CANDIDATES}")
            self.con.execute(f"DELETE FROM {RECORD}")
            self.con.executemany(self._insert[CANDIDATES], rows)
            self.con.execute(self._insert[RECORD], one)
            cursor = self.con.execute(self.sql)
            names = [d[0] for d in cursor.description]
            found = cursor.fetchall()
        return pd.DataFrame.from_records(found, columns=names)
