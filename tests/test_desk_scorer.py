"""The functions the desk's SQLite lacks behave as DuckDB's do, nulls included.

``linkage.desk_scorer`` runs Splink's scoring SQL on SQLite with small Python functions
for what sqlglot writes DuckDB's list, date and edit-distance functions as. Each is
compared here with DuckDB itself on the same values; ``tests/test_lookup.py`` compares
whole scores.
"""

from __future__ import annotations

import random
import sqlite3

import duckdb
import pytest

from linkage.desk_scorer import FUNCTIONS, _sqlite_condition

WORDS = ["ali", "khan", "gulshan", "12", "3", "model", "town", "", "ali", "iqbal"]


def _texts(n: int, seed: int) -> list[str | None]:
    rng = random.Random(seed)
    out: list[str | None] = [None, "", " ", "ali", "ali ali", "ali  khan", "ali khan"]
    for _ in range(n):
        out.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 5))).strip())
    return out


@pytest.fixture(scope="module")
def lite():
    con = sqlite3.connect(":memory:")
    for name, (arity, fn) in FUNCTIONS.items():
        con.create_function(name, arity, fn, deterministic=True)
    return con


def _both(lite, duckdb_sql: str, rows: list[tuple]) -> None:
    """``duckdb_sql`` (over columns a, b) on DuckDB and, translated, on SQLite."""
    sqlite_sql = _sqlite_condition(duckdb_sql, "duckdb")
    duck = duckdb.connect()
    for a, b in rows:
        want = duck.execute(f"SELECT {duckdb_sql} FROM (SELECT ?::VARCHAR a, ?::VARCHAR b)", [a, b])
        got = lite.execute(f"SELECT {sqlite_sql} FROM (SELECT ? a, ? b)", (a, b))
        w, g = want.fetchone()[0], got.fetchone()[0]
        assert (None if w is None else int(w)) == (None if g is None else int(g)), (a, b, w, g)


def test_list_functions_agree_with_duckdb(lite):
    texts = _texts(150, 3)
    rows = list(zip(texts, reversed(texts), strict=True))
    _both(lite, "array_length(array_intersect(str_split(a, ' '), str_split(b, ' ')))", rows)
    _both(lite, "array_length(str_split(a, ' '))", rows)
    _both(lite, "list_contains(str_split(a, ' '), b)", [(t, w) for t in texts for w in WORDS[:3]])


def test_dates_substrings_and_distances_agree_with_duckdb(lite):
    dates = [("1987-03-14", "1990-12-01"), (None, "1990-12-01"), ("2001-01-31", None)]
    _both(lite, "month(a::DATE) = day(b::DATE)", dates)
    _both(lite, "month(a::DATE)", dates)
    cnics = [("3520212345671", "3520212345617"), ("35202", None), ("123", "1234567890123")]
    _both(lite, "left(a, 7) = left(b, 7) OR right(a, 5) = right(b, 5)", cnics)
    names = [("naveed", "navid"), ("ali", None), (None, None), ("", "abc"), ("ahmad", "ahmed")]
    _both(lite, "levenshtein(a, b)", names)
    _both(lite, "damerau_levenshtein(a, b)", names)
