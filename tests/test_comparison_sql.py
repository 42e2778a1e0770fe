"""The comparison levels written for speed decide exactly as their plain forms.

Scoring evaluates these conditions for millions of pairs, so they are written with cheap
checks first (lengths, prefixes, an address signature); these tests run both forms in
DuckDB over pairs made to sit on the edges (one edit at every position, two edits,
short and long values, nulls) and require the same answer for every pair.
"""

from __future__ import annotations

import random

import duckdb
import pandas as pd
import pytest

from linkage.standardise.addresses import address_signature
from models.comparisons import _address, one_edit_identifier, typo


def _sql(level) -> str:
    return level.get_comparison_level("duckdb").sql_condition


def _edits(word: str, alphabet: str, rng: random.Random) -> list[str]:
    """Every single edit of ``word`` at every position, and a few double edits."""
    out = []
    for i in range(len(word) + 1):
        c = rng.choice(alphabet)
        out.append(word[:i] + c + word[i:])  # insertion
        if i < len(word):
            out.append(word[:i] + c + word[i + 1 :])  # substitution
            out.append(word[:i] + word[i + 1 :])  # deletion
        if i < len(word) - 1:
            out.append(word[:i] + word[i + 1] + word[i] + word[i + 2 :])  # transposition
    for _ in range(4):
        w = out[rng.randrange(len(out))]
        j = rng.randrange(len(w) + 1)
        out.append(w[:j] + rng.choice(alphabet) + w[j + 1 :])
    return out


def _pairs(words: list[str], alphabet: str, seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = [(w, e) for w in words for e in _edits(w, alphabet, rng)]
    rows += [(w, rng.choice(words)) for w in words]  # unrelated values
    rows += [(None, words[0]), (words[0], None), (None, None)]
    return pd.DataFrame(rows, columns=["x_l", "x_r"])


def _disagreements(pairs: pd.DataFrame, fast: str, plain: str) -> int:
    con = duckdb.connect()
    con.register("pairs", pairs)
    return con.execute(
        f"SELECT count(*) FROM pairs WHERE (CASE WHEN {fast} THEN 1 ELSE 0 END) "
        f"<> (CASE WHEN {plain} THEN 1 ELSE 0 END)"
    ).fetchone()[0]


def test_typo_is_one_edit_or_two_in_long_words():
    rng = random.Random(3)
    alphabet = "abcdehikmnrsuz"
    words = [
        "".join(rng.choice(alphabet) for _ in range(n)) for n in range(1, 13) for _ in range(6)
    ]
    pairs = _pairs(words, alphabet, seed=4)
    plain = (
        "levenshtein(x_l, x_r) <= 1 OR (length(x_l) >= 6 AND length(x_r) >= 6 AND "
        "levenshtein(x_l, x_r) <= 2)"
    )
    assert len(pairs) > 2000
    assert _disagreements(pairs, _sql(typo("x")), plain) == 0


@pytest.mark.parametrize("length", [5, 11, 12, 13, 14, 15])
def test_one_edit_identifier_is_damerau_levenshtein_one(length):
    rng = random.Random(length)
    words = ["".join(rng.choice("0123456789") for _ in range(length)) for _ in range(40)]
    # Real CNICs of one district share their first five digits: pairs that agree there
    # and differ only by one edit further on must still be found.
    words += ["35202" + w[5:] for w in words[:10]]
    pairs = _pairs(words, "0123456789", seed=length)
    plain = "damerau_levenshtein(x_l, x_r) <= 1"
    assert _disagreements(pairs, _sql(one_edit_identifier("x")), plain) == 0
    assert (pairs["x_l"] != pairs["x_r"]).sum() > 1000


def test_address_signature_rules_out_only_addresses_sharing_no_token():
    rng = random.Random(7)
    vocabulary = [f"w{i}" for i in range(300)] + [str(i) for i in range(40)]
    addresses = [
        " ".join(sorted(set(rng.sample(vocabulary, rng.randint(1, 6))))) for _ in range(400)
    ]
    left = [rng.choice(addresses) for _ in range(6000)]
    # Half the pairs share some tokens: the other address with tokens swapped in.
    right = [
        " ".join(sorted(set(a.split()[: rng.randint(0, 3)] + rng.sample(vocabulary, 2))))
        if i % 2
        else rng.choice(addresses)
        for i, a in enumerate(left)
    ]
    pairs = pd.DataFrame({"address_tokens_l": left, "address_tokens_r": right})
    pairs.loc[:5, "address_tokens_l"] = None
    pairs["address_signature_l"] = address_signature(pairs["address_tokens_l"].astype("string"))
    pairs["address_signature_r"] = address_signature(pairs["address_tokens_r"].astype("string"))
    fast, plain = _sql(_address(signed=True)), _sql(_address(signed=False))
    assert "address_signature" in fast and "address_signature" not in plain
    assert _disagreements(pairs, fast, plain) == 0
    con = duckdb.connect()
    con.register("pairs", pairs)
    agree = con.execute(f"SELECT count(*) FROM pairs WHERE {plain}").fetchone()[0]
    assert agree > 200  # the test has pairs on both sides of the level
