"""The websocket handler: engine.io v4 framing, socket.io's default namespace, Immich's auth.

Immich's gateway (`server/src/repositories/websocket.repository.ts`) allows only the websocket
transport at `/api/socket.io`. A socket authenticates when it joins the default namespace: with
a valid key it joins its user's room, and Immich sends `on_server_version` (and
`on_new_release` once a version check has run) to that room. With a missing or invalid key
Immich emits `error` with `unauthorized` and disconnects the namespace, but leaves the
websocket open.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from ..faults import HTML_PAGE
from . import payloads
from .hub import SocketConnection

if TYPE_CHECKING:
    from ..server import EmulatorServer

_LOGGER = logging.getLogger(__name__)

SOCKET_PATH = "/api/socket.io/"
MAX_PAYLOAD = 1_000_000
"""engine.io's default `maxHttpBufferSize`, which the open packet reports as `maxPayload`."""

OPEN, CLOSE, PING, PONG, MESSAGE = "0", "1", "2", "3", "4"
NAMESPACE_CONNECT, NAMESPACE_DISCONNECT = "0", "1"

# engine.io's protocol errors (`Server.errorMessages` in engine.io's lib/server.ts).
UNKNOWN_TRANSPORT, UNKNOWN_SID, BAD_HANDSHAKE_METHOD, BAD_REQUEST = 0, 1, 2, 3
UNSUPPORTED_PROTOCOL_VERSION = 5
ENGINE_ERROR_MESSAGES = {
    UNKNOWN_TRANSPORT: "Transport unknown",
    UNKNOWN_SID: "Session ID unknown",
    BAD_HANDSHAKE_METHOD: "Bad handshake method",
    BAD_REQUEST: "Bad request",
    UNSUPPORTED_PROTOCOL_VERSION: "Unsupported protocol version",
}

WEB_APP_PAGE = (
    b'<!doctype html>\n<html>\n<head><meta charset="utf-8"><title>Sign in</title></head>\n'
    b'<body><form method="post" action="/login"><input name="password" type="password">'
    b"</form></body>\n</html>\n"
)
"""Returned in socket mode `html`: a page where the socket should be, as a login proxy sends."""


def session_id() -> str:
    """Return a fresh id in the form of the `base64id` package that engine.io and socket.io use."""
    return base64.urlsafe_b64encode(os.urandom(15)).decode()


def _engine_error(code: int, upgrade: bool) -> web.Response:
    """Return engine.io's response to a request it rejects before the websocket opens.

    A plain request gets 400 with `{"code", "message"}`; an upgrade request gets 400 with the
    bare message as `text/html`.
    """
    message = ENGINE_ERROR_MESSAGES[code]
    if upgrade:
        return web.Response(status=400, text=message, content_type="text/html")
    return web.json_response({"code": code, "message": message}, status=400)


def _mode_response(server: EmulatorServer, request: web.Request) -> web.StreamResponse | None:
    """Return the response of socket modes other than `open`."""
    from ..server import missing_route

    if server.socket_mode == "absent":
        return missing_route(request)
    if server.socket_mode == "refuse":
        return web.Response(status=502, body=HTML_PAGE, content_type="text/html")
    if server.socket_mode == "html":
        return web.Response(status=200, body=WEB_APP_PAGE, content_type="text/html")
    return None


def _rejection(request: web.Request, upgrade: bool) -> web.Response | None:
    """Check a request in the order engine.io's `verify` and `handshake` do."""
    query = request.query
    if query.get("transport") != "websocket":
        return _engine_error(UNKNOWN_TRANSPORT, upgrade)
    if "sid" in query:
        # Sessions only live on one websocket here, so no later request can name one.
        return _engine_error(UNKNOWN_SID, upgrade)
    if request.method != "GET":
        return _engine_error(BAD_HANDSHAKE_METHOD, upgrade)
    if not upgrade:
        return _engine_error(BAD_REQUEST, upgrade)
    if query.get("EIO") != "4":
        # NOTE: engine.io rejects this after the websocket upgrade, by writing an HTTP 400
        # into the open socket. The emulator returns 400 before upgrading.
        return _engine_error(UNSUPPORTED_PROTOCOL_VERSION, upgrade)
    return None


async def socket_endpoint(request: web.Request) -> web.StreamResponse:
    from ..server import SERVER_KEY

    server = request.app[SERVER_KEY]
    mode_response = _mode_response(server, request)
    if mode_response is not None:
        return mode_response

    websocket = web.WebSocketResponse(max_msg_size=MAX_PAYLOAD)
    upgrade = websocket.can_prepare(request).ok
    rejection = _rejection(request, upgrade)
    if rejection is not None:
        return rejection

    await websocket.prepare(request)
    connection = SocketConnection(websocket)
    server.sockets.attach(connection)
    writer = asyncio.create_task(connection.write_frames())
    pinger = asyncio.create_task(_ping(server, connection))
    try:
        connection.send(OPEN + _open_packet(server))
        async for message in websocket:
            if message.type is not WSMsgType.TEXT:
                continue
            if not _handle_packet(server, request, connection, message.data):
                break
    finally:
        pinger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pinger
        server.sockets.detach(connection)
        connection.finish()
        await writer
        await websocket.close()
    return websocket


def _open_packet(server: EmulatorServer) -> str:
    interval = round(server.socket_ping_interval * 1000)
    timeout = round(server.socket_ping_timeout * 1000)
    handshake = {
        "sid": session_id(),
        "upgrades": [],
        "pingInterval": interval,
        "pingTimeout": timeout,
        "maxPayload": MAX_PAYLOAD,
    }
    return json.dumps(handshake, separators=(",", ":"))


async def _ping(server: EmulatorServer, connection: SocketConnection) -> None:
    """Ping every interval and close the socket when no pong arrives within the timeout."""
    while not connection.websocket.closed:
        await asyncio.sleep(server.socket_ping_interval)
        connection.pong.clear()
        connection.send(PING)
        try:
            await asyncio.wait_for(connection.pong.wait(), server.socket_ping_timeout)
        except TimeoutError:
            _LOGGER.debug("Socket closed: no pong within %s s", server.socket_ping_timeout)
            await connection.close()
            return


def _handle_packet(
    server: EmulatorServer, request: web.Request, connection: SocketConnection, packet: str
) -> bool:
    """Act on one engine.io packet from the client; return False to close the socket."""
    if packet == PONG:
        connection.pong.set()
        return True
    if packet == CLOSE:
        return False
    if not packet.startswith(MESSAGE):
        return True

    socket_packet = packet[1:]
    if socket_packet.startswith(NAMESPACE_CONNECT) and connection.user_id is None:
        _join(server, request, connection)
        return True
    # A client leaving the default namespace ends the socket, as socket.io clients then do.
    return not socket_packet.startswith(NAMESPACE_DISCONNECT)


def _join(server: EmulatorServer, request: web.Request, connection: SocketConnection) -> None:
    """Join the default namespace, authenticated by the upgrade request's `x-api-key`."""
    connection.send(
        MESSAGE + NAMESPACE_CONNECT + json.dumps({"sid": session_id()}, separators=(",", ":"))
    )
    key = server.library.user_for_key(request.headers.get("x-api-key"))
    if key is None:
        server.sockets.stats.rejected += 1
        connection.send(
            MESSAGE + "2" + json.dumps(["error", "unauthorized"], separators=(",", ":"))
        )
        connection.send(MESSAGE + NAMESPACE_DISCONNECT)
        return

    connection.user_id = key.user_id
    server.sockets.stats.connections += 1
    version = server.reported_version or server.profile.version
    server.emit_event(key.user_id, "on_server_version", payloads.server_version(version))
    release_version = server.library.release_version
    release = (
        payloads.new_release(server.profile, version, release_version) if release_version else None
    )
    if release is not None:
        server.emit_event(key.user_id, "on_new_release", release)


def announce_upload(server: EmulatorServer, asset_id: str) -> None:
    """Send `on_upload_success` and the upload-ready event after `upload_event_delay` seconds.

    Immich sends both when the asset's thumbnails are done, and only for assets on the
    timeline or in the archive.
    """

    async def send() -> None:
        asset = server.library.assets.get(asset_id)
        if asset is None or asset.get("visibility", "timeline") not in ("timeline", "archive"):
            return
        user_id = asset["ownerId"]
        server.emit_event(user_id, "on_upload_success", payloads.asset_json(server.profile, asset))
        ready = payloads.upload_ready(server.profile, asset)
        if ready is not None:
            server.emit_event(user_id, *ready)

    server.sockets.later(server.upload_event_delay, send)


def register_socket_routes(app: web.Application) -> None:
    # NOTE: every emulated release serves the socket. Immich's web client of v1.89 already
    # connected to `/api/socket.io`, but that release's gateway options were not read.
    app.router.add_get(SOCKET_PATH, socket_endpoint)
