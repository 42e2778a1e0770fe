"""The desk API over real HTTP: lookup finds the registered person with a masked CNIC and
each comparison's weight; register adds a record as ``nser-link register`` does; tokens
are required and roles enforced; no request body reaches the log."""

from __future__ import annotations

import time

import httpx
import pandas as pd
import pytest

from linkage.run_folder import open_run
from linkage.service.tokens import TokenStore
from tests.service.conftest import serving


@pytest.fixture(scope="module")
def desk(registry, generated):
    """(base URL, desk token, partner token, a registered row of the wave, log path)."""
    store = TokenStore(registry)
    desk_token, partner_token = store.add("desk-1", "desk"), store.add("partner-1", "partner")
    wave = pd.read_csv(generated / "wave_2021.csv", dtype=str, keep_default_na=False)
    person = wave[(wave["cnic"] != "") & (wave["full_name"] != "")].iloc[10]
    with serving(registry) as base:
        logs = sorted(registry.parent.glob("serve-*.log"))[-1]
        yield base, desk_token, partner_token, person, logs


def post(base, path, token, body):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(base + path, json=body, headers=headers, timeout=120)


def test_lookup_finds_the_registered_person(desk, registry):
    base, token, _, person, _ = desk
    record = {k: v for k, v in person.items() if v and k != "record_id"}
    answer = post(base, "/api/desk/lookup", token, {"record": record})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    best = body["candidates"][0]
    clusters = open_run(registry).clusters.set_index("record_id")["cluster_id"]
    assert best["record_id"] == person["record_id"]
    assert best["cluster_id"] == clusters[person["record_id"]]
    assert body["registered"] and best["match_probability"] >= body["threshold"]
    digits = "".join(ch for ch in person["cnic"] if ch.isdigit())
    assert best["cnic"].endswith(digits[-4:]) and digits[:9] not in best["cnic"]
    assert set(best["cnic"][:-4]) == {"*"}
    assert {"cnic", "name", "date_of_birth"} <= set(best["comparisons"])
    assert best["comparisons"]["cnic"] > 0  # the CNIC agrees: evidence for
    timing = dict(p.strip().split(";dur=") for p in answer.headers["server-timing"].split(","))
    assert set(timing) == {"lookup", "cpu"} and float(timing["lookup"]) > 0


def test_lookup_of_a_stranger_is_not_registered(desk):
    base, token, *_ = desk
    answer = post(
        base,
        "/api/desk/lookup",
        token,
        {
            "record": {
                "full_name": "Zzyzx Qqqwerty",
                "date_of_birth": "1901-01-01",
                "gender": "F",
                "district": "Nowhere",
            }
        },
    )
    assert answer.status_code == 200 and not answer.json()["registered"]


def test_tokens_and_roles(desk):
    base, _, partner, person, _ = desk
    body = {"record": {"full_name": person["full_name"]}}
    assert post(base, "/api/desk/lookup", None, body).status_code == 401
    assert post(base, "/api/desk/lookup", "nser_" + "x" * 43, body).status_code == 401
    assert post(base, "/api/desk/lookup", partner, body).status_code == 403
    assert post(base, "/api/desk/register", partner, {"record_id": "x"}).status_code == 403
    assert post(base, "/api/desk/lookup", None, {"record": {"nope": 1}}).status_code == 401


def test_register_then_lookup(desk, registry):
    base, token, _, person, logs = desk
    before = len(open_run(registry).records)
    again = {k: v for k, v in person.items() if v}
    again.update(record_id="desk-0001", source="desk_lahore", household_id="DL-1")
    answer = post(base, "/api/desk/register", token, again)
    assert answer.status_code == 200, answer.text
    row = answer.json()
    assert row["status"] == "duplicate" and row["matched_record_id"] == person["record_id"]
    run = open_run(registry)
    clusters = run.clusters.set_index("record_id")["cluster_id"]
    assert clusters["desk-0001"] == clusters[person["record_id"]] == row["cluster_id"]
    assert len(run.records) == before + 1
    assert run.summary["registrations"][-1]["rows_used"] == 1
    # the same id twice is refused, and nothing is written
    twice = post(base, "/api/desk/register", token, again)
    assert twice.status_code == 422 and "already" in twice.text
    # the loaded registry follows: the new record is found by lookup
    record = {k: v for k, v in again.items() if k != "record_id"}
    found = post(base, "/api/desk/lookup", token, {"record": record, "limit": 10}).json()
    assert "desk-0001" in {c["record_id"] for c in found["candidates"]}
    # a new person gets their own id
    stranger = {
        "record_id": "desk-0002",
        "full_name": "Qasim Zzyzx",
        "gender": "M",
        "date_of_birth": "1990-02-03",
        "district": "Lahore",
        "household_id": "DL-2",
    }
    new = post(base, "/api/desk/register", token, stranger).json()
    assert new["status"] == "new_person" and new["cluster_id"] == "desk-0002"
    # a batch registered by another process meanwhile: the service refuses to write
    # from its stale copy (it would drop that batch's records) instead of losing them
    from linkage.config import DedupeConfig
    from linkage.register import run_register

    pd.DataFrame([{**stranger, "record_id": "cli-0001"}]).to_csv(
        registry.parent / "cli.csv", index=False
    )
    run_register(registry.parent / "cli.csv", registry, DedupeConfig())
    stale = post(base, "/api/desk/register", token, {**stranger, "record_id": "desk-0003"})
    assert stale.status_code == 422 and "restart" in stale.text
    assert "cli-0001" in set(open_run(registry).records["record_id"])
    time.sleep(0.5)
    log = logs.read_text(errors="replace")
    assert "/api/desk/register" in log and "/api/desk/lookup" in log
    for secret in (person["full_name"], person["cnic"], "Zzyzx", "1990-02-03"):
        assert secret not in log
