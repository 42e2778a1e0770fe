"""Shared by the hostile-input reliability tests: recognisable people, files built from
them (good and broken), the real CLI run in-process, and a search of its output for
any value of an input row.

Not a test module. The tests import it by name: pytest puts this folder on the path.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import linkage.cli

REGISTRY_HEADER = [
    "record_id",
    "household_id",
    "source",
    "full_name",
    "guardian_name",
    "cnic",
    "gender",
    "date_of_birth",
    "relation_to_head",
    "province",
    "district",
    "address",
    "phone",
]

#: People whose every value is recognisable: made-up names no message could contain by
#: chance, CNICs and phones of one shape each.
PEOPLE = [
    [
        "Zarnigar Qudsiyah",
        "Farrukhzad Shahzeb",
        "35202-4817263-2",
        "F",
        "1987-03-14",
        "Spouse",
        "Punjab",
        "Lahore",
        "Mohalla Qasurpura Gali Nawabzadgan",
        "0301-5550147",
    ],
    [
        "Farrukhzad Shahzeb",
        "Baltiyar Ismatullah",
        "35202-4817263-1",
        "M",
        "1983-11-02",
        "Head",
        "Punjab",
        "Lahore",
        "Mohalla Qasurpura Gali Nawabzadgan",
        "0333-5550982",
    ],
    [
        "Gulrukhsar Nayyerazam",
        "Farrukhzad Shahzeb",
        "35202-7718392-4",
        "F",
        "2009-06-21",
        "Daughter",
        "Punjab",
        "Lahore",
        "Mohalla Qasurpura Gali Nawabzadgan",
        "",
    ],
    [
        "Tabassumara Khushbakht",
        "Dilnawaz Sarfarazuddin",
        "42101-6620914-8",
        "F",
        "1979-01-30",
        "Head",
        "Sindh",
        "Karachi East",
        "Bhittaiabad Kachi Abadi Lane Seventeen",
        "0345-5551273",
    ],
    [
        "Sarfarazuddin Dilnawaz",
        "Khudayar Mehrbanuddin",
        "42101-6620914-7",
        "M",
        "1955-08-09",
        "Parent",
        "Sindh",
        "Karachi East",
        "Bhittaiabad Kachi Abadi Lane Seventeen",
        "0312-5559904",
    ],
    [
        "Mehrunnisaia Zaibunnisa",
        "Khudayar Mehrbanuddin",
        "61101-3391028-6",
        "F",
        "1992-12-05",
        "Head",
        "Islamabad",
        "Islamabad",
        "Sector Ghauriabad Street Ninetynine",
        "0300-5553318",
    ],
]


def registry_rows(prefix: str = "r", times: int = 1) -> list[list[str]]:
    """Registry rows of ``PEOPLE`` (each person ``times`` times, as duplicates would be)."""
    rows = []
    for copy in range(times):
        for i, p in enumerate(PEOPLE):
            household = f"h{prefix}{copy}{i // 3 + 1}"
            rows.append([f"{prefix}{copy}{i + 1:03d}", household, "survey_2021", *p])
    return rows


def partner_rows() -> list[list[str]]:
    """A partner list: their own column names, the same people."""
    return [
        [f"P{i + 1:03d}", p[0], p[1], p[2], p[3], p[4], p[7], p[9]] for i, p in enumerate(PEOPLE)
    ]


PARTNER_HEADER = [
    "Sr No",
    "Name",
    "Father/Husband Name",
    "CNIC No.",
    "Gender",
    "DOB",
    "District",
    "Mobile",
]


def csv_text(header: list[str] | None, rows: list[list[str]]) -> str:
    """Rows joined with commas, quoting only fields that need it (as Excel does)."""

    def field(value: str) -> str:
        if any(ch in value for ch in ',"\n\r'):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = ([",".join(map(field, header))] if header else []) + [
        ",".join(map(field, r)) for r in rows
    ]
    return "\n".join(lines) + "\n"


def input_values(rows: list[list[str]]) -> set[str]:
    """Every value of the rows as a token the output must not contain: words of four or
    more letters (lower case) and digit runs of four or more (separators removed)."""
    tokens = set()
    for row in rows:
        for value in row:
            tokens.update(w.lower() for w in re.findall(r"[^\W\d_]{4,}", value))
            digits = re.sub(r"\D", "", value)
            if len(digits) >= 4:
                tokens.add(digits)
    return tokens


#: Words of the engine's own vocabulary that are also in the people's values.
NOT_PII = {
    "survey",
    "head",
    "spouse",
    "daughter",
    "parent",
    "punjab",
    "sindh",
    "lahore",
    "karachi",
    "east",
    "islamabad",
    "mohalla",
    "gali",
    "sector",
    "street",
    "lane",
}


def leaks(text: str, rows: list[list[str]]) -> set[str]:
    """The input values (tokens) that appear in ``text``: words ignoring case and line
    wrapping, digit runs ignoring separators between digits."""
    flat = re.sub(r"\s+", "", text).lower()
    digits = re.sub(r"[\s\-./]", "", text)
    found = set()
    for token in input_values(rows) - NOT_PII:
        haystack = digits if token.isdigit() else flat
        if token in haystack:
            found.add(token)
    return found


@dataclass
class Run:
    code: int
    out: str
    err: str  # stderr and every log record the run emitted (INFO and above)

    @property
    def text(self) -> str:
        return self.out + "\n" + self.err


def run_cli(*args: object) -> Run:
    """``nser-link ARGS`` in this process, as ``main()`` runs it: exit code, stdout, and
    stderr with the logs. An exception that escapes is a traceback (exit 1)."""
    out, err = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(err)
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    argv = sys.argv
    sys.argv = ["nser-link", *map(str, args)]
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "400"  # rich wraps tables to the width; no value split
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            linkage.cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # noqa: BLE001 - what the real CLI would print as a traceback
        code = 1
        err.write(traceback.format_exc())
    finally:
        sys.argv = argv
        if columns is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = columns
        root.removeHandler(handler)
        root.setLevel(old_level)
    return Run(code, out.getvalue(), err.getvalue())


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path
