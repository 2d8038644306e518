"""Slideshow image entities: sources, filters, advancing, prefetching and empty sources."""

from __future__ import annotations

from datetime import date
from http import HTTPStatus
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich.const import DOMAIN
from custom_components.immich.image import ImmichSlideshowImage
from custom_components.immich.slideshow.settings import (
    SUBENTRY_TYPE_SLIDESHOW,
    Order,
    SlideshowSettings,
    Source,
)
from immich_emulator import ADMIN_USER_ID, EMPTY_ALBUM_ID, HOLIDAYS_ALBUM_ID, EmulatorServer

from .conftest import entry_data_for


def slideshow_entry(
    emulator: EmulatorServer, *slideshows: tuple[str, SlideshowSettings]
) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Admin User (127.0.0.1)",
        unique_id=ADMIN_USER_ID,
        data=entry_data_for(emulator),
        version=1,
        minor_version=2,
        subentries_data=[
            {
                "subentry_type": SUBENTRY_TYPE_SLIDESHOW,
                "title": title,
                "data": settings.as_data(),
                "unique_id": None,
            }
            for title, settings in slideshows
        ],
    )


async def setup_slideshows(
    hass: HomeAssistant, emulator: EmulatorServer, *slideshows: tuple[str, SlideshowSettings]
) -> MockConfigEntry:
    entry = slideshow_entry(emulator, *slideshows)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    return entry


def image_entity(hass: HomeAssistant, entity_id: str) -> ImmichSlideshowImage:
    entity = (
        hass.data["domain_entities"]["image"][entity_id] if "domain_entities" in hass.data else None
    )
    if entity is None:
        component = hass.data["image"]
        entity = component.get_entity(entity_id)
    assert isinstance(entity, ImmichSlideshowImage)
    return entity


def slideshow_entity_id(hass: HomeAssistant, entry: MockConfigEntry, title: str) -> str:
    """Return the entity id of the slideshow whose subentry has this title."""
    registry = er.async_get(hass)
    for subentry in entry.subentries.values():
        if subentry.title != title:
            continue
        unique_id = f"{entry.unique_id}_slideshow_{subentry.subentry_id}"
        entity_id = registry.async_get_entity_id("image", DOMAIN, unique_id)
        if entity_id is not None:
            return entity_id
    raise AssertionError(f"no image entity for the slideshow {title}")


async def fetch_image(
    hass_client: ClientSessionGenerator, hass: HomeAssistant, entity_id: str
) -> tuple[bytes, str]:
    state = hass.states.get(entity_id)
    assert state is not None
    client = await hass_client()
    response = await client.get(state.attributes["entity_picture"])
    assert response.status == HTTPStatus.OK
    return await response.read(), response.headers["Content-Type"]


async def test_random_slideshow_shows_preview(
    hass: HomeAssistant, emulator: EmulatorServer, hass_client: ClientSessionGenerator
) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    entity_id = slideshow_entity_id(hass, entry, "Random")
    assert entity_id == "image.immich_random"

    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["friendly_name"] == "Immich Random"
    attributes: dict[str, Any] = dict(state.attributes)
    asset_id = attributes["asset_id"]
    asset = emulator.library.assets[asset_id]
    assert asset["type"] == "IMAGE"
    assert attributes["status"] == "showing"
    assert attributes["file_name"] == asset["originalFileName"]
    assert attributes["immich_url"] == f"{emulator.url}/photos/{asset_id}"
    body, content_type = await fetch_image(hass_client, hass, entity_id)
    assert content_type == "image/jpeg"
    assert body[:3] == b"\xff\xd8\xff"


def visible_image_ids(emulator: EmulatorServer, user_id: str = ADMIN_USER_ID) -> set[str]:
    library = emulator.library
    return {
        asset_id
        for asset_id in library.visible_asset_ids(user_id)
        if library.assets[asset_id]["type"] == "IMAGE"
        and not library.assets[asset_id].get("isTrashed")
    }


async def advance(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    await image_entity(hass, entity_id).async_next()
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(entity_id)
    assert state is not None
    return dict(state.attributes)


async def test_favourites_show_only_favourites(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    favourites = {
        asset_id
        for asset_id in visible_image_ids(emulator)
        if emulator.library.assets[asset_id]["isFavorite"]
    }
    entry = await setup_slideshows(
        hass, emulator, ("Favorites", SlideshowSettings(Source.FAVORITES))
    )
    entity_id = slideshow_entity_id(hass, entry, "Favorites")

    shown = set()
    for _ in range(6):
        attributes = await advance(hass, entity_id)
        assert attributes["favorite"] is True
        shown.add(attributes["asset_id"])

    assert shown <= favourites
    assert len(shown) >= min(2, len(favourites))


async def test_album_slideshow_stays_in_album(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    album = emulator.library.albums[HOLIDAYS_ALBUM_ID]
    album_images = {i for i in album.asset_ids if emulator.library.assets[i]["type"] == "IMAGE"}
    entry = await setup_slideshows(
        hass,
        emulator,
        ("Holidays", SlideshowSettings(Source.ALBUMS, ids=(HOLIDAYS_ALBUM_ID,))),
    )
    entity_id = slideshow_entity_id(hass, entry, "Holidays")

    for _ in range(5):
        attributes = await advance(hass, entity_id)
        assert attributes["asset_id"] in album_images
        assert attributes["album"] == album.data["albumName"]


async def test_sequential_album_follows_capture_order(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    library = emulator.library
    album_images = sorted(
        (
            library.assets[i]
            for i in library.albums[HOLIDAYS_ALBUM_ID].asset_ids
            if library.assets[i]["type"] == "IMAGE"
        ),
        key=lambda asset: asset["fileCreatedAt"],
    )
    entry = await setup_slideshows(
        hass,
        emulator,
        (
            "Holidays in order",
            SlideshowSettings(Source.ALBUMS, ids=(HOLIDAYS_ALBUM_ID,), order=Order.SEQUENTIAL),
        ),
    )
    entity_id = slideshow_entity_id(hass, entry, "Holidays in order")
    first = hass.states.get(entity_id)
    assert first is not None
    shown = [first.attributes["asset_id"]]

    for _ in range(len(album_images)):
        shown.append((await advance(hass, entity_id))["asset_id"])

    expected = [asset["id"] for asset in album_images]
    assert shown[: len(expected)] == expected
    assert shown[len(expected)] == expected[0]


async def test_empty_album_shows_empty_state(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    hass_client: ClientSessionGenerator,
    caplog: Any,
) -> None:
    entry = await setup_slideshows(
        hass, emulator, ("Empty", SlideshowSettings(Source.ALBUMS, ids=(EMPTY_ALBUM_ID,)))
    )
    entity_id = slideshow_entity_id(hass, entry, "Empty")
    await advance(hass, entity_id)
    await advance(hass, entity_id)

    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["status"] == "empty"
    assert "asset_id" not in state.attributes
    body, content_type = await fetch_image(hass_client, hass, entity_id)
    assert content_type == "image/svg+xml"
    assert b"No photos to show" in body
    warnings = [r for r in caplog.records if "has nothing to show" in r.getMessage()]
    assert len(warnings) == 1


def memory_requests(emulator: EmulatorServer) -> list[str]:
    return [line for line in emulator.stats.log if line.startswith("GET /api/memories")]


@pytest.mark.parametrize(
    ("emulator_profile", "for_suffix"), [("v2.7.5", "T00:00:00.000Z"), ("v3.0.3", "")]
)
@pytest.mark.parametrize(
    ("time_zone", "utc_now", "local_day"),
    [
        # 00:30 in Vienna and 08:00 in Tokyo, when UTC is still on the day before.
        ("Europe/Vienna", "2026-12-04T23:30:00+00:00", "2026-12-05"),
        ("Asia/Tokyo", "2026-12-03T23:00:00+00:00", "2026-12-04"),
    ],
)
async def test_memories_ask_for_local_date(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    freezer: FrozenDateTimeFactory,
    time_zone: str,
    utc_now: str,
    local_day: str,
    for_suffix: str,
) -> None:
    await hass.config.async_set_time_zone(time_zone)
    freezer.move_to(utc_now)

    entry = await setup_slideshows(hass, emulator, ("Memories", SlideshowSettings(Source.MEMORIES)))
    entity_id = slideshow_entity_id(hass, entry, "Memories")

    # v2.7.5's `for` is a date-time and v3.0.3's a date; both carry the local calendar day.
    assert memory_requests(emulator) == [f"GET /api/memories?for={local_day}{for_suffix}"]
    state = hass.states.get(entity_id)
    assert state is not None
    day = date.fromisoformat(local_day)
    expected = {
        memory_asset["id"]
        for memory in emulator.library.memories_for(ADMIN_USER_ID, day)
        for memory_asset in memory["assets"]
        if memory_asset["type"] == "IMAGE"
    }
    if expected:
        assert state.attributes["asset_id"] in expected
        assert state.attributes["years_ago"] == day.year - state.attributes["memory_year"]
    else:
        assert state.attributes["status"] == "empty"


async def test_memories_fall_back_to_search(
    hass: HomeAssistant, emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to("2026-12-04T12:00:00+00:00")
    emulator.library.memories_enabled = False
    on_this_day = {
        asset["id"]: int(asset["localDateTime"][:4])
        for asset in emulator.library.assets.values()
        if asset["ownerId"] == ADMIN_USER_ID
        and asset["type"] == "IMAGE"
        and asset["localDateTime"][5:10] == "12-04"
        and int(asset["localDateTime"][:4]) < 2026
    }
    assert on_this_day, "the emulator library has photos of 4 December in earlier years"

    entry = await setup_slideshows(hass, emulator, ("Memories", SlideshowSettings(Source.MEMORIES)))
    entity_id = slideshow_entity_id(hass, entry, "Memories")

    shown = {}
    for _ in range(len(on_this_day)):
        attributes = await advance(hass, entity_id)
        shown[attributes["asset_id"]] = attributes["memory_year"]
    assert shown.items() <= on_this_day.items()
    assert len(shown) > 1
    assert any(line.startswith("POST /api/search/metadata") for line in emulator.stats.log)


async def test_advance_serves_prefetched_bytes(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    entity_id = slideshow_entity_id(hass, entry, "Random")
    entity = image_entity(hass, entity_id)
    assert entity.player is not None
    prefetched = entity.player.peek_prefetched()
    assert prefetched is not None
    emulator.stats.reset()

    await entity.async_next()

    assert emulator.stats.total == 0
    assert entity.player.current is prefetched
    assert await entity.async_image() == prefetched.image.content
    await hass.async_block_till_done(wait_background_tasks=True)
    thumbnails = [line for line in emulator.stats.log if "/thumbnail" in line]
    assert len(thumbnails) == 1


async def test_deleted_and_failing_photos_are_skipped(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    library = emulator.library
    in_order = [
        asset["id"]
        for asset in sorted(
            (library.assets[i] for i in library.albums[HOLIDAYS_ALBUM_ID].asset_ids),
            key=lambda asset: asset["fileCreatedAt"],
        )
        if asset["type"] == "IMAGE"
    ]
    assert len(in_order) >= 4
    entry = await setup_slideshows(
        hass,
        emulator,
        (
            "Holidays",
            SlideshowSettings(Source.ALBUMS, ids=(HOLIDAYS_ALBUM_ID,), order=Order.SEQUENTIAL),
        ),
    )
    entity_id = slideshow_entity_id(hass, entry, "Holidays")
    entity = image_entity(hass, entity_id)
    assert entity.player is not None
    prefetched = entity.player.peek_prefetched()
    assert prefetched is not None
    assert prefetched.asset.id == in_order[1]

    # After the prefetched photo, one photo disappears and the next fails to render.
    del library.assets[in_order[2]]
    emulator.add_fault("server_error", rf"/assets/{in_order[3]}/thumbnail", status=500)

    assert (await advance(hass, entity_id))["asset_id"] == in_order[1]
    attributes = await advance(hass, entity_id)

    assert attributes["asset_id"] == in_order[4 % len(in_order)]
    assert attributes["status"] == "showing"
    assert entity.player.skipped == 2


async def test_server_down_marks_unavailable_then_recovers(
    hass: HomeAssistant, emulator: EmulatorServer, caplog: Any
) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    entity_id = slideshow_entity_id(hass, entry, "Random")
    emulator.add_fault("html_error", r"/api/", status=502)

    await advance(hass, entity_id)
    await advance(hass, entity_id)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    warnings = [r for r in caplog.records if "cannot load photos" in r.getMessage()]
    assert len(warnings) == 1

    emulator.faults.clear()
    await advance(hass, entity_id)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state != STATE_UNAVAILABLE
    assert state.attributes["status"] == "showing"


async def test_manual_advance_restarts_interval(
    hass: HomeAssistant, emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_slideshows(
        hass, emulator, ("Random", SlideshowSettings(Source.RANDOM, interval=60))
    )
    entity_id = slideshow_entity_id(hass, entry, "Random")

    freezer.tick(50)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    shown_by_hand = (await advance(hass, entity_id))["asset_id"]

    # The timer that started with the entity would fire at 60 s; the advance moved it to 110 s.
    freezer.tick(30)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["asset_id"] == shown_by_hand

    freezer.tick(31)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["asset_id"] != shown_by_hand


async def test_server_errors_do_not_flood(
    hass: HomeAssistant, emulator: EmulatorServer, caplog: Any
) -> None:
    entry = await setup_slideshows(hass, emulator, ("Memories", SlideshowSettings(Source.MEMORIES)))
    entity_id = slideshow_entity_id(hass, entry, "Memories")
    await advance(hass, entity_id)
    emulator.add_fault("html_error", r"/thumbnail", status=502)
    emulator.stats.reset()

    await advance(hass, entity_id)
    await advance(hass, entity_id)

    thumbnails = [line for line in emulator.stats.log if "/thumbnail" in line]
    assert len(thumbnails) <= 2 * 3
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    assert not [r for r in caplog.records if "has nothing to show" in r.getMessage()]

    emulator.faults.clear()
    attributes = await advance(hass, entity_id)
    assert attributes["status"] == "showing"
    assert [r for r in caplog.records if "is loading photos again" in r.getMessage()]


async def test_last_calendar_day_as_end(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(
        hass,
        emulator,
        ("Until forever", SlideshowSettings(Source.FAVORITES, date_to=date.max)),
    )
    entity_id = slideshow_entity_id(hass, entry, "Until forever")

    attributes = await advance(hass, entity_id)

    assert attributes["status"] == "showing"
    assert attributes["favorite"] is True
