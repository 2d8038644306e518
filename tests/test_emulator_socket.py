"""The emulator's socket.io endpoint: engine.io framing, auth, pings, events and socket modes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from typing import Any

import aiohttp
import pytest

from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, SCOPED_KEY, SECOND_USER_ID, USER_KEY
from immich_emulator.control import CONTROL_PATH, ControlledEmulatorServer
from immich_emulator.server import EmulatorServer

SOCKET_QUERY = "?EIO=4&transport=websocket"
SOCKET = "/api/socket.io/" + SOCKET_QUERY
RECEIVE_TIMEOUT = 3.0
UPLOAD_FIELDS = {
    "deviceAssetId": "socket-test",
    "deviceId": "pytest",
    "fileCreatedAt": "2026-12-04T20:30:00.000Z",
    "fileModifiedAt": "2026-12-04T20:30:00.000Z",
}


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[ControlledEmulatorServer]:
    emulator = ControlledEmulatorServer("v2.7.5")
    emulator.upload_event_delay = 0
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
        yield client


async def connect(
    session: aiohttp.ClientSession, server: EmulatorServer, key: str | None = ADMIN_KEY
) -> aiohttp.ClientWebSocketResponse:
    headers = {"x-api-key": key} if key else {}
    return await session.ws_connect(server.url + SOCKET, headers=headers)


async def receive(websocket: aiohttp.ClientWebSocketResponse) -> str:
    message = await websocket.receive(timeout=RECEIVE_TIMEOUT)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    return str(message.data)


async def receive_event(websocket: aiohttp.ClientWebSocketResponse) -> tuple[str, Any]:
    """Return the next event's name and payload, sending a pong for each ping on the way."""
    while True:
        frame = await receive(websocket)
        if frame == "2":
            await websocket.send_str("3")
            continue
        assert frame.startswith("42"), frame
        name, payload = json.loads(frame[2:])
        return name, payload


async def joined(
    session: aiohttp.ClientSession, server: EmulatorServer, key: str = ADMIN_KEY
) -> aiohttp.ClientWebSocketResponse:
    """Open a socket, join the default namespace and read the connect events."""
    websocket = await connect(session, server, key)
    await receive(websocket)
    await websocket.send_str("40")
    assert (await receive(websocket)).startswith("40{")
    assert (await receive_event(websocket))[0] == "on_server_version"
    assert (await receive_event(websocket))[0] == "on_new_release"
    return websocket


async def upload(session: aiohttp.ClientSession, server: EmulatorServer, content: bytes) -> Any:
    form = aiohttp.FormData(UPLOAD_FIELDS)
    form.add_field("assetData", content, filename="event.jpg", content_type="image/jpeg")
    async with session.post(
        server.url + "/api/assets", data=form, headers={"x-api-key": ADMIN_KEY}
    ) as response:
        return response.status, await response.json()


async def test_handshake_frames(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession
) -> None:
    websocket = await connect(session, server)
    opening = await receive(websocket)
    assert opening.startswith("0")
    handshake = json.loads(opening[1:])
    assert set(handshake) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    assert len(handshake["sid"]) == 20
    assert handshake["upgrades"] == []
    assert handshake["pingInterval"] == 25000
    assert handshake["pingTimeout"] == 20000
    assert handshake["maxPayload"] == 1000000

    await websocket.send_str("40")
    connected = await receive(websocket)
    assert connected.startswith("40")
    assert set(json.loads(connected[2:])) == {"sid"}
    name, version = await receive_event(websocket)
    assert name == "on_server_version"
    assert version == {
        "options": {},
        "loose": False,
        "includePrerelease": False,
        "raw": "2.7.5",
        "major": 2,
        "minor": 7,
        "patch": 5,
        "prerelease": [],
        "build": [],
        "version": "2.7.5",
    }
    name, release = await receive_event(websocket)
    assert name == "on_new_release"
    assert release["isAvailable"] is True
    assert release["releaseVersion"] == {"major": 2, "minor": 8, "patch": 1}
    assert server.socket_stats.connections == 1
    assert server.socket_stats.open == 1
    await websocket.close()


async def test_connect_without_version_check(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession
) -> None:
    server.library.release_version = None
    websocket = await connect(session, server)
    await receive(websocket)
    await websocket.send_str("40")
    await receive(websocket)
    assert (await receive_event(websocket))[0] == "on_server_version"
    server.emit_event(ADMIN_USER_ID, "probe", 1)
    assert await receive_event(websocket) == ("probe", 1)
    await websocket.close()


@pytest.mark.parametrize("key", [None, "not-a-key"])
async def test_bad_key_gets_unauthorized(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession, key: str | None
) -> None:
    websocket = await connect(session, server, key)
    await receive(websocket)
    await websocket.send_str("40")
    assert (await receive(websocket)).startswith("40{")
    assert await receive(websocket) == '42["error","unauthorized"]'
    assert await receive(websocket) == "41"
    assert server.socket_stats.rejected == 1
    assert server.socket_stats.connections == 0
    assert server.emit_event(ADMIN_USER_ID, "on_config_update", None) == 0
    await websocket.close()


async def test_scoped_key_joins(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession
) -> None:
    websocket = await joined(session, server, SCOPED_KEY)
    assert server.emit_event(SECOND_USER_ID, "on_config_update", None) == 1
    await websocket.close()


async def test_ping_pong_keeps_socket(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession
) -> None:
    server.socket_ping_interval = 0.05
    server.socket_ping_timeout = 0.5
    websocket = await connect(session, server)
    await receive(websocket)
    for _ in range(3):
        assert await receive(websocket) == "2"
        await websocket.send_str("3")
    assert not websocket.closed
    await websocket.close()


async def test_missing_pong_closes_socket(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession
) -> None:
    server.socket_ping_interval = 0.05
    server.socket_ping_timeout = 0.1
    websocket = await connect(session, server)
    await receive(websocket)
    assert await receive(websocket) == "2"
    message = await websocket.receive(timeout=RECEIVE_TIMEOUT)
    assert message.type is aiohttp.WSMsgType.CLOSE


async def test_namespace_disconnect_ends_socket(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession
) -> None:
    websocket = await joined(session, server)
    await websocket.send_str("41")
    message = await websocket.receive(timeout=RECEIVE_TIMEOUT)
    assert message.type is aiohttp.WSMsgType.CLOSE
    for _ in range(50):
        if server.socket_stats.open == 0:
            break
        await asyncio.sleep(0.01)
    assert server.socket_stats.open == 0


async def test_events_reach_only_their_user(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession
) -> None:
    admin = await joined(session, server)
    user = await joined(session, server, USER_KEY)
    assert server.emit_event(SECOND_USER_ID, "on_asset_trash", ["x"]) == 1
    assert await receive_event(user) == ("on_asset_trash", ["x"])
    assert server.emit_event(ADMIN_USER_ID, "on_asset_delete", "y") == 1
    assert await receive_event(admin) == ("on_asset_delete", "y")
    await admin.close()
    await user.close()


async def test_upload_sends_events(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession
) -> None:
    websocket = await joined(session, server)
    status, body = await upload(session, server, b"\xff\xd8 socket upload")
    assert status == 201

    name, asset = await receive_event(websocket)
    assert name == "on_upload_success"
    assert asset["id"] == body["id"]
    assert asset["ownerId"] == ADMIN_USER_ID
    assert asset["originalFileName"] == "event.jpg"
    assert asset["exifInfo"]["fileSizeInByte"] == 16
    assert asset["unassignedFaces"] == []
    name, ready = await receive_event(websocket)
    assert name == "AssetUploadReadyV1"
    assert set(ready) == {"asset", "exif"}
    assert ready["asset"]["id"] == body["id"]
    assert ready["asset"]["duration"] is None
    assert ready["asset"]["deletedAt"] is None
    assert ready["exif"]["assetId"] == body["id"]

    status, duplicate = await upload(session, server, b"\xff\xd8 socket upload")
    assert status == 200
    assert duplicate["status"] == "duplicate"
    server.emit_event(ADMIN_USER_ID, "marker", None)
    assert await receive_event(websocket) == ("marker", None)
    await websocket.close()


async def test_upload_ready_absent_before_v1_136(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession
) -> None:
    server.set_profile("v1.135.0")
    server.library.release_version = None
    websocket = await connect(session, server)
    await receive(websocket)
    await websocket.send_str("40")
    await receive(websocket)
    assert (await receive_event(websocket))[0] == "on_server_version"

    status, _ = await upload(session, server, b"\xff\xd8 old release")
    assert status == 201
    assert (await receive_event(websocket))[0] == "on_upload_success"
    server.emit_event(ADMIN_USER_ID, "marker", None)
    assert await receive_event(websocket) == ("marker", None)
    await websocket.close()


async def test_v3_sends_upload_ready_v2(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession
) -> None:
    server.set_profile("v3.0.3")
    websocket = await connect(session, server)
    await receive(websocket)
    await websocket.send_str("40")
    await receive(websocket)
    assert (await receive_event(websocket))[0] == "on_server_version"
    name, release = await receive_event(websocket)
    assert name == "on_new_release"
    assert release["serverVersion"] == {"major": 3, "minor": 0, "patch": 3, "prerelease": None}

    await upload(session, server, b"\xff\xd8 v3 upload")
    assert (await receive_event(websocket))[0] == "on_upload_success"
    name, ready = await receive_event(websocket)
    assert name == "AssetUploadReadyV2"
    assert "createdAt" in ready["asset"]
    await websocket.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"code": 0, "message": "Transport unknown"}),
        ("?EIO=4&transport=polling", {"code": 0, "message": "Transport unknown"}),
        ("?EIO=4&transport=websocket", {"code": 3, "message": "Bad request"}),
        ("?EIO=4&transport=websocket&sid=abc", {"code": 1, "message": "Session ID unknown"}),
    ],
)
async def test_request_without_upgrade(
    server: ControlledEmulatorServer,
    session: aiohttp.ClientSession,
    query: str,
    expected: dict[str, Any],
) -> None:
    async with session.get(server.url + "/api/socket.io/" + query) as response:
        assert response.status == 400
        assert response.content_type == "application/json"
        assert await response.json() == expected


async def test_old_engine_protocol_rejected(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as error:
        await session.ws_connect(server.url + "/api/socket.io/?EIO=3&transport=websocket")
    assert error.value.status == 400


@pytest.mark.parametrize(
    ("mode", "status", "content_type"),
    [("refuse", 502, "text/html"), ("html", 200, "text/html"), ("absent", 404, "application/json")],
)
async def test_socket_modes(
    server: ControlledEmulatorServer,
    session: aiohttp.ClientSession,
    mode: str,
    status: int,
    content_type: str,
) -> None:
    async with session.post(server.origin + CONTROL_PATH, json={"socket": mode}) as response:
        assert response.status == 200
        assert (await response.json())["socket"]["mode"] == mode

    with pytest.raises(aiohttp.WSServerHandshakeError) as error:
        await connect(session, server)
    assert error.value.status == status
    async with session.get(server.url + SOCKET) as response:
        assert response.status == status
        assert response.content_type == content_type
    assert server.socket_stats.open == 0


async def test_control_drop_and_emit(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession
) -> None:
    websocket = await joined(session, server)
    release = {"isAvailable": True, "checkedAt": "2026-12-05T00:00:00.000Z"}
    async with session.post(
        server.origin + CONTROL_PATH,
        json={"emit": {"event": "on_new_release", "payload": release}},
    ) as response:
        assert response.status == 200
        state = await response.json()
    assert await receive_event(websocket) == ("on_new_release", release)
    assert state["socket"]["connections"] == 1
    assert state["socket"]["open"] == 1

    async with session.post(server.origin + CONTROL_PATH, json={"drop_sockets": True}) as response:
        assert response.status == 200
    message = await websocket.receive(timeout=RECEIVE_TIMEOUT)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert message.data == aiohttp.WSCloseCode.GOING_AWAY


@pytest.mark.parametrize(
    "body",
    [
        {"socket": "closed"},
        {"drop_sockets": "yes"},
        {"emit": {"payload": 1}},
        {"emit": {"event": "x", "user_id": "nobody"}},
        {"emit": {"event": "x", "room": "all"}},
    ],
)
async def test_control_rejects_invalid_socket_keys(
    server: ControlledEmulatorServer, session: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    async with session.post(server.origin + CONTROL_PATH, json=body) as response:
        assert response.status == 400
        assert "error" in await response.json()
    assert server.socket_mode == "open"


async def test_socket_under_sub_path(socket_enabled: None) -> None:
    async with (
        EmulatorServer("v2.7.5", path_prefix="/photos") as server,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
    ):
        assert server.url.endswith("/photos")
        websocket = await joined(session, server)
        await websocket.close()
        async with session.get(server.origin + SOCKET) as response:
            assert response.status == 404


async def test_server_stop_closes_sockets(socket_enabled: None) -> None:
    server = EmulatorServer("v1.89.0")
    await server.start()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        websocket = await joined(session, server)
        await server.stop()
        message = await websocket.receive(timeout=RECEIVE_TIMEOUT)
        assert message.type is aiohttp.WSMsgType.CLOSE
