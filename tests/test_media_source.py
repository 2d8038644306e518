"""Media source: every browse level, paging, built-in identifiers, resolving, search and errors."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import (
    BrowseMediaSource,
    Unresolvable,
    async_browse_media,
    async_resolve_media,
)
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich import compat, media_browser
from custom_components.immich.const import DOMAIN
from custom_components.immich.media_identifier import MediaIdentifier
from immich_emulator import (
    ADMIN_KEY,
    ADMIN_USER_ID,
    EMPTY_ALBUM_ID,
    HOLIDAYS_ALBUM_ID,
    SCOPED_KEY,
    SECOND_USER_ID,
    USER_KEY,
    WINTER_ALBUM_ID,
    EmulatorServer,
)
from immich_emulator.library import PERSON_IDS, TAG_IDS, VIDEO_ASSET_ID

from .conftest import entry_data_for, setup_with_media_source

BOTH_PROFILES = pytest.mark.parametrize("emulator_profile", ["v2.7.5", "v3.0.3"])
ROOT = f"media-source://{DOMAIN}"
ACCOUNT = f"{ROOT}/{ADMIN_USER_ID}"


async def browse(hass: HomeAssistant, identifier: str = "") -> BrowseMediaSource:
    uri = f"{ROOT}/{identifier}" if identifier else ROOT
    return await async_browse_media(hass, uri)


def child_ids(node: BrowseMediaSource) -> list[str]:
    assert node.children is not None
    return [child.media_content_id.removeprefix(f"{ROOT}/") for child in node.children]


def asset_ids_of(node: BrowseMediaSource) -> list[str]:
    """Return the asset ids of a node's asset children, in order; folders are skipped."""
    assert node.children is not None
    ids = []
    for child in node.children:
        parts = child.media_content_id.removeprefix(f"{ROOT}/").split("|")
        if len(parts) == 6:
            ids.append(parts[3])
    return ids


def visible_assets(emulator: EmulatorServer, user_id: str = ADMIN_USER_ID) -> list[dict[str, Any]]:
    library = emulator.library
    return [
        library.assets[asset_id]
        for asset_id in library.visible_asset_ids(user_id)
        if asset_id in library.assets and not library.assets[asset_id].get("isTrashed")
    ]


def local_time(asset: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(asset["localDateTime"].replace("Z", "+00:00"))


async def scoped_entry(hass: HomeAssistant, emulator: EmulatorServer) -> MockConfigEntry:
    """Load an entry whose key lacks `person.read`, `tag.read` and `asset.download`."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Second User (127.0.0.1)",
        unique_id=SECOND_USER_ID,
        data=entry_data_for(emulator, SCOPED_KEY),
        version=1,
        minor_version=2,
    )
    return await setup_with_media_source(hass, entry)


# Levels


async def test_root_lists_loaded_accounts(
    hass: HomeAssistant, media_entry: MockConfigEntry
) -> None:
    root = await browse(hass)

    assert root.title == "Immich"
    assert child_ids(root) == [ADMIN_USER_ID]
    assert root.children is not None
    assert root.children[0].title == media_entry.title
    assert root.children[0].can_expand


async def test_root_without_entries(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "media_source", {})
    assert await async_setup_component(hass, DOMAIN, {})

    with pytest.raises(BrowseError) as raised:
        await browse(hass)

    assert raised.value.translation_key == "not_configured"


async def test_account_lists_collections(hass: HomeAssistant, media_entry: MockConfigEntry) -> None:
    account = await browse(hass, ADMIN_USER_ID)

    assert child_ids(account) == [
        f"{ADMIN_USER_ID}|albums",
        f"{ADMIN_USER_ID}|people",
        f"{ADMIN_USER_ID}|tags",
        f"{ADMIN_USER_ID}|favorites|favorites",
        f"{ADMIN_USER_ID}|memories",
        f"{ADMIN_USER_ID}|timeline",
    ]
    assert account.title == media_entry.title


@BOTH_PROFILES
async def test_albums_owned_and_shared_once(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    # The second user owns no album and can view Winter, which the admin shares with them.
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=SECOND_USER_ID,
        data=entry_data_for(emulator, USER_KEY),
        version=1,
        minor_version=2,
    )
    await setup_with_media_source(hass, entry)
    await setup_with_media_source(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            unique_id=ADMIN_USER_ID,
            data=entry_data_for(emulator, ADMIN_KEY),
            version=1,
            minor_version=2,
        ),
    )

    second_albums = await browse(hass, f"{SECOND_USER_ID}|albums")
    admin_albums = await browse(hass, f"{ADMIN_USER_ID}|albums")

    expected_second = {a.data["id"] for a in emulator.library.albums_for(SECOND_USER_ID)}
    expected_admin = {a.data["id"] for a in emulator.library.albums_for(ADMIN_USER_ID)}
    second_ids = [i.rsplit("|", 1)[1] for i in child_ids(second_albums)]
    admin_ids = [i.rsplit("|", 1)[1] for i in child_ids(admin_albums)]
    assert sorted(second_ids) == sorted(expected_second) == [WINTER_ALBUM_ID]
    assert sorted(admin_ids) == sorted(expected_admin)
    assert len(admin_ids) == len(set(admin_ids))
    assert {HOLIDAYS_ALBUM_ID, WINTER_ALBUM_ID, EMPTY_ALBUM_ID} <= set(admin_ids)


async def test_album_folder_thumbnail(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry
) -> None:
    albums = await browse(hass, f"{ADMIN_USER_ID}|albums")

    assert albums.children is not None
    by_id = {child.media_content_id.rsplit("|", 1)[1]: child for child in albums.children}
    holidays = by_id[HOLIDAYS_ALBUM_ID]
    thumbnail_id = emulator.library.albums[HOLIDAYS_ALBUM_ID].data["albumThumbnailAssetId"]
    assert holidays.title == emulator.library.albums[HOLIDAYS_ALBUM_ID].data["albumName"]
    assert holidays.thumbnail == f"/immich/{ADMIN_USER_ID}/{thumbnail_id}/thumbnail/image/webp"
    assert by_id[EMPTY_ALBUM_ID].thumbnail is None


@BOTH_PROFILES
async def test_album_lists_its_assets(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry
) -> None:
    album = await browse(hass, f"{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}")

    expected = emulator.library.albums[HOLIDAYS_ALBUM_ID]
    assert album.title == expected.data["albumName"]
    assert sorted(asset_ids_of(album)) == sorted(expected.asset_ids)
    assert album.children is not None
    video = next(c for c in album.children if VIDEO_ASSET_ID in c.media_content_id)
    video_asset = emulator.library.assets[VIDEO_ASSET_ID]
    assert video.media_content_id == (
        f"{ACCOUNT}|albums|{HOLIDAYS_ALBUM_ID}|{VIDEO_ASSET_ID}|"
        f"{video_asset['originalFileName']}|video/mp4"
    )
    assert video.media_class == "video"
    assert video.can_play
    assert not video.can_expand
    assert video.thumbnail == f"/immich/{ADMIN_USER_ID}/{VIDEO_ASSET_ID}/thumbnail/image/webp"


async def test_empty_album(hass: HomeAssistant, media_entry: MockConfigEntry) -> None:
    album = await browse(hass, f"{ADMIN_USER_ID}|albums|{EMPTY_ALBUM_ID}")

    assert album.children == []


@BOTH_PROFILES
async def test_large_album_pages(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(media_browser, "PAGE_SIZE", 2)
    expected = emulator.library.albums[HOLIDAYS_ALBUM_ID].asset_ids
    album_id = f"{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}"

    seen: list[str] = []
    identifier = album_id
    for page in range(1, 10):
        node = await browse(hass, identifier)
        seen.extend(asset_ids_of(node))
        assert len(asset_ids_of(node)) <= 2
        if page > 1:
            assert node.title.endswith(f"(page {page})")
        folders = [i for i in child_ids(node) if i.count("|") < 5]
        if not folders:
            break
        assert folders == [f"{album_id}@{page + 1}"]
        identifier = folders[0]

    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))
    assert page == 3


async def test_people_and_person(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry
) -> None:
    people = await browse(hass, f"{ADMIN_USER_ID}|people")

    assert people.children is not None
    titles = {child.title: child for child in people.children}
    assert set(titles) == set(PERSON_IDS)
    alice_id = PERSON_IDS["Alice"]
    assert titles["Alice"].thumbnail == f"/immich/{ADMIN_USER_ID}/{alice_id}/person/image/jpeg"

    alice = await browse(hass, f"{ADMIN_USER_ID}|people|{alice_id}")
    expected = [
        a["id"]
        for a in visible_assets(emulator)
        if alice_id in {p["id"] for p in a.get("people") or []}
    ]
    assert alice.title == "Alice"
    assert sorted(asset_ids_of(alice)) == sorted(expected)
    assert expected


async def test_people_pages(
    hass: HomeAssistant, media_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(media_browser, "PAGE_SIZE", 1)

    first = await browse(hass, f"{ADMIN_USER_ID}|people")
    second = await browse(hass, f"{ADMIN_USER_ID}|people|@2")

    next_page = f"{ADMIN_USER_ID}|people|@2"
    first_people = [child for child in child_ids(first) if child != next_page]
    second_people = [child for child in child_ids(second) if not child.endswith("|@3")]
    assert next_page in child_ids(first)
    assert len(first_people) == 1
    assert len(second_people) == 1
    assert first_people != second_people
    assert second.title == "People (page 2)"


async def test_tags_and_tag(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry
) -> None:
    tags = await browse(hass, f"{ADMIN_USER_ID}|tags")

    assert tags.children is not None
    assert {child.title for child in tags.children} == set(TAG_IDS)

    tag_id = TAG_IDS["Travel/Portugal"]
    tag = await browse(hass, f"{ADMIN_USER_ID}|tags|{tag_id}")
    expected = [
        a["id"]
        for a in visible_assets(emulator)
        if tag_id in {t["id"] for t in a.get("tags") or []}
    ]
    assert tag.title == "Travel/Portugal"
    assert sorted(asset_ids_of(tag)) == sorted(expected)
    assert expected


@BOTH_PROFILES
async def test_favorites(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry
) -> None:
    favorites = await browse(hass, f"{ADMIN_USER_ID}|favorites|favorites")

    expected = [
        a["id"]
        for a in visible_assets(emulator)
        if a["isFavorite"] and a.get("visibility", "timeline") == "timeline"
    ]
    assert favorites.title == "Favorites"
    assert sorted(asset_ids_of(favorites)) == sorted(expected)
    assert expected


@BOTH_PROFILES
async def test_memories_by_year_for_today(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to("2026-12-04T12:00:00+00:00")
    today = datetime(2026, 12, 4).date()
    expected = {
        memory["data"]["year"]: [asset["id"] for asset in memory["assets"]]
        for memory in emulator.library.memories_for(ADMIN_USER_ID, today)
        if memory["assets"]
    }

    memories = await browse(hass, f"{ADMIN_USER_ID}|memories")

    assert [child.title for child in memories.children or []] == [
        str(year) for year in sorted(expected, reverse=True)
    ]
    assert len(expected) >= 3
    for year, asset_ids in expected.items():
        memory = await browse(hass, f"{ADMIN_USER_ID}|memories|{year}")
        assert memory.title == str(year)
        assert sorted(asset_ids_of(memory)) == sorted(asset_ids)


@BOTH_PROFILES
async def test_timeline_years_months_and_month(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry
) -> None:
    timeline_assets = [
        a for a in visible_assets(emulator) if a.get("visibility", "timeline") == "timeline"
    ]
    months = Counter(local_time(a).strftime("%Y-%m") for a in timeline_assets)

    timeline = await browse(hass, f"{ADMIN_USER_ID}|timeline")

    years = sorted({month[:4] for month in months}, reverse=True)
    assert [child.title for child in timeline.children or []] == years

    year = await browse(hass, f"{ADMIN_USER_ID}|timeline|2024")
    expected_months = sorted((m for m in months if m.startswith("2024")), reverse=True)
    assert [child.title for child in year.children or []] == expected_months
    assert len(expected_months) >= 2

    for month in expected_months:
        node = await browse(hass, f"{ADMIN_USER_ID}|timeline|{month}")
        expected = [a["id"] for a in timeline_assets if local_time(a).strftime("%Y-%m") == month]
        assert sorted(asset_ids_of(node)) == sorted(expected)


async def test_timeline_month_uses_local_time(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry
) -> None:
    # Taken at 23:30 UTC on 30 November, which was 00:30 on 1 December where it was taken.
    asset = emulator.library.assets["f68d6912-6dde-437d-8da5-12db1e44a28b"]
    asset["fileCreatedAt"] = "2023-11-30T23:30:00.000Z"
    asset["localDateTime"] = "2023-12-01T00:30:00.000Z"

    december = await browse(hass, f"{ADMIN_USER_ID}|timeline|2023-12")
    november = await browse(hass, f"{ADMIN_USER_ID}|timeline|2023-11")

    assert asset["id"] in asset_ids_of(december)
    assert asset["id"] not in asset_ids_of(november)


# Resolving


@BOTH_PROFILES
async def test_resolve_built_in_identifiers(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry
) -> None:
    photo_id = emulator.library.albums[HOLIDAYS_ALBUM_ID].asset_ids[0]
    photo = emulator.library.assets[photo_id]
    # Identifiers as the built-in integration writes them, in each of its collections.
    photo_identifiers = [
        f"{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}|{photo_id}|{photo['originalFileName']}|image/jpeg",
        f"{ADMIN_USER_ID}|favorites|favorites|{photo_id}|{photo['originalFileName']}|image/jpeg",
        f"{ADMIN_USER_ID}|people|{PERSON_IDS['Alice']}|{photo_id}|{photo['originalFileName']}|image/jpeg",
        f"{ADMIN_USER_ID}|tags|{TAG_IDS['Travel']}|{photo_id}|{photo['originalFileName']}|image/jpeg",
    ]

    for identifier in photo_identifiers:
        media = await async_resolve_media(hass, f"{ROOT}/{identifier}", None)
        assert media.url == f"/immich/{ADMIN_USER_ID}/{photo_id}/preview/image/jpeg"
        assert media.mime_type == "image/jpeg"

    video = await async_resolve_media(
        hass,
        f"{ACCOUNT}|albums|{HOLIDAYS_ALBUM_ID}|{VIDEO_ASSET_ID}|VID_2024_12_04.mp4|video/mp4",
        None,
    )
    assert video.url == f"/immich/{ADMIN_USER_ID}/{VIDEO_ASSET_ID}/fullsize/video/mp4"
    assert video.mime_type == "video/mp4"


async def test_resolve_file_name_with_separator(
    hass: HomeAssistant, media_entry: MockConfigEntry
) -> None:
    media = await async_resolve_media(
        hass, f"{ACCOUNT}|albums|{HOLIDAYS_ALBUM_ID}|{VIDEO_ASSET_ID}|a|b.mp4|video/mp4", None
    )

    assert media.mime_type == "video/mp4"


@pytest.mark.parametrize(
    ("identifier", "translation_key"),
    [
        (f"{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}", "invalid_media_identifier"),
        (
            f"{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}|{VIDEO_ASSET_ID}|v.mp4",
            "invalid_media_identifier",
        ),
        (
            f"{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}|not-a-uuid|v.mp4|video/mp4",
            "invalid_media_identifier",
        ),
        (
            f"{ADMIN_USER_ID}|albums|x@0|{VIDEO_ASSET_ID}|v.mp4|video/mp4",
            "invalid_media_identifier",
        ),
        (
            f"{SECOND_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}|{VIDEO_ASSET_ID}|v.mp4|video/mp4",
            "account_not_loaded",
        ),
    ],
)
async def test_resolve_rejects(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
    identifier: str,
    translation_key: str,
) -> None:
    emulator.stats.reset()

    with pytest.raises(Unresolvable) as raised:
        await async_resolve_media(hass, f"{ROOT}/{identifier}", None)

    assert raised.value.translation_key == translation_key
    assert emulator.stats.total == 0


# Browse errors


@pytest.mark.parametrize(
    ("identifier", "permission"),
    [
        (f"{SECOND_USER_ID}|people", "person.read"),
        (f"{SECOND_USER_ID}|tags", "tag.read"),
        (f"{SECOND_USER_ID}|tags|{TAG_IDS['Travel']}", "tag.read"),
    ],
)
async def test_browse_names_missing_permission(
    hass: HomeAssistant, emulator: EmulatorServer, identifier: str, permission: str
) -> None:
    await scoped_entry(hass, emulator)

    with pytest.raises(BrowseError) as raised:
        await browse(hass, identifier)

    assert raised.value.translation_key == "missing_permission"
    assert raised.value.translation_placeholders == {"permission": permission}


async def test_scoped_key_browses_albums(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    await scoped_entry(hass, emulator)

    album = await browse(hass, f"{SECOND_USER_ID}|albums|{WINTER_ALBUM_ID}")

    assert sorted(asset_ids_of(album)) == sorted(emulator.library.albums[WINTER_ALBUM_ID].asset_ids)


@pytest.mark.parametrize(
    "identifier",
    [
        f"{ADMIN_USER_ID}|albums|not-a-uuid",
        f"{ADMIN_USER_ID}|people|42",
        f"{ADMIN_USER_ID}|tags|Travel",
        f"{ADMIN_USER_ID}|timeline|2024-13",
        f"{ADMIN_USER_ID}|timeline|24",
        f"{ADMIN_USER_ID}|memories|last-year",
        f"{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}@x",
        f"{ADMIN_USER_ID}|holidays",
    ],
)
async def test_browse_rejects_malformed_ids_before_requests(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry, identifier: str
) -> None:
    emulator.stats.reset()

    with pytest.raises(BrowseError) as raised:
        await browse(hass, identifier)

    assert raised.value.translation_key == "invalid_media_identifier"
    assert emulator.stats.total == 0


async def test_browse_unknown_album(hass: HomeAssistant, media_entry: MockConfigEntry) -> None:
    with pytest.raises(BrowseError) as raised:
        await browse(hass, f"{ADMIN_USER_ID}|albums|00000000-0000-4000-8000-000000000000")

    assert raised.value.translation_key == "media_not_found"


async def test_browse_account_not_loaded(hass: HomeAssistant, media_entry: MockConfigEntry) -> None:
    await hass.config_entries.async_unload(media_entry.entry_id)

    with pytest.raises(BrowseError) as raised:
        await browse(hass, f"{ADMIN_USER_ID}|albums")

    assert raised.value.translation_key == "account_not_loaded"


async def test_browse_server_error(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry
) -> None:
    emulator.add_fault("server_error", r"GET /api/albums$", status=500)

    with pytest.raises(BrowseError) as raised:
        await browse(hass, f"{ADMIN_USER_ID}|albums")

    assert raised.value.translation_key == "browse_failed"
    assert ADMIN_KEY not in str(raised.value.translation_placeholders)


# Search (Home Assistant 2025.4 has no media search)

needs_search = pytest.mark.skipif(
    not compat.MEDIA_SEARCH_SUPPORTED, reason="this Home Assistant has no media search"
)


async def search(
    hass: HomeAssistant, identifier: str, query: str, classes: list[str] | None = None
) -> list[str]:
    """Return the asset ids a search finds, in order."""
    from homeassistant.components.media_source import async_search_media

    result = await async_search_media(
        hass,
        f"{ROOT}/{identifier}",
        compat.SearchMediaQuery(search_query=query, media_filter_classes=classes),
    )
    return [item.media_content_id.split("|")[3] for item in result.result]


@needs_search
@BOTH_PROFILES
async def test_search_falls_back_to_file_names(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.stats.reset()
    caplog.set_level(logging.INFO, "custom_components.immich")

    found = await search(hass, ADMIN_USER_ID, "onthisday")

    expected = [a["id"] for a in visible_assets(emulator) if "onthisday" in a["originalFileName"]]
    assert sorted(found) == sorted(expected)
    assert expected
    assert emulator.stats.requests["POST /api/search/smart"] == 0
    assert emulator.stats.requests["POST /api/search/metadata"] == 1
    assert "Smart search needs machine learning" in caplog.text


@needs_search
@BOTH_PROFILES
async def test_smart_search_when_enabled(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry
) -> None:
    emulator.library.features["smartSearch"] = True
    emulator.stats.reset()

    found = await search(hass, ADMIN_USER_ID, "beach Alice")

    # Both beach photos show Alice; the ranking puts them first.
    assert set(found[:2]) == {
        "0b7ed609-432e-47ff-8c9d-b464ea4470ce",
        "b2bee649-55cd-4a35-924b-365bcb6ccb72",
    }
    assert emulator.stats.requests["POST /api/search/smart"] == 1
    assert emulator.stats.requests["POST /api/search/metadata"] == 0


@needs_search
async def test_smart_search_switched_off_later(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry
) -> None:
    emulator.library.features["smartSearch"] = True
    await search(hass, ADMIN_USER_ID, "beach")
    emulator.library.features["smartSearch"] = False
    emulator.stats.reset()

    found = await search(hass, ADMIN_USER_ID, "beach")

    expected = [a["id"] for a in visible_assets(emulator) if "beach" in a["originalFileName"]]
    assert sorted(found) == sorted(expected)
    assert emulator.stats.requests["POST /api/search/smart"] == 1
    assert emulator.stats.requests["POST /api/search/metadata"] == 1


@needs_search
@pytest.mark.parametrize("smart_search", [True, False])
async def test_search_within_album_and_type(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry, smart_search: bool
) -> None:
    emulator.library.features["smartSearch"] = smart_search
    album = emulator.library.albums[HOLIDAYS_ALBUM_ID]

    in_album = await search(hass, f"{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}", "IMG")
    videos = await search(hass, ADMIN_USER_ID, "VID", ["video"])

    assert in_album
    assert set(in_album) <= set(album.asset_ids)
    assert videos == [VIDEO_ASSET_ID]


@needs_search
async def test_search_requires_account(hass: HomeAssistant, media_entry: MockConfigEntry) -> None:
    from homeassistant.components.media_source import async_search_media

    with pytest.raises(BrowseError) as raised:
        await async_search_media(hass, ROOT, compat.SearchMediaQuery(search_query="x"))

    assert raised.value.translation_key == "search_requires_account"


async def test_browse_nodes_offer_search_where_supported(
    hass: HomeAssistant, media_entry: MockConfigEntry
) -> None:
    account = await browse(hass, ADMIN_USER_ID)

    assert account.as_dict().get("can_search", False) is compat.MEDIA_SEARCH_SUPPORTED


# Identifiers


@pytest.mark.parametrize(
    "text",
    [
        ADMIN_USER_ID,
        f"{ADMIN_USER_ID}|albums",
        f"{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}",
        f"{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}@3",
        f"{ADMIN_USER_ID}|people|@2",
        f"{ADMIN_USER_ID}|favorites|favorites",
        f"{ADMIN_USER_ID}|timeline|2024-12",
        f"{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}|{VIDEO_ASSET_ID}|a|b.mp4|video/mp4",
        f"{ADMIN_USER_ID}|||{VIDEO_ASSET_ID}|clip.mp4|video/mp4",
    ],
)
def test_identifier_round_trip(text: str) -> None:
    assert str(MediaIdentifier.parse(text)) == text


def test_identifier_parts() -> None:
    identifier = MediaIdentifier.parse(
        f"{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}|{VIDEO_ASSET_ID}|a|b.mp4|video/mp4"
    )

    assert identifier.unique_id == ADMIN_USER_ID
    assert identifier.collection == "albums"
    assert identifier.collection_id == HOLIDAYS_ALBUM_ID
    assert identifier.page == 1
    assert identifier.asset_id == VIDEO_ASSET_ID
    assert identifier.file_name == "a|b.mp4"
    assert identifier.mime_type == "video/mp4"
