"""The partner portal: pages under ``/portal``, the same as JSON under ``/api/partner``.

:func:`install` adds both to the service's app (``linkage.service.app.create_app``), with
the portal's state: the lists kept under the run (:mod:`.store`), signed sessions
(:mod:`.session`) and the one-thread matcher (:mod:`.work`), which picks up again what a
restart interrupted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from linkage.service.portal.session import Sessions
from linkage.service.portal.store import ListStore
from linkage.service.portal.work import JobRunner
from linkage.service.tokens import TokenStore

HERE = Path(__file__).parent


@dataclass
class Portal:
    registry: Path
    tokens: TokenStore
    store: ListStore
    sessions: Sessions
    runner: JobRunner
    templates: Jinja2Templates


def install(app: FastAPI) -> Portal:
    """Add the portal's routes, static files and state to ``app`` (made by create_app)."""
    from linkage.service.portal import api, pages

    registry: Path = app.state.registry
    tokens: TokenStore = app.state.tokens
    store = ListStore(registry)
    portal = Portal(
        registry=registry,
        tokens=tokens,
        store=store,
        sessions=Sessions(registry, tokens),
        runner=JobRunner(store, registry),
        templates=Jinja2Templates(directory=str(HERE / "templates")),
    )
    app.state.portal = portal
    app.include_router(pages.router)
    app.include_router(api.router)
    app.mount("/portal/static", StaticFiles(directory=str(HERE / "static")), name="portal-static")
    portal.runner.resume()
    return portal
