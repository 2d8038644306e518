"""Watchers of the live updates benchmark (the event entity's fires, the live updates
sensor's changes) and uploads through the emulator's HTTP API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import os
import time

from aiohttp import ClientSession, FormData
from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event

from custom_components.immich.live_data import ATTR_ASSET_ID, EVENT_ASSET_UPLOADED
from immich_emulator import ADMIN_KEY

UPLOAD_BYTES = 64 * 1024
JPEG_START = b"\xff\xd8\xff\xe0"
UPLOADED = "uploaded"


class Waitable:
    """Wakes waiters after each change, so that they can check their condition again."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()

    @callback
    def _notify(self) -> None:
        self._changed.set()

    async def async_wait(
        self, condition: Callable[[], bool], seconds: float, description: str
    ) -> None:
        """Wait until `condition()` is true; raise TimeoutError with `description` after
        `seconds`."""
        try:
            async with asyncio.timeout(seconds):
                while not condition():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(f"timed out after {seconds:g} s waiting for {description}") from None


class UploadFires(Waitable):
    """Records the `time.perf_counter()` of each `uploaded` state change, by asset id."""

    def __init__(self, hass: HomeAssistant, entity_id: str) -> None:
        super().__init__()
        self.times: dict[str, float] = {}
        self.fires = 0
        """State changes with event type `uploaded`, asset ids repeated or not."""
        self.bus_events = 0
        self._unsubscribe = [
            async_track_state_change_event(hass, [entity_id], self._handle_state_change),
            hass.bus.async_listen(EVENT_ASSET_UPLOADED, self._handle_bus_event),
        ]

    @callback
    def _handle_state_change(self, event: Event[EventStateChangedData]) -> None:
        fired = time.perf_counter()
        state = event.data["new_state"]
        if state is None or state.attributes.get(ATTR_EVENT_TYPE) != UPLOADED:
            return
        self.fires += 1
        self.times[state.attributes[ATTR_ASSET_ID]] = fired
        self._notify()

    @callback
    def _handle_bus_event(self, event: Event) -> None:
        self.bus_events += 1

    async def async_wait_fired(self, asset_id: str, seconds: float) -> float:
        """Wait until the entity fires for an asset; return when it did."""
        await self.async_wait(
            lambda: asset_id in self.times, seconds, f"the event entity to fire for {asset_id}"
        )
        return self.times[asset_id]

    @callback
    def async_stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()


class StateChanges(Waitable):
    """Records each new state of one entity with its `time.perf_counter()`."""

    def __init__(self, hass: HomeAssistant, entity_id: str) -> None:
        super().__init__()
        self.changes: list[tuple[str, float]] = []
        self._unsubscribe = async_track_state_change_event(
            hass, [entity_id], self._handle_state_change
        )

    @callback
    def _handle_state_change(self, event: Event[EventStateChangedData]) -> None:
        changed = time.perf_counter()
        state = event.data["new_state"]
        if state is not None:
            self.changes.append((state.state, changed))
            self._notify()

    def first(self, state: str, after: float) -> float | None:
        """Return when the entity first changed to `state` after the time `after`."""
        return next((at for value, at in self.changes if value == state and at >= after), None)

    @callback
    def async_stop(self) -> None:
        self._unsubscribe()


async def async_upload(session: ClientSession, url: str, number: int) -> str:
    """Upload a photo of distinct random content through `POST /api/assets`; return its id."""
    form = FormData(
        {
            "deviceAssetId": f"live-benchmark-{number}",
            "deviceId": "live-benchmark",
            "fileCreatedAt": "2026-12-04T20:30:00.000Z",
            "fileModifiedAt": "2026-12-04T20:30:00.000Z",
        }
    )
    content = JPEG_START + os.urandom(UPLOAD_BYTES - len(JPEG_START))
    form.add_field(
        "assetData", content, filename=f"live-{number:05d}.jpg", content_type="image/jpeg"
    )
    async with session.post(
        f"{url}/api/assets", data=form, headers={"x-api-key": ADMIN_KEY}
    ) as response:
        body = await response.json()
    if response.status != 201 or body.get("status") != "created":
        raise AssertionError(f"upload {number} returned HTTP {response.status}: {body}")
    return str(body["id"])
