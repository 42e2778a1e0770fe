"""Signed session cookies and CSRF tokens for the portal's pages (the API uses bearer tokens).

A session is a small JSON payload (who, their CSRF token, when it was issued, which token
it came from) signed with HMAC-SHA256 under a per-registry secret kept in
``RUN/service/portal.secret``. Nothing is kept server-side, so sessions survive a restart;
revoking the partner's token ends its sessions, because every request checks that a token
of that name and creation time still exists. The cookie is ``HttpOnly`` and
``SameSite=Strict`` (and ``Secure`` behind HTTPS); every form also carries the session's
CSRF token, which a POST must echo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response

from linkage.service.tokens import SERVICE_DIR, TokenStore

COOKIE = "nser_portal"
SECRET_FILE = "portal.secret"
#: A signed-in session lasts a working day; the anonymous one (sign-in form) an hour.
SESSION_SECONDS = 8 * 3600
ANONYMOUS_SECONDS = 3600


@dataclass(frozen=True)
class Session:
    """A browser's session: ``partner`` is None before sign-in."""

    partner: str | None
    csrf: str
    issued: int
    token_created: str | None = None


def load_secret(run: Path) -> bytes:
    """The registry's signing secret, made on first use (only the owner may read it)."""
    path = Path(run) / SERVICE_DIR / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it first
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Makes, reads and checks session cookies for one registry."""

    def __init__(self, run: Path, tokens: TokenStore) -> None:
        self._secret = load_secret(run)
        self._tokens = tokens

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())

    def encode(self, session: Session) -> str:
        body = _b64(
            json.dumps(
                {
                    "p": session.partner,
                    "c": session.csrf,
                    "t": session.issued,
                    "k": session.token_created,
                }
            ).encode()
        )
        return f"{body}.{self._sign(body)}"

    def decode(self, value: str | None) -> Session | None:
        """The session in a cookie, or None when absent, forged, expired or revoked."""
        if not value or "." not in value:
            return None
        body, _, signature = value.partition(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            data = json.loads(_unb64(body))
            session = Session(data["p"], data["c"], int(data["t"]), data.get("k"))
        except (ValueError, KeyError, TypeError):
            return None
        lifetime = SESSION_SECONDS if session.partner else ANONYMOUS_SECONDS
        if time.time() - session.issued > lifetime:
            return None
        if session.partner and not self._token_alive(session):
            return None
        return session

    def _token_alive(self, session: Session) -> bool:
        return any(
            t["name"] == session.partner
            and t["role"] == "partner"
            and t["created"] == session.token_created
            for t in self._tokens.listing()
        )

    def created_of(self, name: str) -> str | None:
        return next((t["created"] for t in self._tokens.listing() if t["name"] == name), None)

    @staticmethod
    def new(partner: str | None = None, token_created: str | None = None) -> Session:
        return Session(partner, secrets.token_urlsafe(24), int(time.time()), token_created)

    def of(self, request: Request) -> Session | None:
        return self.decode(request.cookies.get(COOKIE))

    def set_cookie(self, response: Response, request: Request, session: Session) -> None:
        lifetime = SESSION_SECONDS if session.partner else ANONYMOUS_SECONDS
        response.set_cookie(
            COOKIE,
            self.encode(session),
            max_age=lifetime,
            path="/portal",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    @staticmethod
    def clear_cookie(response: Response) -> None:
        response.delete_cookie(COOKIE, path="/portal", httponly=True, samesite="strict")


def csrf_ok(session: Session | None, given: str | None) -> bool:
    return bool(session and given) and hmac.compare_digest(session.csrf, str(given))
