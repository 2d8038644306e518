"""Slideshow attributes change every photo, so the recorder must not store them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.recorder.history import get_significant_states
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.immich.slideshow.settings import SlideshowSettings, Source
from immich_emulator import EmulatorServer

from .test_image import advance, setup_slideshows, slideshow_entity_id


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """Start the recorder before Home Assistant, as the recorder fixtures require."""


async def test_slide_attributes_not_recorded(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    entity_id = slideshow_entity_id(hass, entry, "Random")
    start = dt_util.utcnow()
    await advance(hass, entity_id)
    await async_wait_recording_done(hass)

    live = hass.states.get(entity_id)
    assert live is not None
    assert "asset_id" in live.attributes
    recorded = await hass.async_add_executor_job(
        get_significant_states, hass, start - timedelta(minutes=1), None, [entity_id]
    )
    assert recorded[entity_id]
    for state in recorded[entity_id]:
        assert "asset_id" not in state.attributes
        assert "file_name" not in state.attributes
        assert "people" not in state.attributes
        assert "status" not in state.attributes
