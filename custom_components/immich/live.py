"""Live updates: one socket.io connection per config entry, turning Immich's events into
Home Assistant events and early refreshes.

Polling carries on unchanged whether the connection is up or not. The connection only
makes counts, slideshows and the update entity follow the server sooner, and lets
automations react to uploads. A server or proxy without websockets leaves it off, logged
once per outage.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
import random
import time
from typing import Any

from homeassistant.components.diagnostics import REDACTED
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from yarl import URL

from .api import (
    ASSET_EVENT_TYPES,
    PERMANENT_REASONS,
    ImmichClient,
    ImmichLiveError,
    LiveConnection,
    LiveEvent,
    LiveEventType,
)
from .const import LOGGER
from .coordinator import (
    ImmichConfigEntry,
    ImmichServerCoordinator,
    ImmichStatisticsCoordinator,
)
from .live_data import ATTR_CONFIG_ENTRY_ID, EVENT_ASSET_UPLOADED, live_event_data

FIRST_RETRY = 2.0
"""Seconds before the first reconnection attempt; each failed attempt doubles the wait."""
MAX_RETRY = 300.0
MAX_RETRY_PERMANENT = 1800.0
"""Maximum wait after a failure that a quick retry will not fix, such as a proxy that does
not pass websockets on. The set-up may still change, but rarely."""
STABLE_CONNECTION = 10.0
"""Seconds a connection must last before its end counts as a new outage, not a failure."""
JITTER = 0.25
"""Each wait varies by up to this share, so many Home Assistant instances do not reconnect
to one server at the same moment after it restarts."""

COUNT_CHANGING_EVENTS = frozenset(
    {
        LiveEventType.UPLOADED,
        LiveEventType.TRASHED,
        LiveEventType.RESTORED,
        LiveEventType.DELETED,
        LiveEventType.HIDDEN,
    }
)


def signal_live_event(entry_id: str) -> str:
    """Dispatcher signal that carries each asset LiveEvent of an entry and its event data."""
    return f"immich_live_event_{entry_id}"


def signal_live_state(entry_id: str) -> str:
    """Dispatcher signal sent when an entry's live connection opens or closes."""
    return f"immich_live_state_{entry_id}"


class ImmichLiveUpdates:
    """Keeps the entry's live connection open and hands its events on.

    Asset events go to the entry's event entity and slideshows through the dispatcher, and
    changes to counts ask the statistics coordinator for a refresh, which its debouncer
    limits to one every few seconds during a burst of uploads.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ImmichConfigEntry,
        client: ImmichClient,
        *,
        server: ImmichServerCoordinator,
        statistics: ImmichStatisticsCoordinator,
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._client = client
        self._server = server
        self._statistics = statistics
        self._connection: LiveConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._refreshes_requested: set[str] = set()
        """Names of coordinators with a refresh request under way, so a burst of events
        creates one task per coordinator, not one per event."""
        self._refreshes_wanted_again: set[str] = set()
        """Coordinators that had events while their request was under way."""
        self._outage_logged = False
        self.connected = False
        self.last_error: str | None = None
        """Why the last connection attempt failed or the last connection ended."""
        self.connections = 0
        """Connections opened since setup."""
        self.events: Counter[str] = Counter()
        """Events received since setup, by type."""

    @callback
    def async_start(self) -> None:
        """Start connecting in the background, until the entry unloads or Home Assistant stops.

        The connection lasts as long as the entry, so it is a plain task rather than one of
        Home Assistant's background tasks. `async_block_till_done(wait_background_tasks=True)`
        waits for those, so a test or script that waits for a poll would wait forever.
        """
        self._task = asyncio.get_running_loop().create_task(
            self._async_run(), name=f"immich live updates {self._entry.title}"
        )
        self._entry.async_on_unload(self.async_stop)
        self._entry.async_on_unload(
            self._hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, self._async_handle_stop)
        )

    async def async_stop(self) -> None:
        """Close the connection and stop reconnecting."""
        task, self._task = self._task, None
        if task is None or task.done():
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            # Re-raise only when the caller itself is being cancelled, not the task.
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise

    async def _async_handle_stop(self, event: Event) -> None:
        await self.async_stop()

    async def _async_run(self) -> None:
        delay = FIRST_RETRY
        try:
            while True:
                connection = self._client.live_connection(self._async_handle_event)
                self._connection = connection
                try:
                    await connection.async_connect()
                except ImmichLiveError as err:
                    permanent = err.reason in PERMANENT_REASONS
                    wait = _jittered(delay)
                    self._async_report_failure(str(err), wait)
                    await asyncio.sleep(wait)
                    delay = min(delay * 2, MAX_RETRY_PERMANENT if permanent else MAX_RETRY)
                    continue

                opened = time.monotonic()
                self._async_set_connected(True)
                reason = await connection.async_wait_closed()
                await connection.async_close()
                self._async_set_connected(False)
                self.last_error = f"The connection ended: {reason}"
                if time.monotonic() - opened >= STABLE_CONNECTION:
                    delay = FIRST_RETRY
                LOGGER.debug(
                    "Live updates from Immich server %s ended: %s", self._entry.title, reason
                )
                await asyncio.sleep(_jittered(delay))
                delay = min(delay * 2, MAX_RETRY)
        finally:
            current, self._connection = self._connection, None
            if current is not None:
                await current.async_close()
            self.connected = False

    @callback
    def _async_report_failure(self, message: str, wait: float) -> None:
        self.last_error = message
        if self._outage_logged:
            LOGGER.debug(
                "Live updates from Immich server %s are still unavailable: %s. Retrying in %.0f s",
                self._entry.title,
                message,
                wait,
            )
            return
        self._outage_logged = True
        LOGGER.warning(
            "Live updates from Immich server %s are unavailable: %s. Polling carries on; "
            "retrying in %.0f s",
            self._entry.title,
            message,
            wait,
        )

    @callback
    def _async_set_connected(self, connected: bool) -> None:
        self.connected = connected
        if connected:
            self.connections += 1
            self.last_error = None
            if self._outage_logged:
                self._outage_logged = False
                LOGGER.info("Live updates from Immich server %s are back", self._entry.title)
            if self.connections > 1:
                # Events sent while the socket was down are lost, so counts are read again.
                self._async_request_refresh(self._statistics)
        async_dispatcher_send(self._hass, signal_live_state(self._entry.entry_id))

    @callback
    def _async_handle_event(self, event: LiveEvent) -> None:
        self.events[event.type] += 1
        if event.type in ASSET_EVENT_TYPES:
            data = live_event_data(self._hass, self._entry, event)
            async_dispatcher_send(self._hass, signal_live_event(self._entry.entry_id), event, data)
            if event.type is LiveEventType.UPLOADED:
                self._hass.bus.async_fire(
                    EVENT_ASSET_UPLOADED, {**data, ATTR_CONFIG_ENTRY_ID: self._entry.entry_id}
                )
        if event.type in COUNT_CHANGING_EVENTS:
            self._async_request_refresh(self._statistics)
        elif event.type is LiveEventType.NEW_RELEASE:
            self._async_request_refresh(self._server)
        elif event.type is LiveEventType.SERVER_VERSION:
            known = self._server.data.version if self._server.data else None
            if event.version != known:
                self._async_request_refresh(self._server)

    @callback
    def _async_request_refresh(
        self, coordinator: ImmichServerCoordinator | ImmichStatisticsCoordinator
    ) -> None:
        """Ask for a refresh; the coordinator's debouncer spaces them by its cooldown."""
        name = coordinator.name
        if name in self._refreshes_requested:
            self._refreshes_wanted_again.add(name)
            return
        self._refreshes_requested.add(name)

        async def request() -> None:
            try:
                # An event during a running refresh may not be in its data, so this
                # requests another refresh, which the debouncer runs after its cooldown.
                while True:
                    self._refreshes_wanted_again.discard(name)
                    await coordinator.async_request_refresh()
                    if name not in self._refreshes_wanted_again:
                        break
            finally:
                self._refreshes_requested.discard(name)

        self._entry.async_create_background_task(
            self._hass, request(), name=f"immich live refresh {coordinator.name}"
        )

    def as_diagnostics(self) -> dict[str, Any]:
        """Return the connection's state, with the server's address redacted from errors."""
        last_error = self.last_error
        if last_error is not None:
            host = URL(self._client.server_url).host
            last_error = last_error.replace(self._client.server_url, REDACTED)
            if host:
                last_error = last_error.replace(host, REDACTED)
        return {
            "connected": self.connected,
            "connections": self.connections,
            "last_error": last_error,
            "events": dict(self.events),
        }


def _jittered(seconds: float, uniform: Callable[[float, float], float] = random.uniform) -> float:
    return seconds * uniform(1 - JITTER, 1 + JITTER)
