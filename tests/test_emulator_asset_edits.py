"""The emulator's asset edits: bulk update, trash, restore and delete, and the events they send."""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
from typing import Any

import aiohttp
import pytest

from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, SCOPED_KEY, USER_KEY
from immich_emulator.server import EmulatorServer

SOCKET = "/api/socket.io/?EIO=4&transport=websocket"
RECEIVE_TIMEOUT = 3.0
ADMIN_ASSET = "741ca548-ae85-46f9-9a70-2eeb4cff4eff"
USER_ASSET = "5ec0d000-0000-4000-8000-000000000001"
UNKNOWN_ASSET = "00000000-0000-4000-8000-0000000000ff"


@pytest.fixture
def profile() -> str:
    return "v2.7.5"


@pytest.fixture
async def server(socket_enabled: None, profile: str) -> AsyncIterator[EmulatorServer]:
    emulator = EmulatorServer(profile)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
        yield client


@pytest.fixture
async def events(
    server: EmulatorServer, session: aiohttp.ClientSession
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """An admin socket that joined the default namespace, past its connect events."""
    server.library.release_version = None
    websocket = await session.ws_connect(server.url + SOCKET, headers={"x-api-key": ADMIN_KEY})
    await websocket.receive(timeout=RECEIVE_TIMEOUT)
    await websocket.send_str("40")
    await websocket.receive(timeout=RECEIVE_TIMEOUT)
    assert (await next_event(websocket))[0] == "on_server_version"
    yield websocket
    await websocket.close()


async def next_event(websocket: aiohttp.ClientWebSocketResponse) -> tuple[str, Any]:
    message = await websocket.receive(timeout=RECEIVE_TIMEOUT)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    assert message.data.startswith("42"), message.data
    name, payload = json.loads(message.data[2:])
    return name, payload


async def send(
    session: aiohttp.ClientSession,
    server: EmulatorServer,
    method: str,
    path: str,
    body: Any,
    key: str = ADMIN_KEY,
) -> tuple[int, Any]:
    async with session.request(
        method, server.url + path, json=body, headers={"x-api-key": key}
    ) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None


async def search_ids(session: aiohttp.ClientSession, server: EmulatorServer) -> set[str]:
    status, body = await send(session, server, "POST", "/api/search/metadata", {"size": 1000})
    assert status == 200
    return {item["id"] for item in body["assets"]["items"]}


async def test_favorite_sends_update(
    server: EmulatorServer,
    session: aiohttp.ClientSession,
    events: aiohttp.ClientWebSocketResponse,
) -> None:
    status, body = await send(
        session, server, "PUT", "/api/assets", {"ids": [ADMIN_ASSET], "isFavorite": True}
    )
    assert status == 204
    assert body is None
    assert server.library.assets[ADMIN_ASSET]["isFavorite"] is True

    name, asset = await next_event(events)
    assert name == "on_asset_update"
    assert asset["id"] == ADMIN_ASSET
    assert asset["isFavorite"] is True
    assert "exifInfo" in asset


async def test_archive_sets_visibility(
    server: EmulatorServer,
    session: aiohttp.ClientSession,
    events: aiohttp.ClientWebSocketResponse,
) -> None:
    status, _ = await send(
        session, server, "PUT", "/api/assets", {"ids": [ADMIN_ASSET], "visibility": "archive"}
    )
    assert status == 204
    name, asset = await next_event(events)
    assert name == "on_asset_update"
    assert asset["visibility"] == "archive"
    assert asset["isArchived"] is True


@pytest.mark.parametrize("profile", ["v1.120.0"])
async def test_old_release_archives_with_is_archived(
    server: EmulatorServer, session: aiohttp.ClientSession
) -> None:
    status, _ = await send(
        session, server, "PUT", "/api/assets", {"ids": [ADMIN_ASSET], "isArchived": True}
    )
    assert status == 204
    assert server.library.assets[ADMIN_ASSET]["visibility"] == "archive"


async def test_trash_restore_and_delete(
    server: EmulatorServer,
    session: aiohttp.ClientSession,
    events: aiohttp.ClientWebSocketResponse,
) -> None:
    assert ADMIN_ASSET in await search_ids(session, server)

    status, _ = await send(session, server, "DELETE", "/api/assets", {"ids": [ADMIN_ASSET]})
    assert status == 204
    assert await next_event(events) == ("on_asset_trash", [ADMIN_ASSET])
    assert server.library.assets[ADMIN_ASSET]["isTrashed"] is True
    assert ADMIN_ASSET not in await search_ids(session, server)

    status, body = await send(
        session, server, "POST", "/api/trash/restore/assets", {"ids": [ADMIN_ASSET]}
    )
    assert status == 200
    assert body == {"count": 1}
    assert await next_event(events) == ("on_asset_restore", [ADMIN_ASSET])
    assert ADMIN_ASSET in await search_ids(session, server)

    status, _ = await send(
        session, server, "DELETE", "/api/assets", {"ids": [ADMIN_ASSET], "force": True}
    )
    assert status == 204
    assert await next_event(events) == ("on_asset_delete", ADMIN_ASSET)
    assert ADMIN_ASSET not in server.library.assets
    status, _ = await send(session, server, "GET", f"/api/assets/{ADMIN_ASSET}", None)
    assert status == 400


async def test_force_delete_sends_one_event_per_id(
    server: EmulatorServer,
    session: aiohttp.ClientSession,
    events: aiohttp.ClientWebSocketResponse,
) -> None:
    ids = [a["id"] for a in server.library.assets.values() if a["ownerId"] == ADMIN_USER_ID][:2]
    status, _ = await send(session, server, "DELETE", "/api/assets", {"ids": ids, "force": True})
    assert status == 204
    assert [await next_event(events) for _ in ids] == [("on_asset_delete", i) for i in ids]


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("PUT", "/api/assets", "asset.update"),
        ("DELETE", "/api/assets", "asset.delete"),
        ("POST", "/api/trash/restore/assets", "asset.delete"),
    ],
)
@pytest.mark.parametrize("asset_id", [UNKNOWN_ASSET, USER_ASSET])
async def test_foreign_or_unknown_ids_rejected(
    server: EmulatorServer,
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    permission: str,
    asset_id: str,
) -> None:
    status, body = await send(session, server, method, path, {"ids": [ADMIN_ASSET, asset_id]})
    assert status == 400
    assert body["message"] == f"Not found or no {permission} access"
    assert server.library.assets[ADMIN_ASSET]["isTrashed"] is False
    assert server.library.assets[USER_ASSET]["isTrashed"] is False
    assert server.socket_stats.events == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "ids must be an array"),
        ({"ids": ["not-a-uuid"]}, "each value in ids must be a UUID"),
        ({"ids": [ADMIN_ASSET], "isFavorite": "yes"}, "isFavorite must be a boolean value"),
        (
            {"ids": [ADMIN_ASSET], "visibility": "public"},
            "visibility must be one of the following values: archive, timeline, hidden, locked",
        ),
    ],
)
async def test_update_validation(
    server: EmulatorServer, session: aiohttp.ClientSession, body: dict[str, Any], message: str
) -> None:
    status, error = await send(session, server, "PUT", "/api/assets", body)
    assert status == 400
    assert error["message"] == [message]


@pytest.mark.parametrize("profile", ["v3.0.3"])
async def test_v3_validation_shape(server: EmulatorServer, session: aiohttp.ClientSession) -> None:
    status, error = await send(session, server, "DELETE", "/api/assets", {"ids": "x"})
    assert status == 400
    assert error["message"] == "Validation failed"
    assert error["errors"][0]["path"] == ["ids"]


async def test_scoped_key_lacks_delete_permission(
    server: EmulatorServer, session: aiohttp.ClientSession
) -> None:
    status, body = await send(
        session, server, "DELETE", "/api/assets", {"ids": [USER_ASSET]}, SCOPED_KEY
    )
    assert status == 403
    assert body["message"] == "Missing required permission: asset.delete"


async def test_user_edits_own_asset(server: EmulatorServer, session: aiohttp.ClientSession) -> None:
    status, _ = await send(
        session, server, "PUT", "/api/assets", {"ids": [USER_ASSET], "isFavorite": False}, USER_KEY
    )
    assert status == 204
    assert server.library.assets[USER_ASSET]["isFavorite"] is False


async def test_empty_restore_counts_zero(
    server: EmulatorServer, session: aiohttp.ClientSession
) -> None:
    status, body = await send(session, server, "POST", "/api/trash/restore/assets", {"ids": []})
    assert status == 200
    assert body == {"count": 0}


@pytest.mark.parametrize(
    ("profile", "path", "status"),
    [
        ("v1.106.1", "/api/trash/restore/assets", 204),
        ("v1.98.2", "/api/trash/restore/assets", 204),
        ("v1.89.0", "/api/asset/restore", 204),
        ("v1.89.0", "/api/trash/restore/assets", 404),
    ],
)
async def test_old_restore_paths(
    server: EmulatorServer, session: aiohttp.ClientSession, path: str, status: int
) -> None:
    response_status, _ = await send(session, server, "POST", path, {"ids": [ADMIN_ASSET]})
    assert response_status == status


@pytest.mark.parametrize(
    ("profile", "path"), [("v1.98.2", "/api/asset"), ("v2.7.5", "/api/assets")]
)
async def test_trash_path_per_release(
    server: EmulatorServer, session: aiohttp.ClientSession, path: str
) -> None:
    status, _ = await send(session, server, "DELETE", path, {"ids": [ADMIN_ASSET]})
    assert status == 204
    assert server.library.assets[ADMIN_ASSET]["isTrashed"] is True
    other = "/api/assets" if path == "/api/asset" else "/api/asset"
    status, _ = await send(session, server, "DELETE", other, {"ids": [ADMIN_ASSET]})
    assert status == 404
