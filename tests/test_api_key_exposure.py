"""The API key never shows in logs, states, the device, repair issues or diagnostics."""

from __future__ import annotations

import json
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.compat import async_get_entry_device
from custom_components.immich.coordinator import (
    QUEUES_INTERVAL,
    SERVER_INTERVAL,
    STATISTICS_INTERVAL,
)
from custom_components.immich.diagnostics import async_get_config_entry_diagnostics
from immich_emulator import ADMIN_KEY, EmulatorServer

from .integration import advance, setup_entry


def exposed_in_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the formatted records, with tracebacks, that contain the API key."""
    handler_format = logging.Formatter("%(name)s %(levelname)s %(message)s")
    exposed = []
    for record in caplog.records:
        text = handler_format.format(record)
        if ADMIN_KEY in text or ADMIN_KEY in repr(record.args):
            exposed.append(text)
    return exposed


async def test_api_key_never_exposed(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await setup_entry(hass, config_entry)
    await advance(hass, freezer, SERVER_INTERVAL)

    # Each coordinator fails in another way, then recovers.
    emulator.add_fault("server_error", r"^GET /api/server/storage$", remaining=1)
    emulator.add_fault("truncated", r"^GET /api/queues$", remaining=1)
    emulator.add_fault(
        "missing_permission", r"^GET /api/server/about$", permission="server.about", remaining=1
    )
    await advance(hass, freezer, SERVER_INTERVAL)
    issues = [
        issue for (domain, _), issue in ir.async_get(hass).issues.items() if domain == "immich"
    ]
    assert issues, "the missing permission should have raised a repair issue"
    await advance(hass, freezer, SERVER_INTERVAL)

    port = emulator.port
    assert port is not None
    await emulator.stop()
    await advance(hass, freezer, QUEUES_INTERVAL)
    await emulator.start(port=port)
    await advance(hass, freezer, STATISTICS_INTERVAL)

    emulator.add_fault("unauthorized", r"^GET /api/server/storage$")
    await advance(hass, freezer, STATISTICS_INTERVAL)
    emulator.faults.clear()

    # Called directly: the test client's access token expired while the clock moved on.
    diagnostics = await async_get_config_entry_diagnostics(hass, config_entry)
    states = [
        hass.states.get(registry_entry.entity_id)
        for registry_entry in er.async_entries_for_config_entry(
            er.async_get(hass), config_entry.entry_id
        )
    ]
    device = async_get_entry_device(hass, config_entry.entry_id)
    assert device is not None

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.NOT_LOADED

    # The capture must contain the integration's debug output, or the search below proves nothing.
    integration_debug = [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.immich") and record.levelno == logging.DEBUG
    ]
    assert integration_debug
    assert any("Error fetching" in record.getMessage() for record in caplog.records)
    assert exposed_in_records(caplog) == []
    assert ADMIN_KEY not in caplog.text

    assert ADMIN_KEY not in json.dumps(diagnostics, default=str)
    for state in states:
        if state is not None:
            assert ADMIN_KEY not in json.dumps(state.as_dict(), default=str), state.entity_id
    assert ADMIN_KEY not in str(device.configuration_url)
    for issue in issues:
        assert ADMIN_KEY not in json.dumps(issue.translation_placeholders)
