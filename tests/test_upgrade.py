"""A loaded entry follows its server through an upgrade and a downgrade without a restart."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.update import ATTR_INSTALLED_VERSION
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.api import ApiGeneration, Operation
from custom_components.immich.compat import async_get_entry_device
from custom_components.immich.const import DOMAIN
from custom_components.immich.coordinator import (
    QUEUES_INTERVAL,
    SERVER_INTERVAL,
    STATISTICS_INTERVAL,
)
from custom_components.immich.issues import unsupported_version_issue_id
from immich_emulator import ADMIN_USER_ID, EmulatorServer

from .integration import advance, gib, server_totals, setup_entry, state_of

DISK_SIZE = f"{ADMIN_USER_ID}_disk_size"
PHOTOS = f"{ADMIN_USER_ID}_photos_count"
PENDING_JOBS = f"{ADMIN_USER_ID}_jobs_pending"
UPDATE = f"{ADMIN_USER_ID}_update"
# A queue of every release, and one that v1.98.2 does not have yet.
OLD_QUEUE_WAITING = f"{ADMIN_USER_ID}_queue_thumbnailGeneration_waiting"
NEW_QUEUE_WAITING = f"{ADMIN_USER_ID}_queue_ocr_waiting"


def sw_version(hass: HomeAssistant, entry: MockConfigEntry) -> str | None:
    device = async_get_entry_device(hass, entry.entry_id)
    assert device is not None
    return device.sw_version


def assert_statistics_match(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    """Check the disk and photo sensors against what the emulated server holds."""
    disk_size = float(state_of(hass, Platform.SENSOR, DISK_SIZE))
    assert disk_size == pytest.approx(gib(emulator.library.storage["diskSizeRaw"]))
    assert int(state_of(hass, Platform.SENSOR, PHOTOS)) == server_totals(emulator.library).photos


def pending_jobs(emulator: EmulatorServer) -> int:
    return sum(
        queue["statistics"][count]
        for queue in emulator.queues.values()
        for count in ("active", "waiting", "delayed", "paused")
    )


def update_entity_id(hass: HomeAssistant) -> str | None:
    return er.async_get(hass).async_get_entity_id(Platform.UPDATE, DOMAIN, UPDATE)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("emulator_profile", ["v1.98.2"])
async def test_upgrade_keeps_entities_working(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    client = config_entry.runtime_data.client
    assert client.generation is ApiGeneration.V1_89
    assert client.chosen_routes[Operation.STORAGE] == "GET /server-info"
    assert_statistics_match(hass, emulator)
    assert sw_version(hass, config_entry) == "v1.98.2"
    assert update_entity_id(hass) is None
    assert (
        er.async_get(hass).async_get_entity_id(Platform.SENSOR, DOMAIN, NEW_QUEUE_WAITING) is None
    )

    emulator.set_profile("v2.7.5")
    emulator.library.storage["diskSizeRaw"] *= 2
    emulator.library.queues["thumbnailGeneration"]["isPaused"] = True
    await advance(hass, freezer, STATISTICS_INTERVAL)

    # The remembered `/server-info` is gone, so the client detected v2.7.5 and moved on.
    assert emulator.stats.requests["GET /api/server-info"] >= 2
    assert emulator.stats.requests["GET /api/server/storage"] >= 1
    assert_statistics_match(hass, emulator)
    assert sw_version(hass, config_entry) == "v2.7.5"
    assert config_entry.state is ConfigEntryState.LOADED
    client = config_entry.runtime_data.client
    assert client.generation is ApiGeneration.V2_4
    assert client.chosen_routes[Operation.STORAGE] == "GET /server/storage"

    # v2.7.5 has a version check, so the entry reloaded with an update entity.
    entity_id = update_entity_id(hass)
    assert entity_id is not None
    update = hass.states.get(entity_id)
    assert update is not None
    assert update.attributes[ATTR_INSTALLED_VERSION] == "v2.7.5"

    await advance(hass, freezer, QUEUES_INTERVAL)
    assert int(state_of(hass, Platform.SENSOR, PENDING_JOBS)) == pending_jobs(emulator)
    waiting = emulator.queues["thumbnailGeneration"]["statistics"]["waiting"]
    assert int(state_of(hass, Platform.SENSOR, OLD_QUEUE_WAITING)) == waiting
    # Queues that v1.98.2 lacked appear without another reload.
    assert state_of(hass, Platform.SENSOR, NEW_QUEUE_WAITING) != STATE_UNAVAILABLE


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("emulator_profile", ["v2.7.5"])
async def test_downgrade_keeps_entities_working(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    assert_statistics_match(hass, emulator)
    assert update_entity_id(hass) is not None
    assert config_entry.runtime_data.client.chosen_routes[Operation.QUEUES] == "GET /queues"

    emulator.set_profile("v1.98.2")
    emulator.library.storage["diskSizeRaw"] //= 2
    await advance(hass, freezer, STATISTICS_INTERVAL)

    assert emulator.stats.requests["GET /api/server-info"] >= 1
    assert_statistics_match(hass, emulator)
    assert sw_version(hass, config_entry) == "v1.98.2"
    client = config_entry.runtime_data.client
    assert client.generation is ApiGeneration.V1_89
    assert client.chosen_routes[Operation.STORAGE] == "GET /server-info"

    # Without a version check the reloaded entry removes its update entity, and `/queues` is gone.
    assert update_entity_id(hass) is None
    await advance(hass, freezer, QUEUES_INTERVAL)
    assert int(state_of(hass, Platform.SENSOR, PENDING_JOBS)) == pending_jobs(emulator)
    assert client.chosen_routes[Operation.QUEUES] == "GET /jobs"
    assert state_of(hass, Platform.SENSOR, NEW_QUEUE_WAITING) == STATE_UNAVAILABLE


@pytest.mark.parametrize("emulator_profile", ["v1.98.2"])
async def test_downgrade_below_oldest_raises_issue(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    issue_id = unsupported_version_issue_id(config_entry.entry_id)

    emulator.reported_version = (1, 88, 0)
    await advance(hass, freezer, SERVER_INTERVAL)

    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "unsupported_version"
    assert issue.translation_placeholders == {"version": "v1.88.0", "title": config_entry.title}

    emulator.reported_version = None
    await advance(hass, freezer, SERVER_INTERVAL)

    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert_statistics_match(hass, emulator)
