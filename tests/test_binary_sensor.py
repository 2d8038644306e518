"""Binary sensors: one paused sensor per job queue, for admin keys only, and live updates."""

from __future__ import annotations

from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.immich.coordinator import QUEUES_INTERVAL
from immich_emulator import ADMIN_USER_ID, EmulatorServer

from .integration import (
    advance,
    entity_id_for,
    setup_entry,
    snapshot_on_newest,
    state_of,
    user_config_entry,
)


def paused_unique_id(queue_name: str) -> str:
    return f"{ADMIN_USER_ID}_queue_{queue_name}_paused"


LIVE_UPDATES_UNIQUE_ID = f"{ADMIN_USER_ID}_live_updates"


def binary_sensor_entries(hass: HomeAssistant, entry: MockConfigEntry) -> list[er.RegistryEntry]:
    """Return the entry's queue binary sensors, without the live updates sensor."""
    return [
        registry_entry
        for registry_entry in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if registry_entry.domain == Platform.BINARY_SENSOR
        and not registry_entry.unique_id.endswith("_live_updates")
    ]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_paused_sensor_per_queue(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    emulator.library.queues["smartSearch"]["isPaused"] = True
    await setup_entry(hass, config_entry)

    assert {entry.unique_id for entry in binary_sensor_entries(hass, config_entry)} == {
        paused_unique_id(name) for name in emulator.queues
    }
    for name, queue in emulator.queues.items():
        expected = STATE_ON if queue["isPaused"] else STATE_OFF
        assert state_of(hass, Platform.BINARY_SENSOR, paused_unique_id(name)) == expected, name
    assert state_of(hass, Platform.BINARY_SENSOR, paused_unique_id("smartSearch")) == STATE_ON


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_paused_follows_server(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    unique_id = paused_unique_id("thumbnailGeneration")
    assert state_of(hass, Platform.BINARY_SENSOR, unique_id) == STATE_OFF

    emulator.library.queues["thumbnailGeneration"]["isPaused"] = True
    await advance(hass, freezer, QUEUES_INTERVAL)

    assert state_of(hass, Platform.BINARY_SENSOR, unique_id) == STATE_ON


async def test_paused_disabled_by_default(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, config_entry)

    registry_entry = er.async_get(hass).async_get(
        entity_id_for(hass, Platform.BINARY_SENSOR, paused_unique_id("thumbnailGeneration"))
    )
    assert registry_entry is not None
    assert registry_entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_non_admin_has_no_queues(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = user_config_entry(emulator)
    await setup_entry(hass, entry)

    assert binary_sensor_entries(hass, entry) == []


@snapshot_on_newest
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_snapshot(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    queues = emulator.library.queues
    for name in list(queues):
        if name not in ("thumbnailGeneration", "smartSearch"):
            del queues[name]
    queues["smartSearch"]["isPaused"] = True
    with patch("custom_components.immich.PLATFORMS", [Platform.BINARY_SENSOR]):
        await setup_entry(hass, config_entry)

    await snapshot_platform(hass, entity_registry, snapshot, config_entry.entry_id)


async def test_live_updates_sensor_off_while_not_connected(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    """Without a connection (the tests' default: none is opened), the sensor is off."""
    await setup_entry(hass, config_entry)

    assert state_of(hass, Platform.BINARY_SENSOR, LIVE_UPDATES_UNIQUE_ID) == STATE_OFF
    registry_entry = er.async_get(hass).async_get(
        entity_id_for(hass, Platform.BINARY_SENSOR, LIVE_UPDATES_UNIQUE_ID)
    )
    assert registry_entry is not None
    assert registry_entry.entity_category is EntityCategory.DIAGNOSTIC
