"""Recovery after an outage: no stale error from before it, and no wait of a whole poll interval."""

from __future__ import annotations

import asyncio
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.const import DOMAIN
from custom_components.immich.coordinator import SERVER_INTERVAL, STATISTICS_INTERVAL
from custom_components.immich.slideshow.settings import SlideshowSettings, Source
from immich_emulator import EmulatorServer

from .integration import advance, entity_id_for, setup_entry
from .test_image import image_entity, setup_slideshows, slideshow_entity_id
from .test_update import UPDATE_UNIQUE_ID

THUMBNAIL_ROUTE = r"^GET /api/assets/[^/]+/thumbnail$"
STALE_WARNING = "cannot load photos"


async def setup_random(
    hass: HomeAssistant, emulator: EmulatorServer
) -> tuple[MockConfigEntry, str]:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    return entry, slideshow_entity_id(hass, entry, "Random")


async def step(hass: HomeAssistant, entity_id: str) -> None:
    await image_entity(hass, entity_id).async_next()
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_failed_prefetch_retried_after_recovery(
    hass: HomeAssistant, emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    _, entity_id = await setup_random(hass, emulator)
    await step(hass, entity_id)

    # The prefetch started by this advance fails three previews in a row, which ends it.
    emulator.add_fault("html_error", THUMBNAIL_ROUTE, status=502)
    await step(hass, entity_id)
    emulator.faults.clear()
    caplog.clear()
    shown_before = hass.states.get(entity_id)
    assert shown_before is not None
    await step(hass, entity_id)

    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state != STATE_UNAVAILABLE
    assert state.attributes["asset_id"] != shown_before.attributes["asset_id"]
    assert not [record for record in caplog.records if STALE_WARNING in record.getMessage()]


async def test_slideshow_withdraws_its_reauth(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry, entity_id = await setup_random(hass, emulator)
    emulator.add_fault("unauthorized", THUMBNAIL_ROUTE)
    await step(hass, entity_id)
    await step(hass, entity_id)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    assert list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))

    emulator.faults.clear()
    await step(hass, entity_id)

    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state != STATE_UNAVAILABLE
    assert not list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))


async def test_random_assets_during_reload(
    hass: HomeAssistant, emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    entry, _ = await setup_random(hass, emulator)
    # The action's search returns while the reload still waits for the server's user.
    emulator.add_fault("delay", r"^POST /api/search/random$", seconds=0.3, remaining=1)
    emulator.add_fault("delay", r"^GET /api/users/me$", seconds=1.0, remaining=1)
    action = hass.async_create_task(
        hass.services.async_call(
            DOMAIN,
            "get_random_assets",
            {"config_entry_id": entry.entry_id, "count": 2},
            blocking=True,
            return_response=True,
        )
    )
    await asyncio.sleep(0.05)
    reload = hass.async_create_task(hass.config_entries.async_reload(entry.entry_id))

    response = await action
    assert await reload

    assert response is not None
    assets = response["assets"]
    assert isinstance(assets, list)
    assert len(assets) == 2
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_server_poll_retried_soon_after_failure(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    server = config_entry.runtime_data.server
    update_entity = entity_id_for(hass, Platform.UPDATE, UPDATE_UNIQUE_ID)

    emulator.add_fault("html_error", r"^GET /api/server/about$", status=502, remaining=1)
    await advance(hass, freezer, SERVER_INTERVAL)
    state = hass.states.get(update_entity)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    assert server.update_interval == STATISTICS_INTERVAL

    await advance(hass, freezer, STATISTICS_INTERVAL)

    state = hass.states.get(update_entity)
    assert state is not None
    assert state.state != STATE_UNAVAILABLE
    assert server.update_interval == SERVER_INTERVAL


async def test_step_back_during_outage_stays_unavailable(
    hass: HomeAssistant, emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    _, entity_id = await setup_random(hass, emulator)
    await step(hass, entity_id)
    await step(hass, entity_id)
    emulator.add_fault("html_error", r"/api/", status=502)
    caplog.set_level(logging.INFO, "custom_components.immich")
    for _ in range(4):
        await step(hass, entity_id)

    await image_entity(hass, entity_id).async_previous()
    await hass.async_block_till_done(wait_background_tasks=True)
    await step(hass, entity_id)

    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    warnings = [record for record in caplog.records if STALE_WARNING in record.getMessage()]
    recoveries = [
        record for record in caplog.records if "loading photos again" in record.getMessage()
    ]
    assert len(warnings) == 1
    assert recoveries == []


async def test_paused_slideshow_error_names_permission(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    _, entity_id = await setup_random(hass, emulator)
    emulator.add_fault("missing_permission", THUMBNAIL_ROUTE, permission="asset.view")
    await step(hass, entity_id)
    await step(hass, entity_id)

    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "next_image", {"entity_id": entity_id}, blocking=True
        )

    placeholders = err.value.translation_placeholders
    assert placeholders is not None
    assert "asset.view" in placeholders["reason"]
    assert "resume at" in placeholders["reason"]
