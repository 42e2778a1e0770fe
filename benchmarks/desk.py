"""Registration desks (issue 15): register a batch into a large run, and desk lookups.

    python benchmarks/desk.py --wave WAVE.csv --truth TRUTH.csv [--run RUN] [--new 10000]
        [--requests 500] [--work DIR] [--label NAME]

1. The wave's last ``--new`` rows (the latest desk registrations) are held out; the rest
   is deduped once into a run (or ``--run`` names that run, made earlier the same way).
2. **register**: ``nser-link register`` of the held-out rows into a hard-linked copy of
   the run, in its own process: wall time, peak RSS, the batch's statuses, and against
   the truth the share of ``duplicate`` answers that name the same person and the share
   of held-out people already in the run that were found.
3. **lookup**: ``nser-link serve`` on the registered copy; a load generator on localhost
   posts records of the wave (known people, their record ids left out) one request at a
   time, then from 4 clients at once: latency percentiles seen by the client, the
   server-side split of one lookup (standardise / candidates / Splink scoring, measured
   in-process on the same registry), and the service's peak RSS (``VmHWM``).

Lookups carry the service's own ``Server-Timing`` (time in the handler, and the process's
CPU time meanwhile: with one client, a lookup's CPU, comparable on a loaded machine).

Results: ``benchmarks/results/<date>-desk[-<label>].json``; BENCHMARKS.md, "Registration
desks".
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLI = [sys.executable, "-c", "from linkage.cli import main; main()"]


def run_timed(args: list[str], log: Path) -> dict:
    """Run a command; its wall time and peak RSS (from the kernel's rusage of the child)."""
    started = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{args[3:]} failed: {log.read_text(errors='replace')[-3000:]}")
    return {
        "wall_s": round(wall, 2),
        "peak_rss_gb": round(usage.ru_maxrss / 1e6, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
    }


def split(wave: Path, n_new: int, work: Path) -> tuple[Path, Path]:
    frame = pd.read_csv(wave, dtype=str, keep_default_na=False)
    base, new = work / "base.csv", work / "new.csv"
    frame.iloc[:-n_new].to_csv(base, index=False)
    frame.iloc[-n_new:].to_csv(new, index=False)
    return base, new


def registration_accuracy(run: Path, truth_csv: Path, new_ids: pd.Series) -> dict:
    truth = pd.read_csv(truth_csv, dtype=str).set_index("record_id")["person_id"]
    reg = pd.read_parquet(run / "registrations.parquet")
    reg = reg[reg["record_id"].isin(new_ids)]
    records = pd.read_parquet(run / "records.parquet", columns=["record_id", BATCH])
    in_run = set(truth.loc[records.loc[records[BATCH] == 0, "record_id"]])
    dup = reg[reg["status"] == "duplicate"]
    right = truth.loc[dup["record_id"]].to_numpy() == truth.loc[dup["matched_record_id"]].to_numpy()
    known = truth.loc[reg["record_id"]].isin(in_run).to_numpy()
    found = (reg["status"] == "duplicate").to_numpy()
    return {
        "duplicates_same_person": round(float(right.mean()), 4) if len(dup) else None,
        "known_people_found": round(float((found & known).sum() / max(known.sum(), 1)), 4),
        "new_people_kept_new": round(float((~found & ~known).sum() / (~known).sum()), 4)
        if (~known).any()
        else None,
        "held_out_already_in_run": int(known.sum()),
    }


BATCH = "registered_batch"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(run: Path, log: Path):
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*CLI, "serve", "--registry", str(run), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def vm_hwm_gb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) * 1024 / 1e9, 2)
    return float("nan")


def percentiles(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {
        "requests": len(a),
        "p50_ms": round(float(np.percentile(a, 50)), 1),
        "p95_ms": round(float(np.percentile(a, 95)), 1),
        "p99_ms": round(float(np.percentile(a, 99)), 1),
        "mean_ms": round(float(a.mean()), 1),
    }


def load_test(base: str, token: str, records: list[dict], clients: int) -> dict:
    import httpx

    def one(client, record):
        t = time.perf_counter()
        r = client.post(
            base + "/api/desk/lookup",
            json={"record": record},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        r.raise_for_status()
        timing = dict(
            part.split(";dur=")
            for part in r.headers.get("server-timing", "").replace(" ", "").split(",")
            if part
        )
        return (
            1000 * (time.perf_counter() - t),
            r.json()["registered"],
            float(timing.get("lookup", "nan")),
            float(timing.get("cpu", "nan")),
        )

    per_client = [records[i::clients] for i in range(clients)]
    started = time.perf_counter()

    def worker(chunk):
        with httpx.Client() as client:
            return [one(client, rec) for rec in chunk]

    with cf.ThreadPoolExecutor(clients) as pool:
        results = [x for part in pool.map(worker, per_client) for x in part]
    elapsed = time.perf_counter() - started
    out = percentiles([ms for ms, *_ in results])
    server = np.array([(wall, cpu) for _, _, wall, cpu in results])
    out.update(
        clients=clients,
        throughput_per_s=round(len(results) / elapsed, 1),
        found_registered=round(float(np.mean([hit for _, hit, *_ in results])), 4),
        # the service's own figures (Server-Timing): time in the handler, and the
        # process's CPU time meanwhile (one client: the lookup's own CPU, whatever
        # the machine's load; several: theirs together)
        server_p50_ms=round(float(np.nanpercentile(server[:, 0], 50)), 1),
        server_p95_ms=round(float(np.nanpercentile(server[:, 0], 95)), 1),
        server_cpu_p50_ms=round(float(np.nanpercentile(server[:, 1], 50)), 1),
        server_cpu_p95_ms=round(float(np.nanpercentile(server[:, 1], 95)), 1),
        load_average=os.getloadavg(),
    )
    return out


def split_timings(run: Path, records: list[dict]) -> dict:
    """Where one lookup's time goes, measured in this process on the same registry."""
    from linkage.config import DedupeConfig
    from linkage.lookup import DeskLookup
    from linkage.register import load_registry
    from linkage.run_folder import open_run

    desk = DeskLookup(load_registry(open_run(run), DedupeConfig()))
    parts = []
    clock = time.perf_counter
    for record in records:  # wall, then CPU (all threads), of each part
        t0, c0 = clock(), time.process_time()
        std = desk.standardise(record)
        t1, c1 = clock(), time.process_time()
        rows = desk.candidates(std)
        t2, c2 = clock(), time.process_time()
        desk.score(std, rows)
        t3, c3 = clock(), time.process_time()
        parts.append((t1 - t0, t2 - t1, t3 - t2, c1 - c0, c2 - c1, c3 - c2, len(rows)))
    a = np.asarray(parts)
    med = np.median(a, axis=0)
    names = ["standardise", "candidates", "splink_scoring"]
    out = {f"{n}_ms_p50": round(1000 * med[i], 1) for i, n in enumerate(names)}
    out.update({f"{n}_cpu_ms_p50": round(1000 * med[3 + i], 1) for i, n in enumerate(names)})
    out.update(candidates_p50=int(med[6]), candidates_max=int(a[:, 6].max()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wave", type=Path, required=True)
    ap.add_argument("--truth", type=Path, required=True)
    ap.add_argument("--run", type=Path, help="A dedupe run of the wave less its last --new rows.")
    ap.add_argument("--new", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--work", type=Path, default=Path("/tmp/nser-bench-desk"))
    ap.add_argument(
        "--skip-register",
        action="store_true",
        help="Lookups only, on the --work folder's registered copy.",
    )
    ap.add_argument(
        "--label",
        default="",
        help="Written to results/<date>-desk-<label>.json (another run of the "
        "same day keeps its file).",
    )
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    base_csv, new_csv = split(args.wave, args.new, args.work)
    result: dict = {
        "date": dt.date.today().isoformat(),
        "wave": str(args.wave),
        "new_records": args.new,
        "cores": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
    }
    run = args.run
    if run is None:
        run = args.work / "run"
        result["dedupe_base"] = run_timed(
            [*CLI, "dedupe", str(base_csv), "--out", str(run)], args.work / "dedupe.log"
        )
    summary = json.loads((run / "summary.json").read_text())
    result["registry_records"] = summary["records"]

    copy = args.work / "registered"
    if args.skip_register:
        return lookups(args, result, copy)
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(run, copy, copy_function=os.link)
    result["register"] = run_timed(
        [*CLI, "register", str(new_csv), "--into", str(copy)], args.work / "register.log"
    )
    batch = json.loads((copy / "summary.json").read_text())["registrations"][-1]
    result["register"].update(
        status=batch["status"],
        merged_clusters=batch["merged_clusters"],
        stages_s=batch["timings_s"],
    )
    new_ids = pd.read_csv(new_csv, dtype=str, usecols=["record_id"])["record_id"]
    result["register"]["accuracy"] = registration_accuracy(copy, args.truth, new_ids)
    print(json.dumps(result["register"], indent=1), flush=True)
    lookups(args, result, copy)


def lookups(args, result: dict, copy: Path) -> None:
    wave = pd.read_csv(args.wave, dtype=str, keep_default_na=False)
    sample = wave.sample(args.requests + 20, random_state=7).drop(columns=["record_id"])
    records = [{k: v for k, v in r.items() if v} for r in sample.to_dict("records")]
    from linkage.service.tokens import TokenStore

    token = TokenStore(copy).add(f"bench-{int(time.time())}", "desk")
    with serving(copy, args.work / "serve.log") as (base, proc):
        import httpx

        started = time.perf_counter()
        while True:  # the first lookup waits for the registry to load
            with contextlib.suppress(httpx.HTTPError):
                r = httpx.post(
                    base + "/api/desk/lookup",
                    json={"record": records[0]},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=600,
                )
                if r.status_code == 200:
                    break
            if proc.poll() is not None:
                raise RuntimeError((args.work / "serve.log").read_text()[-3000:])
            time.sleep(0.5)
        result["service_ready_s"] = round(time.perf_counter() - started, 1)
        load_test(base, token, records[:20], 1)  # warm-up
        result["lookup_1_client"] = load_test(base, token, records[20:], 1)
        print(json.dumps(result["lookup_1_client"]), flush=True)
        result["lookup_4_clients"] = load_test(base, token, records[20:], 4)
        print(json.dumps(result["lookup_4_clients"]), flush=True)
        result["service_peak_rss_gb"] = vm_hwm_gb(proc.pid)
    result["lookup_split"] = split_timings(copy, records[20:120])
    result["load_average_at_end"] = os.getloadavg()
    label = f"-{args.label}" if args.label else ""
    out = ROOT / "benchmarks" / "results" / f"{result['date']}-desk{label}.json"
    if args.skip_register and out.exists():  # keep the register figures of the full run
        result = {**json.loads(out.read_text()), **result}
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
