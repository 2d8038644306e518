"""Adoption: an entry of Home Assistant's built-in Immich integration keeps its device and entities."""

from __future__ import annotations

from homeassistant.const import (
    CONF_API_KEY,
    CONF_HOST,
    CONF_PORT,
    CONF_SSL,
    CONF_VERIFY_SSL,
    STATE_ON,
    Platform,
    UnitOfInformation,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.const import CONF_URL, DOMAIN
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, EmulatorServer
from tests.generations import older_than_latest_release, version_check

from .integration import gib, server_totals, setup_entry

# Keys of the built-in integration's sensors, and whether it disables each by default.
BUILT_IN_SENSORS = {
    "disk_size": False,
    "disk_available": False,
    "disk_use": True,
    "disk_usage": True,
    "photos_count": False,
    "videos_count": False,
    "usage_by_photos": True,
    "usage_by_videos": True,
}

BYTES_SENSORS = {"disk_size", "disk_available", "disk_use", "usage_by_photos", "usage_by_videos"}


@pytest.fixture
def built_in_entry(emulator: EmulatorServer) -> MockConfigEntry:
    """An entry exactly as the built-in integration's config flow creates it (version 1.1)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Admin User",
        unique_id=ADMIN_USER_ID,
        data={
            CONF_HOST: "127.0.0.1",
            CONF_PORT: emulator.port,
            CONF_SSL: False,
            CONF_API_KEY: ADMIN_KEY,
            CONF_VERIFY_SSL: True,
        },
        version=1,
        minor_version=1,
    )


def register_built_in_entities(
    hass: HomeAssistant, entry: MockConfigEntry
) -> tuple[dr.DeviceEntry, dict[str, str]]:
    """Register the built-in integration's device and entities, and return both.

    The object IDs differ from the ones this integration would choose, so a new registration
    in place of an adopted one would show up as another entity ID.
    """
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        manufacturer="Immich",
        entry_type=dr.DeviceEntryType.SERVICE,
        sw_version="v2.7.0",
    )
    registry = er.async_get(hass)
    entity_ids = {}
    for key, disabled in BUILT_IN_SENSORS.items():
        registry_entry = registry.async_get_or_create(
            Platform.SENSOR,
            DOMAIN,
            f"{ADMIN_USER_ID}_{key}",
            config_entry=entry,
            device_id=device.id,
            suggested_object_id=f"adopted_{key}",
            disabled_by=er.RegistryEntryDisabler.INTEGRATION if disabled else None,
        )
        if key in BYTES_SENSORS:
            # Home Assistant stores a sensor's suggested unit when it first registers it.
            registry.async_update_entity_options(
                registry_entry.entity_id,
                "sensor.private",
                {"suggested_unit_of_measurement": UnitOfInformation.GIBIBYTES},
            )
        entity_ids[registry_entry.unique_id] = registry_entry.entity_id
    update = registry.async_get_or_create(
        Platform.UPDATE,
        DOMAIN,
        f"{ADMIN_USER_ID}_update",
        config_entry=entry,
        device_id=device.id,
        suggested_object_id="adopted_version",
    )
    entity_ids[update.unique_id] = update.entity_id
    return device, entity_ids


async def test_entry_migrated(
    hass: HomeAssistant, emulator: EmulatorServer, built_in_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, built_in_entry)

    assert built_in_entry.version == 1
    assert built_in_entry.minor_version == 2
    assert built_in_entry.unique_id == ADMIN_USER_ID
    assert built_in_entry.data[CONF_URL] == emulator.url
    assert built_in_entry.data[CONF_HOST] == "127.0.0.1"
    assert built_in_entry.data[CONF_API_KEY] == ADMIN_KEY


@version_check
async def test_entities_keep_unique_ids(
    hass: HomeAssistant, emulator: EmulatorServer, built_in_entry: MockConfigEntry
) -> None:
    built_in_entry.add_to_hass(hass)
    _, entity_ids = register_built_in_entities(hass, built_in_entry)

    await setup_entry(hass, built_in_entry)

    registry = er.async_get(hass)
    for unique_id, entity_id in entity_ids.items():
        platform = Platform.UPDATE if unique_id.endswith("_update") else Platform.SENSOR
        assert registry.async_get_entity_id(platform, DOMAIN, unique_id) == entity_id
    entries = er.async_entries_for_config_entry(registry, built_in_entry.entry_id)
    built_in_keys = {*BUILT_IN_SENSORS, "update"}
    adopted = [entry for entry in entries if entry.translation_key in built_in_keys]
    assert sorted(entry.entity_id for entry in adopted) == sorted(entity_ids.values())
    for key, disabled in BUILT_IN_SENSORS.items():
        registry_entry = registry.async_get(entity_ids[f"{ADMIN_USER_ID}_{key}"])
        assert registry_entry is not None
        assert (registry_entry.disabled_by is not None) is disabled, key


@version_check
@older_than_latest_release
async def test_adopted_entities_report(
    hass: HomeAssistant, emulator: EmulatorServer, built_in_entry: MockConfigEntry
) -> None:
    built_in_entry.add_to_hass(hass)
    _, entity_ids = register_built_in_entities(hass, built_in_entry)

    await setup_entry(hass, built_in_entry)

    disk_size = hass.states.get(entity_ids[f"{ADMIN_USER_ID}_disk_size"])
    assert disk_size is not None
    assert float(disk_size.state) == pytest.approx(gib(emulator.library.storage["diskSizeRaw"]))
    photos = hass.states.get(entity_ids[f"{ADMIN_USER_ID}_photos_count"])
    assert photos is not None
    assert int(photos.state) == server_totals(emulator.library).photos
    update = hass.states.get(entity_ids[f"{ADMIN_USER_ID}_update"])
    assert update is not None
    assert update.state == STATE_ON


async def test_device_kept(
    hass: HomeAssistant, emulator: EmulatorServer, built_in_entry: MockConfigEntry
) -> None:
    built_in_entry.add_to_hass(hass)
    device, _ = register_built_in_entities(hass, built_in_entry)

    await setup_entry(hass, built_in_entry)

    devices = dr.async_entries_for_config_entry(dr.async_get(hass), built_in_entry.entry_id)
    assert [entry.id for entry in devices] == [device.id]
    assert devices[0].sw_version == emulator.profile.version_text
    assert devices[0].configuration_url == emulator.url
