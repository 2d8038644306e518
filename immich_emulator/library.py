"""The emulated server's state: users, API keys, assets, albums, people, tags and queues.

Everything starts from the v2.7.5 captures; people and tags, which the captured server had
none of, follow the v2.7.5 spec's response shapes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
import uuid

from . import captures

ADMIN_USER_ID = "3040598a-97a4-45e3-bc6d-43ef9da3bcc9"
SECOND_USER_ID = "0a288d0f-76a2-439c-b801-d5c661ccca72"

ADMIN_KEY = "emulator-admin-key-0123456789abcdef"
USER_KEY = "emulator-user-key-0123456789abcdef"
SCOPED_KEY = "emulator-scoped-key-0123456789abcdef"

# Permissions of the scoped key: enough to show photos, none for tags, people or queues.
SCOPED_PERMISSIONS = frozenset(
    {
        "user.read",
        "server.about",
        "server.storage",
        "server.versionCheck",
        "asset.read",
        "asset.view",
        "asset.statistics",
        "album.read",
        "memory.read",
    }
)

HOLIDAYS_ALBUM_ID = "7c6ff8a8-a0fa-4e20-aa87-bbff3899c031"
WINTER_ALBUM_ID = "c9792264-4004-4886-b8b5-faa5788ef38e"
EMPTY_ALBUM_ID = "5e1c0f4e-3a59-4d4b-9a53-2f3c3a0e1d01"
VIDEO_ASSET_ID = "ee1b5882-3c3f-499e-bfe6-d983818318d6"

PERSON_IDS = {
    "Alice": "a11ce000-0000-4000-8000-000000000001",
    "Bob": "b0b00000-0000-4000-8000-000000000002",
}
TAG_IDS = {
    "Travel": "7a900000-0000-4000-8000-000000000001",
    "Travel/Portugal": "7a900000-0000-4000-8000-000000000002",
}


@dataclass(slots=True)
class ApiKey:
    """An API key and what it may do; permissions None means every permission."""

    key: str
    user_id: str
    permissions: frozenset[str] | None = None


@dataclass(slots=True)
class EmulatedAlbum:
    """An album: its captured JSON without assets, its asset ids and who it is shared with."""

    data: dict[str, Any]
    asset_ids: list[str]
    shared_with: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Library:
    """Mutable state of one emulated server."""

    users: dict[str, dict[str, Any]]
    keys: dict[str, ApiKey]
    assets: dict[str, dict[str, Any]]
    albums: dict[str, EmulatedAlbum]
    people: dict[str, dict[str, Any]]
    tags: dict[str, dict[str, Any]]
    queues: dict[str, dict[str, Any]]
    storage: dict[str, Any]
    about: dict[str, Any]
    features: dict[str, Any]
    release_version: str | None = "v2.8.1"
    """Release that `GET /server/version-check` reports, or None when the check is disabled."""
    memories_enabled: bool = True
    """False makes `GET /memories` return nothing, like a server that never ran its memory job."""
    search_page_size: int | None = None
    """Largest page `POST /search/metadata` returns, whatever `size` requests; None obeys `size`."""
    random_asset_ids: list[str] | None = None
    """Ids `POST /search/random` returns on every call, whatever the filter; None draws at random."""
    search_ignores_visibility: bool = False
    """Searches ignore `visibility`, `isArchived` and `withArchived`, as some servers do, and
    return archived and hidden assets too."""
    queue_tick: int = 0
    queue_activity: bool = True
    """False keeps every queue's counts still, as on a server with no work to do; True moves
    the thumbnail queue on every poll."""
    originals: dict[str, bytes] = field(default_factory=dict)
    """Bytes of uploaded files by asset id; captured assets have none and are rendered."""

    def add_key(self, key: str, user_id: str, permissions: frozenset[str] | None = None) -> ApiKey:
        """Create another API key, for example a rotated one or one with fewer permissions."""
        self.keys[key] = ApiKey(key, user_id, permissions)
        return self.keys[key]

    def user_for_key(self, key: str | None) -> ApiKey | None:
        return self.keys.get(key or "")

    def visible_asset_ids(self, user_id: str) -> set[str]:
        """Return ids of assets the user owns or can view through albums shared with them."""
        visible = {aid for aid, asset in self.assets.items() if asset["ownerId"] == user_id}
        for album in self.albums.values():
            if album.data["ownerId"] == user_id or user_id in album.shared_with:
                visible.update(album.asset_ids)
        return visible

    def albums_for(self, user_id: str) -> list[EmulatedAlbum]:
        return [
            album
            for album in self.albums.values()
            if album.data["ownerId"] == user_id or user_id in album.shared_with
        ]

    def memories_for(self, user_id: str, day: date) -> list[dict[str, Any]]:
        """Build "on this day" memories: the user's photos of this month and day in past years.

        As Immich does, a memory whose assets were all trashed or archived since it was made
        is still listed, with an empty asset list.
        """
        if not self.memories_enabled:
            return []
        by_year: dict[int, list[dict[str, Any]]] = {}
        for asset in self.assets.values():
            if asset["ownerId"] != user_id:
                continue
            taken = datetime.fromisoformat(asset["localDateTime"].replace("Z", "+00:00"))
            if (taken.month, taken.day) != (day.month, day.day) or taken.year >= day.year:
                continue
            year_assets = by_year.setdefault(taken.year, [])
            if not asset.get("isTrashed") and asset.get("visibility", "timeline") == "timeline":
                year_assets.append(asset)

        return [
            memory_json(user_id, year, day, [strip_asset(asset) for asset in by_year[year]])
            for year in sorted(by_year, reverse=True)
        ]

    def advance_queues(self) -> None:
        """Move queue counts one step, so polls see work arrive and drain."""
        if not self.queue_activity:
            return
        self.queue_tick += 1
        step = self.queue_tick % 6
        busy = self.queues["thumbnailGeneration"]
        if not busy["isPaused"]:
            busy["statistics"]["waiting"] = (9, 6, 3, 0, 0, 12)[step]
            busy["statistics"]["active"] = (1, 1, 1, 0, 0, 0)[step]
            busy["statistics"]["completed"] += 3 if step in (1, 2, 3) else 0


def memory_json(user_id: str, year: int, day: date, assets: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the "on this day" memory of one earlier year, as `GET /memories` lists it."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"memory/{user_id}/{year}/{day}")),
        "createdAt": f"{day.isoformat()}T00:00:00.000Z",
        "updatedAt": f"{day.isoformat()}T00:00:00.000Z",
        "memoryAt": f"{year}-{day.month:02d}-{day.day:02d}T00:00:00.000Z",
        "showAt": f"{day.isoformat()}T00:00:00.000Z",
        "hideAt": f"{day.isoformat()}T23:59:59.999Z",
        "ownerId": user_id,
        "type": "on_this_day",
        "data": {"year": year},
        "isSaved": False,
        "assets": assets,
    }


def strip_asset(asset: dict[str, Any]) -> dict[str, Any]:
    """Return an asset as list endpoints send it: without exifInfo, owner, tags or faces."""
    stripped = {
        key: value
        for key, value in asset.items()
        if key not in ("exifInfo", "owner", "tags", "unassignedFaces", "stack")
    }
    stripped["people"] = []
    return stripped


def _collect_captured_assets() -> dict[str, dict[str, Any]]:
    """Gather every asset body in the captures, keeping the richest copy of each."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "originalFileName" in node and "id" in node:
                current = found.get(node["id"])
                if current is None or ("exifInfo" in node and "exifInfo" not in current):
                    found[node["id"]] = copy.deepcopy(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for name in (
        "asset_info",
        "asset_info_video",
        "album_detail",
        "search_random_with_exif",
        "search_random",
        "search_metadata_page1",
        "search_metadata_page3",
        "search_metadata_album",
        "memories_all",
    ):
        walk(captures.body(name))
    return found


def _second_user_assets(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Two photos of the non-admin user, who has two in the captured statistics."""
    assets = {}
    for index, (name, taken) in enumerate(
        (
            ("IMG_2022_garden.jpg", "2022-05-01T10:00:00.000Z"),
            ("IMG_2023_lake.jpg", "2023-08-19T16:30:00.000Z"),
        ),
        start=1,
    ):
        asset = copy.deepcopy(template)
        asset_id = f"5ec0d000-0000-4000-8000-00000000000{index}"
        asset.update(
            id=asset_id,
            ownerId=SECOND_USER_ID,
            originalFileName=name,
            deviceAssetId=f"{name}-{index}",
            fileCreatedAt=taken,
            fileModifiedAt=taken,
            localDateTime=taken,
            isFavorite=index == 1,
        )
        asset.pop("owner", None)
        if "exifInfo" in asset:
            asset["exifInfo"] = {**asset["exifInfo"], "dateTimeOriginal": taken, "city": None}
        assets[asset_id] = asset
    return assets


def _person(name: str) -> dict[str, Any]:
    return {
        "id": PERSON_IDS[name],
        "name": name,
        "birthDate": None,
        "thumbnailPath": f"/data/thumbs/{PERSON_IDS[name]}.jpeg",
        "isHidden": False,
        "isFavorite": False,
        "updatedAt": "2026-12-04T19:51:56.000Z",
        "color": None,
    }


def _tag(value: str) -> dict[str, Any]:
    parent = value.rsplit("/", 1)[0] if "/" in value else None
    return {
        "id": TAG_IDS[value],
        "parentId": TAG_IDS[parent] if parent else None,
        "name": value.rsplit("/", 1)[-1],
        "value": value,
        "createdAt": "2026-12-04T19:51:56.000Z",
        "updatedAt": "2026-12-04T19:51:56.000Z",
        "color": None,
    }


def build_library() -> Library:
    """Return a fresh library that matches the captured server."""
    admin = captures.body("users_me")
    second = captures.body("users_me_user_key")

    assets = _collect_captured_assets()
    assets.update(_second_user_assets(assets["741ca548-ae85-46f9-9a70-2eeb4cff4eff"]))

    holidays = captures.body("album_detail")
    holidays_ids = [asset["id"] for asset in holidays.pop("assets")]
    winter = next(a for a in captures.body("albums_list") if a["id"] == WINTER_ALBUM_ID)
    winter.pop("assets", None)
    winter_ids = [
        asset["id"] for asset in captures.body("search_metadata_album")["assets"]["items"]
    ]
    empty = copy.deepcopy(winter)
    empty.update(
        id=EMPTY_ALBUM_ID,
        albumName="Empty",
        description="An album with no assets",
        albumThumbnailAssetId=None,
        shared=False,
        assetCount=0,
        startDate=None,
        endDate=None,
    )

    people = {pid: _person(name) for name, pid in PERSON_IDS.items()}
    for asset_id, names in (
        ("0b7ed609-432e-47ff-8c9d-b464ea4470ce", ("Alice",)),
        ("b2bee649-55cd-4a35-924b-365bcb6ccb72", ("Alice", "Bob")),
        ("741ca548-ae85-46f9-9a70-2eeb4cff4eff", ("Bob",)),
    ):
        assets[asset_id]["people"] = [people[PERSON_IDS[name]] for name in names]
    tags = {tid: _tag(value) for value, tid in TAG_IDS.items()}
    for asset_id in (
        "f11902ee-25f9-48d6-9430-60c474c0d25d",
        "0b7ed609-432e-47ff-8c9d-b464ea4470ce",
    ):
        assets[asset_id]["tags"] = [tags[TAG_IDS["Travel/Portugal"]]]

    queues = {item["name"]: item for item in captures.body("queues")}
    queues["metadataExtraction"]["statistics"]["failed"] = 2

    return Library(
        users={admin["id"]: admin, second["id"]: second},
        keys={
            ADMIN_KEY: ApiKey(ADMIN_KEY, ADMIN_USER_ID),
            USER_KEY: ApiKey(USER_KEY, SECOND_USER_ID),
            SCOPED_KEY: ApiKey(SCOPED_KEY, SECOND_USER_ID, SCOPED_PERMISSIONS),
        },
        assets=assets,
        albums={
            HOLIDAYS_ALBUM_ID: EmulatedAlbum(holidays, holidays_ids),
            WINTER_ALBUM_ID: EmulatedAlbum(winter, winter_ids, {SECOND_USER_ID}),
            EMPTY_ALBUM_ID: EmulatedAlbum(empty, []),
        },
        people=people,
        tags=tags,
        queues=queues,
        storage=captures.body("server_storage"),
        about=captures.body("server_about"),
        features=captures.body("server_features"),
    )
