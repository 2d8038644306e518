"""Failures that Immich servers and their proxies showed in the field, as emulator inputs.

Each `FieldFault` puts one failure on the emulated server and takes it off again. Error
bodies follow the captures of a real Immich v2.7.5 server. Faults with no emulator fault kind
are `CannedResponse`s, served by the middleware that `CannedResponses.middleware` returns.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import json
import re
from typing import Any

from aiohttp import web

from immich_emulator import EmulatorServer
from immich_emulator.library import strip_asset

THUMBNAIL = r"^GET /api/assets/[^/]+/thumbnail$"
RANDOM_SEARCH = r"^POST /api/search/random$"
ADMIN_ONLY = r"^GET /api/(server/statistics|queues|jobs)$"
HANG_SECONDS = 1.0
"""How long a hung request waits; the soak lowers the client's request timeout below it."""
RETRY_AFTER_SECONDS = 1


@dataclass(frozen=True, slots=True)
class CannedResponse:
    """A response sent instead of the emulator's for requests that match `pattern`."""

    pattern: str
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        return re.search(self.pattern, f"{method} {path}") is not None


class CannedResponses:
    """The canned responses in force; the middleware serves the first that matches."""

    def __init__(self) -> None:
        self.active: list[CannedResponse] = []

    def middleware(self) -> Callable[..., Awaitable[web.StreamResponse]]:
        @web.middleware
        async def serve_canned(request: web.Request, handler: Any) -> web.StreamResponse:
            for canned in self.active:
                if canned.matches(request.method, request.path):
                    return web.Response(
                        status=canned.status,
                        body=json.dumps(canned.body).encode(),
                        content_type="application/json",
                        headers=canned.headers,
                    )
            response: web.StreamResponse = await handler(request)
            return response

        return serve_canned


def immich_error(status: int, message: str | list[str], error: str) -> dict[str, Any]:
    return {"message": message, "error": error, "statusCode": status, "correlationId": "soak"}


@dataclass(frozen=True, slots=True)
class FieldFault:
    """One field failure: `apply` starts it on the emulator, `clear` ends it.

    `reload` faults break the entry's setup, so the soak reloads the entry while they are on.
    """

    name: str
    apply: Callable[[EmulatorServer, CannedResponses], None]
    reload: bool = False


def _fault(kind: str, pattern: str = r"^\w+ /api/", **options: Any) -> Callable[..., None]:
    def apply(emulator: EmulatorServer, canned: CannedResponses) -> None:
        emulator.add_fault(kind, pattern, **options)

    return apply


def _canned(
    pattern: str, status: int, body: Any, headers: dict[str, str] | None = None
) -> Callable[..., None]:
    def apply(emulator: EmulatorServer, canned: CannedResponses) -> None:
        canned.active.append(CannedResponse(pattern, status, body, headers or {}))

    return apply


def _same_asset(emulator: EmulatorServer, canned: CannedResponses) -> None:
    asset = next(
        asset
        for asset in emulator.library.assets.values()
        if asset.get("type") == "IMAGE" and not asset.get("isTrashed")
    )
    canned.active.append(CannedResponse(RANDOM_SEARCH, 200, [strip_asset(asset)]))


def _version_check_nulls(emulator: EmulatorServer, canned: CannedResponses) -> None:
    emulator.library.release_version = None


def clear(emulator: EmulatorServer, canned: CannedResponses, release_version: str | None) -> None:
    """End every fault: emulator faults, canned responses and the version check's nulls."""
    emulator.faults.clear()
    canned.active.clear()
    emulator.library.release_version = release_version


FIELD_FAULTS = (
    FieldFault("502 HTML page from a proxy", _fault("html_error", status=502)),
    FieldFault("401 invalid API key", _fault("unauthorized")),
    FieldFault(
        "429 with Retry-After",
        _canned(
            r"^\w+ /api/",
            429,
            immich_error(429, "Too Many Requests", "Too Many Requests"),
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        ),
    ),
    FieldFault(
        "403 asset.view on thumbnails",
        _fault("missing_permission", THUMBNAIL, permission="asset.view"),
    ),
    FieldFault(
        "403 all on users/me at setup",
        _fault("missing_permission", r"^GET /api/users/me$", permission="all"),
        reload=True,
    ),
    FieldFault(
        "403 non-admin on statistics and queues",
        _canned(ADMIN_ONLY, 403, immich_error(403, "Forbidden", "Forbidden")),
    ),
    FieldFault("hang", _fault("hang", seconds=HANG_SECONDS)),
    FieldFault("truncated body", _fault("truncated")),
    FieldFault("malformed JSON", _fault("malformed_json")),
    FieldFault("500 JSON", _fault("server_error", status=500)),
    FieldFault(
        "400 id must be a UUID on a deleted asset",
        _canned(THUMBNAIL, 400, immich_error(400, ["id must be a UUID"], "Bad Request")),
    ),
    FieldFault("search/random returns []", _canned(RANDOM_SEARCH, 200, [])),
    FieldFault("search/random returns the same asset", _same_asset),
    FieldFault("version check with nulls", _version_check_nulls),
)
