"""The emulator's virtual album: search, paging, filters, lookups and memories against brute force."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import ClientSession
import pytest

from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, USER_KEY
from immich_emulator.virtual import LARGE_ALBUM_ID, IndexRange, VirtualAlbum
from immich_emulator.virtual_server import VirtualAlbumServer

from .integration import user_totals

SMALL_ALBUM = 1_000


@pytest.fixture
async def virtual_server(socket_enabled: None) -> AsyncIterator[VirtualAlbumServer]:
    server = VirtualAlbumServer(asset_count=SMALL_ALBUM)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def admin(virtual_server: VirtualAlbumServer) -> AsyncIterator[ClientSession]:
    async with ClientSession(
        base_url=virtual_server.url + "/", headers={"x-api-key": ADMIN_KEY}
    ) as session:
        yield session


async def post_json(session: ClientSession, path: str, body: dict[str, Any]) -> Any:
    async with session.post(path, json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def get_json(session: ClientSession, path: str, **params: str) -> Any:
    async with session.get(path, params=params) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def all_pages(
    session: ClientSession, body: dict[str, Any], size: int
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page: str | None = "1"
    while page is not None:
        data = await post_json(
            session, "api/search/metadata", {**body, "page": int(page), "size": size}
        )
        items.extend(data["assets"]["items"])
        page = data["assets"]["nextPage"]
    return items


def taken(asset: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(asset["fileCreatedAt"].replace("Z", "+00:00"))


def album_assets(album: VirtualAlbum) -> list[dict[str, Any]]:
    return [album.asset(index) for index in range(album.asset_count)]


@pytest.mark.parametrize("favorite", [None, True, False])
@pytest.mark.parametrize(("start", "stop"), [(0, 1000), (1, 999), (49, 151), (50, 50), (7, 8)])
def test_index_range_matches_brute_force(favorite: bool | None, start: int, stop: int) -> None:
    every = 50
    members = IndexRange(start, stop, favorite, every)
    expected = [
        index
        for index in range(start, stop)
        if favorite is None or (index % every == 0) == favorite
    ]

    assert members.count == len(expected)
    assert [members.index_at(rank) for rank in range(members.count)] == expected
    for rank, index in enumerate(expected):
        assert members.rank_of(index) == rank
    assert members.rank_of(stop) == len(expected)


def test_capture_times_increase_with_index() -> None:
    album = VirtualAlbumServer(asset_count=SMALL_ALBUM).virtual_album
    times = [album.taken_at(index) for index in range(album.asset_count)]

    assert times == sorted(times)
    assert len(set(times)) == len(times)
    for index in (0, 1, 499, 999):
        assert album.first_index_from(times[index]) == index
        assert album.first_index_after(times[index]) == index + 1


async def test_random_search_stays_in_album(
    virtual_server: VirtualAlbumServer, admin: ClientSession
) -> None:
    album = virtual_server.virtual_album
    body = {"size": 25, "albumIds": [LARGE_ALBUM_ID], "type": "IMAGE", "withExif": True}

    for _ in range(10):
        batch = await post_json(admin, "api/search/random", body)
        ids = [asset["id"] for asset in batch]
        assert len(ids) == 25
        assert len(set(ids)) == 25
        assert all(album.index_of(asset_id) is not None for asset_id in ids)
        assert all("exifInfo" in asset for asset in batch)


@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_metadata_pages_walk_album_in_order(
    virtual_server: VirtualAlbumServer, admin: ClientSession, order: str
) -> None:
    album = virtual_server.virtual_album
    body = {"albumIds": [LARGE_ALBUM_ID], "type": "IMAGE", "order": order}

    items = await all_pages(admin, body, size=150)

    expected = [album.asset_id(index) for index in range(album.asset_count)]
    if order == "desc":
        expected.reverse()
    assert [asset["id"] for asset in items] == expected


async def test_metadata_merges_library_in_capture_order(
    virtual_server: VirtualAlbumServer, admin: ClientSession
) -> None:
    library = virtual_server.library
    real = {
        asset_id
        for asset_id in library.visible_asset_ids(ADMIN_USER_ID)
        if library.assets[asset_id]["type"] == "IMAGE"
        and not library.assets[asset_id].get("isTrashed")
        and library.assets[asset_id].get("visibility", "timeline") == "timeline"
    }
    virtual = {virtual_server.virtual_album.asset_id(i) for i in range(SMALL_ALBUM)}
    body = {"type": "IMAGE", "visibility": "timeline", "order": "asc"}

    items = await all_pages(admin, body, size=97)

    ids = [asset["id"] for asset in items]
    assert len(ids) == len(set(ids))
    assert set(ids) == real | virtual
    times = [taken(asset) for asset in items]
    assert times == sorted(times)


@pytest.mark.parametrize(
    "filters",
    [
        {"isFavorite": True},
        {"isFavorite": False},
        {"takenAfter": "2014-03-01T00:00:00.000Z", "takenBefore": "2019-07-01T12:00:00.000Z"},
        {"isFavorite": True, "takenAfter": "2020-01-01T00:00:00Z"},
        {"takenBefore": "2009-12-31T00:00:00.000Z"},
    ],
)
async def test_filters_match_brute_force(
    virtual_server: VirtualAlbumServer, admin: ClientSession, filters: dict[str, Any]
) -> None:
    album = virtual_server.virtual_album
    after = filters.get("takenAfter")
    before = filters.get("takenBefore")
    expected = [
        asset["id"]
        for asset in album_assets(album)
        if asset["isFavorite"] == filters.get("isFavorite", asset["isFavorite"])
        and (after is None or taken(asset) >= datetime.fromisoformat(after))
        and (before is None or taken(asset) <= datetime.fromisoformat(before))
    ]
    body = {"albumIds": [LARGE_ALBUM_ID], "order": "asc", **filters}

    items = await all_pages(admin, body, size=100)

    assert [asset["id"] for asset in items] == expected


@pytest.mark.parametrize(
    "filters",
    [
        {"personIds": ["a11ce000-0000-4000-8000-000000000001"]},
        {"type": "VIDEO"},
        {"visibility": "archive"},
    ],
)
async def test_filters_excluding_album_return_nothing_from_it(
    virtual_server: VirtualAlbumServer, admin: ClientSession, filters: dict[str, Any]
) -> None:
    body = {"albumIds": [LARGE_ALBUM_ID], **filters}

    assert await all_pages(admin, body, size=100) == []
    assert await post_json(admin, "api/search/random", {"size": 25, **body}) == []


async def test_asset_and_thumbnail_of_virtual_id(
    virtual_server: VirtualAlbumServer, admin: ClientSession
) -> None:
    album = virtual_server.virtual_album
    asset_id = album.asset_id(123)

    asset = await get_json(admin, f"api/assets/{asset_id}")
    assert asset["id"] == asset_id
    assert asset["originalFileName"] == "IMG_000123.jpg"
    assert asset["exifInfo"]["timeZone"] == "UTC"

    async with admin.get(
        f"api/assets/{asset_id}/thumbnail", params={"size": "preview"}
    ) as response:
        assert response.status == 200
        assert response.content_type == "image/jpeg"
        assert (await response.read())[:3] == b"\xff\xd8\xff"

    async with admin.get(f"api/assets/{album.asset_id(SMALL_ALBUM)}") as response:
        assert response.status == 400


async def test_other_user_cannot_see_album(virtual_server: VirtualAlbumServer) -> None:
    album = virtual_server.virtual_album
    async with ClientSession(
        base_url=virtual_server.url + "/", headers={"x-api-key": USER_KEY}
    ) as user:
        async with user.get(f"api/assets/{album.asset_id(0)}") as response:
            assert response.status == 400
        albums = await get_json(user, "api/albums")
        batch = await post_json(user, "api/search/random", {"size": 25})

    assert LARGE_ALBUM_ID not in {item["id"] for item in albums}
    assert all(album.index_of(asset["id"]) is None for asset in batch)


async def test_album_listed_with_its_size(
    virtual_server: VirtualAlbumServer, admin: ClientSession
) -> None:
    owned = {album["id"]: album for album in await get_json(admin, "api/albums")}
    shared = {album["id"] for album in await get_json(admin, "api/albums", shared="true")}
    detail = await get_json(admin, f"api/albums/{LARGE_ALBUM_ID}", withoutAssets="true")

    assert owned[LARGE_ALBUM_ID]["assetCount"] == SMALL_ALBUM
    assert LARGE_ALBUM_ID not in shared
    assert detail["assetCount"] == SMALL_ALBUM
    assert detail["assets"] == []


async def test_memories_add_album_photos_of_the_day(
    virtual_server: VirtualAlbumServer, admin: ClientSession
) -> None:
    album = virtual_server.virtual_album
    day = date(2026, 12, 4)
    captured = virtual_server.library.memories_for(ADMIN_USER_ID, day)
    expected: dict[int, set[str]] = {
        memory["data"]["year"]: {asset["id"] for asset in memory["assets"]} for memory in captured
    }
    for asset in album_assets(album):
        when = taken(asset)
        if (when.month, when.day) == (day.month, day.day) and when.year < day.year:
            expected.setdefault(when.year, set()).add(asset["id"])
    assert any(album.index_of(i) is not None for ids in expected.values() for i in ids)

    memories = await get_json(admin, "api/memories", **{"for": day.isoformat()})

    assert {m["data"]["year"]: {a["id"] for a in m["assets"]} for m in memories} == expected
    years = [memory["data"]["year"] for memory in memories]
    assert years == sorted(years, reverse=True)


async def test_statistics_count_album(
    virtual_server: VirtualAlbumServer, admin: ClientSession
) -> None:
    captured = user_totals(virtual_server.library, ADMIN_USER_ID)

    images = await get_json(admin, "api/assets/statistics")
    server = await get_json(admin, "api/server/statistics")

    assert images["images"] == captured.photos + SMALL_ALBUM
    assert images["total"] == captured.photos + captured.videos + SMALL_ALBUM
    admin_usage = next(u for u in server["usageByUser"] if u["userId"] == ADMIN_USER_ID)
    assert admin_usage["photos"] == captured.photos + SMALL_ALBUM
    assert admin_usage["usage"] == captured.usage + virtual_server.virtual_album.total_size()


async def test_large_album_pages_deep_without_listing(socket_enabled: None) -> None:
    server = VirtualAlbumServer(asset_count=100_000)
    await server.start()
    try:
        async with ClientSession(
            base_url=server.url + "/", headers={"x-api-key": ADMIN_KEY}
        ) as session:
            body = {"albumIds": [LARGE_ALBUM_ID], "order": "asc", "page": 2000, "size": 50}
            data = await post_json(session, "api/search/metadata", body)
    finally:
        await server.stop()

    ids = [asset["id"] for asset in data["assets"]["items"]]
    album = server.virtual_album
    assert ids == [album.asset_id(index) for index in range(99_950, 100_000)]
    assert data["assets"]["nextPage"] is None
    assert album.taken_at(99_999) < datetime(2026, 1, 1, tzinfo=UTC)
