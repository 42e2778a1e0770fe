"""Tokens are shown once and stored as hashes; the service answers only to valid tokens."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from linkage.cli import app
from linkage.service.tokens import SERVICE_DIR, TOKENS_FILE, TokenStore
from tests.reliability.hostile_files import run_cli
from tests.service.conftest import serving

runner = CliRunner()


def test_token_is_printed_once_and_stored_only_as_hash(registry):
    result = runner.invoke(
        app, ["tokens", "add", "desk-lahore-1", "--role", "desk", "--registry", str(registry)]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("nser_") and len(token) > 40
    stored = (registry / SERVICE_DIR / TOKENS_FILE).read_text()
    assert token not in stored
    assert json.loads(stored)["tokens"][0]["role"] == "desk"
    assert TokenStore(registry).authenticate(token).name == "desk-lahore-1"
    listed = runner.invoke(app, ["tokens", "list", "--registry", str(registry)])
    assert "desk-lahore-1" in listed.output and token not in listed.output


def test_bad_role_and_duplicate_name_are_refused(registry):
    bad = run_cli("tokens", "add", "x", "--role", "admin", "--registry", registry)
    assert bad.code == 2 and "role" in bad.err
    store = TokenStore(registry)
    store.add("twice", "partner")
    again = run_cli("tokens", "add", "twice", "--role", "partner", "--registry", registry)
    assert again.code == 2 and "exists already" in again.err


def test_registry_must_be_a_run(tmp_path):
    result = run_cli("tokens", "add", "a", "--role", "desk", "--registry", tmp_path)
    assert result.code == 2 and "not an output folder" in result.err


def test_revoked_token_stops_working(registry):
    store = TokenStore(registry)
    token = store.add("short-lived", "desk")
    assert store.authenticate(token) is not None
    assert store.revoke("short-lived")
    assert store.authenticate(token) is None
    assert store.authenticate("nser_" + "x" * 43) is None
    assert store.authenticate(None) is None


def test_service_health_and_security_headers(registry):
    with serving(registry) as base:
        health = httpx.get(base + "/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert health.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in health.headers["content-security-policy"]


def test_open_run_reads_a_dedupe_run_and_refuses_a_partial_one(registry, tmp_path):
    import shutil

    from linkage.errors import ConfigError
    from linkage.run_folder import open_run

    run = open_run(registry)
    assert run.job == "dedupe"
    assert {"record_id", "cluster_id"} <= set(run.records.columns)
    assert run.model["link_type"] == "dedupe_only"
    partial = tmp_path / "partial"
    shutil.copytree(registry, partial)
    (partial / "model.json").unlink()
    with pytest.raises(ConfigError, match="model.json"):
        open_run(partial)
