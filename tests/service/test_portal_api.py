"""The partner API over HTTP against a real service: tokens, ownership, size limit, the same
feedback as the CLI, CSRF and cookies on the pages, and what is kept across a restart."""

from __future__ import annotations

import json
import re

import httpx
import pandas as pd
import pytest

from linkage.service.portal.store import AUDIT_FILE, PARTNERS_DIR
from linkage.service.tokens import SERVICE_DIR, TokenStore
from tests.reliability.hostile_files import run_cli
from tests.service.conftest import serving
from tests.service.portal_helpers import partner_tokens, wait_for_api

LIMIT_MB = "0.05"  # 51 KB: the generated list (~41 KB) fits, a doubled one does not
MAPPING = "rename:\n  beneficiary_naam: full_name\n"


@pytest.fixture(scope="module")
def tokens(registry):
    return {
        **partner_tokens(registry, "flood-relief", "health-kp", "education-pb"),
        "desk": TokenStore(registry).add("desk-1", "desk"),
    }


@pytest.fixture(scope="module")
def service(registry, tokens):
    with serving(registry, "--max-upload-mb", LIMIT_MB) as base:
        yield base


@pytest.fixture(scope="module")
def partner_list(generated, tmp_path_factory):
    """The generated partner list with its name column under a name nobody guesses."""
    path = tmp_path_factory.mktemp("lists") / "flood list.csv"
    frame = pd.read_csv(generated / "partner_flood_2022.csv", dtype=str)
    frame.rename(columns={"full_name": "beneficiary_naam"}).to_csv(path, index=False)
    return path


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def upload(base, token, path, **fields):
    with open(path, "rb") as fh:
        return httpx.post(
            f"{base}/api/partner/lists",
            headers=auth(token),
            data=fields,
            files={"file": (path.name, fh, "text/csv")},
            timeout=60,
        )


@pytest.fixture(scope="module")
def matched(service, tokens, partner_list):
    """A list sent with a mapping through the API and matched: (id, final state)."""
    answer = upload(service, tokens["flood-relief"], partner_list, mapping=MAPPING)
    assert answer.status_code == 202, answer.text
    list_id = answer.json()["id"]
    return list_id, wait_for_api(service, tokens["flood-relief"], list_id)


def test_401_without_a_token_and_403_for_a_desk_token(service, tokens, partner_list):
    assert httpx.get(f"{service}/api/partner/lists").status_code == 401
    assert (
        httpx.get(f"{service}/api/partner/lists", headers=auth("nser_" + "x" * 43)).status_code
        == 401
    )
    with open(partner_list, "rb") as fh:
        refused = httpx.post(f"{service}/api/partner/lists", files={"file": fh})
    assert refused.status_code == 401
    assert (
        httpx.get(f"{service}/api/partner/lists", headers=auth(tokens["desk"])).status_code == 403
    )


def test_a_list_is_checked_and_matched(matched, partner_list):
    list_id, state = matched
    rows = len(pd.read_csv(partner_list, dtype=str))
    assert state["status"] == "done", state
    assert state["validation"]["rows_read"] == rows
    assert state["mapping"]["rename"]["beneficiary_naam"] == "full_name"
    counts = state["match"]
    assert counts["matched"] + counts["review"] + counts["unmatched"] + counts["rejected"] == rows
    assert counts["matched"] > rows / 2
    assert sum(d["partner_rows"] for d in state["by_district"]) == rows - counts["rejected"]
    # nothing of the registry but counts: no registry ids, names or records in the answer
    assert not {"registry_records", "census_population_2023"} & set(state["by_district"][0])


def test_feedback_equals_match_partners_for_the_same_list_and_run(
    service, tokens, matched, partner_list, registry, tmp_path
):
    list_id, _ = matched
    served = httpx.get(
        f"{service}/api/partner/lists/{list_id}/feedback.csv", headers=auth(tokens["flood-relief"])
    )
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/csv")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING)
    cli = run_cli(
        "match-partner",
        "--registry",
        registry,
        "--partner",
        partner_list,
        "--mapping",
        mapping,
        "--out",
        tmp_path / "cli",
    )
    assert cli.code == 0, cli.err
    assert served.content == (tmp_path / "cli" / "partner_feedback.csv").read_bytes()
    feedback = pd.read_csv(tmp_path / "cli" / "partner_feedback.csv", encoding="utf-8-sig")
    assert list(feedback.columns) == [
        "record_id",
        "input_row",
        "status",
        "registry_household_id",
        "match_probability",
        "partner_duplicate_of",
        "reason",
    ]
    problems = httpx.get(
        f"{service}/api/partner/lists/{list_id}/problems.csv", headers=auth(tokens["flood-relief"])
    )
    assert problems.status_code == 200 and problems.text.lstrip("\ufeff").startswith('"row"')


def test_another_partners_list_is_404(service, tokens, matched):
    list_id, _ = matched
    other = auth(tokens["health-kp"])
    for tail in ("", "/problems.csv", "/feedback.csv"):
        assert (
            httpx.get(f"{service}/api/partner/lists/{list_id}{tail}", headers=other).status_code
            == 404
        )
    assert httpx.get(f"{service}/api/partner/lists", headers=other).json() == {"lists": []}
    assert httpx.get(f"{service}/api/partner/lists/../../tokens", headers=other).status_code == 404


def test_413_over_the_size_limit(service, tokens, partner_list, tmp_path):
    big = tmp_path / "big.csv"
    frame = pd.read_csv(partner_list, dtype=str)
    pd.concat([frame, frame.assign(record_id=frame["record_id"] + "-b")]).to_csv(big, index=False)
    assert big.stat().st_size > float(LIMIT_MB) * 2**20
    answer = upload(service, tokens["health-kp"], big)
    assert answer.status_code == 413
    assert "limit" in answer.json()["detail"]
    assert httpx.get(f"{service}/api/partner/lists", headers=auth(tokens["health-kp"])).json() == {
        "lists": []
    }  # nothing kept
    client, page = _signed_in(service, tokens["health-kp"])  # the page says it plainly
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/portal/lists").text).group(1)
    with open(big, "rb") as fh:
        answer = client.post(
            "/portal/lists", data={"csrf": csrf}, files={"file": (big.name, fh, "text/csv")}
        )
    assert answer.status_code == 413 and "too large" in answer.text


def test_a_workbook_with_several_sheets_asks_which(service, tokens, partner_list, tmp_path):
    book = tmp_path / "two sheets.xlsx"
    frame = pd.read_csv(partner_list, dtype=str).head(40)
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"note": ["read me"]}).to_excel(writer, sheet_name="About", index=False)
        frame.to_excel(writer, sheet_name="Beneficiaries", index=False)
    with open(book, "rb") as fh:  # the API needs `sheet`
        answer = httpx.post(
            f"{service}/api/partner/lists",
            headers=auth(tokens["education-pb"]),
            files={"file": (book.name, fh)},
        )
    assert answer.status_code == 422
    assert answer.json()["sheets"] == ["About", "Beneficiaries"]
    assert httpx.get(
        f"{service}/api/partner/lists", headers=auth(tokens["education-pb"])
    ).json() == {"lists": []}  # nothing kept
    client, _ = _signed_in(service, tokens["education-pb"])  # the page offers a picker
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/portal/lists").text).group(1)
    with open(book, "rb") as fh:
        page = client.post(
            "/portal/lists",
            data={"csrf": csrf},
            files={"file": (book.name, fh)},
            follow_redirects=True,
        )
    assert 'id="sheet-picker"' in page.text and 'id="findings"' not in page.text
    list_id = str(page.url).rsplit("/", 1)[1]
    page = client.post(
        f"/portal/lists/{list_id}/sheet",
        data={"csrf": csrf, "sheet": "Beneficiaries"},
        follow_redirects=True,
    )
    assert re.search(r'id="rows-read">40<', page.text), page.text[-3000:]


def test_a_bad_mapping_and_a_wrong_file_type_are_422(service, tokens, partner_list, tmp_path):
    bad = upload(service, tokens["education-pb"], partner_list, mapping="rename: [unclosed")
    assert bad.status_code == 422 and "YAML" in bad.json()["detail"]
    unknown = upload(
        service,
        tokens["education-pb"],
        partner_list,
        mapping="rename:\n  beneficiary_naam: ful_name\n",
    )
    assert unknown.status_code == 422 and "full_name" in unknown.json()["detail"]
    pdf = tmp_path / "list.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    wrong = upload(service, tokens["education-pb"], pdf)
    assert wrong.status_code == 422 and ".xlsx" in wrong.json()["detail"]


def _signed_in(service, token):
    client = httpx.Client(base_url=service)
    page = client.get("/portal/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answer = client.post("/portal/signin", data={"token": token, "csrf": csrf})
    assert answer.status_code == 303, answer.text
    return client, answer


def test_session_cookie_flags_and_csrf(service, tokens, partner_list):
    client, answer = _signed_in(service, tokens["health-kp"])
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    assert "Path=/portal" in cookie
    page = client.get("/portal/lists")
    assert page.status_code == 200 and "health-kp" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline script, as the CSP demands
    with open(partner_list, "rb") as fh:  # no CSRF token: refused, nothing kept
        refused = client.post("/portal/lists", files={"file": (partner_list.name, fh)})
    assert refused.status_code == 403
    with open(partner_list, "rb") as fh:  # a wrong one too
        refused = client.post(
            "/portal/lists", data={"csrf": "forged"}, files={"file": (partner_list.name, fh)}
        )
    assert refused.status_code == 403
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    with open(partner_list, "rb") as fh:  # the right token, sent from another site
        refused = client.post(
            "/portal/lists",
            data={"csrf": csrf},
            headers={"Origin": "http://elsewhere.example"},
            files={"file": (partner_list.name, fh)},
        )
    assert refused.status_code == 403
    assert client.get("/api/partner/lists").status_code == 401  # a cookie is no API token
    signin_without_csrf = httpx.post(
        f"{service}/portal/signin", data={"token": tokens["health-kp"]}
    )
    assert signin_without_csrf.status_code == 403
    assert httpx.get(f"{service}/api/partner/lists", headers=auth(tokens["health-kp"])).json() == {
        "lists": []
    }


def test_a_wrong_token_does_not_sign_in(service, tokens):
    client = httpx.Client(base_url=service)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/portal/signin").text).group(1)
    for token in ("nser_" + "y" * 43, tokens["desk"]):
        answer = client.post("/portal/signin", data={"token": token, "csrf": csrf})
        assert answer.status_code == 401 and "not recognised" in answer.text
    assert client.get("/portal/lists").status_code == 303  # still signed out


def test_kept_across_a_restart_with_an_audit_trail_and_no_pii(
    service, tokens, matched, registry, partner_list, generated
):
    list_id, _ = matched
    assert (
        httpx.get(
            f"{service}/api/partner/lists/{list_id}/feedback.csv",
            headers=auth(tokens["flood-relief"]),
        ).status_code
        == 200
    )
    folder = registry / SERVICE_DIR / PARTNERS_DIR / "flood-relief" / list_id
    assert {"list.json", "mapping.yaml", "problems.csv", "upload.csv"} <= {
        p.name for p in folder.iterdir()
    }
    assert (folder / "match" / "partner_feedback.csv").is_file()
    audit = (registry / SERVICE_DIR / PARTNERS_DIR / AUDIT_FILE).read_text()
    actions = [json.loads(line)["action"] for line in audit.splitlines()]
    assert {"upload", "check", "match started", "match done", "download feedback"} <= set(actions)
    people = pd.read_csv(partner_list, dtype=str)
    registry_rows = pd.read_csv(generated / "wave_2021.csv", dtype=str, nrows=2000)
    secrets = [
        v
        for v in [
            *people["beneficiary_naam"],
            *people["cnic"],
            *registry_rows["full_name"],
            *registry_rows["cnic"],
        ]
        if isinstance(v, str) and len(v) > 5
    ]
    logs = "".join(p.read_text(errors="replace") for p in registry.parent.glob("serve-*.log"))
    for text in (audit, logs):
        assert not [s for s in secrets if s in text]
    with serving(registry) as again:  # a new process: everything comes back from disk
        state = httpx.get(
            f"{again}/api/partner/lists/{list_id}", headers=auth(tokens["flood-relief"])
        ).json()
        assert state["status"] == "done"
        feedback = httpx.get(
            f"{again}/api/partner/lists/{list_id}/feedback.csv",
            headers=auth(tokens["flood-relief"]),
        )
        assert feedback.status_code == 200
    # a match the service was stopped in the middle of starts again at the next start
    state = json.loads((folder / "list.json").read_text())
    (folder / "list.json").write_text(json.dumps({**state, "status": "matching"}))
    with serving(registry) as again:
        resumed = wait_for_api(again, tokens["flood-relief"], list_id)
        assert resumed["status"] == "done"
        assert (
            httpx.get(
                f"{again}/api/partner/lists/{list_id}/feedback.csv",
                headers=auth(tokens["flood-relief"]),
            ).content
            == feedback.content
        )
    assert (
        "resumed after restart" in (registry / SERVICE_DIR / PARTNERS_DIR / AUDIT_FILE).read_text()
    )
