"""``/portal``: the partner portal's pages, server-rendered, one plain form per step.

Sign in with the partner token → upload a list (a sheet picker for workbooks with
several) → the guessed column mapping as a form to correct, with the check's findings in
the partner's own row numbers and column names → match in the background with a
progress bar → counts, coverage by district and ``partner_feedback.csv``. Every POST
carries the session's CSRF token; a page of another partner's list is 404.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from linkage.errors import ConfigError, NserLinkError
from linkage.intake.mapping import MAPPABLE_COLUMNS, ColumnMapping
from linkage.service.portal.session import Session, csrf_ok
from linkage.service.portal.uploads import TooLarge, describe_limit, limited_form, max_bytes
from linkage.service.portal.work import (
    BUSY,
    PROBLEMS,
    check_list,
    feedback_path,
    mapping_of,
    problems_preview,
    save_upload,
)

router = APIRouter(prefix="/portal", include_in_schema=False)

#: Contract columns the form shows first: what matching leans on.
MAIN_COLUMNS = (
    "record_id",
    "full_name",
    "guardian_name",
    "cnic",
    "gender",
    "date_of_birth",
    "district",
    "tehsil",
    "union_council",
    "address",
    "phone",
    "poverty_flag",
)
JOIN = "join:"
#: How the form names contract columns where their own name reads badly.
LABELS = {
    "record_id": "Your record id",
    "cnic": "CNIC",
    "pmt_score": "PMT score",
    "person_id_other": "Other person id",
    "date_of_birth": "Date of birth",
    "relation_to_head": "Relation to head",
    "urban_rural": "Urban / rural",
    "poverty_flag": "Poverty flag",
}


def _portal(request: Request):
    return request.app.state.portal


def render(request: Request, template: str, status: int = 200, **context) -> Response:
    portal = _portal(request)
    session = portal.sessions.of(request)
    return portal.templates.TemplateResponse(
        request, template, {"session": session, **context}, status_code=status
    )


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", status, title=title, message=message)


def signed_in(request: Request) -> Session | None:
    session = _portal(request).sessions.of(request)
    return session if session and session.partner else None


def same_origin(request: Request) -> bool:
    """A browser's POST names its origin, which must be this service. Under the
    service's ``Referrer-Policy: no-referrer`` Chromium sends ``Origin: null`` for the
    portal's own forms, so null proves nothing either way: the CSRF token decides."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return origin.rstrip("/") == f"{request.url.scheme}://{request.headers.get('host', '')}"


def refused(request: Request, session: Session | None, csrf: str | None) -> Response | None:
    """The 403 page for a POST without this session's CSRF token (or from elsewhere)."""
    if csrf_ok(session, csrf) and same_origin(request):
        return None
    who = session.partner if session else None
    _portal(request).store.audit(who, "refused: CSRF token missing or wrong")
    return error_page(
        request,
        403,
        "Refused",
        "This form has expired or did not come from the portal. Go back, "
        "reload the page and try again.",
    )


def to_signin() -> RedirectResponse:
    return RedirectResponse("/portal/signin", status_code=303)


def _list(request: Request, session: Session, list_id: str) -> Path | None:
    return _portal(request).store.folder(session.partner, list_id)


def not_found(request: Request) -> Response:
    return error_page(
        request, 404, "No such list", "There is no list with this address among your lists."
    )


def posted_to_list(
    request: Request, list_id: str, csrf: str | None
) -> tuple[Session, Path] | Response:
    """A form posted to one of the partner's lists: signed in, with this session's CSRF
    token, and the list theirs; else the page that says why not."""
    session = signed_in(request)
    if session is None:
        return to_signin()
    if (denied := refused(request, session, csrf)) is not None:
        return denied
    folder = _list(request, session, list_id)
    return not_found(request) if folder is None else (session, folder)


# --- signing in and out -------------------------------------------------------------


@router.get("")
@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse(
        "/portal/lists" if signed_in(request) else "/portal/signin", status_code=303
    )


@router.get("/signin")
def signin_page(request: Request) -> Response:
    portal = _portal(request)
    session = portal.sessions.of(request)
    if session is None:
        session = portal.sessions.new()
    response = render(request, "signin.html", csrf=session.csrf)
    portal.sessions.set_cookie(response, request, session)
    return response


@router.post("/signin")
def signin(
    request: Request, token: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = ""
) -> Response:
    portal = _portal(request)
    session = portal.sessions.of(request)
    if (denied := refused(request, session, csrf)) is not None:
        return denied
    principal = portal.tokens.authenticate(token.strip())
    if principal is None or principal.role != "partner":
        portal.store.audit(None, "sign-in refused")
        response = render(
            request,
            "signin.html",
            401,
            csrf=session.csrf,
            message="That token was not recognised as a partner token. Check "
            "it and try again, or ask the registry's team for a new one.",
        )
        return response
    fresh = portal.sessions.new(principal.name, portal.sessions.created_of(principal.name))
    portal.store.audit(principal.name, "sign-in")
    response = RedirectResponse("/portal/lists", status_code=303)
    portal.sessions.set_cookie(response, request, fresh)
    return response


@router.post("/signout")
def signout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    session = signed_in(request)
    if (denied := refused(request, session, csrf)) is not None:
        return denied
    _portal(request).store.audit(session.partner, "sign-out")
    response = to_signin()
    _portal(request).sessions.clear_cookie(response)
    return response


# --- lists ----------------------------------------------------------------------------


@router.get("/lists")
def lists_page(request: Request) -> Response:
    session = signed_in(request)
    if session is None:
        return to_signin()
    return render(
        request,
        "lists.html",
        lists=_portal(request).store.lists(session.partner),
        limit=describe_limit(max_bytes(request)),
    )


@router.post("/lists")
async def upload(request: Request) -> Response:
    session = signed_in(request)
    if session is None:
        return to_signin()
    portal = _portal(request)
    try:
        form = await limited_form(request)
    except TooLarge as exc:
        portal.store.audit(session.partner, "upload refused: too large")
        return error_page(
            request,
            413,
            "The file is too large",
            f"Lists up to {describe_limit(exc.limit)} can be sent here. Split "
            "the list into parts, or save it as .xlsx (smaller than CSV), and "
            "send each part.",
        )
    if (denied := refused(request, session, form.get("csrf"))) is not None:
        return denied
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return error_page(request, 422, "No file", "Choose a .csv or .xlsx file to send.")
    try:
        folder = save_upload(portal.store, session.partner, file.file, file.filename)
    except NserLinkError as exc:
        return error_page(request, 422, "This file cannot be used", str(exc))
    state = portal.store.read(folder)
    if state["status"] == "uploaded":
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(check_list, portal.store, folder, session.partner)
    return RedirectResponse(f"/portal/lists/{state['id']}", status_code=303)


@router.get("/lists/{list_id}")
def list_page(list_id: str, request: Request) -> Response:
    session = signed_in(request)
    if session is None:
        return to_signin()
    folder = _list(request, session, list_id)
    if folder is None:
        return not_found(request)
    state = _portal(request).store.read(folder)
    columns = state.get("columns") or []
    return render(
        request,
        "list.html",
        list=state,
        busy=state["status"] in BUSY,
        fields=mapping_fields(state),
        columns=columns,
        problems=problems_preview(folder).to_dict("records")
        if (folder / PROBLEMS).exists()
        else [],
        has_feedback=feedback_path(folder).is_file(),
    )


@router.get("/lists/{list_id}/status")
def list_status(list_id: str, request: Request) -> Response:
    """For the progress bar: status, stage and share done (no counts, no values)."""
    session = signed_in(request)
    folder = _list(request, session, list_id) if session else None
    if folder is None:
        return JSONResponse({"detail": "no such list"}, status_code=404)
    state = _portal(request).store.read(folder)
    return JSONResponse({"status": state["status"], "progress": state.get("progress")})


@router.post("/lists/{list_id}/sheet")
def choose_sheet(
    list_id: str,
    request: Request,
    sheet: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    checked = posted_to_list(request, list_id, csrf)
    if isinstance(checked, Response):
        return checked
    session, folder = checked
    portal = _portal(request)
    state = portal.store.read(folder)
    if state["status"] in BUSY:
        return error_page(request, 409, "Being matched", "Wait until the match is done.")
    if sheet not in (state.get("sheets") or []):
        return error_page(request, 422, "No such sheet", "Choose one of the workbook's sheets.")
    portal.store.update(folder, sheet=sheet, status="uploaded", mapping=None)
    portal.store.audit(session.partner, "sheet chosen", list_id)
    check_list(portal.store, folder, session.partner)
    return RedirectResponse(f"/portal/lists/{list_id}", status_code=303)


@router.post("/lists/{list_id}/mapping")
async def correct_mapping(list_id: str, request: Request) -> Response:
    session = signed_in(request)
    if session is None:
        return to_signin()
    form = await request.form(max_files=0, max_fields=200)
    if (denied := refused(request, session, form.get("csrf"))) is not None:
        return denied
    portal = _portal(request)
    folder = _list(request, session, list_id)
    if folder is None:
        return not_found(request)
    state = portal.store.read(folder)
    try:
        mapping = mapping_from_form(form, state)
    except (ConfigError, ValueError) as exc:
        return error_page(request, 422, "This mapping cannot be used", str(exc))
    from starlette.concurrency import run_in_threadpool

    portal.store.audit(session.partner, "mapping corrected", list_id)
    try:
        await run_in_threadpool(
            check_list, portal.store, folder, session.partner, mapping, complete=False
        )
    except ConfigError as exc:
        return error_page(request, 409, "Not now", str(exc))
    return RedirectResponse(f"/portal/lists/{list_id}#findings", status_code=303)


@router.post("/lists/{list_id}/match")
def confirm_match(list_id: str, request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    checked = posted_to_list(request, list_id, csrf)
    if isinstance(checked, Response):
        return checked
    session, folder = checked
    portal = _portal(request)
    state = portal.store.read(folder)
    if state["status"] not in ("checked", "done", "failed") or not state.get("check"):
        return error_page(request, 409, "Not ready", "Check the list before matching it.")
    if state["check"]["rows_usable"] == 0:
        return error_page(
            request,
            422,
            "Nothing to match",
            "No row of this list can be matched; correct the mapping or the list first.",
        )
    portal.runner.submit(folder, session.partner)
    return RedirectResponse(f"/portal/lists/{list_id}", status_code=303)


@router.get("/lists/{list_id}/problems.csv")
def problems_download(list_id: str, request: Request) -> Response:
    return _download(request, list_id, "problems")


@router.get("/lists/{list_id}/feedback.csv")
def feedback_download(list_id: str, request: Request) -> Response:
    return _download(request, list_id, "feedback")


def _download(request: Request, list_id: str, kind: str) -> Response:
    from fastapi import HTTPException

    from linkage.service.portal.api import send_csv

    session = signed_in(request)
    if session is None:
        return to_signin()
    folder = _list(request, session, list_id)
    if folder is None:
        return not_found(request)
    path = folder / PROBLEMS if kind == "problems" else feedback_path(folder)
    try:
        return send_csv(request, session.partner, folder, path, kind)
    except HTTPException as exc:
        return error_page(request, exc.status_code, "Not ready", str(exc.detail))


# --- the mapping as a form ------------------------------------------------------------


def mapping_fields(state: dict) -> list[dict]:
    """One field per contract column: the file column (or joined columns) it comes from."""
    mapping = mapping_of(state) or ColumnMapping()
    columns = state.get("columns") or []
    source = {target: theirs for theirs, target in mapping.rename.items()}
    fields = []
    order = [*MAIN_COLUMNS, *(c for c in MAPPABLE_COLUMNS if c not in MAIN_COLUMNS)]
    for target in order:
        joined = mapping.join.get(target)
        if joined:
            chosen = JOIN + "|".join(joined)
        elif target in source:
            chosen = source[target]
        elif target in columns and target not in mapping.rename and target not in mapping.drop:
            chosen = target
        else:
            chosen = ""
        fields.append(
            {
                "target": target,
                "chosen": chosen,
                "joined": joined,
                "label": LABELS.get(target, target.replace("_", " ").capitalize()),
                "main": target in MAIN_COLUMNS,
            }
        )
    return fields


def mapping_from_form(form, state: dict) -> ColumnMapping:
    """The partner's corrected mapping: each contract column from the file column chosen
    for it; a column the file names as a contract column but the partner did not choose
    is left out (dropped), so "not in the file" means it."""
    current = mapping_of(state) or ColumnMapping()
    columns = state.get("columns") or []
    rename: dict[str, str] = {}
    join: dict[str, list[str]] = {}
    used: dict[str, str] = {}
    for target in MAPPABLE_COLUMNS:
        value = str(form.get(f"map.{target}") or "")
        if not value:
            continue
        parts = value[len(JOIN) :].split("|") if value.startswith(JOIN) else [value]
        for part in parts:
            if part not in columns:
                raise ConfigError(f"{part!r} is not a column of the file.")
            if part in used:
                raise ConfigError(
                    f"column {part!r} is chosen for both {used[part]!r} and "
                    f"{target!r}; choose it for one of them."
                )
            used[part] = target
        if len(parts) > 1:
            join[target] = parts
        elif parts[0] != target:
            rename[parts[0]] = target
    drop = [c for c in columns if c in MAPPABLE_COLUMNS and c not in used]
    date_format = str(form.get("date_format") or "").strip() or None
    return ColumnMapping.model_validate(
        {
            "rename": rename,
            "join": join,
            "drop": drop,
            "date_format": date_format,
            "values": {
                k: v
                for k, v in current.values.items()
                if k in set(rename.values()) | set(join) | (set(used) & set(columns))
            },
            "source": current.source,
        }
    )
