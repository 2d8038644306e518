"""Polled endpoints are sent again with their ETag: a 304 costs no body, parsing or state write."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.api import ImmichClient, ImmichServerError
from custom_components.immich.coordinator import QUEUES_INTERVAL, STATISTICS_INTERVAL
from immich_emulator import ADMIN_KEY, EmulatorServer

from .generations import has_queues
from .integration import advance, entity_id_for, setup_entry

STORAGE_ROUTES = r"^GET /api/server(/storage|-info/storage|-info)$"
"""The storage route of every generation: `/server-info` (v1.89), `/server-info/storage`
(v1.106) and `/server/storage` (v1.118 and later)."""


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[ImmichClient]:
    async with aiohttp.ClientSession() as session:
        yield ImmichClient(emulator.url, ADMIN_KEY, session=session)


async def test_unchanged_storage_is_not_modified(
    client: ImmichClient, emulator: EmulatorServer
) -> None:
    first = await client.async_get_storage()
    bytes_after_first = emulator.stats.body_bytes

    second = await client.async_get_storage()

    assert second is first
    assert emulator.stats.body_bytes == bytes_after_first


async def test_changed_storage_is_read_again(
    client: ImmichClient, emulator: EmulatorServer
) -> None:
    first = await client.async_get_storage()
    emulator.library.storage["diskAvailableRaw"] -= 1024

    second = await client.async_get_storage()

    assert second is not first
    assert second.disk_available_raw == first.disk_available_raw - 1024


@has_queues
async def test_idle_queues_are_not_modified(client: ImmichClient, emulator: EmulatorServer) -> None:
    emulator.library.queue_activity = False
    first = await client.async_get_queues()

    assert await client.async_get_queues() is first


async def test_unchanged_poll_writes_no_state(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    disk_size = entity_id_for(hass, "sensor", f"{config_entry.unique_id}_disk_size")
    before = hass.states.get(disk_size)
    assert before is not None

    await advance(hass, freezer, STATISTICS_INTERVAL)

    after = hass.states.get(disk_size)
    assert after is not None
    assert after.last_reported == before.last_reported


@has_queues
async def test_changed_queue_poll_updates_state(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    emulator.library.queue_activity = False
    await setup_entry(hass, config_entry)
    pending = entity_id_for(hass, "sensor", f"{config_entry.unique_id}_jobs_pending")
    before = hass.states.get(pending)
    assert before is not None

    emulator.library.queues["metadataExtraction"]["statistics"]["waiting"] += 5
    await advance(hass, freezer, QUEUES_INTERVAL)

    after = hass.states.get(pending)
    assert after is not None
    assert int(after.state) == int(before.state) + 5


async def test_proxy_not_modified_is_not_trusted(
    client: ImmichClient, emulator: EmulatorServer
) -> None:
    """A 304 that does not repeat the cached ETag came from a proxy, not from Immich."""
    await client.async_get_storage()
    emulator.add_fault("not_modified", STORAGE_ROUTES, remaining=1)
    emulator.library.storage["diskAvailableRaw"] -= 1024

    storage = await client.async_get_storage()

    assert storage.disk_available_raw == emulator.library.storage["diskAvailableRaw"]


async def test_proxy_always_not_modified_raises(
    client: ImmichClient, emulator: EmulatorServer
) -> None:
    await client.async_get_storage()
    emulator.add_fault("not_modified", STORAGE_ROUTES)

    with pytest.raises(ImmichServerError) as raised:
        await client.async_get_storage()

    assert raised.value.status == 304
