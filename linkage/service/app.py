"""The FastAPI application of ``nser-link serve``: one registry, token access, no PII in logs.

Routers for the desk (``/api/desk``) and the partner portal (``/portal``, ``/api/partner``)
are included here; each declares the role it needs with :func:`require`. The application
never logs a request body or query string: its one log line per request is method, route
template, status and duration.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import linkage
from linkage.run_folder import open_run
from linkage.service.desk import include as include_desk
from linkage.service.portal import install as install_portal
from linkage.service.tokens import TokenStore

log = logging.getLogger("nser_link.service")

#: Sent with every response: no framing, no sniffing, no referrer, scripts only from us.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def check_registry(run: Path) -> Path:
    """``run`` must be the output folder of a dedupe or link-waves run, with its model."""
    return open_run(run).path


def create_app(registry: Path) -> FastAPI:
    """The application for one registry; routers are added by their own modules."""
    registry = check_registry(registry)
    app = FastAPI(
        title="nser-link service",
        version=linkage.__version__,
        description="Desk lookup and registration, and the partner portal, "
        "for one linked NSER registry.",
    )
    app.state.registry = registry
    app.state.tokens = TokenStore(registry)

    @app.middleware("http")
    async def headers_and_log(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        route = request.scope.get("route")
        log.info(
            "%s %s %d %.1f ms",
            request.method,
            getattr(route, "path", "-"),
            response.status_code,
            1000 * (time.perf_counter() - started),
        )
        return response

    install_portal(app)  # /portal and /api/partner (linkage/service/portal)
    include_desk(app)  # /api/desk: lookup and registration (linkage/service/desk.py)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "registry": registry.name})

    return app
