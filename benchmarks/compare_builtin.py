"""Benchmark of this integration next to Home Assistant's built-in `immich`, in one run.

Run it with `scripts/compare`. Each integration gets its own Home Assistant test instance
(one pytest item each) against the same emulated Immich v2.7.5 server. Each runs a simulated
day of polling at default settings, then latency samples, and sets up against a healthy, a
refusing and a hanging server. `compare_slideshow.py` reruns the slideshow scenarios in the
same invocation, and `compare_report.py` prints the tables and writes docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
import random
import time
from typing import Any

from aiohttp import ClientSession, FormData
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT, CONF_SSL, CONF_VERIFY_SSL
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.const import CONF_URL, DOMAIN
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, USER_KEY, Library
from immich_emulator.media import render
from immich_emulator.server import LOOPBACK

from .compare_clock import SimulatedClock, async_wait_real
from .compare_meter import CpuMeter
from .compare_report import (
    BUILT_IN,
    BUSY,
    CONDITIONS,
    HANGING,
    HEALTHY,
    IDLE_POLLING_KEY,
    KINDS,
    OURS,
    POLLING_KEY,
    QUEUE_ACTIVITIES,
    SETUP_KEY,
    Latency,
    PollingResult,
    SetupResult,
    compare_reporter,  # noqa: F401  (an autouse fixture: registers the reporter)
)
from .compare_servers import CountingEmulatorServer, HangingServer, refused_port

SIMULATED_HOURS = 24
LATENCY_SAMPLES = 10
LATENCY_LIMIT = 3600.0
"""Simulated seconds a sample may take before the change counts as never shown."""
PUSH_WAIT = 0.5
"""Real seconds to wait, clock stopped, for a pushed event to show a change."""
PHOTO_PHASE_SPAN = 300.0
"""Maximum random run before an upload: the statistics poll interval of this integration."""
QUEUE_PHASE_SPAN = 60.0
QUEUE_NAME = "metadataExtraction"
QUEUE_JUMP = 1000
"""Waiting jobs a sample adds: more than every other queue's pending jobs together, which
move on every poll because the emulator cycles the thumbnail queue."""
HANG_CAP = 25.0
"""Real seconds to let setup wait on the hanging server before it closes its connections."""
RANDOM_SEED = 10
CAPTURED_UPLOAD_EVENT_DELAY = 1.1
"""Upper figure of the seconds between an upload and its socket.io event in the v2.7.5
capture, whose times count from the socket's connection, before the upload."""


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the conftest's fixture: `loaded_integration` enables ours where needed."""


@pytest.fixture
def loaded_integration(
    hass: HomeAssistant, integration_kind: str, request: pytest.FixtureRequest
) -> str:
    """Enable custom integrations for `ours`; without them Home Assistant loads its own."""
    if integration_kind == OURS:
        request.getfixturevalue("enable_custom_integrations")
    return integration_kind


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncIterator[CountingEmulatorServer]:
    server = CountingEmulatorServer("v2.7.5")
    server.upload_event_delay = CAPTURED_UPLOAD_EVENT_DELAY
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http_session(socket_enabled: None) -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


def config_entry_for(kind: str, port: int) -> MockConfigEntry:
    """Return an entry of the emulator's admin user as each integration stores it.

    The built-in integration stores host, port and ssl (version 1.1); ours adds `url` (1.2).
    """
    data: dict[str, Any] = {
        CONF_HOST: LOOPBACK,
        CONF_PORT: port,
        CONF_SSL: False,
        CONF_API_KEY: ADMIN_KEY,
        CONF_VERIFY_SSL: True,
    }
    if kind == OURS:
        data[CONF_URL] = f"http://{LOOPBACK}:{port}"
    return MockConfigEntry(
        domain=DOMAIN,
        title="Admin User (127.0.0.1)",
        unique_id=ADMIN_USER_ID,
        data=data,
        version=1,
        minor_version=2 if kind == OURS else 1,
    )


async def async_loaded_path(hass: HomeAssistant, kind: str) -> str:
    """Return the path of the `immich` integration this instance loaded, checked against kind."""
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.is_built_in == (kind == BUILT_IN), (
        f"expected the {kind} integration, Home Assistant loaded {integration.file_path}"
    )
    return str(integration.file_path)


def entity_with_key(hass: HomeAssistant, entry: MockConfigEntry, translation_key: str) -> str:
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    matches = [item.entity_id for item in entries if item.translation_key == translation_key]
    assert len(matches) == 1, f"expected one entity with key {translation_key}, found {matches}"
    return matches[0]


def enabled_entities(hass: HomeAssistant, entry: MockConfigEntry) -> int:
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    return sum(not item.disabled for item in entries)


def state_number(hass: HomeAssistant, entity_id: str) -> float | None:
    state = hass.states.get(entity_id)
    try:
        return float(state.state) if state is not None else None
    except ValueError:
        return None


def photo_count(library: Library) -> int:
    return sum(
        1
        for asset in library.assets.values()
        if asset["type"] == "IMAGE" and not asset.get("isTrashed")
    )


async def async_upload(
    session: ClientSession, server: CountingEmulatorServer, number: int, api_key: str = ADMIN_KEY
) -> None:
    """Upload one new photo through `POST /api/assets`, as the Immich app does."""
    content, content_type = render(f"compare-{number}", f"compare {number}", "preview", 4, 3)
    taken = dt_util.utcnow().isoformat()
    form = FormData()
    form.add_field(
        "assetData", content, filename=f"compare-{number}.jpg", content_type=content_type
    )
    form.add_field("deviceAssetId", f"compare-{number}")
    form.add_field("deviceId", "compare-builtin")
    form.add_field("fileCreatedAt", taken)
    form.add_field("fileModifiedAt", taken)
    async with session.post(
        f"{server.url}/api/assets", data=form, headers={"x-api-key": api_key}
    ) as response:
        assert response.status == 201, f"upload returned {response.status}"


async def async_measure_latency(clock: SimulatedClock, shown: Callable[[], bool]) -> Latency:
    """Wait for a change to show: first in real time with the clock stopped, then by polls."""
    pushed = await async_wait_real(shown, PUSH_WAIT)
    if pushed is not None:
        return Latency(pushed, live=True)
    return Latency(await clock.async_run_until(shown, LATENCY_LIMIT), live=False)


@dataclass(slots=True)
class DayCounters:
    routes: Counter[str]
    body_bytes: int
    body_bytes_by_route: Counter[str]


async def async_run_day(
    clock: SimulatedClock, meter: CpuMeter, server: CountingEmulatorServer
) -> DayCounters:
    server.stats.reset()
    server.body_bytes_by_route.clear()
    meter.reset()
    await clock.async_run_for(SIMULATED_HOURS * 3600)
    counters = DayCounters(
        routes=Counter(server.stats.requests),
        body_bytes=server.stats.body_bytes,
        body_bytes_by_route=Counter(server.body_bytes_by_route),
    )
    assert counters.body_bytes == sum(counters.body_bytes_by_route.values()), (
        "the emulator's byte count and the benchmark's differ"
    )
    return counters


@pytest.mark.parametrize("queue_activity", QUEUE_ACTIVITIES)
@pytest.mark.parametrize("integration_kind", KINDS)
async def test_polling_day(
    queue_activity: str,
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    loaded_integration: str,
    emulator: CountingEmulatorServer,
    http_session: ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    kind = loaded_integration
    emulator.library.queue_activity = queue_activity == BUSY
    entry = config_entry_for(kind, emulator.port or 0)
    entry.add_to_hass(hass)
    emulator.stats.reset()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    path = await async_loaded_path(hass, kind)
    setup_routes = Counter(emulator.stats.requests)

    meter = CpuMeter(emulator.port or 0)
    meter.install(monkeypatch)
    clock = SimulatedClock(hass, freezer, meter)
    day = await async_run_day(clock, meter, emulator)
    result = PollingResult(
        kind=kind,
        integration_path=path,
        hours=SIMULATED_HOURS,
        setup_routes=setup_routes,
        routes=day.routes,
        body_bytes=day.body_bytes,
        body_bytes_by_route=day.body_bytes_by_route,
        refresh_cpu_seconds=meter.refresh.own_seconds,
        update_cpu_seconds=meter.update.own_seconds,
        emulator_cpu_seconds=meter.refresh.emulator_seconds,
        refreshes=Counter(meter.refreshes),
        refresh_cpu_by_class={
            name: window.own_seconds for name, window in meter.refresh_by_class.items()
        },
        typical_refresh_cpu_seconds=sum(
            window.median_seconds * len(window.samples)
            for window in meter.refresh_by_class.values()
        ),
        entities=enabled_entities(hass, entry),
        upload_event_delay=getattr(emulator, "upload_event_delay", None),
    )

    if queue_activity != BUSY:
        request.config.stash.setdefault(IDLE_POLLING_KEY, {})[kind] = result
        assert await hass.config_entries.async_unload(entry.entry_id)
        return

    rng = random.Random(RANDOM_SEED)
    photos = entity_with_key(hass, entry, "photos_count")
    assert state_number(hass, photos) == photo_count(emulator.library)
    for number in range(LATENCY_SAMPLES):
        await clock.async_run_for(rng.uniform(0, PHOTO_PHASE_SPAN))
        expected = photo_count(emulator.library) + 1
        await async_upload(http_session, emulator, number)

        def shown(expected: int = expected) -> bool:
            return state_number(hass, photos) == expected

        result.photo_latencies.append(await async_measure_latency(clock, shown))

    for number in range(LATENCY_SAMPLES, 2 * LATENCY_SAMPLES):
        await clock.async_run_for(rng.uniform(0, PHOTO_PHASE_SPAN))
        expected = photo_count(emulator.library) + 1
        await async_upload(http_session, emulator, number, api_key=USER_KEY)

        def shown_other(expected: int = expected) -> bool:
            return state_number(hass, photos) == expected

        result.other_user_photo_latencies.append(await async_measure_latency(clock, shown_other))

    if kind == OURS:
        result.queue_latencies = await async_queue_latencies(hass, entry, clock, emulator, rng)

    request.config.stash.setdefault(POLLING_KEY, {})[kind] = result
    assert await hass.config_entries.async_unload(entry.entry_id)


async def async_queue_latencies(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    clock: SimulatedClock,
    server: CountingEmulatorServer,
    rng: random.Random,
) -> list[Latency]:
    """Raise and lower one queue's waiting count in the library, which sends no event."""
    pending = entity_with_key(hass, entry, "jobs_pending")
    queue = server.library.queues[QUEUE_NAME]["statistics"]
    baseline = state_number(hass, pending)
    assert baseline is not None
    assert baseline < QUEUE_JUMP, f"jobs pending is {baseline} before any change"

    latencies = []
    for number in range(LATENCY_SAMPLES):
        await clock.async_run_for(rng.uniform(0, QUEUE_PHASE_SPAN))
        raised = number % 2 == 0
        queue["waiting"] = QUEUE_JUMP if raised else 0

        def shown(raised: bool = raised) -> bool:
            value = state_number(hass, pending)
            return value is not None and (value >= QUEUE_JUMP) == raised

        latencies.append(await async_measure_latency(clock, shown))
    return latencies


@pytest.fixture
async def setup_target(
    condition: str, socket_enabled: None
) -> AsyncIterator[tuple[int, HangingServer | None]]:
    """Yield the port an entry points to under `condition`, and the hanging server if any."""
    if condition == HEALTHY:
        server = CountingEmulatorServer("v2.7.5")
        await server.start()
        yield server.port or 0, None
        await server.stop()
    elif condition == HANGING:
        hanging = HangingServer()
        yield await hanging.start(), hanging
        await hanging.stop()
    else:
        yield refused_port(), None


@pytest.mark.parametrize("condition", CONDITIONS)
@pytest.mark.parametrize("integration_kind", KINDS)
async def test_setup_time(
    hass: HomeAssistant,
    loaded_integration: str,
    condition: str,
    setup_target: tuple[int, HangingServer | None],
    request: pytest.FixtureRequest,
) -> None:
    kind = loaded_integration
    port, hanging = setup_target
    entry = config_entry_for(kind, port)
    entry.add_to_hass(hass)
    await async_loaded_path(hass, kind)

    # Home Assistant sets up integrations before it counts as running.
    hass.set_state(CoreState.not_running)
    started = time.perf_counter()
    setup = hass.async_create_task(async_setup_component(hass, DOMAIN, {}))
    # The clock is not frozen in this test, so asyncio's timeout runs in real time.
    done = bool((await asyncio.wait({setup}, timeout=HANG_CAP))[0])
    seconds = time.perf_counter() - started if done else None
    if not done:
        assert hanging is not None, f"setup of {kind} waited {HANG_CAP} s on a {condition} server"
        # Stop listening as well, because aiohttp retries a GET once on a new connection.
        await hanging.stop()
    assert await setup
    hass.set_state(CoreState.running)
    settle_started = time.perf_counter()
    await hass.async_block_till_done()
    settle_seconds = time.perf_counter() - settle_started

    request.config.stash.setdefault(SETUP_KEY, {})[(kind, condition)] = SetupResult(
        kind=kind,
        condition=condition,
        seconds=seconds,
        cap_seconds=HANG_CAP,
        state=entry.state.value,
        block_till_done_seconds=settle_seconds,
        connections=hanging.connections if hanging else 0,
    )
    expected = ConfigEntryState.LOADED if condition == HEALTHY else ConfigEntryState.SETUP_RETRY
    assert entry.state is expected
    await hass.config_entries.async_unload(entry.entry_id)
