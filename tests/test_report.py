"""The auditors' report (linkage/report/auditor.py) on one small generated run."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from evaluation.metrics import read_truth, score_clusters
from linkage.report.auditor import (
    RunFolderError,
    build_report,
    estimate_accuracy,
    mask_cnic,
    write_report,
)

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def reports(run):
    data, out = run
    return (
        build_report(out, truth=data / "truth.csv"),
        build_report(out, show_pii=True, truth=data / "truth.csv"),
    )


@pytest.fixture(scope="module")
def wave(run):
    return pd.read_csv(run[0] / "wave_2021.csv", dtype=str, keep_default_na=False)


def test_no_external_url_in_any_src_or_href(reports):
    for html in reports:
        links = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", html, flags=re.I)
        external = [u for u in links if "://" in u or u.startswith("//")]
        assert external == []
        assert "<script" not in html.lower() and "@import" not in html
        assert "<svg" in html  # the charts are inline


def test_no_cnic_or_name_without_show_pii(reports, wave):
    html, _ = reports
    cnics = {c for c in wave["cnic"].str.replace(r"\D", "", regex=True) if len(c) == 13}
    assert cnics and not [c for c in cnics if c in html]
    assert not re.search(r"(?<![\w-])\d{5}-\d{7}-\d(?![\w-])", html)
    names = {n for n in wave["full_name"] if " " in n}  # one-word names could be anything
    assert names and not [n for n in names if n in html]
    assert "No personal data" in html


def test_show_pii_shows_them_and_says_so_first(reports, wave):
    _, html = reports
    body = html.split("<body>", 1)[1]
    first_line = re.sub(r"<[^>]+>", "", body.split("</p>", 1)[0])
    assert first_line.startswith("CONTAINS PERSONAL DATA")
    assert any(c in html for c in wave["cnic"] if len(c) == 13)
    assert any(n in html for n in wave["full_name"] if " " in n)


def test_mask_cnic_keeps_only_last_four_digits():
    assert mask_cnic("35202-1234567-1") == "•" * 9 + "5671"
    assert mask_cnic(None) == "" and mask_cnic("") == ""


def test_estimated_precision_and_recall_close_to_measured(run):
    data, out = run
    clusters = pd.read_parquet(out / "clusters.parquet")
    est = estimate_accuracy(pd.read_parquet(out / "pairs.parquet"), clusters)
    measured = score_clusters(
        clusters.set_index("record_id")["cluster_id"], read_truth(data / "truth.csv")
    )
    assert est["predicted_pairs"] == measured.predicted_pairs
    assert abs(est["precision"] - measured.precision) <= 0.02, (est, measured)
    assert abs(est["recall"] - measured.recall) <= 0.02, (est, measured)


def test_report_has_every_section_and_the_threshold_on_the_histogram(reports, run):
    html, _ = reports
    for anchor in ("identity", "quality", "model", "results", "accuracy", "review"):
        assert f'<section id="{anchor}">' in html
    summary = json.loads((run[1] / "summary.json").read_text())
    assert summary["input"]["fingerprint"] in html
    assert f"cluster threshold p={summary['thresholds']['cluster']:g}" in html
    assert "Measured against" in html and "fingerprint matches the run" in html


def test_report_without_the_input_file_says_so(run, tmp_path):
    copy = tmp_path / "moved"
    shutil.copytree(run[1], copy)
    summary = json.loads((copy / "summary.json").read_text())
    summary["input"]["path"] = str(tmp_path / "gone.csv")
    (copy / "summary.json").write_text(json.dumps(summary))
    html = build_report(copy)
    assert "is absent" in html and "Counts by province and district need the input" in html


def test_a_folder_that_is_not_a_run_is_a_clear_error(run):
    with pytest.raises(RunFolderError, match="not a run folder"):
        build_report(run[0])


def test_cli_writes_report_and_refuses_a_non_run(run, tmp_path):
    data, out = run
    target = tmp_path / "r.html"
    ok = subprocess.run(
        [sys.executable, "-m", "linkage.cli", "report", str(out), "--out", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    bad = subprocess.run(
        [sys.executable, "-m", "linkage.cli", "report", str(data)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "not a run folder" in bad.stderr


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_renders_offline_in_chromium(run, tmp_path):
    page = write_report(run[1], tmp_path / "report.html")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1000,1400",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=90,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 20_000  # a blank page is ~8 kB


def test_report_re_reads_an_input_through_the_runs_column_mapping(run, tmp_path):
    from linkage.pipelines.summary import file_fingerprint

    data, out = run
    mapped = tmp_path / "theirs.csv"
    text = (data / "wave_2021.csv").read_text(encoding="utf-8")
    mapped.write_text(text.replace("full_name", "Full Name", 1), encoding="utf-8")
    copy = tmp_path / "mapped-run"
    shutil.copytree(out, copy)
    summary = json.loads((copy / "summary.json").read_text())
    summary["input"].update(
        path=str(mapped),
        fingerprint=file_fingerprint(mapped),
        mapping={"rename": {"Full Name": "full_name"}},
    )
    (copy / "summary.json").write_text(json.dumps(summary))
    assert "Input re-read from" in build_report(copy)
