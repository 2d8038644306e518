"""Access to the responses captured from a real Immich v2.7.5 server."""

from __future__ import annotations

import copy
from functools import cache
import json
from pathlib import Path
from typing import Any

CAPTURES_DIR = Path(__file__).parent / "captures"


@cache
def _load(name: str) -> dict[str, Any]:
    with (CAPTURES_DIR / "v2.7.5" / f"{name}.json").open(encoding="utf-8") as file:
        data: dict[str, Any] = json.load(file)
    return data


def capture(name: str) -> dict[str, Any]:
    """Return a deep copy of a whole capture: request, status, headers and body."""
    return copy.deepcopy(_load(name))


def body(name: str) -> Any:
    """Return a deep copy of a capture's response body."""
    return copy.deepcopy(_load(name)["body"])


@cache
def permissions(spec_version: str) -> dict[str, dict[str, Any]]:
    """Return `{"METHOD /path": {"permission": str | None, "adminOnly": bool}}` from a spec."""
    with (CAPTURES_DIR / "permissions.json").open(encoding="utf-8") as file:
        data: dict[str, dict[str, dict[str, Any]]] = json.load(file)
    return data[spec_version]
