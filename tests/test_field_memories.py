"""Memories on servers whose version misleads: the old memory lane read as an asset id from
Immich v1.133, and v3.0.3 rejecting a date-time `for`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
import json

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.immich.api import ImmichBadRequestError, ImmichClient
from custom_components.immich.slideshow.settings import SlideshowSettings, Source
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, EmulatorServer

from .test_image import setup_slideshows, slideshow_entity_id

MEMORY_DAY = date(2026, 12, 4)
DATE_FORM = "for=2026-12-04"
DATE_TIME_FORM = "for=2026-12-04T00:00:00.000Z"
MEMORY_LANE = "GET /api/assets/memory-lane"


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[ImmichClient]:
    async with ImmichClient(emulator.url, ADMIN_KEY) as immich:
        yield immich


def memory_years(emulator: EmulatorServer) -> list[int]:
    return sorted(
        memory["data"]["year"]
        for memory in emulator.library.memories_for(ADMIN_USER_ID, MEMORY_DAY)
        if memory["assets"]
    )


def memory_requests(emulator: EmulatorServer) -> list[str]:
    """Return the memory requests in order, as `memory-lane` or the query of `/memories`."""
    found = []
    for line in emulator.stats.log:
        if line.startswith(MEMORY_LANE):
            found.append("memory-lane")
        elif line.startswith("GET /api/memories?"):
            found.append(line.split("?", 1)[1].replace("%3A", ":"))
    return found


async def raw_get(emulator: EmulatorServer, path: str) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{emulator.url}/api/{path}", headers={"x-api-key": ADMIN_KEY}) as response,
    ):
        return response.status, json.loads(await response.read())


@pytest.mark.parametrize(
    ("emulator_profile", "expected_requests"),
    [("v2.7.5", [DATE_TIME_FORM]), ("v3.0.3", [DATE_FORM]), ("v1.135.0", [DATE_TIME_FORM])],
)
async def test_memories_form_from_version(
    emulator: EmulatorServer, client: ImmichClient, expected_requests: list[str]
) -> None:
    memories = await client.async_get_memories(MEMORY_DAY)

    assert [memory.year for memory in memories] == memory_years(emulator)
    assert memory_requests(emulator) == expected_requests


@pytest.mark.parametrize("emulator_profile", ["v2.7.5"])
async def test_memory_lane_read_as_asset_id(emulator: EmulatorServer, client: ImmichClient) -> None:
    status, body = await raw_get(emulator, "assets/memory-lane?day=4&month=12")
    assert status == 400
    assert body["message"] == ["id must be a UUID"]
    emulator.reported_version = (1, 120, 0)
    emulator.stats.reset()

    first = await client.async_get_memories(MEMORY_DAY)
    second = await client.async_get_memories(MEMORY_DAY)

    assert [memory.year for memory in first] == memory_years(emulator)
    assert [memory.year for memory in second] == memory_years(emulator)
    assert memory_requests(emulator) == ["memory-lane", DATE_TIME_FORM, DATE_TIME_FORM]


@pytest.mark.parametrize("emulator_profile", ["v3.0.3"])
async def test_date_time_rejected_by_v3(emulator: EmulatorServer, client: ImmichClient) -> None:
    status, body = await raw_get(emulator, f"memories?{DATE_TIME_FORM}")
    assert status == 400
    assert body["message"] == "Validation failed"
    assert isinstance(body["errors"], list)
    assert body["errors"][0]["path"] == ["for"]
    emulator.reported_version = (2, 7, 5)
    emulator.stats.reset()

    memories = await client.async_get_memories(MEMORY_DAY)

    assert [memory.year for memory in memories] == memory_years(emulator)
    assert memory_requests(emulator) == [DATE_TIME_FORM, DATE_FORM]


@pytest.mark.parametrize("emulator_profile", ["v3.0.3"])
async def test_v3_reported_as_v1_120(emulator: EmulatorServer, client: ImmichClient) -> None:
    emulator.reported_version = (1, 120, 0)

    memories = await client.async_get_memories(MEMORY_DAY)

    assert [memory.year for memory in memories] == memory_years(emulator)
    assert memory_requests(emulator) == ["memory-lane", DATE_TIME_FORM, DATE_FORM]


@pytest.mark.parametrize("emulator_profile", ["v2.7.5"])
async def test_other_memories_error_not_retried(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    emulator.add_fault(
        "server_error", r"^GET /api/memories$", status=400, message=["isSaved must be a boolean"]
    )

    with pytest.raises(ImmichBadRequestError):
        await client.async_get_memories(MEMORY_DAY)

    assert memory_requests(emulator) == [DATE_TIME_FORM]


@pytest.mark.parametrize("emulator_profile", ["v2.7.5"])
async def test_other_memory_lane_error_not_retried(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    emulator.reported_version = (1, 120, 0)
    emulator.add_fault(
        "server_error",
        r"^GET /api/assets/memory-lane$",
        status=400,
        message=["day must be an integer between 1 and 31"],
    )

    with pytest.raises(ImmichBadRequestError):
        await client.async_get_memories(MEMORY_DAY)

    assert memory_requests(emulator) == ["memory-lane"]


@pytest.mark.parametrize("emulator_profile", ["v3.0.3"])
async def test_slideshow_on_misreported_version(
    hass: HomeAssistant, emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to("2026-12-04T12:00:00+00:00")
    emulator.reported_version = (1, 120, 0)
    expected = {
        asset["id"]
        for memory in emulator.library.memories_for(ADMIN_USER_ID, MEMORY_DAY)
        for asset in memory["assets"]
        if asset["type"] == "IMAGE"
    }
    assert expected, "the emulator library has photos of 4 December in earlier years"

    entry = await setup_slideshows(hass, emulator, ("Memories", SlideshowSettings(Source.MEMORIES)))
    state = hass.states.get(slideshow_entity_id(hass, entry, "Memories"))

    assert state is not None
    assert state.attributes["status"] == "showing"
    assert state.attributes["asset_id"] in expected
    assert memory_requests(emulator) == ["memory-lane", DATE_TIME_FORM, DATE_FORM]
