"""Control endpoint of a standalone emulator: switch release, version check and faults over HTTP.

`POST /_emulator/control` takes a JSON object with any of these keys and applies them together
(or none of them, with status 400, when one is invalid):

- `"profile": "v3.0.3"` serves another Immich release, as an upgrade or downgrade would.
- `"release_version": "v2.8.1"` or `null` sets what the version check reports (null: disabled).
- `"reported_version": [2, 6, 0]` or `null` reports another version than the profile's.
- `"clear_faults": true` removes every fault; it runs before `faults`.
- `"faults": [{"kind": "delay", "pattern": "GET /api/server/.*", "seconds": 2}]` adds faults.
- `"reset_stats": true` zeroes the request counters.
- `"socket": "open"` sets what `/api/socket.io/` does: `open` serves the socket, `refuse` returns
  502 with an HTML page as a proxy that blocks websockets does, `html` returns 200 with an HTML
  page, and `absent` returns 404 as a server without the endpoint.
- `"drop_sockets": true` closes every open socket, as a server restart or proxy timeout does.
- `"emit": {"event": "on_new_release", "payload": {...}, "user_id": "..."}` sends an event to
  the user's open sockets; `user_id` defaults to the admin user. It runs last.

`GET /_emulator/control` returns the current state, request and socket counters included. The server's
middleware exempts `/_emulator/` paths from authentication, faults and counting.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from .faults import Fault, FaultKind
from .library import ADMIN_USER_ID
from .profiles import PROFILES
from .server import SERVER_KEY, SOCKET_MODES, EmulatorServer

CONTROL_PATH = "/_emulator/control"
CONTROL_KEYS = frozenset(
    {
        "profile",
        "release_version",
        "reported_version",
        "clear_faults",
        "faults",
        "reset_stats",
        "socket",
        "drop_sockets",
        "emit",
    }
)
FAULT_OPTION_TYPES: dict[str, type | tuple[type, ...]] = {
    "seconds": (int, float),
    "status": int,
    "permission": str,
    "message": str,
    "remaining": int,
    "retry_after": str,
}


class ControlError(ValueError):
    """An invalid control request. The message names the key and the accepted values."""


class ControlledEmulatorServer(EmulatorServer):
    """An emulated server that also serves the control endpoint."""

    def create_app(self) -> web.Application:
        app = super().create_app()
        app.router.add_get(CONTROL_PATH, get_state)
        app.router.add_post(CONTROL_PATH, post_control)
        return app


def parse_fault(spec: dict[str, Any]) -> Fault:
    """Build a fault from its JSON form: `kind`, optional `pattern` and the fault's options."""
    if not isinstance(spec, dict):
        raise ControlError(f"a fault must be a JSON object, got {spec!r}")
    options = dict(spec)
    kind_text = options.pop("kind", None)
    try:
        kind = FaultKind(kind_text)
    except ValueError:
        kinds = ", ".join(kind.value for kind in FaultKind)
        raise ControlError(f"invalid fault kind {kind_text!r}, expected one of {kinds}") from None

    pattern = options.pop("pattern", ".*")
    if not isinstance(pattern, str):
        raise ControlError(f"fault pattern must be a string, got {pattern!r}")
    try:
        re.compile(pattern)
    except re.error as err:
        raise ControlError(f"invalid fault pattern {pattern!r}: {err}") from None
    for name, value in options.items():
        expected = FAULT_OPTION_TYPES.get(name)
        if expected is None:
            allowed = ", ".join(["kind", "pattern", *FAULT_OPTION_TYPES])
            raise ControlError(f"unknown fault option {name!r}, expected {allowed}")
        if isinstance(value, bool) or not isinstance(value, expected):
            raise ControlError(f"invalid value {value!r} for fault option {name!r}")
    return Fault(kind, pattern, **options)


def _parse_version(value: Any) -> tuple[int, int, int] | None:
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 3
        and all(isinstance(part, int) and not isinstance(part, bool) for part in value)
    ):
        return (value[0], value[1], value[2])
    raise ControlError(f"reported_version must be [major, minor, patch] or null, got {value!r}")


def _parse_emit(server: EmulatorServer, value: Any) -> tuple[str, str, Any] | None:
    """Return the user id, event name and payload of an `emit` request."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ControlError(f"emit must be a JSON object, got {value!r}")
    unknown = set(value) - {"event", "payload", "user_id"}
    if unknown:
        raise ControlError(f"unknown emit keys {sorted(unknown)}, expected event, payload, user_id")
    event = value.get("event")
    if not isinstance(event, str) or not event:
        raise ControlError(f"emit.event must be a non-empty string, got {event!r}")
    user_id = value.get("user_id", ADMIN_USER_ID)
    if user_id not in server.library.users:
        raise ControlError(
            f"unknown emit.user_id {user_id!r}, expected one of {sorted(server.library.users)}"
        )
    return user_id, event, value.get("payload")


async def apply_control(server: EmulatorServer, request: dict[str, Any]) -> None:
    """Validate a control request completely, then apply it to the server."""
    unknown = set(request) - CONTROL_KEYS
    if unknown:
        raise ControlError(
            f"unknown keys {sorted(unknown)}, expected some of {sorted(CONTROL_KEYS)}"
        )

    profile = request.get("profile")
    if "profile" in request and profile not in PROFILES:
        raise ControlError(f"unknown profile {profile!r}, expected one of {sorted(PROFILES)}")

    release_version = request.get("release_version")
    if release_version is not None and not isinstance(release_version, str):
        raise ControlError(f"release_version must be a string or null, got {release_version!r}")

    reported_version = _parse_version(request.get("reported_version"))

    fault_specs = request.get("faults", [])
    if not isinstance(fault_specs, list):
        raise ControlError(f"faults must be a list, got {fault_specs!r}")
    faults = [parse_fault(spec) for spec in fault_specs]

    socket_mode = request.get("socket", server.socket_mode)
    if socket_mode not in SOCKET_MODES:
        raise ControlError(f"invalid socket mode {socket_mode!r}, expected one of {SOCKET_MODES}")
    drop_sockets = request.get("drop_sockets", False)
    if not isinstance(drop_sockets, bool):
        raise ControlError(f"drop_sockets must be true or false, got {drop_sockets!r}")
    emit = _parse_emit(server, request.get("emit"))

    if "profile" in request:
        server.set_profile(request["profile"])
    if "release_version" in request:
        server.library.release_version = release_version
    if "reported_version" in request:
        server.reported_version = reported_version
    if request.get("clear_faults"):
        server.faults.clear()
    for fault in faults:
        server.faults.add(fault)
    if request.get("reset_stats"):
        server.stats.reset()
    server.socket_mode = socket_mode
    if drop_sockets:
        await server.drop_sockets()
    if emit is not None:
        server.emit_event(*emit)


def describe(server: EmulatorServer) -> dict[str, Any]:
    """Return the state that the control endpoint can change, plus the request counters."""
    return {
        "profile": server.profile.name,
        "release_version": server.library.release_version,
        "reported_version": list(server.reported_version) if server.reported_version else None,
        "faults": [
            {
                "kind": fault.kind.value,
                "pattern": fault.pattern,
                "seconds": fault.seconds,
                "status": fault.status,
                "permission": fault.permission,
                "message": fault.message,
                "remaining": fault.remaining,
                "retry_after": fault.retry_after,
            }
            for fault in server.faults.faults
        ],
        "stats": {
            "requests": server.stats.total,
            "body_bytes": server.stats.body_bytes,
            "by_route": dict(server.stats.requests),
        },
        "socket": {
            "mode": server.socket_mode,
            "connections": server.socket_stats.connections,
            "rejected": server.socket_stats.rejected,
            "open": server.socket_stats.open,
            "events": server.socket_stats.events,
        },
    }


async def get_state(request: web.Request) -> web.Response:
    return web.json_response(describe(request.app[SERVER_KEY]))


async def post_control(request: web.Request) -> web.Response:
    server = request.app[SERVER_KEY]
    try:
        body = await request.json()
    except json.JSONDecodeError as err:
        return web.json_response({"error": f"invalid JSON body: {err}"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "the body must be a JSON object"}, status=400)
    try:
        await apply_control(server, body)
    except ControlError as err:
        return web.json_response({"error": str(err)}, status=400)
    return web.json_response(describe(server))
