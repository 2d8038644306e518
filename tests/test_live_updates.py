"""Live updates over Immich's socket.io endpoint, against the emulator over real websockets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
import io
import logging
from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import Event, HomeAssistant
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.live_data import EVENT_ASSET_UPLOADED
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, EmulatorServer

from .generations import plural_paths, version_check
from .integration import entity_id_for, integration_records, setup_entry

pytestmark = pytest.mark.live_updates

WAIT_SECONDS = 5.0


@pytest.fixture(autouse=True)
def fast_emulator(emulator: EmulatorServer) -> None:
    """Send upload events at once and skip the version check's extra release event."""
    emulator.upload_event_delay = 0
    emulator.library.release_version = None


@pytest.fixture(autouse=True)
def fast_retry() -> Iterator[None]:
    with patch("custom_components.immich.live.FIRST_RETRY", 0.05):
        yield


async def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Let the event loop run until the condition holds, for at most WAIT_SECONDS.

    The conditions span the emulator, the socket and Home Assistant's states, with no single
    event to wait on, so this polls.
    """
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"waited {WAIT_SECONDS} s for {what}") from None


def live_state(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    entity_id = entity_id_for(hass, "binary_sensor", f"{entry.unique_id}_live_updates")
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def event_state(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    entity_id = entity_id_for(hass, "event", f"{entry.unique_id}_new_upload")
    return hass.states.get(entity_id)


async def connected_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry, emulator: EmulatorServer
) -> MockConfigEntry:
    await setup_entry(hass, config_entry)
    await wait_for(lambda: live_state(hass, config_entry) == STATE_ON, "live updates connected")
    assert emulator.socket_stats.connections == 1
    return config_entry


def jpeg_bytes(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (seed % 256, 80, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


async def upload(emulator: EmulatorServer, name: str, seed: int) -> str:
    """Upload a photo as the Immich app would, and return its asset id."""
    form = aiohttp.FormData()
    form.add_field("assetData", jpeg_bytes(seed), filename=name, content_type="image/jpeg")
    when = datetime(2020, 5, 17, 10, 30, tzinfo=UTC).isoformat()
    for field, value in {
        "deviceAssetId": f"test-{seed}",
        "deviceId": "tests",
        "fileCreatedAt": when,
        "fileModifiedAt": when,
    }.items():
        form.add_field(field, value)
    status, body = await send(emulator, "POST", "assets", data=form)
    assert status == 201, body
    asset_id: str = body["id"]
    return asset_id


async def edit(emulator: EmulatorServer, method: str, path: str, body: dict[str, Any]) -> None:
    status, response_body = await send(emulator, method, path, json=body)
    assert status < 300, response_body


async def send(emulator: EmulatorServer, method: str, path: str, **options: Any) -> tuple[int, Any]:
    """Send a request with the admin key, as the Immich app or web UI would."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, f"{emulator.url}/api/{path}", headers={"x-api-key": ADMIN_KEY}, **options
        ) as response,
    ):
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, body


def statistics_requests(emulator: EmulatorServer) -> int:
    """Return the requests for server statistics, on whichever route the release has."""
    return sum(
        count
        for route, count in emulator.stats.requests.items()
        if route.startswith("GET ") and route.endswith("/statistics") and "server" in route
    )


async def test_connects_and_sensor_shows_it(
    hass: HomeAssistant, config_entry: MockConfigEntry, emulator: EmulatorServer
) -> None:
    entry = await connected_entry(hass, config_entry, emulator)

    live = entry.runtime_data.live
    assert live is not None
    assert live.connected
    assert live.events["server_version"] == 1
    assert emulator.socket_stats.open == 1


async def test_answers_pings(
    hass: HomeAssistant, config_entry: MockConfigEntry, emulator: EmulatorServer
) -> None:
    emulator.socket_ping_interval = 0.05
    emulator.socket_ping_timeout = 0.1
    entry = await connected_entry(hass, config_entry, emulator)

    # Ten ping intervals: the server closes a client that sends no pong within two.
    await asyncio.sleep(0.5)

    assert live_state(hass, entry) == STATE_ON
    assert emulator.socket_stats.connections == 1


@plural_paths
async def test_upload_fires_entity_and_bus_event(
    hass: HomeAssistant, config_entry: MockConfigEntry, emulator: EmulatorServer
) -> None:
    entry = await connected_entry(hass, config_entry, emulator)
    bus_events: list[Event] = []
    hass.bus.async_listen(EVENT_ASSET_UPLOADED, bus_events.append)

    asset_id = await upload(emulator, "garden.jpg", seed=1)
    await wait_for(lambda: len(bus_events) == 1, "the upload's bus event")

    state = event_state(hass, entry)
    assert state.attributes["event_type"] == "uploaded"
    assert state.attributes["asset_id"] == asset_id
    assert state.attributes["file_name"] == "garden.jpg"
    assert state.attributes["type"] == "image"
    assert state.attributes["taken_at"].startswith("2020-05-17T10:30:00")
    assert state.attributes["url"].startswith(f"/immich/{entry.unique_id}/{asset_id}/preview/")
    assert "authSig=" in state.attributes["url"]

    data = bus_events[0].data
    assert data["config_entry_id"] == entry.entry_id
    assert {key: data[key] for key in ("asset_id", "file_name", "url")} == {
        "asset_id": asset_id,
        "file_name": "garden.jpg",
        "url": state.attributes["url"],
    }


@plural_paths
async def test_url_of_upload_event_shows_the_photo(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    emulator: EmulatorServer,
    hass_client_no_auth: Any,
) -> None:
    await connected_entry(hass, config_entry, emulator)
    bus_events: list[Event] = []
    hass.bus.async_listen(EVENT_ASSET_UPLOADED, bus_events.append)

    await upload(emulator, "porch.jpg", seed=2)
    await wait_for(lambda: len(bus_events) == 1, "the upload's bus event")

    client = await hass_client_no_auth()
    response = await client.get(bus_events[0].data["url"])
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("image/")


@plural_paths
@pytest.mark.parametrize(
    ("method", "path", "body", "event_type", "field"),
    [
        ("PUT", "assets", {"isFavorite": True}, "updated", "asset_id"),
        ("DELETE", "assets", {}, "trashed", "asset_ids"),
        ("DELETE", "assets", {"force": True}, "deleted", "asset_ids"),
    ],
)
async def test_asset_changes_fire_their_event_types(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    emulator: EmulatorServer,
    method: str,
    path: str,
    body: dict[str, Any],
    event_type: str,
    field: str,
) -> None:
    entry = await connected_entry(hass, config_entry, emulator)
    asset_id = await upload(emulator, "kitchen.jpg", seed=3)
    await wait_for(
        lambda: event_state(hass, entry).attributes.get("event_type") == "uploaded", "upload"
    )

    await edit(emulator, method, path, {"ids": [asset_id], **body})
    await wait_for(
        lambda: event_state(hass, entry).attributes.get("event_type") == event_type, event_type
    )

    value = event_state(hass, entry).attributes[field]
    assert value == (asset_id if field == "asset_id" else [asset_id])


@plural_paths
async def test_restore_fires_restored(
    hass: HomeAssistant, config_entry: MockConfigEntry, emulator: EmulatorServer
) -> None:
    entry = await connected_entry(hass, config_entry, emulator)
    asset_id = await upload(emulator, "attic.jpg", seed=4)
    await edit(emulator, "DELETE", "assets", {"ids": [asset_id]})
    await wait_for(
        lambda: event_state(hass, entry).attributes.get("event_type") == "trashed", "trash"
    )

    await edit(emulator, "POST", "trash/restore/assets", {"ids": [asset_id]})
    await wait_for(
        lambda: event_state(hass, entry).attributes.get("event_type") == "restored", "restore"
    )
    assert event_state(hass, entry).attributes["asset_ids"] == [asset_id]


@plural_paths
async def test_upload_refreshes_counts_before_the_next_poll(
    hass: HomeAssistant, config_entry: MockConfigEntry, emulator: EmulatorServer
) -> None:
    entry = await connected_entry(hass, config_entry, emulator)
    photos = entity_id_for(hass, "sensor", f"{entry.unique_id}_photos_count")
    before = int(hass.states.get(photos).state)  # type: ignore[union-attr]

    await upload(emulator, "balcony.jpg", seed=5)

    await wait_for(
        lambda: int(hass.states.get(photos).state) == before + 1,  # type: ignore[union-attr]
        "the photo count to include the upload",
    )


async def test_upload_burst_refreshes_counts_at_most_twice(
    hass: HomeAssistant, config_entry: MockConfigEntry, emulator: EmulatorServer
) -> None:
    entry = await connected_entry(hass, config_entry, emulator)
    live = entry.runtime_data.live
    assert live is not None
    template = dict(next(iter(emulator.library.assets.values())))
    before = statistics_requests(emulator)

    for index in range(1000):
        payload = {**template, "id": f"00000000-0000-4000-8000-{index:012d}"}
        emulator.emit_event(ADMIN_USER_ID, "on_upload_success", payload)
    await wait_for(lambda: live.events["uploaded"] == 1000, "all 1000 upload events")
    await asyncio.sleep(0.2)

    # One refresh at the first event. The debouncer delays the rest by its cooldown (5 s),
    # then runs at most one more.
    refreshes = statistics_requests(emulator) - before
    assert 1 <= refreshes <= 2


async def test_reconnects_after_the_server_drops_the_socket(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await connected_entry(hass, config_entry, emulator)
    statistics_before = statistics_requests(emulator)

    with caplog.at_level(logging.DEBUG, logger="custom_components.immich"):
        await emulator.drop_sockets()
        await wait_for(lambda: emulator.socket_stats.connections == 2, "a second connection")
        await wait_for(lambda: live_state(hass, entry) == STATE_ON, "live updates again")
        # Events sent while the socket was down are lost, so counts are read again.
        await wait_for(
            lambda: statistics_requests(emulator) > statistics_before, "a statistics refresh"
        )

    assert emulator.socket_stats.open == 1
    # One dropped socket that reconnects at once is no outage worth a warning.
    assert not integration_records(caplog)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("refuse", "may not pass websocket upgrades on"),
        ("html", "may not pass websocket upgrades on"),
        ("absent", "has no socket.io endpoint"),
    ],
)
async def test_proxy_without_websockets_leaves_polling_alone(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    expected: str,
) -> None:
    emulator.socket_mode = mode
    await setup_entry(hass, config_entry)
    live = config_entry.runtime_data.live
    assert live is not None

    await wait_for(lambda: live.last_error is not None, "a failed connection attempt")
    await asyncio.sleep(0.3)

    assert live_state(hass, config_entry) == STATE_OFF
    warnings = integration_records(caplog)
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert expected in warnings[0].getMessage()
    assert ADMIN_KEY not in caplog.text
    photos = entity_id_for(hass, "sensor", f"{config_entry.unique_id}_photos_count")
    assert hass.states.get(photos).state.isdigit()  # type: ignore[union-attr]

    diagnostics_error = live.as_diagnostics()["last_error"]
    assert "127.0.0.1" not in diagnostics_error
    assert "**REDACTED**" in diagnostics_error

    emulator.socket_mode = "open"
    with patch("custom_components.immich.live.MAX_RETRY_PERMANENT", 0.1):
        await wait_for(lambda: live_state(hass, config_entry) == STATE_ON, "recovery")
    assert "are back" in caplog.text


async def test_rejected_key_on_socket_never_counts_as_connected(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await connected_entry(hass, config_entry, emulator)
    live = config_entry.runtime_data.live
    assert live is not None
    states: list[str] = []
    entity_id = entity_id_for(hass, "binary_sensor", f"{config_entry.unique_id}_live_updates")
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            states.append(event.data["new_state"].state)
            if event.data["entity_id"] == entity_id
            else None
        ),
    )
    emulator.library.keys.pop(ADMIN_KEY)

    await emulator.drop_sockets()
    await wait_for(lambda: emulator.socket_stats.rejected >= 2, "rejected sockets")

    # Immich joins the socket before it checks the key; the sensor must not flap on and off.
    assert states == [STATE_OFF]
    assert "unauthorized" in (live.last_error or "")
    warnings = integration_records(caplog)
    assert len(warnings) == 1
    assert "closed the connection: the server sent an error: unauthorized" in (
        warnings[0].getMessage()
    )


@version_check
async def test_new_release_refreshes_update_entity(
    hass: HomeAssistant, config_entry: MockConfigEntry, emulator: EmulatorServer
) -> None:
    await connected_entry(hass, config_entry, emulator)
    route = "GET /api/server/version-check"
    before = emulator.stats.requests[route]

    emulator.emit_event(
        ADMIN_USER_ID,
        "on_new_release",
        {"isAvailable": True, "checkedAt": "2026-12-05T00:00:00Z", "releaseVersion": "v2.8.1"},
    )

    await wait_for(lambda: emulator.stats.requests[route] > before, "a version check")


async def test_unload_closes_the_socket(
    hass: HomeAssistant, config_entry: MockConfigEntry, emulator: EmulatorServer
) -> None:
    await connected_entry(hass, config_entry, emulator)

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.NOT_LOADED
    await wait_for(lambda: emulator.socket_stats.open == 0, "the socket to close")
    await asyncio.sleep(0.2)
    assert emulator.socket_stats.connections == 1
