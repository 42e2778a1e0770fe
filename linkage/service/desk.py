"""The desk API: is this person registered already (``/api/desk/lookup``), and register
them (``/api/desk/register``), against the service's one registry.

The registry is loaded once, in a thread started with the application (the service
answers ``/healthz`` meanwhile; desk calls wait for it): its records in an embedded
DuckDB and in memory, an index per blocking rule, the model, never re-trained
(``linkage.lookup``). Registration runs as ``nser-link register`` does, one record as a
batch, under the run's lock, and the loaded copy follows it.

Answers carry ids, scores and each comparison's match weight, and just enough of the
person for a clerk to recognise them: the standardised name, guardian, birth year,
district and the CNIC's last four digits. Nothing of a request body is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Body, FastAPI, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from linkage.contract import EXTRA_PERSON_COLUMNS, PERSON_COLUMNS
from linkage.errors import NserLinkError
from linkage.service.auth import DeskUser

log = logging.getLogger("nser_link.service")

router = APIRouter(prefix="/api/desk", tags=["desk"])

#: One person record as the data contract names its columns; all optional but record_id
#: for registration. Unknown fields are refused (a typo would silently drop evidence).
PersonRecord = create_model(
    "PersonRecord",
    __config__=ConfigDict(extra="forbid", str_max_length=500),
    **{c: (str | None, None) for c in (*PERSON_COLUMNS, *EXTRA_PERSON_COLUMNS)},
)


class LookupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: PersonRecord  # type: ignore[valid-type]
    limit: int = Field(5, ge=1, le=50)
    min_probability: float = Field(0.01, ge=0, le=1)


class Candidate(BaseModel):
    cluster_id: str
    household_cluster_id: str | None
    record_id: str
    household_id: str | None
    match_probability: float
    match_weight: float
    #: match weight of each comparison (Splink's ``mw_*``), the why of the score
    comparisons: dict[str, float]
    name: str | None
    guardian: str | None
    birth_year: int | None
    district: str | None
    cnic: str | None  # masked: only the last four digits shown


class LookupAnswer(BaseModel):
    #: whether the best candidate is at or above the run's cluster threshold
    registered: bool
    threshold: float
    candidates: list[Candidate]


class RegisterAnswer(BaseModel):
    record_id: str
    status: str
    cluster_id: str
    household_cluster_id: str | None
    match_probability: float | None
    matched_record_id: str | None
    batch: int
    merged_clusters: list[dict]


def mask_cnic(cnic) -> str | None:
    if cnic is None or pd.isna(cnic) or not str(cnic):
        return None
    text = str(cnic)
    return "*" * max(len(text) - 4, 0) + text[-4:]


def _text(value) -> str | None:
    return None if value is None or pd.isna(value) or value == "" else str(value)


class DeskState:
    """The loaded registry and lookup index, loaded in the background once."""

    def __init__(self, registry_path) -> None:
        self.path = registry_path
        self.ready = threading.Event()
        self.error: str | None = None
        self.registry = self.lookup = None
        self.write_lock = threading.Lock()
        threading.Thread(target=self._load, name="desk-load", daemon=True).start()

    def _load(self) -> None:
        from linkage.config import DedupeConfig
        from linkage.lookup import DeskLookup
        from linkage.register import load_registry
        from linkage.run_folder import open_run

        try:
            self.registry = load_registry(open_run(self.path), DedupeConfig())
            self.lookup = DeskLookup(self.registry)
            log.info("desk: registry loaded (%d records)", self.lookup.records.num_rows)
        except Exception as exc:  # reported to each desk call; the log names the kind only
            self.error = type(exc).__name__
            log.error("desk: the registry could not be loaded (%s)", type(exc).__name__)
        finally:
            self.ready.set()

    def wait(self):
        if not self.ready.wait(timeout=600) or self.error:
            raise HTTPException(
                503, "the registry is not loaded" + (f" ({self.error})" if self.error else " yet")
            )
        return self.lookup


def desk_state(request: Request) -> DeskState:
    return request.app.state.desk


def candidates(lookup, scored: pd.DataFrame, found: pd.DataFrame) -> list[Candidate]:
    rows = found.assign(record_id=found["record_id"].astype(str)).set_index("record_id")
    out = []
    for _, s in scored.iterrows():
        r = rows.loc[str(s["record_id_l"])]
        name = (
            " ".join(p for p in (_text(r.get("given_name")), _text(r.get("family_name"))) if p)
            or None
        )
        year = r.get("dob_year")
        out.append(
            Candidate(
                cluster_id=str(r["cluster_id"]),
                household_cluster_id=_text(r.get("household_cluster_id")),
                record_id=str(s["record_id_l"]),
                household_id=_text(r.get("household_id")),
                match_probability=float(s["match_probability"]),
                match_weight=float(s["match_weight"]),
                comparisons={
                    c[3:]: round(float(s[c]), 4)
                    for c in scored.columns
                    if c.startswith("mw_") and pd.notna(s[c])
                },
                name=name,
                guardian=_text(r.get("guardian_std")),
                birth_year=None if year is None or pd.isna(year) else int(year),
                district=_text(r.get("district_std")),
                cnic=mask_cnic(r.get("person_cnic")),
            )
        )
    return out


@router.post("/lookup", response_model=LookupAnswer)
def lookup(
    body: Annotated[LookupRequest, Body()], user: DeskUser, request: Request, response: Response
) -> LookupAnswer:
    """The registered people most like this record, best first.

    The ``Server-Timing`` header gives the lookup's time in the service (``lookup``) and
    the CPU time of the service's process meanwhile (``cpu``: with one request at a time,
    the lookup's own, whatever else the machine runs)."""
    state = desk_state(request)
    desk = state.wait()
    started, cpu = time.perf_counter(), time.process_time()
    record = body.record.model_dump(exclude_none=True)
    if not any(record.get(c) for c in ("full_name", "cnic", "phone", "person_id_other")):
        raise HTTPException(422, "give at least a name, a CNIC, a phone or another id")
    record.setdefault("record_id", "desk-lookup")
    scored, found = desk.lookup(record, limit=body.limit, min_probability=body.min_probability)
    threshold = float(state.registry.clustering.threshold)
    cands = candidates(desk, scored, found) if len(scored) else []
    response.headers["Server-Timing"] = (
        f"lookup;dur={1000 * (time.perf_counter() - started):.2f}, "
        f"cpu;dur={1000 * (time.process_time() - cpu):.2f}"
    )
    return LookupAnswer(
        registered=bool(cands) and cands[0].match_probability >= threshold,
        threshold=threshold,
        candidates=cands,
    )


@router.post("/register", response_model=RegisterAnswer)
def register(
    record: Annotated[PersonRecord, Body()],
    user: DeskUser,  # type: ignore
    request: Request,
) -> RegisterAnswer:
    """Register one person as ``nser-link register`` does; answers with their ids."""
    from linkage.config import DedupeConfig
    from linkage.outputs import output_folder
    from linkage.progress import Stages
    from linkage.register import register_into

    state = desk_state(request)
    desk = state.wait()
    data = record.model_dump()
    if not data.get("record_id"):
        raise HTTPException(422, "record_id is required to register")
    data["source"] = data.get("source") or f"desk:{user.name}"
    raw = pd.DataFrame([{k: (v if v not in ("",) else None) for k, v in data.items()}])
    raw.insert(0, "input_row", 1)
    raw["reason"] = ""
    with state.write_lock:
        try:
            with output_folder(state.path, job="register", inputs=[]):
                result = register_into(
                    state.registry,
                    raw,
                    DedupeConfig(),
                    label=f"desk {user.name}",
                    stages=Stages(show=False),
                )
        except NserLinkError as exc:
            busy = "another nser-link job" in str(exc)  # a batch is being registered
            raise HTTPException(409 if busy else 422, str(exc)) from None
        desk.add(result.tables["new_records"])
        desk.move(result.tables["changed"])
    row = result.tables["registrations"].iloc[0]
    merged = result.tables["merged_clusters"]
    return RegisterAnswer(
        record_id=str(row["record_id"]),
        status=str(row["status"]),
        cluster_id=str(row["cluster_id"]),
        household_cluster_id=_text(row["household_cluster_id"]),
        match_probability=None
        if pd.isna(row["match_probability"])
        else float(row["match_probability"]),
        matched_record_id=_text(row["matched_record_id"]),
        batch=int(row["batch"]),
        merged_clusters=[
            {"cluster_id_old": str(m.cluster_id_old), "cluster_id": str(m.cluster_id)}
            for m in merged.itertuples()
        ],
    )


def include(app: FastAPI) -> None:
    """Add the desk API to ``app`` and start loading its registry."""
    app.state.desk = DeskState(app.state.registry)
    app.include_router(router)
