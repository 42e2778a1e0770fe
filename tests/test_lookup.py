"""Desk lookups (``linkage.lookup``) answer as the batch path does.

The desk standardises one record at a time and scores it against candidates from its
key index with Splink's SQL captured once; ``register`` standardises a batch and lets
Splink block and score (``predict_between``). On a sample of the wave (some records with
fields blanked or misspelt, so more than one code path runs) both must give the same
standardised values, the desk's candidates must hold every pair Splink blocks and only
records sharing a blocking rule's keys, and every pair both score must have the same
match probability and weight.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkage.config import DedupeConfig
from linkage.lookup import DeskLookup, canonical, rule_keys, scalar_text
from linkage.register import load_registry, standardise_new
from linkage.run_folder import open_run
from models.settings import MODEL_COLUMNS


@pytest.fixture(scope="module")
def desk(first_run):
    return DeskLookup(load_registry(open_run(first_run[0]), DedupeConfig()))


@pytest.fixture(scope="module")
def records(generated) -> list[dict]:
    """Records of the wave under new ids, a third of them altered."""
    wave = pd.read_csv(generated / "wave_2021.csv", dtype=str, keep_default_na=False)
    sample = wave.sample(45, random_state=11).reset_index(drop=True)
    sample["record_id"] = [f"desk-q{i}" for i in range(len(sample))]
    sample.loc[0::3, "cnic"] = ""
    sample.loc[1::6, "full_name"] = sample.loc[1::6, "full_name"].str.replace("a", "e", n=1)
    sample.loc[2::9, "date_of_birth"] = sample.loc[2::9, "date_of_birth"].str[:4]
    sample.loc[4::9, "district"] = "N/A"
    return [{k: v for k, v in r.items() if v} for r in sample.to_dict("records")]


@pytest.fixture(scope="module")
def batch(desk, records) -> pd.DataFrame:
    """The records standardised together, as ``register`` does."""
    frame = pd.DataFrame(
        [{k: (None if v in ("", None) else str(v)) for k, v in r.items()} for r in records]
    )
    return standardise_new(frame, desk.config).set_index("record_id", drop=False)


def _plain(value):
    """A frame's cell as the desk's one-record values hold it."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def test_one_record_standardises_as_in_a_batch(desk, records, batch):
    for record in records:
        one = desk.standardise(record)
        want = batch.loc[record["record_id"], list(MODEL_COLUMNS)]
        got = {c: one[c] for c in MODEL_COLUMNS}
        assert got == {c: _plain(want[c]) for c in MODEL_COLUMNS}, record["record_id"]


def test_candidates_and_scores_match_splinks_batch_scoring(desk, records, batch):
    registry = desk.registry
    new = registry.register(batch[list(MODEL_COLUMNS)].reset_index(drop=True), "lookup_test")
    splink = registry.score(new, within=False, threshold=0.0)
    splink = splink.astype({"record_id_l": str, "record_id_r": str})
    ids = pd.Series(desk.records.column("record_id").to_pylist()).astype(str)
    keys = rule_keys(registry.model)
    registry_frame = desk.records.select(sorted({c for cols in keys for c in cols})).to_pandas()
    compared = 0
    for record in records:
        rid = record["record_id"]
        std = desk.standardise(record)
        rows = desk.candidates(std)
        assert len(rows) < desk.max_candidates  # no cap: the comparison is of all
        found = set(ids.iloc[rows])
        blocked = splink[splink["record_id_r"] == rid]
        assert set(blocked["record_id_l"]) <= found, rid
        # every candidate shares all equality keys of at least one blocking rule
        shares = np.zeros(len(rows), dtype=bool)
        for cols in keys:
            same = np.ones(len(rows), dtype=bool)
            for c in cols:
                mine = scalar_text(std[c])
                theirs = canonical(registry_frame[c].iloc[rows])
                same &= (theirs == mine).fillna(False).to_numpy(bool) if mine else False
            shares |= same
        assert shares.all(), rid
        scored = desk.score(std, rows).astype({"record_id_l": str})
        assert len(scored) == len(rows)
        both = blocked.merge(scored, on="record_id_l", suffixes=("_batch", "_desk"))
        assert len(both) == len(blocked)
        for col in ("match_probability", "match_weight"):
            np.testing.assert_allclose(both[f"{col}_desk"], both[f"{col}_batch"], rtol=0, atol=1e-9)
        mw = [c for c in both.columns if c.startswith("mw_") and c.endswith("_batch")]
        for c in mw:
            np.testing.assert_allclose(
                both[c.replace("_batch", "_desk")].astype(float),
                both[c].astype(float),
                rtol=0,
                atol=1e-9,
            )
        compared += len(both)
    assert compared > len(records)  # most records have pairs: the test compared scores


def test_lookup_answers_best_first(desk, records):
    scored, found = desk.lookup(records[5], limit=3, min_probability=0.0)
    assert 0 < len(scored) <= 3
    p = scored["match_probability"].to_numpy()
    assert (np.diff(p) <= 0).all()
    assert set(scored["record_id_l"].astype(str)) == set(found["record_id"].astype(str))
