"""What the portal does with a list, without HTTP: keep it, check it, match it.

Pages and API call these; the matching runs on :class:`JobRunner`'s one worker thread
(matching is heavy: one at a time, in upload order) and reports its stage to
``list.json``, which the progress bar polls. Matching is
:func:`linkage.pipelines.match_partner_run.match_partner_list` with the run folder as its
registry: the run's records and model, never re-trained, the same as
``nser-link match-partner --registry RUN``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import yaml

from linkage.contract import PARTNER_FEEDBACK, UNREGISTERED_BY_PLACE
from linkage.errors import ConfigError, NserLinkError
from linkage.intake.mapping import ColumnMapping
from linkage.intake.partner_check import (
    check_partner_rows,
    complete_mapping,
    file_columns,
    mapping_yaml,
    read_partner_list,
    report_table,
    write_excel_csv,
)
from linkage.partner_config import MatchPartnerConfig
from linkage.pipelines.match_partner_run import match_partner_list
from linkage.progress import Stages
from linkage.service.portal.store import ListStore, now

log = logging.getLogger("nser_link.service")

UPLOAD_SUFFIXES = (".csv", ".txt", ".xlsx")
PROBLEMS = "problems.csv"
MATCH_DIR = "match"
#: A list's life: uploaded → (needs_sheet →) checked → queued → matching → done;
#: check_failed and failed say why in ``error``.
BUSY = ("queued", "matching")
#: match-partner's stages with their share of the time for 50,000 rows against 1M
#: records (benchmarks/portal.py): scoring is most of it.
STAGE_WEIGHTS = {
    "read and validate": 3,
    "standardise": 2,
    "plan the model": 3,
    "count comparisons": 7,
    "score partner rows": 80,
    "find candidates' other registry records": 1,
    "resolve one-to-one": 3,
    "write outputs": 1,
}


def feedback_path(folder: Path) -> Path:
    return folder / MATCH_DIR / f"{PARTNER_FEEDBACK}.csv"


def _plain(message: str, folder: Path, filename: str) -> str:
    """An error message with the server's paths replaced by the partner's file name."""
    for stored in sorted(folder.glob("upload.*"), key=lambda p: -len(str(p))):
        message = message.replace(str(stored), filename)
    return message.replace(str(folder), "(your list)")


# --- keeping an upload ----------------------------------------------------------------


def save_upload(store: ListStore, partner: str, source: BinaryIO, filename: str) -> Path:
    """Keep the file as sent in a new list folder; returns the folder."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ConfigError(
            f"{filename or 'the file'}: send a .csv or .xlsx file (an older "
            ".xls workbook can be saved as .xlsx from Excel)."
        )
    list_id, folder = store.new_folder(partner)
    target = folder / f"upload{'.csv' if suffix == '.txt' else suffix}"
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as out:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    sheets = _sheets(target) if suffix == ".xlsx" else None
    store.write(
        folder,
        {
            "id": list_id,
            "partner": partner,
            "filename": Path(filename).name[:200],
            "stored_as": target.name,
            "bytes": size,
            "sha256": digest.hexdigest(),
            "uploaded_at": now(),
            "updated_at": now(),
            "sheets": sheets,
            "sheet": sheets[0] if sheets and len(sheets) == 1 else None,
            "status": "needs_sheet" if sheets and len(sheets) > 1 else "uploaded",
            "mapping": None,
            "guessed": None,
            "columns": None,
            "check": None,
            "progress": None,
            "result": None,
            "error": None,
        },
    )
    store.audit(
        partner,
        "upload",
        list_id,
        bytes=size,
        sha256=digest.hexdigest(),
        sheets=len(sheets) if sheets else None,
    )
    return folder


def _sheets(path: Path) -> list[str]:
    try:
        return [str(n) for n in pd.ExcelFile(path, engine="openpyxl").sheet_names]
    except Exception:  # noqa: BLE001 - any openpyxl failure is "not a workbook"
        return []


def upload_path(folder: Path, state: dict) -> Path:
    return folder / state["stored_as"]


# --- checking -------------------------------------------------------------------------


def check_list(
    store: ListStore,
    folder: Path,
    who: str,
    mapping: ColumnMapping | None = None,
    *,
    complete: bool = True,
    in_job: bool = False,
) -> dict:
    """Check the list as validate-partner does, under ``mapping`` (completed by guesses
    from its header unless ``complete`` is false: a mapping the partner corrected in the
    form is used as it stands); keeps the mapping used and the problems file."""
    state = store.read(folder)
    if state["status"] in BUSY and not in_job:
        raise ConfigError("this list is being matched; wait until it is done.")
    if state["status"] == "needs_sheet" or (state["sheets"] and not state["sheet"]):
        raise ConfigError("choose the sheet that holds the list first.")
    path = upload_path(folder, state)
    try:
        raw, rows = read_partner_list(path, sheet=state["sheet"])
        columns = file_columns(raw)
        used, guessed = (
            complete_mapping(mapping, columns)
            if complete or mapping is None
            else (mapping, ColumnMapping())
        )
        check = check_partner_rows(raw, used, guessed=guessed, rows=rows, file=str(path))
    except NserLinkError as exc:
        store.audit(who, "check failed", state["id"])
        return store.update(
            folder,
            status="check_failed",
            error=_plain(str(exc), folder, state["filename"]),
            mapping=mapping.model_dump(exclude_defaults=True) if mapping else state["mapping"],
            result=None,
            progress=None,
        )
    (folder / PROBLEMS).unlink(missing_ok=True)
    write_excel_csv(report_table(check), folder / PROBLEMS)
    (folder / "mapping.yaml").write_text(mapping_yaml(used), encoding="utf-8")
    shutil.rmtree(folder / MATCH_DIR, ignore_errors=True)  # results of an earlier mapping
    summary = check.summary
    store.audit(
        who,
        "check",
        state["id"],
        rows_read=summary["rows_read"],
        rows_usable=summary["rows_usable"],
        rows_with_errors=summary["rows_with_errors"],
    )
    # in a job, matching follows at once: the list stays busy, so no poller sees a pause
    return store.update(
        folder,
        status="matching" if in_job else "checked",
        error=None,
        columns=columns,
        mapping=used.model_dump(exclude_defaults=True),
        guessed=guessed.model_dump(exclude_defaults=True),
        extra_columns=check.extra_columns,
        check=summary,
        result=None,
        progress={"stage": "checked", "fraction": 0.0} if in_job else None,
    )


def mapping_of(state: dict) -> ColumnMapping | None:
    return ColumnMapping.model_validate(state["mapping"]) if state.get("mapping") else None


def mapping_from_yaml(text: str) -> ColumnMapping | None:
    """A mapping sent as YAML text (the API's ``mapping``), or a ConfigError saying why not."""
    if not text or not text.strip():
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"the mapping is not valid YAML ({exc.__class__.__name__}).") from None
    if not isinstance(data, dict):
        raise ConfigError("the mapping must be a YAML mapping with keys such as 'rename'.")
    try:
        return ColumnMapping.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"invalid column mapping: {exc}") from None


def problems_preview(folder: Path, limit: int = 200) -> pd.DataFrame:
    path = folder / PROBLEMS
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, dtype=str, keep_default_na=False, nrows=limit, encoding="utf-8-sig")


# --- matching -------------------------------------------------------------------------


class ProgressStages(Stages):
    """Stages that write the running stage and the share done into ``list.json``."""

    def __init__(self, store: ListStore, folder: Path) -> None:
        super().__init__(show=False)
        self._store, self._folder = store, folder
        self._total = sum(STAGE_WEIGHTS.values())

    def _report(self, stage: str) -> None:
        done = sum(STAGE_WEIGHTS.get(s, 0) for s in self.timings)
        self._store.update(
            self._folder,
            progress={
                "stage": stage,
                "fraction": round(min(done / self._total, 0.99), 3),
                "stage_started": now(),
            },
        )

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self._report(name)
        with super().stage(name):
            yield


def match_list(
    store: ListStore,
    folder: Path,
    registry: Path,
    who: str,
    config: MatchPartnerConfig | None = None,
) -> dict:
    """Match a checked list against the run; counts and coverage go into ``list.json``."""

    state = store.update(
        folder, status="matching", error=None, progress={"stage": "starting", "fraction": 0.0}
    )
    store.audit(who, "match started", state["id"])
    try:
        result = match_partner_list(
            [str(registry)],
            str(upload_path(folder, state)),
            folder / MATCH_DIR,
            config or MatchPartnerConfig(),
            mapping=mapping_of(state),
            stages=ProgressStages(store, folder),
            sheet=state["sheet"],
        )
    except NserLinkError as exc:
        store.audit(who, "match failed", state["id"])
        return store.update(
            folder,
            status="failed",
            progress=None,
            error=_plain(str(exc), folder, state["filename"]),
        )
    except Exception as exc:  # noqa: BLE001 - the partner gets a sentence, the log the kind
        log.error("matching list %s failed: %s", state["id"], type(exc).__name__)
        store.audit(who, "match failed", state["id"], error=type(exc).__name__)
        return store.update(
            folder,
            status="failed",
            progress=None,
            error="matching failed on the server; the registry's team has "
            "been told (see the service log).",
        )
    summary = result.summary
    counts = {
        **summary["statuses"],
        "rejected": summary["input"]["rows_rejected"],
        "rows_read": summary["input"]["rows_read"],
    }
    store.audit(
        who,
        "match done",
        state["id"],
        **counts,
        seconds=round(sum(summary.get("timings_s", {}).values()), 1),
    )
    return store.update(
        folder,
        status="done",
        progress={"stage": "done", "fraction": 1.0},
        result={
            "counts": counts,
            "by_district": by_district(result.tables[UNREGISTERED_BY_PLACE]),
            "matched_at": now(),
            "timings_s": summary.get("timings_s", {}),
        },
    )


def by_district(places: pd.DataFrame) -> list[dict]:
    """Partner rows per district and the share matched: the partner's rows and our answer
    only (the registry's own counts stay out)."""
    if places.empty:
        return []
    keyed = places.assign(district=places["district"].fillna("(not given)"))
    sums = keyed.groupby("district", sort=False)[
        ["partner_rows", "matched", "review", "unmatched"]
    ].sum()
    sums["matched_share"] = (sums["matched"] / sums["partner_rows"]).round(4)
    sums = sums.sort_values(["partner_rows"], ascending=False, kind="mergesort")
    return [
        {
            "district": d,
            **{k: (float(v) if k == "matched_share" else int(v)) for k, v in row.items()},
        }
        for d, row in sums.iterrows()
    ]


class JobRunner:
    """One worker thread that matches lists in the order they were confirmed.

    A daemon thread: stopping the service does not wait for a match; the list stays
    ``matching`` on disk and :meth:`resume` queues it again at the next start (the
    match's output folder is written to a temporary folder and renamed, so an
    interrupted match leaves nothing half-written).
    """

    def __init__(self, store: ListStore, registry: Path) -> None:
        self.store, self.registry = store, registry
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="portal-match", daemon=True)
        self._thread.start()

    def submit(self, folder: Path, who: str, *, check_first: bool = False) -> dict:
        state = self.store.update(
            folder,
            status="queued",
            error=None,
            progress={"stage": "waiting for the matcher", "fraction": 0.0},
            job={"by": who, "check_first": check_first},
        )
        self._queue.put((folder, who, check_first))
        return state

    def _work(self) -> None:
        while True:
            self._run(*self._queue.get())

    def _run(self, folder: Path, who: str, check_first: bool) -> None:
        try:
            if check_first:
                state = check_list(
                    self.store, folder, who, mapping_of(self.store.read(folder)), in_job=True
                )
                if state["status"] == "check_failed":
                    return
                if state["check"]["rows_usable"] == 0:
                    self.store.update(
                        folder,
                        status="failed",
                        error="no row of the list can be matched: see its problems.",
                    )
                    return
            match_list(self.store, folder, self.registry, who)
        except Exception as exc:  # noqa: BLE001 - never let a job kill the worker quietly
            log.error("portal job failed: %s", type(exc).__name__)
            self.store.update(
                folder,
                status="failed",
                progress=None,
                error="the job failed on the server (see the service log).",
            )

    def resume(self) -> int:
        """Queue again what a restart interrupted; returns how many."""
        n = 0
        for folder in self.store.all_folders():
            state = self.store.read(folder)
            if state.get("status") in BUSY:
                job = state.get("job") or {}
                self.store.audit("service", "resumed after restart", state["id"])
                self.submit(
                    folder,
                    job.get("by", state["partner"]),
                    check_first=bool(job.get("check_first")),
                )
                n += 1
        return n
