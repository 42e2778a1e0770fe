"""The portal's files: each partner's lists under the run, and the audit trail.

``RUN/service/partners/<partner>/<list id>/`` holds the upload as sent (``upload.csv`` or
``upload.xlsx``), ``list.json`` (its state: sheet, mapping used, check summary, progress,
match counts), ``mapping.yaml``, ``problems.csv`` and ``match/`` (match-partner's output
folder; only its ``partner_feedback.csv`` is ever served). ``RUN/service/partners/
audit.jsonl`` is append-only: one JSON line per action (when, who, what, which list,
counts), never a value from a list. Everything is on disk, so a restart loses nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import tempfile
import threading
from pathlib import Path

from linkage.service.tokens import SERVICE_DIR

PARTNERS_DIR = "partners"
AUDIT_FILE = "audit.jsonl"
LIST_FILE = "list.json"
_LIST_ID = re.compile(r"^[0-9]{8}-[0-9a-f]{12}$")


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ListStore:
    """Lists per partner, with ``list.json`` read and written under one lock."""

    def __init__(self, run: Path) -> None:
        self.root = Path(run) / SERVICE_DIR / PARTNERS_DIR
        self.audit_path = self.root / AUDIT_FILE
        self._lock = threading.RLock()

    # --- where things are ---------------------------------------------------------------

    def folder(self, partner: str, list_id: str) -> Path | None:
        """The list's folder when ``partner`` owns a list of that id, else None: another
        partner's list and a list that does not exist look the same (404)."""
        if not _LIST_ID.match(list_id or ""):
            return None
        folder = self.root / partner / list_id
        return folder if (folder / LIST_FILE).is_file() else None

    def new_folder(self, partner: str) -> tuple[str, Path]:
        list_id = dt.datetime.now(dt.UTC).strftime("%Y%m%d") + "-" + secrets.token_hex(6)
        folder = self.root / partner / list_id
        folder.mkdir(parents=True)
        return list_id, folder

    # --- state ----------------------------------------------------------------------------

    def read(self, folder: Path) -> dict:
        with self._lock:
            return json.loads((folder / LIST_FILE).read_text("utf-8"))

    def write(self, folder: Path, state: dict) -> dict:
        with self._lock:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".list-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(state, fh, indent=1, default=str)
            os.replace(tmp, folder / LIST_FILE)
            return state

    def update(self, folder: Path, **changes) -> dict:
        with self._lock:
            state = self.read(folder)
            state.update(changes)
            state["updated_at"] = now()
            return self.write(folder, state)

    def lists(self, partner: str) -> list[dict]:
        """The partner's lists, newest first."""
        base = self.root / partner
        if not base.is_dir():
            return []
        found = [self.read(f) for f in base.iterdir() if (f / LIST_FILE).is_file()]
        return sorted(found, key=lambda s: s.get("uploaded_at", ""), reverse=True)

    def all_folders(self):
        """Every list folder of every partner (for resuming jobs after a restart)."""
        if not self.root.is_dir():
            return
        for partner in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for folder in sorted(partner.iterdir()):
                if (folder / LIST_FILE).is_file():
                    yield folder

    # --- audit ----------------------------------------------------------------------------

    def audit(self, who: str | None, action: str, list_id: str | None = None, **details) -> None:
        """Append one line: when, who, what, which list, counts; never a value of a list."""
        line = json.dumps(
            {"at": now(), "who": who, "action": action, "list": list_id, **details},
            default=str,
            sort_keys=False,
        )
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.audit_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, (line + "\n").encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
