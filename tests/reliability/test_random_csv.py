"""Random CSVs, as a hostile or careless user would send them: whatever the bytes, the
jobs end with exit 0 or 2, never a traceback, and a run that goes through accounts for
every row it read (rows read = used + rejected).

Files mix good rows of made-up people with random text (quotes, commas, semicolons,
line breaks, NUL bytes, Urdu and fullwidth characters), raw bytes, placeholders, huge
fields, rows with too many or too few fields, blank lines, repeated and missing ids,
a missing header, and UTF-8 (with or without BOM), Windows-1252 or UTF-16 encodings.
Tiny files cannot train a model, so the runs reuse the model of a real one.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))  # the shared helpers, however pytest imports

from hostile_files import PEOPLE, REGISTRY_HEADER, run_cli  # noqa: E402

pytestmark = pytest.mark.slow

PLACEHOLDERS = [
    "N/A",
    "n/a",
    "-",
    "--",
    "xxx",
    "0",
    "0000-00-00",
    "00/00/0000",
    "#N/A",
    "null",
    "Unknown",
    "?",
    "نامعلوم",
]
NASTY = ",;\"\n\r\t\x00 '=+@|\\" + "٣٥٢٠٢–—−３５ابپ"


def _person(i: int) -> list[str]:
    return list(PEOPLE[i % len(PEOPLE)])


field = st.one_of(
    st.sampled_from([v for p in PEOPLE for v in p]),  # a real value in the wrong place
    st.sampled_from(PLACEHOLDERS),
    st.text(alphabet=st.sampled_from(NASTY + "abcXYZ019"), max_size=12),
    st.text(max_size=8),  # any code point
    st.just(""),
    st.builds(
        lambda n, c: c * n, st.sampled_from([40_000, 140_000]), st.sampled_from(["A", "٣", "\x00"])
    ),  # a huge field
)


def rarely(draw, one_in: int) -> bool:
    """True about once in ``one_in`` draws; False is the simple case Hypothesis starts from."""
    return draw(st.integers(1, one_in).map(lambda k: k == one_in))


@st.composite
def rows(draw):
    """Mostly good rows, some damaged: a field replaced, an id repeated or missing, fields
    added or taken away."""
    out = []
    for i in range(draw(st.integers(1, 12))):
        row = [f"u{i}", f"h{i % 3}", "survey_2021", *_person(i)]
        if rarely(draw, 3):
            row[draw(st.integers(0, len(row) - 1))] = draw(field)
        if rarely(draw, 5):
            row[0] = draw(st.sampled_from(["u0", "u1", "", " ", "u0\x00", "N/A"]))
        if rarely(draw, 6):
            row = row[: draw(st.integers(0, len(row)))] + draw(st.lists(field, max_size=3))
        out.append(row)
    return out


def _quote(value: str, style: str) -> str:
    needs = any(ch in value for ch in ',"\n\r')
    if style == "always" or (style == "excel" and needs):
        return '"' + value.replace('"', '""') + '"'
    return value  # "never": commas and quotes left bare, as a careless export does


@st.composite
def csv_files(draw) -> tuple[bytes, str]:
    header = list(REGISTRY_HEADER)
    if rarely(draw, 5):
        header = draw(st.permutations(header))[: draw(st.integers(1, len(header)))]
    body = draw(rows())
    style = draw(st.sampled_from(["excel", "always", "never"]))
    records = body if rarely(draw, 8) else [header, *body]
    lines = [",".join(_quote(v, style) for v in r) for r in records]
    for _ in range(draw(st.integers(0, 2))):  # blank lines, anywhere
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", "  ", "\t"])))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines) + "\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-8", "cp1252", "utf-8", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    if rarely(draw, 10):  # raw bytes somewhere: the file is not text
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=6)) + data[at:]
    return data, encoding


@pytest.fixture(scope="module")
def model(first_run) -> Path:
    return first_run[0] / "model.json"


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(csv_files())
def test_random_csv_exits_cleanly_and_accounts_for_every_row(model, case):
    data, encoding = case
    with tempfile.TemporaryDirectory() as tmp:
        wave = Path(tmp) / "wave.csv"
        wave.write_bytes(data)
        out = Path(tmp) / "out"
        run = run_cli("dedupe", wave, "--out", out, "--model", model)
        assert "Traceback" not in run.text, run.text
        assert run.code in (0, 2), run.text
        if run.code == 0:
            s = json.loads((out / "summary.json").read_text())["input"]
            assert s["rows_read"] == s["rows_used"] + s["rows_rejected"]
            assert s["rows_used"] > 0
            # and the outputs hold them: every used row clustered, every other rejected
            assert len(pd.read_parquet(out / "clusters.parquet")) == s["rows_used"]
            assert len(pd.read_parquet(out / "rejected.parquet")) == s["rows_rejected"]
        # the partner-list check reads the same bytes (and detects encodings)
        check = run_cli("validate-partner", wave, "--out", Path(tmp) / "report.csv")
        assert "Traceback" not in check.text, check.text
        assert check.code in (0, 2), check.text
