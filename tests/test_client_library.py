"""What the client reads from the photo library: random assets, search, memories, albums, media."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import pytest

from custom_components.immich.api import (
    AssetSearchFilter,
    AssetType,
    ImmichClient,
    ImmichServerError,
)
from immich_emulator import (
    ADMIN_KEY,
    ADMIN_USER_ID,
    EMPTY_ALBUM_ID,
    HOLIDAYS_ALBUM_ID,
    SECOND_USER_ID,
    USER_KEY,
    WINTER_ALBUM_ID,
    EmulatorServer,
)
from immich_emulator.captures import capture
from tests.generations import each_profile, memories_for_day, tag_hierarchy

BOTH_PROFILES = each_profile()
# More than the emulated library holds, so a random draw returns every matching asset.
ALL_ASSETS = 500
MEMORY_DAY = date(2026, 12, 4)


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[ImmichClient]:
    async with ImmichClient(emulator.url, ADMIN_KEY) as immich:
        yield immich


def visible_images(emulator: EmulatorServer, user_id: str = ADMIN_USER_ID) -> list[dict[str, Any]]:
    """Return the emulated timeline images a user can see: owned or in an album shared with them."""
    library = emulator.library
    return [
        library.assets[asset_id]
        for asset_id in library.visible_asset_ids(user_id)
        if library.assets[asset_id]["type"] == "IMAGE"
        and not library.assets[asset_id].get("isTrashed")
        and library.assets[asset_id].get("visibility", "timeline") == "timeline"
    ]


def archive(asset: dict[str, Any]) -> None:
    asset["visibility"] = "archive"
    asset["isArchived"] = True


# Random assets


@BOTH_PROFILES
async def test_random_without_filter_returns_images(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    assets = await client.async_get_random_assets(ALL_ASSETS)

    assert {asset.id for asset in assets} == {a["id"] for a in visible_images(emulator)}
    assert all(asset.type is AssetType.IMAGE for asset in assets)


@BOTH_PROFILES
async def test_random_count_limits_result(client: ImmichClient) -> None:
    assets = await client.async_get_random_assets(3)

    assert len(assets) == 3
    assert len({asset.id for asset in assets}) == 3


@BOTH_PROFILES
async def test_random_favourites_only(emulator: EmulatorServer, client: ImmichClient) -> None:
    expected = {a["id"] for a in visible_images(emulator) if a["isFavorite"]}

    assets = await client.async_get_random_assets(ALL_ASSETS, AssetSearchFilter(is_favorite=True))

    assert expected
    assert {asset.id for asset in assets} == expected
    assert all(asset.is_favorite for asset in assets)


@BOTH_PROFILES
@pytest.mark.parametrize("album_id", [HOLIDAYS_ALBUM_ID, WINTER_ALBUM_ID])
async def test_random_from_album(
    emulator: EmulatorServer, client: ImmichClient, album_id: str
) -> None:
    members = set(emulator.library.albums[album_id].asset_ids)
    expected = {a["id"] for a in visible_images(emulator) if a["id"] in members}

    assets = await client.async_get_random_assets(
        ALL_ASSETS, AssetSearchFilter(album_ids=(album_id,))
    )

    assert expected
    assert {asset.id for asset in assets} == expected


@BOTH_PROFILES
async def test_random_from_two_albums_needs_both(client: ImmichClient) -> None:
    search_filter = AssetSearchFilter(album_ids=(HOLIDAYS_ALBUM_ID, WINTER_ALBUM_ID))

    assert await client.async_get_random_assets(ALL_ASSETS, search_filter) == []


@BOTH_PROFILES
async def test_random_empty_album(client: ImmichClient) -> None:
    search_filter = AssetSearchFilter(album_ids=(EMPTY_ALBUM_ID,))

    assert await client.async_get_random_assets(ALL_ASSETS, search_filter) == []


@BOTH_PROFILES
@pytest.mark.parametrize("name", ["Alice", "Bob"])
async def test_random_with_person(
    emulator: EmulatorServer, client: ImmichClient, name: str
) -> None:
    person_id = next(pid for pid, p in emulator.library.people.items() if p["name"] == name)
    expected = {
        a["id"]
        for a in visible_images(emulator)
        if person_id in {p["id"] for p in a.get("people") or []}
    }

    assets = await client.async_get_random_assets(
        ALL_ASSETS, AssetSearchFilter(person_ids=(person_id,))
    )

    assert expected
    assert {asset.id for asset in assets} == expected
    assert all(name in asset.people for asset in assets)


@BOTH_PROFILES
@pytest.mark.parametrize(
    "tag_value", [pytest.param("Travel", marks=tag_hierarchy), "Travel/Portugal"]
)
async def test_random_with_tag(
    emulator: EmulatorServer, client: ImmichClient, tag_value: str
) -> None:
    tag_id = next(tid for tid, t in emulator.library.tags.items() if t["value"] == tag_value)
    # A tag filter also matches assets that carry a tag below it.
    expected = {
        a["id"]
        for a in visible_images(emulator)
        if any(t["value"].startswith(tag_value) for t in a.get("tags") or [])
    }

    assets = await client.async_get_random_assets(ALL_ASSETS, AssetSearchFilter(tag_ids=(tag_id,)))

    assert expected
    assert {asset.id for asset in assets} == expected


@BOTH_PROFILES
async def test_random_excludes_archived(emulator: EmulatorServer, client: ImmichClient) -> None:
    archived = visible_images(emulator)[0]
    archive(archived)

    default = await client.async_get_random_assets(ALL_ASSETS)
    with_archived = await client.async_get_random_assets(
        ALL_ASSETS, AssetSearchFilter(include_archived=True)
    )

    assert archived["id"] not in {asset.id for asset in default}
    assert archived["id"] in {asset.id for asset in with_archived}
    assert next(a for a in with_archived if a.id == archived["id"]).is_archived


@pytest.mark.parametrize("emulator_profile", ["v2.7.5"])
async def test_random_filters_what_old_server_ignores(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    # Before v1.133 the client sends `isArchived`, which the emulator ignores, so the
    # archived asset comes back and the client must drop it itself.
    emulator.reported_version = (1, 120, 0)
    archived = visible_images(emulator)[0]
    archive(archived)

    assets = await client.async_get_random_assets(ALL_ASSETS)

    assert archived["id"] not in {asset.id for asset in assets}
    assert {asset.id for asset in assets} == {a["id"] for a in visible_images(emulator)}


@BOTH_PROFILES
async def test_random_videos_only(emulator: EmulatorServer, client: ImmichClient) -> None:
    expected = {
        a["id"]
        for a in emulator.library.assets.values()
        if a["ownerId"] == ADMIN_USER_ID and a["type"] == "VIDEO"
    }

    assets = await client.async_get_random_assets(
        ALL_ASSETS, AssetSearchFilter(asset_type=AssetType.VIDEO)
    )

    assert expected
    assert {asset.id for asset in assets} == expected


@BOTH_PROFILES
async def test_random_of_non_admin_user(emulator: EmulatorServer) -> None:
    async with ImmichClient(emulator.url, USER_KEY) as client:
        assets = await client.async_get_random_assets(ALL_ASSETS)

    assert {asset.id for asset in assets} == {
        a["id"] for a in visible_images(emulator, SECOND_USER_ID)
    }


# Metadata search


@BOTH_PROFILES
async def test_metadata_search_pages(emulator: EmulatorServer, client: ImmichClient) -> None:
    expected = sorted(visible_images(emulator), key=lambda a: a["fileCreatedAt"], reverse=True)
    size = 4

    pages = []
    page_number = 1
    while True:
        page = await client.async_search_metadata(page=page_number, size=size)
        pages.append(page)
        if page.next_page is None:
            break
        page_number = int(page.next_page)
        assert page_number == len(pages) + 1
        assert len(pages) <= len(expected)

    ids = [asset.id for page in pages for asset in page.assets]
    assert ids == [a["id"] for a in expected]
    assert len(pages) == -(-len(expected) // size)
    assert all(len(page.assets) == size for page in pages[:-1])
    assert all(page.total == len(page.assets) for page in pages)


@BOTH_PROFILES
async def test_metadata_search_oldest_first(emulator: EmulatorServer, client: ImmichClient) -> None:
    page = await client.async_search_metadata(size=ALL_ASSETS, newest_first=False)

    taken = [asset.file_created_at for asset in page.assets]
    assert taken == sorted(t for t in taken if t is not None)
    assert page.next_page is None


@BOTH_PROFILES
async def test_metadata_search_album_contents(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    members = set(emulator.library.albums[WINTER_ALBUM_ID].asset_ids)

    page = await client.async_search_metadata(AssetSearchFilter(album_ids=(WINTER_ALBUM_ID,)))

    assert {asset.id for asset in page.assets} == members
    assert page.next_page is None


@BOTH_PROFILES
async def test_metadata_search_time_range(emulator: EmulatorServer, client: ImmichClient) -> None:
    after = datetime.fromisoformat("2021-01-01T00:00:00+00:00")
    before = datetime.fromisoformat("2023-12-31T23:59:59+00:00")
    expected = {
        a["id"]
        for a in visible_images(emulator)
        if after <= datetime.fromisoformat(a["fileCreatedAt"].replace("Z", "+00:00")) <= before
    }

    page = await client.async_search_metadata(
        AssetSearchFilter(taken_after=after, taken_before=before), size=ALL_ASSETS
    )

    assert expected
    assert {asset.id for asset in page.assets} == expected


# Memories


def memory_years(emulator: EmulatorServer, day: date) -> list[int]:
    """Return the past years in which the admin took a photo or video on this day, oldest first."""
    years = set()
    for asset in emulator.library.assets.values():
        if asset["ownerId"] != ADMIN_USER_ID or asset.get("isTrashed"):
            continue
        local_time = datetime.fromisoformat(asset["localDateTime"].replace("Z", "+00:00"))
        if (local_time.month, local_time.day) == (
            day.month,
            day.day,
        ) and local_time.year < day.year:
            years.add(local_time.year)
    return sorted(years)


@BOTH_PROFILES
async def test_memories_grouped_by_year(emulator: EmulatorServer, client: ImmichClient) -> None:
    memories = await client.async_get_memories(MEMORY_DAY)

    assert [memory.year for memory in memories] == memory_years(emulator, MEMORY_DAY)
    for memory in memories:
        assert memory.assets
        for asset in memory.assets:
            assert asset.local_date_time is not None
            assert asset.local_date_time.year == memory.year
            assert (asset.local_date_time.month, asset.local_date_time.day) == (12, 4)


@BOTH_PROFILES
async def test_memories_match_capture_years(client: ImmichClient) -> None:
    captured = capture("memories_for_date_only")

    memories = await client.async_get_memories(MEMORY_DAY)

    assert captured["request"]["params"]["for"] == MEMORY_DAY.isoformat()
    assert [memory.year for memory in memories] == sorted(
        item["data"]["year"] for item in captured["body"]
    )


@BOTH_PROFILES
@memories_for_day
async def test_memories_skip_empty_year(emulator: EmulatorServer, client: ImmichClient) -> None:
    years = memory_years(emulator, MEMORY_DAY)
    emptied = years[0]
    for asset in emulator.library.assets.values():
        if asset["localDateTime"].startswith(f"{emptied}-12-04"):
            asset["isTrashed"] = True

    raw = await client.transport.request_json(
        "GET", "memories", params={"for": MEMORY_DAY.isoformat()}
    )
    memories = await client.async_get_memories(MEMORY_DAY)

    raw_years = {item["data"]["year"]: item["assets"] for item in raw}
    assert raw_years[emptied] == []
    assert [memory.year for memory in memories] == years[1:]


@BOTH_PROFILES
async def test_memories_day_without_any(emulator: EmulatorServer, client: ImmichClient) -> None:
    day = date(2026, 3, 17)
    assert memory_years(emulator, day) == []

    assert await client.async_get_memories(day) == []


@BOTH_PROFILES
async def test_memories_of_non_admin_user(emulator: EmulatorServer) -> None:
    async with ImmichClient(emulator.url, USER_KEY) as client:
        memories = await client.async_get_memories(MEMORY_DAY)

    assert memories == []
    assert capture("memories_for_now_user_key")["body"] == []


# Albums


@BOTH_PROFILES
async def test_albums_listed_once_each(emulator: EmulatorServer, client: ImmichClient) -> None:
    albums = await client.async_get_albums()

    ids = [album.id for album in albums]
    assert sorted(ids) == sorted(emulator.library.albums)
    assert len(ids) == len(set(ids))
    by_id = {album.id: album for album in albums}
    assert by_id[WINTER_ALBUM_ID].shared
    assert not by_id[EMPTY_ALBUM_ID].shared
    assert by_id[EMPTY_ALBUM_ID].asset_count == 0
    assert by_id[HOLIDAYS_ALBUM_ID].asset_count == len(
        emulator.library.albums[HOLIDAYS_ALBUM_ID].asset_ids
    )


@BOTH_PROFILES
async def test_albums_shared_with_user(emulator: EmulatorServer) -> None:
    async with ImmichClient(emulator.url, USER_KEY) as client:
        albums = await client.async_get_albums()

    expected = [a.data["id"] for a in emulator.library.albums_for(SECOND_USER_ID)]
    assert [album.id for album in albums] == expected
    assert expected == [WINTER_ALBUM_ID]
    assert albums[0].owner_id == ADMIN_USER_ID


@BOTH_PROFILES
@pytest.mark.parametrize(
    ("shared", "expected"),
    [(True, {WINTER_ALBUM_ID}), (False, {HOLIDAYS_ALBUM_ID, EMPTY_ALBUM_ID})],
)
async def test_albums_shared_filter(client: ImmichClient, shared: bool, expected: set[str]) -> None:
    albums = await client.async_get_albums(shared=shared)

    assert {album.id for album in albums} == expected
    assert all(album.shared is shared for album in albums)


@pytest.mark.parametrize(("emulator_profile", "inline"), [("v2.7.5", True), ("v3.0.3", False)])
async def test_album_detail_assets(
    emulator: EmulatorServer, client: ImmichClient, inline: bool
) -> None:
    members = emulator.library.albums[HOLIDAYS_ALBUM_ID].asset_ids

    album = await client.async_get_album(HOLIDAYS_ALBUM_ID, with_assets=True)
    without = await client.async_get_album(HOLIDAYS_ALBUM_ID)

    assert album.name == emulator.library.albums[HOLIDAYS_ALBUM_ID].data["albumName"]
    assert album.asset_count == len(members)
    if inline:
        assert album.assets is not None
        assert [asset.id for asset in album.assets] == members
    else:
        assert album.assets is None
    assert without.assets is None
    assert without.asset_count == len(members)


# People and tags


@BOTH_PROFILES
async def test_people_and_tags(emulator: EmulatorServer, client: ImmichClient) -> None:
    people = await client.async_get_people()
    tags = await client.async_get_tags()

    assert {person.id for person in people.people} == set(emulator.library.people)
    assert people.total == len(emulator.library.people)
    assert not people.has_next_page
    assert {tag.value for tag in tags} == {t["value"] for t in emulator.library.tags.values()}


# Thumbnails


@BOTH_PROFILES
@pytest.mark.parametrize(
    ("size", "capture_name", "magic"),
    [
        ("preview", "asset_thumbnail_preview_headers", b"\xff\xd8\xff"),
        ("thumbnail", "asset_thumbnail_thumbnail_headers", b"RIFF"),
    ],
)
async def test_thumbnail_content_type(
    emulator: EmulatorServer, client: ImmichClient, size: str, capture_name: str, magic: bytes
) -> None:
    captured = capture(capture_name)
    asset_id = captured["request"]["path"].split("/")[3]

    media = await client.async_get_thumbnail(asset_id, size)

    assert media.content_type == captured["headers"]["Content-Type"]
    assert media.content.startswith(magic)
    if emulator.profile.version >= (1, 106, 0):
        assert emulator.stats.requests[f"GET /api/assets/{asset_id}/thumbnail"] == 1
    else:
        assert emulator.stats.requests[f"GET /api/asset/thumbnail/{asset_id}"] == 1


@BOTH_PROFILES
@pytest.mark.parametrize(
    ("fault", "content_type"), [("html_error", "text/html"), ("server_error", "application/json")]
)
async def test_thumbnail_rejects_non_image(
    emulator: EmulatorServer, client: ImmichClient, fault: str, content_type: str
) -> None:
    asset_id = visible_images(emulator)[0]["id"]
    emulator.add_fault(fault, r"/thumbnail(/|$)", status=200)

    with pytest.raises(ImmichServerError) as caught:
        await client.async_get_thumbnail(asset_id)

    assert caught.value.status == 200
    assert content_type in str(caught.value)
