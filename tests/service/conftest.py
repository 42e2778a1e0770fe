"""A real service for the tests: ``nser-link serve`` in a subprocess on a free localhost port.

The tests talk to it over HTTP (httpx) as a desk or a browser would; the fixture stops it
at the end. The registry is a copy of the session's dedupe run (``tests/conftest.py``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(registry: Path, *extra: str):
    """Start ``nser-link serve`` on ``registry``; yield its base URL; stop it."""
    port = free_port()
    log = registry.parent / f"serve-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from linkage.cli import main; main()",
                "serve",
                "--registry",
                str(registry),
                "--port",
                str(port),
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited: {log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not answer /healthz within 120 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def registry(first_run, tmp_path_factory) -> Path:
    """A copy of the session's dedupe run that this module's service owns."""
    copy = tmp_path_factory.mktemp("registry") / "run"
    shutil.copytree(first_run[0], copy)
    return copy
