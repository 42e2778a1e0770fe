"""Who may call the service: a bearer token of the right role (``TokenStore`` in the run).

Routers declare the role they need with :func:`require` (or the ``DeskUser`` and
``PartnerUser`` annotations); the app holds the token store in ``app.state.tokens``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from linkage.service.tokens import Principal


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require(role: str):
    """A dependency: the request's bearer token must be valid and of ``role`` (else 401/403)."""

    def check(request: Request) -> Principal:
        principal = request.app.state.tokens.authenticate(bearer(request))
        if principal is None:
            raise HTTPException(
                401, "a valid token is required", headers={"WWW-Authenticate": "Bearer"}
            )
        if principal.role != role:
            raise HTTPException(403, f"this token's role is not {role!r}")
        return principal

    return check


DeskUser = Annotated[Principal, Depends(require("desk"))]
PartnerUser = Annotated[Principal, Depends(require("partner"))]
