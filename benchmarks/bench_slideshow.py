"""Benchmark of the slideshow image entity on a 100,000-asset emulated album.

Run it with `scripts/bench` (`scripts/bench --advances 20` for a quick check). Each scenario
sets up a real Home Assistant through pytest-homeassistant-custom-component's `hass` fixture,
adds a config entry with one slideshow subentry, then advances the slideshow and fetches the
new photo through Home Assistant's HTTP server after every advance. The emulated Immich server
runs in a separate process (`benchmarks/large_emulator.py`). The run prints a table and, when
every scenario ran, rewrites benchmarks/RESULTS.md (see `report.py` for what each number means).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
import gc
import os
import time
import tracemalloc

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.immich.const import DOMAIN
from custom_components.immich.helpers import entry_data
from custom_components.immich.image import ImmichSlideshowImage
from custom_components.immich.slideshow.settings import (
    MAX_INTERVAL,
    SUBENTRY_TYPE_SLIDESHOW,
    Order,
    SlideshowSettings,
    Source,
)
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID
from immich_emulator.virtual import LARGE_ALBUM_ID

from .large_emulator import EmulatorStats, large_emulator_process
from .report import RESULTS_KEY, AdvanceSample, ScenarioResult, group_routes

ASSET_COUNT = 100_000
WARMUP_ADVANCES = 10
"""Advances before any measurement: the first batches, pages and HTTP connections."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """One slideshow to measure and the share of `--advances` it runs."""

    name: str
    settings: SlideshowSettings
    share: float = 1.0


# The interval is the maximum (24 hours), so that the entity's own timer never advances it
# during a run.
SCENARIOS = (
    Scenario(
        "Album, shuffle",
        SlideshowSettings(Source.ALBUMS, ids=(LARGE_ALBUM_ID,), interval=MAX_INTERVAL),
    ),
    Scenario(
        "Album, sequential",
        SlideshowSettings(
            Source.ALBUMS, ids=(LARGE_ALBUM_ID,), order=Order.SEQUENTIAL, interval=MAX_INTERVAL
        ),
    ),
    Scenario("Random, shuffle", SlideshowSettings(Source.RANDOM, interval=MAX_INTERVAL), 0.5),
    Scenario("Memories, shuffle", SlideshowSettings(Source.MEMORIES, interval=MAX_INTERVAL), 0.5),
)


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    """Start one emulator process with the 100,000-asset album for all scenarios; yield its URL."""
    process = large_emulator_process(ASSET_COUNT)
    yield process.start()
    process.stop()


@pytest.fixture
def results(request: pytest.FixtureRequest) -> list[ScenarioResult]:
    """Results of the finished scenarios, which the conftest prints and writes to RESULTS.md."""
    return request.config.stash.setdefault(RESULTS_KEY, [])


def slideshow_entry(url: str, title: str, settings: SlideshowSettings) -> MockConfigEntry:
    """Return an entry of the emulator's admin user with one slideshow and polling off.

    Polling is off so that the coordinators' polls do not mix with the slideshow's requests.
    """
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
                "title": title,
                "data": settings.as_data(),
                "unique_id": None,
            }
        ],
    )


def slideshow_entity(hass: HomeAssistant, entry: MockConfigEntry) -> ImmichSlideshowImage:
    registry = er.async_get(hass)
    entity_ids = [
        registry_entry.entity_id
        for registry_entry in er.async_entries_for_config_entry(registry, entry.entry_id)
        if registry_entry.domain == "image"
    ]
    assert len(entity_ids) == 1, f"expected one image entity, found {entity_ids}"
    entity = hass.data["image"].get_entity(entity_ids[0])
    assert isinstance(entity, ImmichSlideshowImage)
    return entity


class SlideshowDriver:
    """Advances one slideshow and fetches each new photo through Home Assistant's HTTP."""

    def __init__(
        self,
        hass: HomeAssistant,
        entity: ImmichSlideshowImage,
        http: TestClient[web.Request, web.Application],
        stats: EmulatorStats,
    ) -> None:
        self._hass = hass
        self._entity = entity
        self._http = http
        self._stats = stats
        self._last_body = b""
        self._requests = 0
        self._body_bytes = 0

    async def async_start_counting(self) -> None:
        await self._stats.async_reset()
        self._requests = self._body_bytes = 0

    async def async_routes(self) -> Counter[str]:
        """Return the requests since `async_start_counting`, by route."""
        return group_routes((await self._stats.async_read())["by_route"])

    async def async_advance(self) -> AdvanceSample:
        """Advance once, fetch the new photo, then wait for the prefetch of the next one."""
        entity_id = self._entity.entity_id

        started = time.perf_counter()
        started_cpu = time.thread_time()
        await self._entity.async_next()
        advanced = time.perf_counter()
        state = self._hass.states.get(entity_id)
        assert state is not None
        # Through the test client's session: the test client itself keeps every response
        # it returns until it closes, which tracemalloc would count as held memory.
        url = self._http.make_url(state.attributes["entity_picture"])
        async with self._http.session.get(url) as response:
            body = await response.read()
        served = time.perf_counter()
        served_cpu = time.thread_time()

        assert response.status == 200, f"GET of {entity_id}'s picture returned {response.status}"
        slide = self._entity.player.current if self._entity.player else None
        assert slide is not None, f"{entity_id} shows no photo"
        assert slide.image is not None, f"{entity_id} shows a photo without bytes"
        assert body == slide.image.content, "the served bytes are not the photo on show"
        assert body != self._last_body, "the advance served the previous photo again"
        self._last_body = body

        # Each advance is charged with the requests of the prefetch it starts.
        await self._hass.async_block_till_done(wait_background_tasks=True)
        stats = await self._stats.async_read()
        sample = AdvanceSample(
            serve_seconds=served - started,
            serve_cpu_seconds=served_cpu - started_cpu,
            advance_seconds=advanced - started,
            requests=stats["requests"] - self._requests,
            body_bytes=stats["body_bytes"] - self._body_bytes,
        )
        self._requests, self._body_bytes = stats["requests"], stats["body_bytes"]
        return sample


@pytest.fixture
async def control_session(socket_enabled: None) -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_slideshow(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    control_session: ClientSession,
    emulator_url: str,
    results: list[ScenarioResult],
    request: pytest.FixtureRequest,
    scenario: Scenario,
) -> None:
    advances = max(2, round(request.config.getoption("--advances") * scenario.share))
    stats = EmulatorStats(control_session, emulator_url)
    load_average = os.getloadavg()[0]

    await stats.async_reset()
    entry = slideshow_entry(emulator_url, scenario.name, scenario.settings)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    setup = await stats.async_read()

    driver = SlideshowDriver(hass, slideshow_entity(hass, entry), await hass_client(), stats)
    for _ in range(WARMUP_ADVANCES):
        await driver.async_advance()

    await driver.async_start_counting()
    samples = [await driver.async_advance() for _ in range(advances)]
    routes = await driver.async_routes()

    # Memory: trace only the advances, after the timed ones, so tracing does not slow them.
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    halfway_bytes = 0
    for number in range(1, advances + 1):
        await driver.async_advance()
        if number == advances // 2:
            gc.collect()
            halfway_bytes = tracemalloc.get_traced_memory()[0]
    gc.collect()
    after = tracemalloc.take_snapshot()
    held_bytes, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    own_frames = tracemalloc.Filter(False, tracemalloc.__file__)
    growth = after.filter_traces([own_frames]).compare_to(
        before.filter_traces([own_frames]), "lineno"
    )
    results.append(
        ScenarioResult(
            name=scenario.name,
            advances=advances,
            setup_requests=setup["requests"],
            setup_bytes=setup["body_bytes"],
            samples=samples,
            routes=routes,
            held_bytes=held_bytes,
            halfway_held_bytes=halfway_bytes,
            peak_bytes=peak_bytes,
            load_average=load_average,
            top_growth=[str(stat) for stat in growth[:3]],
        )
    )
