"""Large libraries and conditional album lists: setup, memory, logging and 304 Not Modified."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
import gc
import logging
import time
from typing import Any

from homeassistant.components.media_source import BrowseMediaSource, async_browse_media
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich import compat, slideshow_choices
from custom_components.immich.api import (
    Album,
    Asset,
    AssetSearchFilter,
    ImmichClient,
    ImmichServerError,
    SearchPage,
)
from custom_components.immich.api.conditional import ConditionalCache
from custom_components.immich.const import DOMAIN
from custom_components.immich.image import ImmichSlideshowImage
from custom_components.immich.media_browser import PAGE_SIZE
from custom_components.immich.media_source import SEARCH_RESULT_SIZE
from custom_components.immich.slideshow.feeds import MemoriesFeed
from custom_components.immich.slideshow.settings import (
    SUBENTRY_TYPE_SLIDESHOW,
    Order,
    SlideshowSettings,
    Source,
)
from immich_emulator import (
    ADMIN_KEY,
    ADMIN_USER_ID,
    SECOND_USER_ID,
    USER_KEY,
    WINTER_ALBUM_ID,
    EmulatorServer,
)
from immich_emulator.virtual import ASSET_ID_PREFIX, LARGE_ALBUM_ID
from immich_emulator.virtual_server import VirtualAlbumServer

from .conftest import entry_data_for
from .test_field_assets import add_asset

LARGE_ALBUM_SIZE = 25_000
SEARCH_DELAY = 0.05
"""Seconds the server takes for each metadata search page."""
SEQUENTIAL_TITLE = "Everything in order"
SEARCH = "POST /api/search/metadata"
ALBUMS = "GET /api/albums"
MAX_ASSETS_HELD = 1_000
"""Far fewer than the album's 25,000: a few pages, batches and the slideshow history."""
ROOT = f"media-source://{DOMAIN}"
TRUNCATION_MESSAGE = "Media searches in %s show only the first %d matches"
BOTH_PROFILES = pytest.mark.parametrize("emulator_profile", ["v2.7.5", "v3.0.3"])
# Request counts below are those of v2.7.5, which lists owned and shared albums separately.
V2_7_5 = pytest.mark.parametrize("emulator_profile", ["v2.7.5"])


@pytest.fixture
async def large_server(socket_enabled: None) -> AsyncIterator[VirtualAlbumServer]:
    """An emulated v2.7.5 server whose admin also owns an album of 25,000 photos."""
    server = VirtualAlbumServer(asset_count=LARGE_ALBUM_SIZE)
    await server.start()
    yield server
    await server.stop()


def large_entry(server: EmulatorServer) -> MockConfigEntry:
    """Return the admin's entry with ordered, shuffled and memories slideshows."""
    slideshows = [
        (
            SEQUENTIAL_TITLE,
            SlideshowSettings(Source.ALBUMS, ids=(LARGE_ALBUM_ID,), order=Order.SEQUENTIAL),
        ),
        ("Everything shuffled", SlideshowSettings(Source.ALBUMS, ids=(LARGE_ALBUM_ID,))),
        ("Memories", SlideshowSettings(Source.MEMORIES)),
    ]
    return MockConfigEntry(
        domain=DOMAIN,
        title="Admin User (127.0.0.1)",
        unique_id=ADMIN_USER_ID,
        data=entry_data_for(server),
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


async def setup_large_entry(hass: HomeAssistant, server: EmulatorServer) -> MockConfigEntry:
    assert await async_setup_component(hass, "media_source", {})
    entry = large_entry(server)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    return entry


def slideshow(hass: HomeAssistant, title: str) -> ImmichSlideshowImage:
    if "domain_entities" in hass.data:
        entities = list(hass.data["domain_entities"]["image"].values())
    else:
        entities = list(hass.data["image"].entities)
    for entity in entities:
        if (
            isinstance(entity, ImmichSlideshowImage)
            and entity.device_info is not None
            and entity.device_info.get("name") == f"Immich {title}"
        ):
            return entity
    raise AssertionError(f"no slideshow {title}")


def large_album_assets_alive() -> int:
    """Count the parsed assets of the large album that are still referenced anywhere."""
    gc.collect()
    return sum(
        1
        for item in gc.get_objects()
        if isinstance(item, Asset) and item.id.startswith(ASSET_ID_PREFIX)
    )


def children(node: BrowseMediaSource) -> list[BrowseMediaSource]:
    assert node.children is not None
    return node.children


# A search with 25,000 matches


async def test_setup_does_not_wait_for_large_search(
    hass: HomeAssistant, large_server: VirtualAlbumServer
) -> None:
    large_server.add_fault("delay", f"^{SEARCH}$", seconds=SEARCH_DELAY)
    pages_of_album = LARGE_ALBUM_SIZE // 50
    entry = large_entry(large_server)
    entry.add_to_hass(hass)

    started = time.monotonic()
    assert await hass.config_entries.async_setup(entry.entry_id)
    setup_seconds = time.monotonic() - started
    searches_during_setup = large_server.stats.requests[SEARCH]
    await hass.async_block_till_done(wait_background_tasks=True)

    assert entry.state is ConfigEntryState.LOADED
    # The ordered slideshow reads one page for its first photo and may start the next.
    assert searches_during_setup <= 2
    # Reading every page would take at least 25 s at 50 ms a page.
    assert setup_seconds < pages_of_album * SEARCH_DELAY / 5
    assert large_server.stats.requests[SEARCH] <= 2
    state = hass.states.get(slideshow(hass, SEQUENTIAL_TITLE).entity_id)
    assert state is not None
    assert state.attributes["status"] == "showing"


async def test_large_album_never_held_whole(
    hass: HomeAssistant, large_server: VirtualAlbumServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed_page_sizes: list[int] = []
    parse_page = SearchPage.from_dict

    def record_page(data: Any) -> SearchPage:
        page = parse_page(data)
        parsed_page_sizes.append(len(page.assets))
        return page

    monkeypatch.setattr(SearchPage, "from_dict", record_page)
    parsed_albums: list[Album] = []
    parse_album = Album.from_dict

    def record_album(data: Any) -> Album:
        album = parse_album(data)
        parsed_albums.append(album)
        return album

    monkeypatch.setattr(Album, "from_dict", record_album)
    entry = await setup_large_entry(hass, large_server)
    ordered = slideshow(hass, SEQUENTIAL_TITLE)

    # Past the ordered slideshow's first search page of 50.
    for _ in range(55):
        await ordered.async_next()
    first_page = await async_browse_media(hass, f"{ROOT}/{ADMIN_USER_ID}|albums|{LARGE_ALBUM_ID}")
    last_page_number = LARGE_ALBUM_SIZE // PAGE_SIZE
    last_page = await async_browse_media(
        hass, f"{ROOT}/{ADMIN_USER_ID}|albums|{LARGE_ALBUM_ID}@{last_page_number}"
    )
    random_response = await hass.services.async_call(
        DOMAIN,
        "get_random_assets",
        {"config_entry_id": entry.entry_id, "album_id": LARGE_ALBUM_ID, "count": 100},
        blocking=True,
        return_response=True,
    )
    memories_response = await hass.services.async_call(
        DOMAIN,
        "get_memories",
        {"config_entry_id": entry.entry_id, "limit": 5},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    state = hass.states.get(ordered.entity_id)
    assert state is not None
    assert state.attributes["asset_id"].startswith(ASSET_ID_PREFIX)
    assert len(children(first_page)) == PAGE_SIZE + 1
    assert children(first_page)[-1].title == "Next page"
    assert len(children(last_page)) == PAGE_SIZE
    assert random_response is not None
    assert len(random_response["assets"]) == 100  # type: ignore[arg-type]
    assert memories_response is not None
    assert len(memories_response["assets"]) <= 5  # type: ignore[arg-type]
    assert parsed_page_sizes
    assert max(parsed_page_sizes) <= PAGE_SIZE
    large_albums = [album for album in parsed_albums if album.id == LARGE_ALBUM_ID]
    assert large_albums
    assert all(not album.assets for album in large_albums)
    assert large_album_assets_alive() <= MAX_ASSETS_HELD


@pytest.mark.skipif(
    not compat.MEDIA_SEARCH_SUPPORTED, reason="this Home Assistant has no media search"
)
async def test_search_truncation_logged_once(
    hass: HomeAssistant, large_server: VirtualAlbumServer, caplog: pytest.LogCaptureFixture
) -> None:
    from homeassistant.components.media_source import async_search_media

    await setup_large_entry(hass, large_server)
    caplog.set_level(logging.INFO, "custom_components.immich")

    found = []
    for _ in range(3):
        result = await async_search_media(
            hass, f"{ROOT}/{ADMIN_USER_ID}", compat.SearchMediaQuery(search_query="IMG_")
        )
        found.append(len(result.result))

    assert found == [SEARCH_RESULT_SIZE] * 3
    logged = [record for record in caplog.records if record.msg.startswith(TRUNCATION_MESSAGE)]
    assert len(logged) == 1


# Album lists returned as 304 Not Modified


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[ImmichClient]:
    async with ImmichClient(emulator.url, ADMIN_KEY) as immich:
        yield immich


def album_ids(albums: list[Album]) -> list[str]:
    return sorted(album.id for album in albums)


@BOTH_PROFILES
async def test_album_list_same_after_not_modified(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    expected = sorted(album.data["id"] for album in emulator.library.albums_for(ADMIN_USER_ID))

    first = await client.async_get_albums()
    list_requests = emulator.stats.requests[ALBUMS]
    bytes_after_first = emulator.stats.body_bytes
    second = await client.async_get_albums()
    third = await client.async_get_albums()

    assert album_ids(first) == expected
    assert album_ids(second) == expected
    assert album_ids(third) == expected
    assert second == first
    assert third == first
    assert emulator.stats.requests[ALBUMS] == 3 * list_requests
    # Each later list came back as 304 Not Modified, without a body.
    assert emulator.stats.body_bytes == bytes_after_first


@V2_7_5
async def test_album_list_changed_after_etag(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    await client.async_get_albums()
    emulator.library.albums[WINTER_ALBUM_ID].data["albumName"] = "Winter 2026"

    albums = await client.async_get_albums()

    names = {album.id: album.name for album in albums}
    assert names[WINTER_ALBUM_ID] == "Winter 2026"


@V2_7_5
async def test_album_list_not_modified_without_cache(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    expected = sorted(album.data["id"] for album in emulator.library.albums_for(ADMIN_USER_ID))
    emulator.add_fault("not_modified", f"^{ALBUMS}$", remaining=1)

    albums = await client.async_get_albums()

    assert album_ids(albums) == expected
    # The 304 without a cached list, the repeated request, and the list of shared albums that
    # v2.7.5 needs besides.
    assert emulator.stats.requests[ALBUMS] == 3


@V2_7_5
async def test_album_list_always_not_modified(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    emulator.add_fault("not_modified", f"^{ALBUMS}$")

    with pytest.raises(ImmichServerError) as raised:
        await client.async_get_albums()

    assert raised.value.status == 304
    assert "304 Not Modified" in str(raised.value)
    assert "proxy" in str(raised.value)
    assert emulator.stats.requests[ALBUMS] == 2


@V2_7_5
async def test_album_lists_not_shared_between_keys(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    admin_albums = await client.async_get_albums()
    async with ImmichClient(emulator.url, USER_KEY) as user_client:
        user_albums = await user_client.async_get_albums()
        user_albums_again = await user_client.async_get_albums()

    expected = sorted(album.data["id"] for album in emulator.library.albums_for(SECOND_USER_ID))
    assert album_ids(user_albums) == expected
    assert album_ids(user_albums_again) == expected
    assert album_ids(user_albums) != album_ids(admin_albums)


@V2_7_5
async def test_conditional_cache_is_bounded(emulator: EmulatorServer, client: ImmichClient) -> None:
    await client.async_detect_generation()
    cache = ConditionalCache(max_entries=2)

    for shared in ("true", "false", "true", "false"):
        await cache.async_get(client.transport, "albums", {"shared": shared}, lambda data: data)
    await cache.async_get(client.transport, "albums", None, lambda data: data)

    assert len(cache) == 2


@V2_7_5
async def test_browse_albums_three_times(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry
) -> None:
    listings = []
    for _ in range(3):
        node = await async_browse_media(hass, f"{ROOT}/{ADMIN_USER_ID}|albums")
        listings.append([child.media_content_id for child in children(node)])

    assert listings[0]
    assert listings[1] == listings[0]
    assert listings[2] == listings[0]
    assert len(set(listings[0])) == len(listings[0])


# Other capped lists log their cap once


async def test_memories_fallback_truncation_logged_once(
    emulator: EmulatorServer, client: ImmichClient, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.library.memories_enabled = False
    emulator.library.search_page_size = 2
    for number in range(1, 4):
        taken = f"2020-06-03T{number + 8:02d}:00:00.000Z"
        add_asset(emulator, number, fileCreatedAt=taken, localDateTime=taken)
    caplog.set_level(logging.INFO, "custom_components.immich")
    feed = MemoriesFeed(client, AssetSearchFilter(), lambda: date(2026, 6, 3), shuffle=False)

    found = [await feed.async_candidates_for(date(2026, 6, 3)) for _ in range(3)]

    assert all(len(candidates) == 2 for candidates in found)
    logged = [record for record in caplog.records if "show only the first" in record.msg]
    assert len(logged) == 1


async def test_people_truncation_logged_once(
    emulator: EmulatorServer,
    client: ImmichClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(slideshow_choices, "MAX_PEOPLE_PAGES", 1)
    monkeypatch.setattr(slideshow_choices, "PEOPLE_PAGE_SIZE", 1)
    monkeypatch.setattr(slideshow_choices, "_people_truncation_logged", set())
    caplog.set_level(logging.INFO, "custom_components.immich")

    choices = [
        await slideshow_choices.async_load_choices(client, Source.PEOPLE, ADMIN_USER_ID)
        for _ in range(3)
    ]

    assert all(len(listed) == 1 for listed in choices)
    logged = [record for record in caplog.records if "people list" in record.msg]
    assert len(logged) == 1
