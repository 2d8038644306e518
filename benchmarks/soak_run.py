"""The soak run: thousands of polls and slideshow advances against a failing emulated Immich.

`python -m benchmarks.soak` runs this module with pytest (see soak.py). A real Home Assistant
(pytest-homeassistant-custom-component's `hass` fixture) loads one config entry of the
emulator's admin user with a Random slideshow. The loop refreshes the three coordinators in
turn and advances the slideshow through the `immich.next_image` action, fetching every
`FETCH_EVERY`th photo through Home Assistant's image proxy. Field faults come and go at
random, drawn from a seeded generator.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
import random
import time
import tracemalloc
from typing import Any
from unittest.mock import patch

from aiohttp import web
from aiohttp.test_utils import TestClient
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.immich.actions import SERVICE_NEXT_IMAGE
from custom_components.immich.const import DOMAIN
from custom_components.immich.coordinator import ImmichCoordinator, ImmichRuntimeData
from custom_components.immich.helpers import entry_data
from custom_components.immich.slideshow.settings import (
    MAX_INTERVAL,
    SUBENTRY_TYPE_SLIDESHOW,
    SlideshowSettings,
    Source,
)
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, EmulatorServer

from .soak_faults import FIELD_FAULTS, CannedResponses, FieldFault, clear
from .soak_report import SoakOptions, SoakResult
from .soak_watch import (
    MemoryPoint,
    RecordCounter,
    Unhandled,
    measure_memory,
    watch_entry_tasks,
    watch_loop_exceptions,
    watch_records,
)

REQUEST_TIMEOUT = 0.2
"""The client's request timeout during the soak, in seconds, so that hangs end quickly."""
OUTAGE_START_PROBABILITY = 0.05
"""Chance that a fault starts at an iteration without one."""
MAX_OUTAGE_ITERATIONS = 10
FETCH_EVERY = 10
MEMORY_EVERY = 1000
WARMUP_ITERATIONS = 1000
"""Iterations before the memory point that growth is measured from (a tenth of shorter runs)."""


class SoakEmulator(EmulatorServer):
    """The emulated server, plus the canned responses of faults it has no kind for."""

    def __init__(self) -> None:
        super().__init__()
        self.canned = CannedResponses()

    def create_app(self) -> web.Application:
        app = super().create_app()
        app.middlewares.insert(0, self.canned.middleware())
        return app


@pytest.fixture
async def soak_emulator(socket_enabled: None) -> AsyncIterator[SoakEmulator]:
    server = SoakEmulator()
    await server.start()
    yield server
    await server.stop()


def soak_entry(url: str) -> MockConfigEntry:
    """Return the admin's entry with a Random slideshow; polling is off, the loop polls."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Admin User (127.0.0.1)",
        unique_id=ADMIN_USER_ID,
        data=entry_data(URL(url), ADMIN_KEY, verify_ssl=True),
        version=1,
        minor_version=2,
        pref_disable_polling=True,
        subentries_data=[
            {
                "subentry_type": SUBENTRY_TYPE_SLIDESHOW,
                "title": "Soak",
                "data": SlideshowSettings(Source.RANDOM, interval=MAX_INTERVAL).as_data(),
                "unique_id": None,
            }
        ],
    )


def coordinators_of(entry: MockConfigEntry) -> list[ImmichCoordinator[Any]]:
    runtime: ImmichRuntimeData = entry.runtime_data
    polled: list[ImmichCoordinator[Any]] = [runtime.server, runtime.statistics]
    if runtime.queues is not None:
        polled.append(runtime.queues)
    return polled


def slideshow_entity_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    registry = er.async_get(hass)
    entity_ids = [
        registry_entry.entity_id
        for registry_entry in er.async_entries_for_config_entry(registry, entry.entry_id)
        if registry_entry.domain == "image"
    ]
    assert len(entity_ids) == 1, f"expected one image entity, found {entity_ids}"
    return entity_ids[0]


class SoakLoop:
    """The loop's state: the fault in force, the entry's objects and the counts so far."""

    def __init__(
        self,
        hass: HomeAssistant,
        emulator: SoakEmulator,
        entry: MockConfigEntry,
        http: TestClient[web.Request, web.Application],
        options: SoakOptions,
        unhandled: Unhandled,
        records: RecordCounter,
    ) -> None:
        self.hass = hass
        self.emulator = emulator
        self.entry = entry
        self.http = http
        self.options = options
        self.unhandled = unhandled
        self.records = records
        self.rng = random.Random(options.seed)
        self.release_version = emulator.library.release_version
        self.fault: FieldFault | None = None
        self.fault_iterations_left = 0
        self.outages: Counter[str] = Counter()
        self.faulted_operations: Counter[str] = Counter()
        self.fetch_statuses: Counter[int] = Counter()
        self.reload_states: Counter[str] = Counter()
        self.action_errors: Counter[str] = Counter()
        """`HomeAssistantError`s of the action by translation key."""
        self.coordinators = coordinators_of(entry)
        self.entity_id = slideshow_entity_id(hass, entry)

    async def async_step_faults(self) -> None:
        """End the fault in force when its time is up, or start a new one by chance."""
        if self.fault is not None:
            self.fault_iterations_left -= 1
            if self.fault_iterations_left > 0:
                return
            # Records stay charged to the fault until the next one starts, because the
            # integration may still log about it after the server recovered.
            clear(self.emulator, self.emulator.canned, self.release_version)
            self.fault = None
        if self.rng.random() >= OUTAGE_START_PROBABILITY:
            return

        fault = self.rng.choice(FIELD_FAULTS)
        self.outages[fault.name] += 1
        self.fault = fault
        self.records.fault = fault.name
        fault.apply(self.emulator, self.emulator.canned)
        if fault.reload:
            await self.async_reload_through(fault)
            return
        self.fault_iterations_left = self.rng.randint(1, MAX_OUTAGE_ITERATIONS)

    async def async_reload_through(self, fault: FieldFault) -> None:
        """Reload the entry while the fault is on, then again after it ends."""
        await self.hass.config_entries.async_reload(self.entry.entry_id)
        await self.hass.async_block_till_done(wait_background_tasks=True)
        self.reload_states[f"with the fault: {self.entry.state.value}"] += 1

        clear(self.emulator, self.emulator.canned, self.release_version)
        self.fault = None
        await self.hass.config_entries.async_reload(self.entry.entry_id)
        await self.hass.async_block_till_done(wait_background_tasks=True)
        self.reload_states[f"after the fault: {self.entry.state.value}"] += 1
        if self.entry.state is not ConfigEntryState.LOADED:
            self.unhandled.add(
                f"entry after '{fault.name}'", f"state {self.entry.state.value}, not loaded"
            )
            return
        self.coordinators = coordinators_of(self.entry)
        self.entity_id = slideshow_entity_id(self.hass, self.entry)

    async def async_update(self, iteration: int) -> None:
        coordinator = self.coordinators[iteration % len(self.coordinators)]
        if self.fault is not None:
            self.faulted_operations[self.fault.name] += 1
        try:
            await coordinator.async_refresh()
        except Exception as err:
            self.unhandled.add(f"async_refresh of {coordinator.name}", repr(err))
            return
        error = coordinator.last_exception
        if error is not None and not isinstance(error, UpdateFailed | ConfigEntryAuthFailed):
            self.unhandled.add(
                f"{coordinator.name} during or after '{self.records.fault}'", f"unmapped {error!r}"
            )

    async def async_advance(self, iteration: int) -> None:
        if self.fault is not None:
            self.faulted_operations[self.fault.name] += 1
        try:
            await self.hass.services.async_call(
                DOMAIN, SERVICE_NEXT_IMAGE, {"entity_id": self.entity_id}, blocking=True
            )
            await self.hass.async_block_till_done(wait_background_tasks=True)
        except HomeAssistantError as err:
            # The action's own error, which the caller receives: the slideshow could not advance.
            self.action_errors[err.translation_key or repr(err)] += 1
        except Exception as err:
            self.unhandled.add(
                f"{SERVICE_NEXT_IMAGE} during or after '{self.records.fault}'", repr(err)
            )
        if iteration % FETCH_EVERY == 0:
            await self.async_fetch_image()

    async def async_fetch_image(self) -> None:
        state = self.hass.states.get(self.entity_id)
        assert state is not None, f"{self.entity_id} has no state"
        picture = state.attributes.get("entity_picture")
        if picture is None:
            self.fetch_statuses[0] += 1
            return
        # Through the test client's session: the test client keeps every response it returns.
        async with self.http.session.get(self.http.make_url(picture)) as response:
            await response.read()
        self.fetch_statuses[response.status] += 1
        if response.status >= 500:
            self.unhandled.add(
                f"image proxy during or after '{self.records.fault}'", f"HTTP {response.status}"
            )


async def test_soak(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    soak_emulator: SoakEmulator,
    soak_options: SoakOptions,
    soak_results: list[SoakResult],
) -> None:
    options = soak_options
    random.seed(options.seed)
    unhandled = Unhandled()
    iterations = max(options.updates, options.advances)
    warmup = max(1, min(WARMUP_ITERATIONS, iterations // 10))
    memory: list[MemoryPoint] = []
    warmup_snapshot: tracemalloc.Snapshot | None = None

    with (
        patch("custom_components.immich.helpers.REQUEST_TIMEOUT", REQUEST_TIMEOUT),
        watch_records(unhandled) as records,
        watch_loop_exceptions(unhandled, lambda: records.fault),
        watch_entry_tasks(unhandled, lambda: records.fault) as entry_tasks,
    ):
        entry = soak_entry(soak_emulator.url)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert entry.state is ConfigEntryState.LOADED

        loop = SoakLoop(
            hass, soak_emulator, entry, await hass_client(), options, unhandled, records
        )
        tracemalloc.start()
        memory.append(measure_memory(0))
        started = time.monotonic()
        for iteration in range(1, iterations + 1):
            entry_tasks.iteration = iteration
            entry_tasks.check()
            await loop.async_step_faults()
            if iteration <= options.updates:
                await loop.async_update(iteration)
            if iteration <= options.advances:
                await loop.async_advance(iteration)
            # The emulator's request log would otherwise count as held memory.
            soak_emulator.stats.reset()
            if iteration in (warmup, iterations) or iteration % MEMORY_EVERY == 0:
                memory.append(measure_memory(iteration))
                if iteration == warmup:
                    warmup_snapshot = tracemalloc.take_snapshot()
        elapsed = time.monotonic() - started
        end_snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()
        clear(soak_emulator, soak_emulator.canned, loop.release_version)

    assert warmup_snapshot is not None
    own_frames = tracemalloc.Filter(False, tracemalloc.__file__)
    growth = end_snapshot.filter_traces([own_frames]).compare_to(
        warmup_snapshot.filter_traces([own_frames]), "lineno"
    )
    soak_results.append(
        SoakResult(
            options=options,
            seconds=elapsed,
            warmup_iteration=warmup,
            outages=loop.outages,
            faulted_operations=loop.faulted_operations,
            fetch_statuses=loop.fetch_statuses,
            reload_states=loop.reload_states,
            action_errors=loop.action_errors,
            unhandled=unhandled,
            record_counts=records.counts,
            record_messages=records.messages,
            warnings_by_fault=records.warnings_by_fault,
            memory=memory,
            top_growth=[str(stat) for stat in growth[:5]],
        )
    )
