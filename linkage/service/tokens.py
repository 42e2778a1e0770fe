"""Access tokens: printed once when made, kept only as a hash, each bound to one role.

A token is a random secret (``nser_`` + 43 URL-safe characters); what is stored is its
SHA-256, the name it was given and its role. A random 256-bit secret needs no salt or
slow hash: there is nothing to guess from a dictionary. Tokens live in the run's service
folder, so a token for one registry opens no other.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from linkage.errors import ConfigError

#: The service's own folder inside a run: tokens, uploads, the audit trail.
SERVICE_DIR = "service"
TOKENS_FILE = "tokens.json"
PREFIX = "nser_"
Role = Literal["desk", "partner"]
ROLES: tuple[str, ...] = ("desk", "partner")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: the token's name and role (never the token)."""

    name: str
    role: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    """The tokens of one run, in ``RUN/service/tokens.json``."""

    def __init__(self, run: Path) -> None:
        self.path = Path(run) / SERVICE_DIR / TOKENS_FILE

    def _load(self) -> list[dict]:
        if not self.path.exists():
            return []
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))["tokens"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{self.path} is not a token file of nser-link ({exc})") from exc

    def _save(self, tokens: list[dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"tokens": tokens}, fh, indent=1)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def add(self, name: str, role: str) -> str:
        """Make a token for ``name``; returns it (the only time it is ever shown)."""
        if not _NAME.match(name):
            raise ConfigError(
                f"token name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        if role not in ROLES:
            raise ConfigError(f"role {role!r}: must be one of {', '.join(ROLES)}")
        tokens = self._load()
        if any(t["name"] == name for t in tokens):
            raise ConfigError(
                f"a token named {name!r} exists already; revoke it first or choose another name"
            )
        token = PREFIX + secrets.token_urlsafe(32)
        tokens.append(
            {
                "name": name,
                "role": role,
                "sha256": digest(token),
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        self._save(tokens)
        return token

    def revoke(self, name: str) -> bool:
        tokens = self._load()
        kept = [t for t in tokens if t["name"] != name]
        if len(kept) == len(tokens):
            return False
        self._save(kept)
        return True

    def listing(self) -> list[dict]:
        """Name, role and creation time of every token (no hashes)."""
        return [{k: t[k] for k in ("name", "role", "created")} for t in self._load()]

    def authenticate(self, token: str | None) -> Principal | None:
        if not token or not token.startswith(PREFIX):
            return None
        wanted = digest(token)
        for t in self._load():
            if hmac.compare_digest(t["sha256"], wanted):
                return Principal(t["name"], t["role"])
        return None
