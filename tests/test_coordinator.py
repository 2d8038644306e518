"""Coordinators: cadence, unavailability and recovery, re-authentication and repair issues."""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.const import DOMAIN
from custom_components.immich.coordinator import (
    QUEUES_INTERVAL,
    SERVER_INTERVAL,
    STATISTICS_INTERVAL,
)
from custom_components.immich.issues import missing_permission_issue_id
from immich_emulator import ADMIN_USER_ID, SCOPED_KEY, SECOND_USER_ID, EmulatorServer
from tests.generations import STATISTICS_ROUTE, STORAGE_ROUTE, modern_routes, scoped_keys

from .conftest import entry_data_for
from .integration import advance, entity_id_for, integration_records, setup_entry, state_of

DISK_SIZE = f"{ADMIN_USER_ID}_disk_size"
PENDING_JOBS = f"{ADMIN_USER_ID}_jobs_pending"
SCOPED_DISK_SIZE = f"{SECOND_USER_ID}_disk_size"


def scoped_config_entry(emulator: EmulatorServer) -> MockConfigEntry:
    """Return an entry whose key has only the permissions the emulator's scoped key lists."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Second User (127.0.0.1)",
        unique_id=SECOND_USER_ID,
        data=entry_data_for(emulator, SCOPED_KEY),
        version=1,
        minor_version=2,
    )


def revoke(emulator: EmulatorServer, *permissions: str) -> frozenset[str]:
    """Remove permissions from the scoped key and return the permissions it had before."""
    key = emulator.library.keys[SCOPED_KEY]
    assert key.permissions is not None
    before = key.permissions
    key.permissions = before - set(permissions)
    return before


def permission_issue(
    hass: HomeAssistant, entry: MockConfigEntry, permission: str
) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, missing_permission_issue_id(entry.entry_id, permission)
    )


@modern_routes
async def test_poll_cadence(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    requests = emulator.stats.requests
    requests.clear()

    await advance(hass, freezer, QUEUES_INTERVAL)
    assert requests["GET /api/queues"] == 1
    assert requests["GET /api/server/storage"] == 0

    await advance(hass, freezer, STATISTICS_INTERVAL - QUEUES_INTERVAL)
    assert requests["GET /api/server/storage"] == 1
    assert requests["GET /api/server/statistics"] == 1
    assert requests["GET /api/server/version-check"] == 0

    await advance(hass, freezer, SERVER_INTERVAL)
    assert requests["GET /api/server/version-check"] == 1
    assert requests["GET /api/server/about"] == 1


@modern_routes
async def test_polling_disabled_update_entity(
    hass: HomeAssistant, emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Admin User (127.0.0.1)",
        unique_id=ADMIN_USER_ID,
        data=entry_data_for(emulator),
        version=1,
        minor_version=2,
        pref_disable_polling=True,
    )
    await setup_entry(hass, entry)
    assert await async_setup_component(hass, "homeassistant", {})
    requests = emulator.stats.requests
    requests.clear()

    await advance(hass, freezer, STATISTICS_INTERVAL)
    assert requests.total() == 0

    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {"entity_id": entity_id_for(hass, Platform.SENSOR, DISK_SIZE)},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert requests["GET /api/server/storage"] == 1
    assert requests["GET /api/queues"] == 0


@pytest.mark.parametrize(
    ("fault", "options"),
    [
        ("server_error", {"status": 500}),
        ("html_error", {"status": 502}),
        ("truncated", {}),
    ],
)
async def test_unavailable_and_recovery(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    options: dict[str, object],
) -> None:
    await setup_entry(hass, config_entry)
    caplog.clear()
    emulator.add_fault(fault, STORAGE_ROUTE, **options)

    for _ in range(3):
        await advance(hass, freezer, STATISTICS_INTERVAL)
        assert state_of(hass, Platform.SENSOR, DISK_SIZE) == STATE_UNAVAILABLE
    # The queues coordinator polls other endpoints and stays available.
    assert state_of(hass, Platform.SENSOR, PENDING_JOBS) != STATE_UNAVAILABLE
    failures = integration_records(caplog)
    assert len(failures) == 1, [record.getMessage() for record in failures]
    assert "statistics" in failures[0].getMessage()

    emulator.faults.clear()
    caplog.clear()
    await advance(hass, freezer, STATISTICS_INTERVAL)

    assert float(state_of(hass, Platform.SENSOR, DISK_SIZE)) > 0
    assert integration_records(caplog) == []
    recovered = [
        r for r in integration_records(caplog, logging.INFO) if "recovered" in r.getMessage()
    ]
    assert len(recovered) == 1


async def test_connection_loss_and_recovery(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(hass, config_entry)
    port = emulator.port
    assert port is not None
    caplog.clear()
    await emulator.stop()

    for _ in range(3):
        await advance(hass, freezer, QUEUES_INTERVAL)
        assert state_of(hass, Platform.SENSOR, PENDING_JOBS) == STATE_UNAVAILABLE
    failures = integration_records(caplog)
    assert len(failures) == 1, [record.getMessage() for record in failures]
    assert "queues" in failures[0].getMessage()

    await emulator.start(port=port)
    await advance(hass, freezer, QUEUES_INTERVAL)

    assert state_of(hass, Platform.SENSOR, PENDING_JOBS) != STATE_UNAVAILABLE
    assert len(integration_records(caplog)) == 1


async def test_unauthorized_starts_reauth(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    assert not list(config_entry.async_get_active_flows(hass, {SOURCE_REAUTH}))

    emulator.add_fault("unauthorized", STORAGE_ROUTE)
    await advance(hass, freezer, STATISTICS_INTERVAL)

    flows = list(config_entry.async_get_active_flows(hass, {SOURCE_REAUTH}))
    assert len(flows) == 1
    assert flows[0]["context"]["entry_id"] == config_entry.entry_id
    assert state_of(hass, Platform.SENSOR, DISK_SIZE) == STATE_UNAVAILABLE


async def test_unauthorized_at_setup_starts_reauth(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    emulator.add_fault("unauthorized", STATISTICS_ROUTE)

    await setup_entry(hass, config_entry, ConfigEntryState.SETUP_ERROR)

    assert len(list(config_entry.async_get_active_flows(hass, {SOURCE_REAUTH}))) == 1


@scoped_keys
async def test_missing_permission_issue(
    hass: HomeAssistant, emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    entry = scoped_config_entry(emulator)
    await setup_entry(hass, entry)
    assert permission_issue(hass, entry, "server.storage") is None

    granted = revoke(emulator, "server.storage")
    await advance(hass, freezer, STATISTICS_INTERVAL)

    issue = permission_issue(hass, entry, "server.storage")
    assert issue is not None
    assert issue.translation_key == "missing_permission"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["permission"] == "server.storage"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert state_of(hass, Platform.SENSOR, SCOPED_DISK_SIZE) == STATE_UNAVAILABLE

    emulator.library.keys[SCOPED_KEY].permissions = granted
    await advance(hass, freezer, STATISTICS_INTERVAL)

    assert permission_issue(hass, entry, "server.storage") is None
    assert state_of(hass, Platform.SENSOR, SCOPED_DISK_SIZE) != STATE_UNAVAILABLE


@scoped_keys
async def test_next_missing_permission_replaces_issue(
    hass: HomeAssistant, emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    entry = scoped_config_entry(emulator)
    await setup_entry(hass, entry)
    granted = revoke(emulator, "server.storage", "asset.statistics")
    await advance(hass, freezer, STATISTICS_INTERVAL)
    assert permission_issue(hass, entry, "server.storage") is not None

    emulator.library.keys[SCOPED_KEY].permissions = granted - {"asset.statistics"}
    await advance(hass, freezer, STATISTICS_INTERVAL)

    assert permission_issue(hass, entry, "server.storage") is None
    assert permission_issue(hass, entry, "asset.statistics") is not None


@scoped_keys
async def test_missing_permission_at_setup(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = scoped_config_entry(emulator)
    granted = revoke(emulator, "server.about")

    await setup_entry(hass, entry, ConfigEntryState.SETUP_RETRY)
    assert permission_issue(hass, entry, "server.about") is not None

    emulator.library.keys[SCOPED_KEY].permissions = granted
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert permission_issue(hass, entry, "server.about") is None


@scoped_keys
async def test_removing_entry_deletes_issues(
    hass: HomeAssistant, emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    entry = scoped_config_entry(emulator)
    await setup_entry(hass, entry)
    revoke(emulator, "server.storage")
    await advance(hass, freezer, STATISTICS_INTERVAL)
    assert permission_issue(hass, entry, "server.storage") is not None

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert permission_issue(hass, entry, "server.storage") is None


@scoped_keys
async def test_non_admin_polls_no_admin_endpoints(
    hass: HomeAssistant, emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, scoped_config_entry(emulator))

    await advance(hass, freezer, SERVER_INTERVAL + timedelta(minutes=1))

    requests = emulator.stats.requests
    assert requests["GET /api/assets/statistics"] >= 2
    for admin_only in ("GET /api/server/statistics", "GET /api/queues", "GET /api/jobs"):
        assert requests[admin_only] == 0, admin_only


@scoped_keys
async def test_missing_user_permission_at_setup(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry = scoped_config_entry(emulator)
    granted = revoke(emulator, "user.read")

    await setup_entry(hass, entry, ConfigEntryState.SETUP_ERROR)
    assert permission_issue(hass, entry, "user.read") is not None

    emulator.library.keys[SCOPED_KEY].permissions = granted
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert permission_issue(hass, entry, "user.read") is None


async def test_unauthorized_burst_recovers(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    emulator.add_fault("unauthorized", STORAGE_ROUTE)
    await advance(hass, freezer, STATISTICS_INTERVAL)
    assert state_of(hass, Platform.SENSOR, DISK_SIZE) == STATE_UNAVAILABLE
    assert len(list(config_entry.async_get_active_flows(hass, {SOURCE_REAUTH}))) == 1

    # The 401s stop, as after a proxy's hiccup: polling carries on by itself.
    emulator.faults.clear()
    await advance(hass, freezer, STATISTICS_INTERVAL)

    assert state_of(hass, Platform.SENSOR, DISK_SIZE) != STATE_UNAVAILABLE
    assert not list(config_entry.async_get_active_flows(hass, {SOURCE_REAUTH}))


async def test_dismissed_reauth_is_asked_again(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    emulator.add_fault("unauthorized", STORAGE_ROUTE)
    await advance(hass, freezer, STATISTICS_INTERVAL)
    flows = list(config_entry.async_get_active_flows(hass, {SOURCE_REAUTH}))
    assert len(flows) == 1
    hass.config_entries.flow.async_abort(flows[0]["flow_id"])

    await advance(hass, freezer, STATISTICS_INTERVAL)

    assert len(list(config_entry.async_get_active_flows(hass, {SOURCE_REAUTH}))) == 1
