"""A stored server URL with a user name and password: the entry loads, and neither shows."""

from __future__ import annotations

import json
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.const import CONF_URL, DOMAIN
from custom_components.immich.diagnostics import async_get_config_entry_diagnostics
from custom_components.immich.slideshow.settings import (
    SUBENTRY_TYPE_SLIDESHOW,
    SlideshowSettings,
    Source,
)
from immich_emulator import ADMIN_USER_ID, EmulatorServer

from .conftest import entry_data_for

PASSWORD = "s3cretpw"
USER_NAME = "alice"


def entry_with_credentials(emulator: EmulatorServer) -> MockConfigEntry:
    """Return an entry whose stored URL contains a user name and password, as the config flow
    accepted before it rejected them."""
    data = entry_data_for(emulator)
    data[CONF_URL] = emulator.url.replace("http://", f"http://{USER_NAME}:{PASSWORD}@", 1)
    return MockConfigEntry(
        domain=DOMAIN,
        title="Admin User (127.0.0.1)",
        unique_id=ADMIN_USER_ID,
        data=data,
        version=1,
        minor_version=2,
        subentries_data=[
            {
                "subentry_type": SUBENTRY_TYPE_SLIDESHOW,
                "title": "Random",
                "data": SlideshowSettings(Source.RANDOM).as_data(),
                "unique_id": None,
            }
        ],
    )


def every_device(hass: HomeAssistant) -> list[dr.DeviceEntry]:
    """Return every device in the registry, of any integration.

    Iterating `devices` yields device entries on Home Assistant 2026.x and device ids on 2025.x.
    """
    registry = dr.async_get(hass)
    devices = []
    for item in list(registry.devices):
        device = item if isinstance(item, dr.DeviceEntry) else registry.async_get(item)
        assert device is not None
        devices.append(device)
    return devices


def as_text(value: Any) -> str:
    return json.dumps(value, default=str)


async def test_stored_credentials_never_shown(
    hass: HomeAssistant, emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    entry = entry_with_credentials(emulator)
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert entry.state is ConfigEntryState.LOADED
    states = hass.states.async_all()
    immich_urls = [
        state.attributes["immich_url"] for state in states if "immich_url" in state.attributes
    ]
    assert immich_urls, "the slideshow should show a photo with its Immich link"
    for immich_url in immich_urls:
        assert immich_url.startswith(f"{emulator.url}/photos/"), immich_url
    for state in states:
        assert PASSWORD not in as_text(state.as_dict()), state.entity_id
        assert f"{USER_NAME}@" not in as_text(state.as_dict()), state.entity_id

    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    configuration_urls = [device.configuration_url for device in devices]
    assert [url for url in configuration_urls if url is not None] == [emulator.url]
    for device in every_device(hass):
        assert PASSWORD not in as_text(device.dict_repr), device.id
        assert f"{USER_NAME}@" not in as_text(device.dict_repr), device.id

    response = await hass.services.async_call(
        DOMAIN,
        "get_random_assets",
        {"config_entry_id": entry.entry_id, "count": 2},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert PASSWORD not in as_text(response)
    for asset in response["assets"]:
        assert asset["immich_url"] == f"{emulator.url}/photos/{asset['asset_id']}"

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert PASSWORD not in as_text(diagnostics)

    assert "contains a user name or password" in caplog.text
    assert PASSWORD not in caplog.text
