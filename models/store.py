"""Saving and loading trained models as Splink JSON (``model.json``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from splink import Linker

from linkage.errors import ConfigError


def model_json(linker: Linker) -> str:
    """The trained model as Splink's settings JSON, stable for identical models."""
    settings = linker.misc.save_model_to_json()
    return json.dumps(settings, indent=2, sort_keys=True)


def load_model(path: str | Path) -> dict:
    """A saved ``model.json``, checked enough to give a clear message if it is not one."""
    path = Path(path)
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("model file not found.", file=str(path)) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"is not a JSON model file ({exc.msg}, line {exc.lineno}).",
                          file=str(path)) from None
    if not isinstance(settings, dict) or "comparisons" not in settings:
        raise ConfigError("is not a Splink model (it has no 'comparisons').", file=str(path))
    return settings


def fingerprint(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
