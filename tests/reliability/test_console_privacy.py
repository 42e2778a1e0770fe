"""Console privacy: no value of an input row ever reaches stdout, stderr or the logs.

Every subcommand that reads an input file runs on files of recognisable people (made-up
names, CNICs, phones, dates, addresses), good ones and broken ones: no header row,
ragged rows, the wrong encoding, duplicate ids, every row bad, NUL bytes, a mapping that
names absent columns. Whatever the outcome (exit 0 or 2, never a traceback), the output
is searched for every value of every input row.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the shared helpers, however pytest imports

from hostile_files import (  # noqa: E402
    PARTNER_HEADER,
    REGISTRY_HEADER,
    csv_text,
    leaks,
    partner_rows,
    registry_rows,
    run_cli,
    write,
)

pytestmark = pytest.mark.slow

REGISTRY = registry_rows(times=2)  # every person twice: dedupe finds pairs to print
PARTNER = partner_rows()
NOT_A_HEADER = "first row looks like data"


@pytest.fixture(scope="module")
def model(first_run) -> Path:
    """A model from a real run: tiny files cannot train one."""
    return first_run[0] / "model.json"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("privacy-inputs")
    ragged = [
        r + ["extra field"] if i == 1 else r[:4] if i == 4 else r for i, r in enumerate(REGISTRY)
    ]
    no_household = [[r[0], "", *r[2:]] for r in REGISTRY]
    duplicated = [[REGISTRY[0][0], *r[1:]] if i in (3, 7) else r for i, r in enumerate(REGISTRY)]
    with_nul = [
        [*r[:3], r[3].replace(" ", "\x00 "), *r[4:]] if i == 2 else r
        for i, r in enumerate(REGISTRY)
    ]
    cp1252 = [[*r[:11], r[11].replace(" Gali ", " – Gali "), r[12]] for r in REGISTRY]
    p_ragged = [r + ["x"] if i == 2 else r for i, r in enumerate(PARTNER)]
    p_dups = [[PARTNER[0][0], *r[1:]] if i == 3 else r for i, r in enumerate(PARTNER)]
    p_bad = [[r[0], "N/A", r[2], "-", *r[4:]] for r in PARTNER]
    return {
        "good": write(d / "good.csv", csv_text(REGISTRY_HEADER, REGISTRY)),
        "wave2": write(d / "wave2.csv", csv_text(REGISTRY_HEADER, registry_rows("s"))),
        "no header": write(d / "noheader.csv", csv_text(None, REGISTRY)),
        "no header ;": write(d / "semi.csv", csv_text(None, REGISTRY).replace(",", ";")),
        "ragged": write(d / "ragged.csv", csv_text(REGISTRY_HEADER, ragged)),
        "cp1252": write(d / "cp1252.csv", csv_text(REGISTRY_HEADER, cp1252), "cp1252"),
        "utf-16": write(d / "utf16.csv", csv_text(REGISTRY_HEADER, REGISTRY), "utf-16"),
        "duplicate ids": write(d / "dups.csv", csv_text(REGISTRY_HEADER, duplicated)),
        "all rows bad": write(d / "nohh.csv", csv_text(REGISTRY_HEADER, no_household)),
        "nul": write(d / "nul.csv", csv_text(REGISTRY_HEADER, with_nul)),
        "partner": write(d / "partner.csv", csv_text(PARTNER_HEADER, PARTNER)),
        "partner no header": write(d / "p_noheader.csv", csv_text(None, PARTNER)),
        "partner ragged": write(d / "p_ragged.csv", csv_text(PARTNER_HEADER, p_ragged)),
        "partner cp1252": write(
            d / "p_cp1252.csv",
            csv_text(PARTNER_HEADER, [[*r[:6], r[6] + " – East", r[7]] for r in PARTNER]),
            "cp1252",
        ),
        "partner utf-16": write(d / "p_utf16.csv", csv_text(PARTNER_HEADER, PARTNER), "utf-16"),
        "partner duplicate ids": write(d / "p_dups.csv", csv_text(PARTNER_HEADER, p_dups)),
        "partner all bad": write(d / "p_bad.csv", csv_text(PARTNER_HEADER, p_bad)),
        "mapping": write(d / "mapping.yaml", "rename: {Sr No: record_id, Name: full_name}\n"),
    }


#: The people's values (ids and the source name are not personal data).
ALL_ROWS = [r[3:] for r in REGISTRY] + [r[1:] for r in PARTNER]


def check(run, expected_code: int | tuple[int, ...]) -> None:
    codes = expected_code if isinstance(expected_code, tuple) else (expected_code,)
    assert "Traceback" not in run.text, run.text
    assert run.code in codes, run.text
    found = leaks(run.text, ALL_ROWS)
    assert not found, f"input values on the console: {sorted(found)}\n{run.text}"


DEDUPE_CASES = {
    "good": 0,
    "no header": 2,
    "no header ;": 2,
    "ragged": 0,
    "cp1252": 2,
    "utf-16": 2,
    "duplicate ids": 0,
    "all rows bad": 2,
    "nul": 0,
}


@pytest.mark.parametrize("case", list(DEDUPE_CASES))
def test_dedupe(case, files, model, tmp_path):
    run = run_cli("dedupe", files[case], "--out", tmp_path / "out", "--model", model)
    check(run, DEDUPE_CASES[case])
    if case.startswith("no header"):
        assert NOT_A_HEADER in run.err
    if case == "all rows bad":
        assert "12 empty household_id" in run.err  # the reasons, counted


def test_dedupe_with_a_mapping_on_a_file_without_header(files, model, tmp_path):
    run = run_cli(
        "dedupe",
        files["no header"],
        "--out",
        tmp_path / "out",
        "--model",
        model,
        "--mapping",
        files["mapping"],
    )
    check(run, 2)
    assert NOT_A_HEADER in run.err


@pytest.mark.parametrize("second", ["wave2", "no header", "ragged", "all rows bad"])
def test_link_waves(second, files, model, tmp_path):
    run = run_cli(
        "link-waves", files["good"], files[second], "--out", tmp_path / "out", "--model", model
    )
    check(run, 0 if second in ("wave2", "ragged") else 2)


MATCH_CASES = {
    "partner": 0,
    "partner no header": 2,
    "partner ragged": 0,
    "partner cp1252": 0,
    "partner utf-16": 0,
    "partner duplicate ids": 0,
    "partner all bad": 2,
}


@pytest.mark.parametrize("case", list(MATCH_CASES))
def test_match_partner(case, files, model, tmp_path):
    run = run_cli(
        "match-partner",
        "--registry",
        files["good"],
        "--partner",
        files[case],
        "--out",
        tmp_path / "out",
        "--model",
        model,
    )
    check(run, MATCH_CASES[case])
    if case == "partner no header":
        assert NOT_A_HEADER in run.text
        assert "mapping" not in run.out.lower() or NOT_A_HEADER in run.out


def test_match_partner_with_a_registry_without_header(files, model, tmp_path):
    run = run_cli(
        "match-partner",
        "--registry",
        files["no header"],
        "--partner",
        files["partner"],
        "--out",
        tmp_path / "out",
        "--model",
        model,
    )
    check(run, 2)


VALIDATE_CASES = {**MATCH_CASES, "partner all bad": 0}


@pytest.mark.parametrize("case", list(VALIDATE_CASES))
@pytest.mark.parametrize("values", ["--show-values", "--no-show-values"])
def test_validate_partner(case, values, files, tmp_path):
    run = run_cli("validate-partner", files[case], "--out", tmp_path / "report.csv", values)
    check(run, VALIDATE_CASES[case])
    if case == "partner no header":
        assert NOT_A_HEADER in run.text and "Columns not checked" not in run.text


def test_validate_partner_with_a_mapping_on_a_file_without_header(files, tmp_path):
    run = run_cli(
        "validate-partner",
        files["partner no header"],
        "--mapping",
        files["mapping"],
        "--out",
        tmp_path / "report.csv",
    )
    check(run, 2)
    assert NOT_A_HEADER in run.text


@pytest.fixture(scope="module")
def run_dir(files, model, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("privacy-run") / "run"
    check(run_cli("dedupe", files["good"], "--out", out, "--model", model), 0)
    return out


@pytest.fixture(scope="module")
def truths(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("privacy-truth")
    people = [[r[0], f"person-{i % len(REGISTRY) // 2}"] for i, r in enumerate(REGISTRY)]
    return {
        "truth": write(d / "truth.csv", csv_text(["record_id", "person_id"], people)),
        # a "truth" that is really the wave, without its header: values in the first row
        "truth no header": write(d / "t_noheader.csv", csv_text(None, REGISTRY)),
    }


@pytest.mark.parametrize("truth", ["truth", "truth no header"])
def test_evaluate(truth, run_dir, truths):
    run = run_cli("evaluate", "--clusters", run_dir / "clusters.parquet", "--truth", truths[truth])
    check(run, 0 if truth == "truth" else 2)
    if truth == "truth no header":
        assert NOT_A_HEADER in run.err


@pytest.mark.parametrize("truth", [None, "truth no header"])
def test_report(truth, run_dir, truths, tmp_path):
    args = ["--truth", truths[truth]] if truth else []
    run = run_cli("report", run_dir, "--out", tmp_path / "report.html", *args)
    check(run, (0, 2))


def test_review_sample_and_score(run_dir, files, tmp_path):
    sample = tmp_path / "sample.csv"
    check(run_cli("review", "sample", run_dir, "--out", sample, "--n", "5"), 0)
    check(run_cli("review", "score", run_dir, sample), (0, 2))
    headerless = write(tmp_path / "labelled.csv", csv_text(None, REGISTRY))
    run = run_cli("review", "score", run_dir, headerless)
    check(run, 2)
