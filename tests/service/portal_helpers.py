"""Shared by the portal's API and browser tests: partner tokens and waiting for a match."""

from __future__ import annotations

import time

import httpx

from linkage.service.tokens import TokenStore


def partner_tokens(registry, *names: str) -> dict[str, str]:
    store = TokenStore(registry)
    return {name: store.add(name, "partner") for name in names}


def wait_for_api(base: str, token: str, list_id: str, timeout: float = 180) -> dict:
    """Poll ``GET /api/partner/lists/{id}`` until it is neither queued nor matching."""
    deadline = time.monotonic() + timeout
    while True:
        state = httpx.get(
            f"{base}/api/partner/lists/{list_id}", headers={"Authorization": f"Bearer {token}"}
        ).json()
        if state["status"] not in ("queued", "matching", "uploaded"):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"list {list_id} still {state['status']} after {timeout} s")
        time.sleep(0.3)
