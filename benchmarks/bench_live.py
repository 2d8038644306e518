"""Benchmark of live updates: from an upload on the emulator to the event entity firing.

Run it with `scripts/bench-live`. Each part sets up a real Home Assistant through
pytest-homeassistant-custom-component's `hass` fixture, adds a config entry of the emulator's
admin user with polling disabled, and waits until the live connection is open. The emulated
Immich server runs in a separate process (`benchmarks/live_emulator.py`).

1. Latency: uploads through `POST /api/assets`, one at a time, each timed until the event
   entity's state changes.
2. Bursts: 1,000 uploads whose events arrive at once, then 1,000 real uploads back to back.
   Each counts the entity's fires and the statistics refreshes, and checks the photo count
   sensor afterwards.
3. Reconnection: the emulator drops the socket; times the live updates sensor off and on.

The run prints a table and, when every part ran, rewrites benchmarks/LIVE.md (see
`live_report.py` for what each number means). It fails when a target is missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import os
import time

from aiohttp import ClientSession
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.immich.const import DOMAIN
from custom_components.immich.coordinator import LIVE_REFRESH_COOLDOWN
from custom_components.immich.helpers import entry_data
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID

from .live_emulator import LiveEmulatorControl, live_emulator_process
from .live_report import (
    DEFAULT_BURST,
    DEFAULT_UPLOADS,
    LIVE_RESULTS_KEY,
    BurstMode,
    BurstResult,
    LatencyResult,
    LiveResults,
    ReconnectResult,
    target_failures,
)
from .live_watch import StateChanges, UploadFires, async_upload

STATISTICS_ROUTE = "GET /api/server/statistics"
CONNECT_TIMEOUT = 15.0
UPLOAD_TIMEOUT = 10.0
"""Seconds one upload may take from its request to the event entity's state change."""
BURST_TIMEOUT = 60.0
SETTLE = 1.0
"""Seconds waited after a cooldown ends, for the refresh it starts to finish."""
RECONNECT_TIMEOUT = 15.0
BURST_NUMBERS = 100_000
"""First number of the back-to-back burst's uploads, after those of the latency part."""


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    """Start one emulator process for all parts; yield its URL."""
    process = live_emulator_process()
    yield process.start()
    process.stop()


@pytest.fixture
async def client_session(socket_enabled: None) -> AsyncIterator[ClientSession]:
    """Yield the session of the uploading client and of the emulator's control requests."""
    async with ClientSession() as session:
        yield session


@pytest.fixture
def results(request: pytest.FixtureRequest) -> LiveResults:
    config = request.config
    if LIVE_RESULTS_KEY not in config.stash:
        config.stash[LIVE_RESULTS_KEY] = LiveResults(
            uploads=config.getoption("--uploads", default=DEFAULT_UPLOADS),
            burst=config.getoption("--burst", default=DEFAULT_BURST),
        )
    return config.stash[LIVE_RESULTS_KEY]


class LiveEntry:
    """A loaded entry of the emulator's admin user, with its live connection open."""

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry, connect_seconds: float) -> None:
        self.hass = hass
        self.entry = entry
        self.connect_seconds = connect_seconds
        registry = er.async_get(hass)
        self.event_entity_id = _entity_id(registry, "event", f"{ADMIN_USER_ID}_new_upload")
        self.live_entity_id = _entity_id(registry, "binary_sensor", f"{ADMIN_USER_ID}_live_updates")
        self.photos_entity_id = _entity_id(registry, "sensor", f"{ADMIN_USER_ID}_photos_count")

    def photo_count(self) -> int:
        state = self.hass.states.get(self.photos_entity_id)
        assert state is not None, f"{self.photos_entity_id} has no state"
        return int(state.state)

    def is_live(self) -> bool:
        state = self.hass.states.get(self.live_entity_id)
        return state is not None and state.state == "on"


def _entity_id(registry: er.EntityRegistry, platform: str, unique_id: str) -> str:
    entity_id = registry.async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, f"no {platform} entity with unique ID {unique_id}"
    return entity_id


@pytest.fixture
async def live_entry(
    hass: HomeAssistant, socket_enabled: None, emulator_url: str
) -> AsyncIterator[LiveEntry]:
    """Set up the admin's entry with polling disabled, and wait for the live connection."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Admin User (127.0.0.1)",
        unique_id=ADMIN_USER_ID,
        data=entry_data(URL(emulator_url), ADMIN_KEY, verify_ssl=True),
        version=1,
        minor_version=2,
        pref_disable_polling=True,
    )
    entry.add_to_hass(hass)
    started = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    live = LiveEntry(hass, entry, 0.0)
    sensor = StateChanges(hass, live.live_entity_id)
    await sensor.async_wait(live.is_live, CONNECT_TIMEOUT, "the live connection to open")
    live.connect_seconds = time.perf_counter() - started
    sensor.async_stop()
    yield live

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _async_sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.perf_counter()))


async def test_upload_latency(
    live_entry: LiveEntry,
    client_session: ClientSession,
    emulator_url: str,
    results: LiveResults,
) -> None:
    hass = live_entry.hass
    control = LiveEmulatorControl(client_session, emulator_url)
    delay = await control.async_upload_event_delay()
    fires = UploadFires(hass, live_entry.event_entity_id)
    load_average = os.getloadavg()[0]
    await control.async_reset_stats()

    latencies: list[float] = []
    request_seconds: list[float] = []
    for number in range(results.uploads):
        started = time.perf_counter()
        asset_id = await async_upload(client_session, emulator_url, number)
        request_seconds.append(time.perf_counter() - started)
        fired = await fires.async_wait_fired(asset_id, UPLOAD_TIMEOUT)
        latencies.append(fired - started)
    first_fire = min(fires.times.values())
    last_fire = max(fires.times.values())

    await _async_sleep_until(last_fire + LIVE_REFRESH_COOLDOWN + SETTLE)
    refreshes = await control.async_requests(STATISTICS_ROUTE)
    fires.async_stop()

    results.latency = LatencyResult(
        latencies=latencies,
        request_seconds=request_seconds,
        upload_event_delay=delay,
        span=last_fire - first_fire,
        refreshes=refreshes,
        connect_seconds=live_entry.connect_seconds,
        load_average=load_average,
    )
    assert fires.fires == results.uploads, "the event entity fired more than once per upload"
    assert not target_failures(results), target_failures(results)


async def _async_upload_burst(
    mode: BurstMode, count: int, control: LiveEmulatorControl, session: ClientSession, url: str
) -> list[str]:
    if mode is BurstMode.AT_ONCE:
        return await control.async_add_photos(count)
    return [await async_upload(session, url, BURST_NUMBERS + number) for number in range(count)]


@pytest.mark.parametrize("mode", list(BurstMode), ids=[mode.name.lower() for mode in BurstMode])
async def test_upload_burst(
    live_entry: LiveEntry,
    client_session: ClientSession,
    emulator_url: str,
    results: LiveResults,
    mode: BurstMode,
) -> None:
    hass = live_entry.hass
    control = LiveEmulatorControl(client_session, emulator_url)
    delay = await control.async_upload_event_delay()
    statistics = live_entry.entry.runtime_data.statistics
    coordinator_updates = 0

    def count_update() -> None:
        nonlocal coordinator_updates
        coordinator_updates += 1

    remove_listener = statistics.async_add_listener(count_update)
    fires = UploadFires(hass, live_entry.event_entity_id)
    photos_before = live_entry.photo_count()
    load_average = os.getloadavg()[0]
    await control.async_reset_stats()

    started = time.perf_counter()
    asset_ids = await _async_upload_burst(
        mode, results.burst, control, client_session, emulator_url
    )
    await fires.async_wait(
        lambda: fires.fires >= results.burst,
        BURST_TIMEOUT,
        f"the event entity to fire {results.burst} times",
    )
    first_fire = min(fires.times.values())
    last_fire = max(fires.times.values())

    await _async_sleep_until(last_fire + LIVE_REFRESH_COOLDOWN + SETTLE)
    refreshes = await control.async_requests(STATISTICS_ROUTE)
    remove_listener()
    fires.async_stop()

    results.bursts[mode] = BurstResult(
        mode=mode,
        uploads=results.burst,
        entity_fires=fires.fires,
        bus_events=fires.bus_events,
        upload_event_delay=delay,
        first_fire=first_fire - started,
        last_fire=last_fire - started,
        refreshes=refreshes,
        coordinator_updates=coordinator_updates,
        photos_before=photos_before,
        photos_after=live_entry.photo_count(),
        load_average=load_average,
    )
    assert set(fires.times) == set(asset_ids), "the fires name other assets than the burst's"
    assert fires.bus_events == results.burst, "bus events differ from the burst's uploads"
    assert not target_failures(results), target_failures(results)


async def test_reconnect(
    live_entry: LiveEntry,
    client_session: ClientSession,
    emulator_url: str,
    results: LiveResults,
) -> None:
    hass = live_entry.hass
    control = LiveEmulatorControl(client_session, emulator_url)
    sensor = StateChanges(hass, live_entry.live_entity_id)
    fires = UploadFires(hass, live_entry.event_entity_id)
    connections_before = (await control.async_state())["socket"]["connections"]

    dropped = time.perf_counter()
    await control.async_drop_sockets()
    await sensor.async_wait(
        lambda: sensor.first("on", dropped) is not None,
        RECONNECT_TIMEOUT,
        "the live updates sensor to turn on again",
    )
    off_at = sensor.first("off", dropped)
    on_at = sensor.first("on", dropped)
    assert off_at is not None, "the live updates sensor never turned off"
    assert on_at is not None
    connections = (await control.async_state())["socket"]["connections"] - connections_before

    started = time.perf_counter()
    asset_id = await async_upload(client_session, emulator_url, 2 * BURST_NUMBERS)
    fired = await fires.async_wait_fired(asset_id, UPLOAD_TIMEOUT)
    sensor.async_stop()
    fires.async_stop()

    results.reconnect = ReconnectResult(
        off_after=off_at - dropped,
        on_after=on_at - dropped,
        connections=connections,
        upload_latency=fired - started,
    )
    assert connections == 1, f"expected one new connection after the drop, got {connections}"
