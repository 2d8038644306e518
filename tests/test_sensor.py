"""Sensors: the built-in integration's eight, own counts, usage per user and queue counts."""

from __future__ import annotations

from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
    UnitOfInformation,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.immich.coordinator import QUEUES_INTERVAL, STATISTICS_INTERVAL
from immich_emulator import ADMIN_USER_ID, SECOND_USER_ID, EmulatorServer
from tests.generations import snapshot_release

from .integration import (
    advance,
    entity_id_for,
    gib,
    server_totals,
    setup_entry,
    snapshot_on_newest,
    state_of,
    user_config_entry,
    user_totals,
)

BUILT_IN_KEYS = (
    "disk_size",
    "disk_available",
    "disk_use",
    "disk_usage",
    "photos_count",
    "videos_count",
    "usage_by_photos",
    "usage_by_videos",
)
DISABLED_BY_DEFAULT = {"disk_use", "disk_usage", "usage_by_photos", "usage_by_videos"}
QUEUE_COUNTS = ("active", "waiting", "failed")


def sensor_unique_ids(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    return {
        registry_entry.unique_id
        for registry_entry in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if registry_entry.domain == Platform.SENSOR
    }


def sensor_value(hass: HomeAssistant, unique_id: str) -> float:
    return float(state_of(hass, Platform.SENSOR, unique_id))


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_admin_sensor_set(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, config_entry)

    expected = {f"{ADMIN_USER_ID}_{key}" for key in BUILT_IN_KEYS}
    expected.add(f"{ADMIN_USER_ID}_jobs_pending")
    expected |= {f"{ADMIN_USER_ID}_user_{user_id}_usage" for user_id in emulator.library.users}
    expected |= {
        f"{ADMIN_USER_ID}_queue_{name}_{count}"
        for name in emulator.queues
        for count in QUEUE_COUNTS
    }
    assert sensor_unique_ids(hass, config_entry) == expected


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_admin_sensor_values(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, config_entry)
    storage = emulator.library.storage
    totals = server_totals(emulator.library)

    assert sensor_value(hass, f"{ADMIN_USER_ID}_disk_size") == pytest.approx(
        gib(storage["diskSizeRaw"])
    )
    assert sensor_value(hass, f"{ADMIN_USER_ID}_disk_available") == pytest.approx(
        gib(storage["diskAvailableRaw"])
    )
    assert sensor_value(hass, f"{ADMIN_USER_ID}_disk_use") == pytest.approx(
        gib(storage["diskUseRaw"])
    )
    assert sensor_value(hass, f"{ADMIN_USER_ID}_disk_usage") == pytest.approx(
        storage["diskUsagePercentage"]
    )
    assert sensor_value(hass, f"{ADMIN_USER_ID}_photos_count") == totals.photos
    assert sensor_value(hass, f"{ADMIN_USER_ID}_videos_count") == totals.videos
    if emulator.profile.statistics_usage_split:
        assert sensor_value(hass, f"{ADMIN_USER_ID}_usage_by_photos") == pytest.approx(
            gib(totals.usage_photos)
        )
        assert sensor_value(hass, f"{ADMIN_USER_ID}_usage_by_videos") == pytest.approx(
            gib(totals.usage_videos)
        )
    else:
        # Older releases report no usage by photos and videos.
        for key in ("usage_by_photos", "usage_by_videos"):
            assert state_of(hass, Platform.SENSOR, f"{ADMIN_USER_ID}_{key}") == STATE_UNKNOWN
    for user_id in emulator.library.users:
        assert sensor_value(hass, f"{ADMIN_USER_ID}_user_{user_id}_usage") == pytest.approx(
            gib(user_totals(emulator.library, user_id).usage)
        )


async def test_admin_sensor_attributes(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, config_entry)

    disk_size = hass.states.get(entity_id_for(hass, Platform.SENSOR, f"{ADMIN_USER_ID}_disk_size"))
    assert disk_size is not None
    assert disk_size.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfInformation.GIBIBYTES
    assert disk_size.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.DATA_SIZE

    photos = hass.states.get(entity_id_for(hass, Platform.SENSOR, f"{ADMIN_USER_ID}_photos_count"))
    assert photos is not None
    assert photos.attributes[ATTR_UNIT_OF_MEASUREMENT] == "photos"
    assert ATTR_DEVICE_CLASS not in photos.attributes


async def test_enabled_by_default(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, config_entry)
    registry = er.async_get(hass)

    for key in BUILT_IN_KEYS:
        registry_entry = registry.async_get(
            entity_id_for(hass, Platform.SENSOR, f"{ADMIN_USER_ID}_{key}")
        )
        assert registry_entry is not None
        expected = er.RegistryEntryDisabler.INTEGRATION if key in DISABLED_BY_DEFAULT else None
        assert registry_entry.disabled_by is expected, key

    pending = registry.async_get(
        entity_id_for(hass, Platform.SENSOR, f"{ADMIN_USER_ID}_jobs_pending")
    )
    assert pending is not None
    assert pending.disabled_by is None
    for unique_id in (
        f"{ADMIN_USER_ID}_user_{SECOND_USER_ID}_usage",
        f"{ADMIN_USER_ID}_queue_thumbnailGeneration_waiting",
    ):
        registry_entry = registry.async_get(entity_id_for(hass, Platform.SENSOR, unique_id))
        assert registry_entry is not None
        assert registry_entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION, unique_id


async def test_non_admin_sensor_set(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = user_config_entry(emulator)
    await setup_entry(hass, entry)

    assert sensor_unique_ids(hass, entry) == {
        f"{SECOND_USER_ID}_{key}"
        for key in (
            "disk_size",
            "disk_available",
            "disk_use",
            "disk_usage",
            "own_photos_count",
            "own_videos_count",
        )
    }
    # The endpoints only admins may call are never requested with this key.
    assert emulator.stats.requests["GET /api/server/statistics"] == 0
    assert emulator.stats.requests["GET /api/queues"] == 0
    assert emulator.stats.requests["GET /api/jobs"] == 0


async def test_non_admin_own_counts(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    await setup_entry(hass, user_config_entry(emulator))
    totals = user_totals(emulator.library, SECOND_USER_ID)

    assert sensor_value(hass, f"{SECOND_USER_ID}_own_photos_count") == totals.photos
    assert sensor_value(hass, f"{SECOND_USER_ID}_own_videos_count") == totals.videos
    assert sensor_value(hass, f"{SECOND_USER_ID}_disk_size") == pytest.approx(
        gib(emulator.library.storage["diskSizeRaw"])
    )


async def test_statistics_follow_server(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    photos_before = server_totals(emulator.library).photos
    trashed = next(
        asset
        for asset in emulator.library.assets.values()
        if asset["type"] == "IMAGE" and not asset.get("isTrashed")
    )
    trashed["isTrashed"] = True
    emulator.library.storage["diskAvailableRaw"] -= 2 * 1024**3

    await advance(hass, freezer, STATISTICS_INTERVAL)

    assert server_totals(emulator.library).photos == photos_before - 1
    assert sensor_value(hass, f"{ADMIN_USER_ID}_photos_count") == photos_before - 1
    assert sensor_value(hass, f"{ADMIN_USER_ID}_disk_available") == pytest.approx(
        gib(emulator.library.storage["diskAvailableRaw"])
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_queue_counts(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)

    # The emulator moves the thumbnail queue's counts on every poll, so check two polls.
    for _ in range(2):
        queues = emulator.queues
        for name, queue in queues.items():
            for count in QUEUE_COUNTS:
                assert (
                    sensor_value(hass, f"{ADMIN_USER_ID}_queue_{name}_{count}")
                    == queue["statistics"][count]
                ), (name, count)
        pending = sum(
            queue["statistics"][count]
            for queue in queues.values()
            for count in ("active", "waiting", "delayed", "paused")
        )
        assert sensor_value(hass, f"{ADMIN_USER_ID}_jobs_pending") == pending
        await advance(hass, freezer, QUEUES_INTERVAL)

    assert sensor_value(hass, f"{ADMIN_USER_ID}_queue_metadataExtraction_failed") == 2


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_queue_added_and_removed(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    queues = emulator.library.queues
    queues["newQueue"] = {
        "name": "newQueue",
        "isPaused": False,
        "statistics": {
            "active": 1,
            "completed": 0,
            "failed": 3,
            "delayed": 0,
            "waiting": 4,
            "paused": 0,
        },
    }
    removed = queues.pop("sidecar")

    await advance(hass, freezer, QUEUES_INTERVAL)

    assert sensor_value(hass, f"{ADMIN_USER_ID}_queue_newQueue_waiting") == 4
    assert sensor_value(hass, f"{ADMIN_USER_ID}_queue_newQueue_failed") == 3
    new_queue = hass.states.get(
        entity_id_for(hass, Platform.SENSOR, f"{ADMIN_USER_ID}_queue_newQueue_waiting")
    )
    assert new_queue is not None
    assert new_queue.name.endswith("New queue waiting jobs")
    assert (
        state_of(hass, Platform.SENSOR, f"{ADMIN_USER_ID}_queue_{removed['name']}_waiting")
        == STATE_UNAVAILABLE
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_user_added(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    new_user_id = "9f3a0000-0000-4000-8000-000000000099"
    emulator.library.users[new_user_id] = {
        **emulator.library.users[SECOND_USER_ID],
        "id": new_user_id,
        "name": "Third User",
        "email": "third@example.com",
    }

    await advance(hass, freezer, STATISTICS_INTERVAL)

    unique_id = f"{ADMIN_USER_ID}_user_{new_user_id}_usage"
    assert sensor_value(hass, unique_id) == 0
    state = hass.states.get(entity_id_for(hass, Platform.SENSOR, unique_id))
    assert state is not None
    assert state.name.endswith("Disk used by Third User")


@snapshot_on_newest
@snapshot_release
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_admin_snapshot(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    # Two queues show the queue sensors; all eighteen would bury the rest of the snapshot.
    queues = emulator.library.queues
    for name in list(queues):
        if name not in ("thumbnailGeneration", "metadataExtraction"):
            del queues[name]
    with patch("custom_components.immich.PLATFORMS", [Platform.SENSOR]):
        await setup_entry(hass, config_entry)

    await snapshot_platform(hass, entity_registry, snapshot, config_entry.entry_id)


@snapshot_on_newest
@snapshot_release
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_non_admin_snapshot(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    entry = user_config_entry(emulator)
    with patch("custom_components.immich.PLATFORMS", [Platform.SENSOR]):
        await setup_entry(hass, entry)

    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
