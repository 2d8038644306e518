"""Asset and slideshow responses seen on real servers: missing permissions, paged albums,
random searches that repeat, HEIC and live photos, and searches that ignore `visibility`."""

from __future__ import annotations

import copy
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich.const import DOMAIN
from custom_components.immich.issues import missing_permission_issue_id
from custom_components.immich.slideshow.settings import Order, SlideshowSettings, Source
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, EMPTY_ALBUM_ID, EmulatorServer
from immich_emulator.library import EmulatedAlbum

from .conftest import setup_with_media_source
from .generations import each_profile, plural_paths, requires, version_at_least
from .test_actions import call
from .test_image import (
    advance,
    fetch_image,
    image_entity,
    setup_slideshows,
    slideshow_entity_id,
    visible_image_ids,
)
from .test_media_source import asset_ids_of, browse, child_ids

TEMPLATE_ASSET_ID = "741ca548-ae85-46f9-9a70-2eeb4cff4eff"
"""A captured photo whose fields the added assets copy."""
THUMBNAIL_REQUEST = "/thumbnail"
THUMBNAIL_ROUTE = r"^GET /api/assets/[^/]+/thumbnail$"

thumbnails_need_asset_view = requires(
    version_at_least(1, 137), "lets any key read thumbnails (`asset.view` from v1.137)"
)
random_search = requires(version_at_least(1, 116), "has no `POST /search/random` (before v1.116)")


def add_asset(emulator: EmulatorServer, number: int, **fields: Any) -> str:
    """Add a photo of the admin, taken on a June day of 2020, and return its id."""
    asset = copy.deepcopy(emulator.library.assets[TEMPLATE_ASSET_ID])
    asset_id = f"f1e1d000-0000-4000-8000-{number:012d}"
    taken = f"2020-06-{number:02d}T10:00:00.000Z"
    asset.update(
        id=asset_id,
        originalFileName=f"IMG_2020_06_{number:02d}.jpg",
        deviceAssetId=f"IMG_2020_06_{number:02d}.jpg-{number}",
        fileCreatedAt=taken,
        fileModifiedAt=taken,
        localDateTime=taken,
        isFavorite=False,
    )
    asset["exifInfo"] = {**asset["exifInfo"], "dateTimeOriginal": taken}
    asset.update(fields)
    emulator.library.assets[asset_id] = asset
    return asset_id


def add_album(emulator: EmulatorServer, name: str, asset_ids: list[str]) -> str:
    """Add an album of the admin that contains these assets, and return its id."""
    data = copy.deepcopy(emulator.library.albums[EMPTY_ALBUM_ID].data)
    album_id = f"a1b0d000-0000-4000-8000-{len(emulator.library.albums):012d}"
    data.update(
        id=album_id,
        albumName=name,
        description="",
        assetCount=len(asset_ids),
        albumThumbnailAssetId=asset_ids[0],
    )
    emulator.library.albums[album_id] = EmulatedAlbum(data, list(asset_ids))
    return album_id


def thumbnail_requests(emulator: EmulatorServer) -> int:
    return sum(1 for line in emulator.stats.log if THUMBNAIL_REQUEST in line)


async def emulator_get(emulator: EmulatorServer, path: str) -> tuple[bytes, str]:
    """Request an API path from the emulator directly, with the admin's key."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{emulator.url}/api/{path}", headers={"x-api-key": ADMIN_KEY}) as response,
    ):
        assert response.status == 200
        return await response.read(), response.content_type


# Thumbnails that need `asset.view` (Immich v1.137+)


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@each_profile()
@thumbnails_need_asset_view
async def test_thumbnail_permission_pauses_slideshow(
    hass: HomeAssistant, emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    emulator.add_fault("missing_permission", THUMBNAIL_ROUTE, permission="asset.view")
    entry = await setup_slideshows(
        hass, emulator, ("Random", SlideshowSettings(Source.RANDOM, interval=60))
    )
    entity_id = slideshow_entity_id(hass, entry, "Random")
    entity = image_entity(hass, entity_id)
    issue_id = missing_permission_issue_id(entry.entry_id, "asset.view")

    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["permission"] == "asset.view"

    emulator.stats.reset()
    for _ in range(20):
        await entity.async_next()
    for _ in range(5):
        await entity.async_refresh_source()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert thumbnail_requests(emulator) == 0

    # An hour of intervals retries after 5, 15 and 35 minutes, as the wait doubles.
    for _ in range(60):
        await tick(hass, freezer, 60)
    assert thumbnail_requests(emulator) == 3
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE

    emulator.faults.clear()
    for _ in range(41):
        await tick(hass, freezer, 60)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state != STATE_UNAVAILABLE
    assert state.attributes["status"] == "showing"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


@thumbnails_need_asset_view
@pytest.mark.parametrize("size", ["thumbnail", "preview", "fullsize"])
async def test_media_view_reports_thumbnail_permission(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    size: str,
) -> None:
    photo_id = add_asset(emulator, 1)
    emulator.add_fault("missing_permission", THUMBNAIL_ROUTE, permission="asset.view")
    await setup_with_media_source(hass, config_entry)
    issue_id = missing_permission_issue_id(config_entry.entry_id, "asset.view")
    client = await hass_client()
    path = f"/immich/{ADMIN_USER_ID}/{photo_id}/{size}/image/jpeg"

    denied = await client.get(path)
    assert denied.status == HTTPStatus.FORBIDDEN
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    emulator.faults.clear()
    served = await client.get(path)
    assert served.status == HTTPStatus.OK
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


# Album contents of v3, paged by `POST /search/metadata`


def paged_album(emulator: EmulatorServer) -> tuple[str, list[str]]:
    """Add an album of three photos and make the metadata search send two per page."""
    asset_ids = [add_asset(emulator, number) for number in (1, 2, 3)]
    album_id = add_album(emulator, "Paged", asset_ids)
    emulator.library.search_page_size = 2
    return album_id, asset_ids


@pytest.mark.parametrize("emulator_profile", ["v3.0.3"])
@pytest.mark.parametrize("order", [Order.SEQUENTIAL, Order.SHUFFLE])
async def test_album_slideshow_reads_every_page(
    hass: HomeAssistant, emulator: EmulatorServer, order: Order
) -> None:
    album_id, asset_ids = paged_album(emulator)
    detail, _ = await emulator_get(emulator, f"albums/{album_id}")
    assert b'"assets"' not in detail
    assert b'"assetCount": 3' in detail

    entry = await setup_slideshows(
        hass, emulator, ("Paged", SlideshowSettings(Source.ALBUMS, ids=(album_id,), order=order))
    )
    entity_id = slideshow_entity_id(hass, entry, "Paged")
    first = hass.states.get(entity_id)
    assert first is not None
    shown = [first.attributes["asset_id"]]
    for _ in range(3):
        shown.append((await advance(hass, entity_id))["asset_id"])

    if order is Order.SEQUENTIAL:
        assert shown == [*asset_ids, asset_ids[0]]
    else:
        assert set(shown[:3]) == set(asset_ids)


@pytest.mark.parametrize("emulator_profile", ["v3.0.3"])
async def test_album_browser_reads_every_page(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    album_id, asset_ids = paged_album(emulator)
    await setup_with_media_source(hass, config_entry)
    identifier = f"{ADMIN_USER_ID}|albums|{album_id}"

    first = await browse(hass, identifier)
    folders = [child for child in child_ids(first) if child.count("|") < 5]
    assert folders == [f"{identifier}@2"]
    second = await browse(hass, folders[0])

    assert asset_ids_of(first) == [asset_ids[2], asset_ids[1]]
    assert asset_ids_of(second) == [asset_ids[0]]
    assert [child for child in child_ids(second) if child.count("|") < 5] == []


# Random searches that repeat one asset or return nothing


def timeline_image_ids(emulator: EmulatorServer) -> set[str]:
    library = emulator.library
    return {
        asset_id
        for asset_id in visible_image_ids(emulator)
        if library.assets[asset_id].get("visibility", "timeline") == "timeline"
    }


@each_profile()
@random_search
@pytest.mark.parametrize("random_result", ["same", "empty"])
async def test_random_slideshow_changes_photo(
    hass: HomeAssistant, emulator: EmulatorServer, random_result: str
) -> None:
    images = timeline_image_ids(emulator)
    assert len(images) >= 9, "the emulator library has enough photos for nine advances"
    stuck = sorted(images)[0]
    emulator.library.random_asset_ids = [stuck] if random_result == "same" else []
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    entity_id = slideshow_entity_id(hass, entry, "Random")
    first = hass.states.get(entity_id)
    assert first is not None
    assert first.attributes["status"] == "showing"

    shown = [first.attributes["asset_id"]]
    for _ in range(8):
        shown.append((await advance(hass, entity_id))["asset_id"])

    assert set(shown) <= images
    assert len(set(shown)) == len(shown)
    # One metadata search page contains the whole library, so it is read once.
    assert emulator.stats.requests["POST /api/search/metadata"] == 1
    assert emulator.stats.requests["POST /api/search/random"] <= 2


# HEIC originals and live photos


@plural_paths
async def test_heic_photo_served_as_preview(
    hass: HomeAssistant, emulator: EmulatorServer, hass_client: ClientSessionGenerator
) -> None:
    heic_id = add_asset(
        emulator, 1, originalFileName="IMG_0001.HEIC", originalMimeType="image/heic"
    )
    emulator.library.originals[heic_id] = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00heicmif1"
    album_id = add_album(emulator, "HEIC", [heic_id])
    original, original_type = await emulator_get(emulator, f"assets/{heic_id}/original")
    preview, preview_type = await emulator_get(emulator, f"assets/{heic_id}/thumbnail?size=preview")
    _, thumbnail_type = await emulator_get(emulator, f"assets/{heic_id}/thumbnail?size=thumbnail")
    assert original_type == "image/heic"
    assert preview_type == "image/jpeg"
    assert thumbnail_type == "image/webp"

    entry = await setup_slideshows(
        hass, emulator, ("HEIC", SlideshowSettings(Source.ALBUMS, ids=(album_id,)))
    )
    entity_id = slideshow_entity_id(hass, entry, "HEIC")
    body, content_type = await fetch_image(hass_client, hass, entity_id)

    assert content_type == preview_type
    assert body == preview
    assert body != original


@plural_paths
async def test_live_photo_shows_still_never_video(
    hass: HomeAssistant, emulator: EmulatorServer, hass_client: ClientSessionGenerator
) -> None:
    motion_id = add_asset(
        emulator,
        1,
        type="VIDEO",
        originalFileName="IMG_0001.MOV",
        originalMimeType="video/quicktime",
        visibility="hidden",
    )
    still_id = add_asset(
        emulator,
        2,
        originalFileName="IMG_0001.HEIC",
        originalMimeType="image/heic",
        livePhotoVideoId=motion_id,
    )
    video_id = add_asset(
        emulator, 3, type="VIDEO", originalFileName="VID_0003.mp4", originalMimeType="video/mp4"
    )
    photo_id = add_asset(emulator, 4)
    album_id = add_album(emulator, "Live", [motion_id, still_id, video_id, photo_id])
    still_preview, _ = await emulator_get(emulator, f"assets/{still_id}/thumbnail?size=preview")

    entry = await setup_slideshows(
        hass,
        emulator,
        ("Live", SlideshowSettings(Source.ALBUMS, ids=(album_id,))),
        (
            "Live in order",
            SlideshowSettings(Source.ALBUMS, ids=(album_id,), order=Order.SEQUENTIAL),
        ),
    )
    for title in ("Live", "Live in order"):
        entity_id = slideshow_entity_id(hass, entry, title)
        shown = set()
        for _ in range(8):
            attributes = await advance(hass, entity_id)
            shown.add(attributes["asset_id"])
            if attributes["asset_id"] == still_id:
                body, content_type = await fetch_image(hass_client, hass, entity_id)
                assert content_type == "image/jpeg"
                assert body == still_preview
        assert shown == {still_id, photo_id}


# Archived, trashed and offline assets on a server that ignores `visibility`


def mixed_album(emulator: EmulatorServer) -> tuple[str, dict[str, str]]:
    ids = {
        "timeline": add_asset(emulator, 1),
        "timeline2": add_asset(emulator, 2),
        "archived": add_asset(emulator, 3, isArchived=True, visibility="archive"),
        "trashed": add_asset(emulator, 4, isTrashed=True),
        "offline": add_asset(emulator, 5, isOffline=True),
    }
    album_id = add_album(emulator, "Mixed", list(ids.values()))
    emulator.library.search_ignores_visibility = True
    return album_id, ids


@pytest.mark.parametrize("include_archived", [False, True])
@pytest.mark.parametrize("order", [Order.SEQUENTIAL, Order.SHUFFLE])
async def test_slideshow_skips_trashed_and_offline(
    hass: HomeAssistant, emulator: EmulatorServer, order: Order, include_archived: bool
) -> None:
    album_id, ids = mixed_album(emulator)
    expected = {ids["timeline"], ids["timeline2"]}
    if include_archived:
        expected.add(ids["archived"])
    settings = SlideshowSettings(
        Source.ALBUMS, ids=(album_id,), order=order, include_archived=include_archived
    )
    entry = await setup_slideshows(hass, emulator, ("Mixed", settings))
    entity_id = slideshow_entity_id(hass, entry, "Mixed")

    shown = set()
    for _ in range(9):
        shown.add((await advance(hass, entity_id))["asset_id"])

    assert shown == expected


@each_profile()
async def test_browser_and_action_skip_hidden_states(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    album_id, ids = mixed_album(emulator)
    expected = {ids["timeline"], ids["timeline2"]}
    await setup_with_media_source(hass, config_entry)

    album = await browse(hass, f"{ADMIN_USER_ID}|albums|{album_id}")
    response = await call(
        hass,
        "get_random_assets",
        {"config_entry_id": config_entry.entry_id, "count": 5, "album_id": album_id},
        response=True,
    )

    assert set(asset_ids_of(album)) == expected
    assert {asset["asset_id"] for asset in response["assets"]} == expected
