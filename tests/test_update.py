"""Update entity: installed and latest version, disabled version checks and server upgrades."""

from __future__ import annotations

import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.update import (
    ATTR_INSTALLED_VERSION,
    ATTR_LATEST_VERSION,
    ATTR_RELEASE_URL,
)
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.immich.compat import async_get_entry_device
from custom_components.immich.const import DOMAIN
from custom_components.immich.coordinator import SERVER_INTERVAL, STATISTICS_INTERVAL
from immich_emulator import ADMIN_USER_ID, EmulatorServer
from tests.generations import older_than_latest_release, snapshot_release, version_check

from .integration import advance, entity_id_for, setup_entry, snapshot_on_newest

UPDATE_UNIQUE_ID = f"{ADMIN_USER_ID}_update"


def update_state(hass: HomeAssistant) -> tuple[str, dict[str, object]]:
    state = hass.states.get(entity_id_for(hass, Platform.UPDATE, UPDATE_UNIQUE_ID))
    assert state is not None
    return state.state, dict(state.attributes)


@version_check
@older_than_latest_release
async def test_update_available(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    release = emulator.library.release_version
    assert release is not None
    await setup_entry(hass, config_entry)

    state, attributes = update_state(hass)

    assert state == STATE_ON
    assert attributes[ATTR_INSTALLED_VERSION] == emulator.profile.version_text
    assert attributes[ATTR_LATEST_VERSION] == release
    assert attributes[ATTR_RELEASE_URL] == (
        f"https://github.com/immich-app/immich/releases/tag/{release}"
    )


@version_check
async def test_version_checks_disabled(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.library.release_version = None
    caplog.set_level(logging.WARNING)

    await setup_entry(hass, config_entry)
    state, attributes = update_state(hass)

    assert state == STATE_UNKNOWN
    assert attributes[ATTR_INSTALLED_VERSION] == emulator.profile.version_text
    assert attributes[ATTR_LATEST_VERSION] is None
    assert attributes[ATTR_RELEASE_URL] is None
    assert [r for r in caplog.records if r.name.startswith("custom_components.immich")] == []


@version_check
@older_than_latest_release
async def test_version_checks_turned_off_later(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    assert update_state(hass)[0] == STATE_ON

    emulator.library.release_version = None
    await advance(hass, freezer, SERVER_INTERVAL)

    assert update_state(hass)[0] == STATE_UNKNOWN


@version_check
async def test_server_upgrade(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    device = async_get_entry_device(hass, config_entry.entry_id)
    assert device is not None
    assert device.sw_version == emulator.profile.version_text

    emulator.reported_version = (2, 8, 1)
    await advance(hass, freezer, SERVER_INTERVAL)

    state, attributes = update_state(hass)
    assert attributes[ATTR_INSTALLED_VERSION] == "v2.8.1"
    assert state == STATE_OFF
    device = async_get_entry_device(hass, config_entry.entry_id)
    assert device is not None
    assert device.sw_version == "v2.8.1"


async def test_no_entity_without_version_check(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    # Servers before v1.134 have no version check route.
    emulator.add_fault("missing_route", r"^GET /api/server/version-check$")
    await setup_entry(hass, config_entry)

    assert er.async_get(hass).async_get_entity_id(Platform.UPDATE, DOMAIN, UPDATE_UNIQUE_ID) is None


@snapshot_on_newest
@snapshot_release
async def test_snapshot(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    with patch("custom_components.immich.PLATFORMS", [Platform.UPDATE]):
        await setup_entry(hass, config_entry)

    await snapshot_platform(hass, entity_registry, snapshot, config_entry.entry_id)


@version_check
async def test_unavailable_while_server_down(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    emulator.add_fault("html_error", r"/api/", status=502)

    await advance(hass, freezer, STATISTICS_INTERVAL)

    state, _ = update_state(hass)
    assert state == STATE_UNAVAILABLE

    emulator.faults.clear()
    await advance(hass, freezer, STATISTICS_INTERVAL)
    state, _ = update_state(hass)
    assert state != STATE_UNAVAILABLE
