"""The partner portal in headless Chromium (Debian's package, driven by Playwright; no
browser is downloaded): sign in, upload a list with a wrong column name, correct the
mapping, see the problems, match, download the feedback; a second partner cannot see
the list; a form without its CSRF token is refused.

Screenshots of the upload, problems and results pages are taken on the way; with
``NSER_PORTAL_SCREENSHOTS=DIR`` they are kept in DIR (docs/ holds the committed ones).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.service.conftest import serving
from tests.service.portal_helpers import partner_tokens

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is absent (apt-get install chromium); the browser tests need "
        "Debian's Chromium",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def tokens(registry):
    return partner_tokens(registry, "flood-relief", "health-kp")


@pytest.fixture(scope="module")
def service(registry, tokens):
    with serving(registry) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def partner_list(generated, tmp_path_factory):
    """A generated partner list (a few hundred rows) whose name column has a name the
    guesser does not know."""
    path = tmp_path_factory.mktemp("lists") / "flood_relief_list.csv"
    frame = pd.read_csv(generated / "partner_flood_2022.csv", dtype=str)
    frame.rename(columns={"full_name": "beneficiary_naam"}).to_csv(path, index=False)
    return path


def sign_in(browser, base, token):
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{base}/portal")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/portal/lists")
    return context, page, violations


def shot(page, tmp_path, name, *, full_page=True):
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("NSER_PORTAL_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def number(page, selector) -> int:
    return int(page.inner_text(selector).replace(",", ""))


def test_upload_correct_check_match_download(browser, service, tokens, partner_list, tmp_path):
    rows = pd.read_csv(partner_list, dtype=str)
    context, page, violations = sign_in(browser, service, tokens["flood-relief"])
    assert "Signed in as" in page.inner_text("header")
    page.set_input_files("#file", str(partner_list))
    shot(page, tmp_path, "portal-upload")
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#findings")
    list_url = page.url
    # the unknown column was not read as the name: rows without a CNIC have nothing
    assert page.input_value("#map-full_name") == ""
    errors_before = number(page, "#rows-errors")
    assert errors_before > 0
    assert "no name and no CNIC" in page.inner_text("#problem-kinds")
    assert number(page, "#rows-read") == len(rows)
    shot(page, tmp_path, "portal-problems")

    page.select_option("#map-full_name", "beneficiary_naam")
    page.click("#mapping-form button[type=submit]")
    page.wait_for_selector("#findings")
    assert page.input_value("#map-full_name") == "beneficiary_naam"
    assert number(page, "#rows-errors") == 0
    assert number(page, "#rows-usable") == len(rows)
    with page.expect_download() as problems:
        page.click("#problems-download")
    report = pd.read_csv(problems.value.path(), dtype=str, encoding="utf-8-sig")
    assert list(report.columns) == ["row", "record_id", "column", "problem", "value", "severity"]
    assert set(report["severity"]) <= {"warning"}  # the errors are gone

    page.click("#match-form button[type=submit]")
    page.wait_for_selector("#progress")  # the bar is there while matching ...
    page.wait_for_selector("#results", timeout=180_000)  # ... and the script reloads at the end
    counts = {s: number(page, f"#n-{s}") for s in ("matched", "review", "unmatched")}
    assert sum(counts.values()) == len(rows) and counts["matched"] > len(rows) / 2
    assert page.locator("#districts tbody tr").count() > 0
    shot(page, tmp_path, "portal-results", full_page=False)  # results come first

    with page.expect_download() as download:
        page.click("#feedback-download")
    assert download.value.suggested_filename == "flood_relief_list.feedback.csv"
    feedback = pd.read_csv(download.value.path(), dtype=str, encoding="utf-8-sig")
    assert list(feedback.columns) == [
        "record_id",
        "input_row",
        "status",
        "registry_household_id",
        "match_probability",
        "partner_duplicate_of",
        "reason",
    ]
    assert sorted(feedback["record_id"]) == sorted(rows["record_id"])
    assert (feedback["status"] == "matched").sum() == counts["matched"]
    assert feedback.loc[feedback["status"] == "matched", "registry_household_id"].notna().all()
    assert not violations, violations  # CSS and the progress script load under the CSP
    context.close()

    # a second partner cannot see it, by link or in its lists
    other, page2, _ = sign_in(browser, service, tokens["health-kp"])
    assert "No lists yet" in page2.inner_text("main")
    answer = page2.goto(list_url)
    assert answer.status == 404 and "No such list" in page2.inner_text("main")
    answer = page2.goto(list_url + "/feedback.csv")
    assert answer.status == 404
    other.close()


def test_a_form_without_its_csrf_token_is_refused(browser, service, tokens, partner_list):
    context, page, _ = sign_in(browser, service, tokens["health-kp"])
    page.set_input_files("#file", str(partner_list))
    page.evaluate("document.querySelector('#upload-form input[name=csrf]').remove()")
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    assert "Refused" in page.inner_text("h1")
    page.goto(f"{service}/portal/lists")
    assert "No lists yet" in page.inner_text("main")  # nothing was kept
    context.close()
