"""Benchmark of the partner portal: a 50,000-row list from upload to feedback.

``.venv/bin/python benchmarks/portal.py --registry RUN [--wave WAVE.csv --partner LIST.csv]``
starts ``nser-link serve`` on RUN (a dedupe run; with ``--wave`` and no RUN yet, it runs
``nser-link dedupe`` first), makes a partner list of ``--rows`` rows (the generated
partner list of the same world, topped up with registry rows sampled and perturbed as a
partner would write them: day-first dates, a name misspelt, no guardian), sends it to
``POST /api/partner/lists`` as a partner's system would, polls its status and the
progress until done, and downloads ``feedback.csv``. It records the upload, wait and
download times, every distinct progress step with its time, and the match's own stage
timings. Results: ``benchmarks/results/<date>-portal-<rows>.json`` and a table in
``BENCHMARKS.md`` between the ``bench-portal:`` markers.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
REPORT = ROOT / "BENCHMARKS.md"
PARTNER_COLUMNS = [
    "record_id",
    "source",
    "full_name",
    "guardian_name",
    "cnic",
    "gender",
    "date_of_birth",
    "district",
    "address",
    "phone",
    "poverty_flag",
]


def make_list(wave: Path, partner: Path | None, rows: int, seed: int, out: Path) -> Path:
    """``rows`` partner rows: the generated partner list, then perturbed registry rows."""
    rng = np.random.default_rng(seed)
    parts = []
    if partner is not None and partner.exists():
        parts.append(pd.read_csv(partner, dtype=str, keep_default_na=False).head(rows))
    need = rows - sum(len(p) for p in parts)
    if need > 0:
        sample = (
            pd.read_csv(wave, dtype=str, keep_default_na=False)
            .sample(n=need, random_state=seed)
            .reset_index(drop=True)
        )
        sample["record_id"] = [f"bench-{i:07d}" for i in range(need)]
        sample["source"] = "partner_bench"
        dob = pd.to_datetime(sample["date_of_birth"], errors="coerce", format="ISO8601")
        sample["date_of_birth"] = dob.dt.strftime("%d/%m/%Y").where(
            dob.notna(), sample["date_of_birth"]
        )
        names = sample["full_name"].to_numpy(dtype=object)
        typo = rng.random(need) < 0.2
        names[typo] = [n[:-1] if len(n) > 4 else n for n in names[typo]]
        sample["full_name"] = names
        sample.loc[rng.random(need) < 0.3, "guardian_name"] = ""
        sample["poverty_flag"] = (rng.random(need) < 0.4).astype(int).astype(str)
        parts.append(sample.reindex(columns=PARTNER_COLUMNS, fill_value=""))
    frame = pd.concat(parts, ignore_index=True).reindex(columns=PARTNER_COLUMNS, fill_value="")
    frame.to_csv(out, index=False)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(registry: Path, log: Path):
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from linkage.cli import main; main()",
                "serve",
                "--registry",
                str(registry),
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(log.read_text()[-2000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(registry: Path, listing: Path, work: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from linkage.service.tokens import TokenStore

    name = f"bench-{dt.datetime.now().strftime('%H%M%S')}"
    token = TokenStore(registry).add(name, "partner")
    auth = {"Authorization": f"Bearer {token}"}
    try:
        with serving(registry, work / "serve.log") as (base, pid):
            cpu_before = cpu_seconds(pid)
            started = time.perf_counter()
            with open(listing, "rb") as fh:
                answer = httpx.post(
                    f"{base}/api/partner/lists",
                    headers=auth,
                    files={"file": (listing.name, fh, "text/csv")},
                    timeout=300,
                )
            answer.raise_for_status()
            uploaded = time.perf_counter() - started
            list_id = answer.json()["id"]
            steps, last = [], None
            while True:
                state = httpx.get(
                    f"{base}/api/partner/lists/{list_id}", headers=auth, timeout=30
                ).json()
                progress = state.get("progress") or {}
                step = (state["status"], progress.get("stage"), progress.get("fraction"))
                if step != last:
                    steps.append(
                        {
                            "t_s": round(time.perf_counter() - started, 2),
                            "status": step[0],
                            "stage": step[1],
                            "fraction": step[2],
                        }
                    )
                    last = step
                if state["status"] not in ("queued", "matching", "uploaded"):
                    break
                time.sleep(0.25)
            done = time.perf_counter() - started
            feedback = httpx.get(
                f"{base}/api/partner/lists/{list_id}/feedback.csv", headers=auth, timeout=120
            )
            total = time.perf_counter() - started
            cpu = cpu_seconds(pid) - cpu_before
            load = os.getloadavg()[0]
            feedback.raise_for_status()
            (work / "feedback.csv").write_bytes(feedback.content)
            folder = registry / "service" / "partners" / name / list_id
            summary = json.loads((folder / "match" / "summary.json").read_text())
    finally:
        TokenStore(registry).revoke(name)
    rows = len(pd.read_csv(work / "feedback.csv", dtype=str, encoding="utf-8-sig"))
    return {
        "status": state["status"],
        "error": state.get("error"),
        "rows": rows,
        "upload_s": round(uploaded, 2),
        "to_done_s": round(done, 2),
        "upload_to_feedback_s": round(total, 2),
        "service_cpu_s": round(cpu, 1),
        "load_average_1min_at_end": round(load, 1),
        "progress_steps": steps,
        "match": state.get("match"),
        "stage_timings_s": summary.get("timings_s"),
        "registry_records": summary["registry"]["records_used"],
        "comparisons": summary.get("comparisons"),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux), to set beside the wall time on a
    machine shared with other work."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_report(result: dict) -> None:
    line = (
        f"| {result['date']} | {result['rows']:,} | {result['registry_records']:,} | "
        f"{result['upload_s']:.1f} | {result['upload_to_feedback_s']:.1f} | "
        f"{result['service_cpu_s']:.0f} | {result['load_average_1min_at_end']:.1f} | "
        f"{len(result['progress_steps'])} | {result['match']['matched']:,} / "
        f"{result['match']['review']:,} / {result['match']['unmatched']:,} |"
    )
    text = REPORT.read_text() if REPORT.exists() else ""
    begin, end = "<!-- bench-portal: begin -->", "<!-- bench-portal: end -->"
    header = (
        "| date | list rows | registry records | upload s | upload → feedback s | "
        "service CPU s | load (1 min) | progress steps seen | "
        "matched / review / unmatched |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---|"
    )
    block = f"{begin}\n{header}\n{line}\n{end}"
    if begin in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text += (
            "\n## Partner portal: upload to feedback (`benchmarks/portal.py`)\n\n"
            "A partner list sent to `POST /api/partner/lists` of `nser-link serve`, "
            "polled until matched, and `feedback.csv` downloaded; 2 cores.\n\n" + block + "\n"
        )
    REPORT.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--registry",
        type=Path,
        required=True,
        help="A dedupe run folder (made from --wave when absent).",
    )
    parser.add_argument("--wave", type=Path, help="The registry wave (to sample rows from).")
    parser.add_argument("--partner", type=Path, help="A generated partner list to start from.")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench" / "portal")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if not (args.registry / "records.parquet").exists():
        if not args.wave:
            raise SystemExit(f"{args.registry} is not a run; give --wave to make it")
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from linkage.cli import main; main()",
                "dedupe",
                str(args.wave),
                "--out",
                str(args.registry),
            ],
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    if not args.wave:
        raise SystemExit("give --wave: the list is made from the registry's rows")
    listing = make_list(
        args.wave, args.partner, args.rows, args.seed, args.work / f"partner_{args.rows}.csv"
    )
    result = {
        "date": dt.date.today().isoformat(),
        "cores": os.cpu_count(),
        "registry": str(args.registry),
        **run(args.registry, listing, args.work),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{result['date']}-portal-{args.rows}.json"
    out.write_text(json.dumps(result, indent=1))
    if result["status"] == "done":
        write_report(result)
    print(json.dumps({k: v for k, v in result.items() if k != "progress_steps"}, indent=1))


if __name__ == "__main__":
    main()
