"""``/api/partner``: the portal as JSON, for partners with their own systems.

``POST /api/partner/lists`` (multipart ``file``, optional ``mapping`` as YAML text or
file, optional ``sheet``; ``Authorization: Bearer TOKEN``) keeps the list and queues its
check and match: ``202 {"id": ...}``. ``GET /api/partner/lists/{id}`` says where it
stands; ``problems.csv`` and ``feedback.csv`` are the files. Another partner's list is
404, as is one that does not exist.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.datastructures import UploadFile

from linkage.errors import NserLinkError
from linkage.service.auth import PartnerUser
from linkage.service.portal.uploads import TooLarge, describe_limit, limited_form
from linkage.service.portal.work import (
    PROBLEMS,
    feedback_path,
    mapping_from_yaml,
    save_upload,
)

router = APIRouter(prefix="/api/partner", tags=["partner"])


def _portal(request: Request):
    return request.app.state.portal


def public_state(state: dict) -> dict:
    """What a partner is told of a list: its state and counts, nothing of the registry."""
    result = state.get("result") or {}
    return {
        "id": state["id"],
        "filename": state["filename"],
        "status": state["status"],
        "uploaded_at": state["uploaded_at"],
        "sheet": state.get("sheet"),
        "sheets": state.get("sheets"),
        "progress": state.get("progress"),
        "error": state.get("error"),
        "mapping": state.get("mapping"),
        "validation": state.get("check"),
        "match": result.get("counts"),
        "by_district": result.get("by_district"),
        "links": {
            "problems": f"/api/partner/lists/{state['id']}/problems.csv",
            "feedback": f"/api/partner/lists/{state['id']}/feedback.csv",
        },
    }


def _folder(request: Request, user, list_id: str) -> Path:
    folder = _portal(request).store.folder(user.name, list_id)
    if folder is None:
        raise HTTPException(404, "no such list")
    return folder


@router.post("/lists", status_code=202)
async def upload_list(request: Request, user: PartnerUser) -> JSONResponse:
    portal = _portal(request)
    try:
        form = await limited_form(request)
    except TooLarge as exc:
        portal.store.audit(user.name, "upload refused: too large")
        return JSONResponse(
            {"detail": f"the file is larger than the limit of {describe_limit(exc.limit)}"},
            status_code=413,
        )
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise HTTPException(422, "send the list as the multipart field 'file'")
    mapping_field = form.get("mapping")
    mapping_text = (
        (await mapping_field.read()).decode("utf-8-sig", errors="replace")
        if isinstance(mapping_field, UploadFile)
        else (mapping_field or "")
    )
    try:
        mapping = mapping_from_yaml(mapping_text)
        folder = save_upload(portal.store, user.name, file.file, file.filename or "")
    except NserLinkError as exc:
        raise HTTPException(422, str(exc)) from None
    state = portal.store.read(folder)
    sheet = form.get("sheet")
    if state["sheets"] is not None and not state["sheets"]:
        portal.store.update(
            folder, status="check_failed", error="the file is not a readable .xlsx workbook"
        )
    elif sheet or state["status"] == "needs_sheet":
        if sheet not in (state["sheets"] or []):  # nothing kept: send it again with one
            shutil.rmtree(folder)
            portal.store.audit(user.name, "upload discarded: no sheet chosen", state["id"])
            return JSONResponse(
                {
                    "id": state["id"],
                    "status": "needs_sheet",
                    "detail": "the workbook has several sheets; send 'sheet' with one of them",
                    "sheets": state["sheets"],
                },
                status_code=422,
            )
        portal.store.update(folder, sheet=sheet, status="uploaded")
    if mapping is not None:
        portal.store.update(folder, mapping=mapping.model_dump(exclude_defaults=True))
    state = portal.store.read(folder)
    if state["status"] == "uploaded":
        state = portal.runner.submit(folder, user.name, check_first=True)
    return JSONResponse(public_state(state), status_code=202)


@router.get("/lists")
def my_lists(request: Request, user: PartnerUser) -> dict:
    return {"lists": [public_state(s) for s in _portal(request).store.lists(user.name)]}


@router.get("/lists/{list_id}")
def list_status(list_id: str, request: Request, user: PartnerUser) -> dict:
    return public_state(_portal(request).store.read(_folder(request, user, list_id)))


@router.get("/lists/{list_id}/problems.csv")
def problems_file(list_id: str, request: Request, user: PartnerUser) -> FileResponse:
    folder = _folder(request, user, list_id)
    return send_csv(request, user.name, folder, folder / PROBLEMS, "problems")


@router.get("/lists/{list_id}/feedback.csv")
def feedback_file(list_id: str, request: Request, user: PartnerUser) -> FileResponse:
    folder = _folder(request, user, list_id)
    return send_csv(request, user.name, folder, feedback_path(folder), "feedback")


def send_csv(request: Request, who: str, folder: Path, path: Path, kind: str) -> FileResponse:
    """A file of the list as a download, once it exists (409 before: not ready yet)."""
    portal = _portal(request)
    state = portal.store.read(folder)
    if not path.is_file():
        raise HTTPException(409, f"the {kind} file is not ready; the list is {state['status']}")
    portal.store.audit(who, f"download {kind}", state["id"])
    stem = Path(state["filename"]).stem or "list"
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=f"{stem}.{kind}.csv")
