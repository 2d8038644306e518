"""Slideshows follow live events: removed photos leave at once, changed ones are re-checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
import pytest

from custom_components.immich.slideshow.settings import SlideshowSettings, Source
from immich_emulator import EmulatorServer

from .test_image import image_entity, setup_slideshows, slideshow_entity_id
from .test_live_updates import edit, wait_for

pytestmark = pytest.mark.live_updates

ADVANCES = 12


@pytest.fixture(autouse=True)
def fast_retry() -> Iterator[None]:
    with patch("custom_components.immich.live.FIRST_RETRY", 0.05):
        yield


def shown_asset(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    assert state is not None
    asset_id: str | None = state.attributes.get("asset_id")
    return asset_id


async def started_slideshow(
    hass: HomeAssistant, emulator: EmulatorServer, title: str, settings: SlideshowSettings
) -> tuple[Any, str]:
    entry = await setup_slideshows(hass, emulator, (title, settings))
    live = entry.runtime_data.live
    assert live is not None
    await wait_for(lambda: live.connected, "live updates connected")
    entity_id = slideshow_entity_id(hass, entry, title)
    await wait_for(lambda: shown_asset(hass, entity_id) is not None, "a first photo")
    return entry, entity_id


async def shown_after_advances(hass: HomeAssistant, entity_id: str) -> set[str]:
    shown = set()
    for _ in range(ADVANCES):
        await image_entity(hass, entity_id).async_next()
        if (asset_id := shown_asset(hass, entity_id)) is not None:
            shown.add(asset_id)
    return shown


async def test_trashed_photo_on_show_is_replaced_at_once(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    _, entity_id = await started_slideshow(
        hass, emulator, "Random", SlideshowSettings(Source.RANDOM)
    )
    trashed = shown_asset(hass, entity_id)
    assert trashed is not None

    await edit(emulator, "DELETE", "assets", {"ids": [trashed]})
    await wait_for(lambda: shown_asset(hass, entity_id) != trashed, "another photo")

    assert trashed not in await shown_after_advances(hass, entity_id)


async def test_photo_no_longer_favorite_leaves_favorites(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    _, entity_id = await started_slideshow(
        hass, emulator, "Favorites", SlideshowSettings(Source.FAVORITES)
    )
    unfavorited = shown_asset(hass, entity_id)
    assert unfavorited is not None

    await edit(emulator, "PUT", "assets", {"ids": [unfavorited], "isFavorite": False})
    await wait_for(lambda: shown_asset(hass, entity_id) != unfavorited, "another favorite")

    assert unfavorited not in await shown_after_advances(hass, entity_id)


async def test_new_favorite_joins_favorites(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry, entity_id = await started_slideshow(
        hass, emulator, "Favorites", SlideshowSettings(Source.FAVORITES)
    )
    library = emulator.library
    candidates = [
        asset_id
        for asset_id, asset in library.assets.items()
        if asset["type"] == "IMAGE"
        and not asset["isFavorite"]
        and not asset.get("isTrashed")
        and asset["ownerId"] == entry.unique_id
        and asset.get("visibility", "timeline") == "timeline"
    ]
    assert candidates
    # Only the new favorite is left, so the next photos must be it once the feed re-reads.
    for asset_id, asset in library.assets.items():
        if asset["isFavorite"] and asset["ownerId"] == entry.unique_id:
            await edit(emulator, "PUT", "assets", {"ids": [asset_id], "isFavorite": False})
    await edit(emulator, "PUT", "assets", {"ids": [candidates[0]], "isFavorite": True})
    await wait_for(lambda: shown_asset(hass, entity_id) in (None, candidates[0]), "re-read")

    assert await shown_after_advances(hass, entity_id) == {candidates[0]}
