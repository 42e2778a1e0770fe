"""The auditors' report of link-waves and match-partner runs (linkage/report/waves.py,
linkage/report/partner.py), on one small generated world built once for the module."""

import json
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from evaluation.lineage_truth import score_lineage, score_people
from evaluation.partner_metrics import score_matches
from evaluation.synthetic import generate
from linkage.config import LinkWavesConfig
from linkage.intake.io import read_raw
from linkage.partner_config import MatchPartnerConfig
from linkage.pipelines.link_waves import run_link_waves
from linkage.pipelines.match_partner import run_match_partner
from linkage.progress import Stages
from linkage.report.auditor import RunFolderError, build_report, load_run, write_report

pytestmark = pytest.mark.slow
WAVES = ("wave_2011.csv", "wave_2021.csv")
PARTNER = "partner_flood_2022.csv"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """(data folder, link-waves run folder, match-partner run folder)."""
    root = tmp_path_factory.mktemp("report-jobs")
    data = root / "data"
    generate(households=600, seed=5, out=data)
    waves = [str(data / w) for w in WAVES]
    run_link_waves(waves, root / "waves", LinkWavesConfig(), stages=Stages(show=False))
    run_match_partner(
        waves,
        str(data / PARTNER),
        root / "partner",
        MatchPartnerConfig(),
        stages=Stages(show=False),
    )
    return data, root / "waves", root / "partner"


@pytest.fixture(scope="module")
def reports(world, tmp_path_factory):
    """Written reports: {(job, show_pii): html}, all with the truth file."""
    data, waves, partner = world
    out = tmp_path_factory.mktemp("html")
    written = {}
    for job, folder in (("waves", waves), ("partner", partner)):
        for pii in (False, True):
            path = write_report(
                folder, out / f"{job}-{pii}.html", show_pii=pii, truth=data / "truth.csv"
            )
            written[job, pii] = path.read_text(encoding="utf-8")
    return written


def summary(folder):
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def cell_row(*values) -> str:
    """The start of a table row as ``table`` writes it (numbers right-aligned)."""
    out = []
    for v in values:
        if isinstance(v, int):
            out.append(f"<td class=num>{v:,}</td>")
        else:
            out.append(f"<td>{v}</td>")
    return "<tr>" + "".join(out)


def test_reports_are_self_contained(reports):
    for html in reports.values():
        assert html.startswith("<!DOCTYPE html>")
        links = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", html, flags=re.I)
        assert [u for u in links if "://" in u or u.startswith("//")] == []
        assert not re.search(r"https?://", html)
        assert "<script" not in html.lower() and "@import" not in html
        assert "<svg" in html


def test_waves_report_lineage_people_and_flags_match_the_summary(world, reports):
    html = reports["waves", False]
    s = summary(world[1])
    assert '<section id="results">' in html and "Household lineage" in html
    assert f"<b>{s['people_in_several_waves']:,}</b> people are found in more than one wave" in html
    for step, counts in s["lineage"].items():
        old, _, new = step.partition("->")
        assert f"{old} → {new}" in html
        for link_type, n in counts.items():
            assert cell_row(link_type, n) in html, (step, link_type, n)
    for flag, n in s["updates"]["by_flag"].items():
        assert cell_row(flag, n) in html
    for field, n in s["updates"]["by_field"].items():
        assert cell_row(field, n) in html
    # the district with most flags heads the flags-by-district table, with its total
    by_district = s["updates"]["by_district"]
    top = max(sorted(by_district), key=lambda d: sum(by_district[d].values()))
    assert "Flags by district" in html
    row = re.search(r"<tr><td>" + re.escape(top) + r"</td>(.*?)</tr>", html)
    assert row and f"<td class=num>{sum(by_district[top].values()):,}</td>" in row.group(1)
    for rule in ("merge_share", "max_size_change", "max_size_vs_roster", "min_head_age"):
        assert cell_row(rule) in html
    for w in s["input"]["waves"]:
        assert w["fingerprint"] in html


def test_waves_report_with_truth_shows_person_f1_and_lineage_accuracy(world, reports):
    data, folder, _ = world
    html = reports["waves", False]
    truth = read_raw(data / "truth.csv")
    clusters = pd.read_parquet(folder / "clusters.parquet")
    overall, cross = score_people(clusters, truth)
    assert cell_row("all pairs") + f"<td class=num>{overall.precision:.4f}</td>" in html
    assert f"<td class=num>{overall.f1:.4f}</td>" in html
    assert cell_row("across waves only") + f"<td class=num>{cross.precision:.4f}</td>" in html
    assert f"<td class=num>{cross.f1:.4f}</td>" in html
    frames = {w.removesuffix(".csv"): read_raw(data / w) for w in WAVES}
    links = pd.read_parquet(folder / "household_links.parquet")
    lineage = score_lineage(links, truth, frames, "wave_2011", "wave_2021")
    assert f"<td class=num>{lineage.type_accuracy:.4f}</td>" in html
    assert "Recall of each true type" in html
    for link_type, v in lineage.by_type.items():
        assert (
            cell_row("wave_2011 → wave_2021", link_type, v["n"])
            + f"<td class=num>{v['recall']:.4f}</td>"
            in html
        )


def test_partner_report_statuses_histogram_and_coverage(world, reports):
    html = reports["partner", False]
    s = summary(world[2])
    assert '<section id="results">' in html and '<section id="coverage">' in html
    for status, n in s["statuses"].items():
        assert cell_row(status, n) in html
    assert cell_row("total", sum(s["statuses"].values())) in html
    for reason, n in s["partner_duplicates"].items():
        assert cell_row(reason, n) in html
    th = s["thresholds"]
    assert f"review_threshold {th['review_threshold']}" in html
    assert f"match_threshold {th['match_threshold']}" in html
    # coverage: chart and district table from unregistered_by_place
    places = pd.read_parquet(world[2] / "unregistered_by_place.parquet")
    d = (
        places.groupby("district")[["partner_rows", "matched", "unmatched"]]
        .sum()
        .sort_values("partner_rows", ascending=False)
    )
    top, row = d.index[0], d.iloc[0]
    assert "Coverage by district" in html and "of census" in html
    assert re.search(
        re.escape(
            f"<td>{top}</td><td class=num>{int(row.partner_rows):,}</td>"
            f"<td class=num>{int(row.matched):,}</td>"
        ),
        html,
    )
    assert "By tehsil and union council" in html and "Unregistered by place" in html
    assert f"<b>{s['statuses']['unmatched']:,}</b> partner rows are unmatched" in html
    # no clusters: the pairwise-estimate section is left out, review says why
    assert '<section id="accuracy">' not in html
    assert "cluster threshold, which this job does not have" in html


def test_partner_report_with_truth_shows_measured_accuracy(world, reports):
    data, _, folder = world
    html = reports["partner", False]
    scores = score_matches(
        pd.read_parquet(folder / "matches.parquet"), read_raw(data / "truth.csv")
    )
    for label, value in (
        ("accuracy (right rows / rows)", scores.accuracy),
        ("review share", scores.review_share),
        ("precision of matched rows", scores.precision),
        ("recall of registered rows", scores.recall),
    ):
        assert cell_row(label) + f"<td class=num>{value:.4f}</td>" in html, label


def _inputs(data):
    frames = [pd.read_csv(data / f, dtype=str, keep_default_na=False) for f in (*WAVES, PARTNER)]
    names = {
        n
        for f in frames
        for col in ("full_name", "guardian_name")
        if col in f
        for n in f[col]
        if " " in n
    }  # one-word names could be anything
    cnics = {
        c for f in frames for c in f["cnic"].str.replace(r"\D", "", regex=True) if len(c) == 13
    }
    return names, cnics


def test_no_name_or_full_cnic_without_show_pii(world, reports):
    names, cnics = _inputs(world[0])
    assert names and cnics
    for job in ("waves", "partner"):
        html = reports[job, False]
        digits = set(re.findall(r"\d{13}", re.sub(r"-", "", html)))
        assert not digits & cnics, job
        assert not re.search(r"(?<![\w-])\d{5}-\d{7}-\d(?![\w-])", html), job
        assert not [n for n in names if n in html], job
        assert "No personal data" in html


def test_show_pii_says_so_first(reports):
    for job in ("waves", "partner"):
        body = reports[job, True].split("<body>", 1)[1]
        assert re.sub(r"<[^>]+>", "", body.split("</p>", 1)[0]).startswith("CONTAINS PERSONAL DATA")


def test_waves_report_without_its_wave_files_says_so(world, tmp_path):
    data, folder, _ = world
    copy = tmp_path / "waves"
    shutil.copytree(folder, copy)
    s = summary(copy)
    s["input"]["waves"][0]["path"] = str(tmp_path / "gone.csv")
    (copy / "summary.json").write_text(json.dumps(s))
    html = build_report(copy, truth=data / "truth.csv")
    assert "is absent" in html and "Lineage accuracy needs the wave files" in html
    assert "Household lineage" in html  # from the run folder alone


def test_partner_folder_loads_without_clusters_and_review_refuses_it(world):
    from linkage.report.review import sample_pairs

    run = load_run(world[2])
    assert run.clusters is None and run.table("matches") is not None
    with pytest.raises(RunFolderError, match="no cluster threshold"):
        sample_pairs(world[2])


def test_cli_reports_a_partner_run(world, tmp_path):
    target = tmp_path / "p.html"
    done = subprocess.run(
        [sys.executable, "-m", "linkage.cli", "report", str(world[2]), "--out", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Coverage by district" in target.read_text(encoding="utf-8")
