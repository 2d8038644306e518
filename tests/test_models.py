"""Typed models: every captured response shape parses, and optional fields may be missing or null.

The literal bodies below are trimmed copies of the v2.7.5 captures in
`immich_emulator/captures/v2.7.5/`, so they keep parsing the real shapes if the emulator
changes. The last test parses the full captures as well.
"""

from __future__ import annotations

from collections.abc import Callable
import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from custom_components.immich.api import (
    Album,
    Asset,
    AssetStatistics,
    AssetType,
    Memory,
    PeoplePage,
    Queue,
    SearchPage,
    ServerAbout,
    ServerFeatures,
    ServerStatistics,
    ServerStorage,
    ServerVersion,
    Tag,
    UploadResult,
    User,
    VersionCheck,
)
from immich_emulator.captures import body as capture_body

ADMIN_ID = "3040598a-97a4-45e3-bc6d-43ef9da3bcc9"
SECOND_ID = "0a288d0f-76a2-439c-b801-d5c661ccca72"
IMAGE_ID = "f11902ee-25f9-48d6-9430-60c474c0d25d"
VIDEO_ID = "ee1b5882-3c3f-499e-bfe6-d983818318d6"
ALBUM_ID = "7c6ff8a8-a0fa-4e20-aa87-bbff3899c031"

USER = {
    "id": ADMIN_ID,
    "email": "admin@example.com",
    "name": "Admin User",
    "isAdmin": True,
    "deletedAt": None,
    "quotaSizeInBytes": None,
    "quotaUsageInBytes": 3685851,
    "license": None,
}
ABOUT = {
    "version": "v2.7.5",
    "versionUrl": "https://github.com/immich-app/immich/releases/tag/v2.7.5",
    "licensed": False,
    "nodejs": "v24.14.1",
    "exiftool": "13.53",
    "ffmpeg": "5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers",
    "libvips": "8.17.3",
    "imagemagick": "",
}
FEATURES = {"smartSearch": False, "facialRecognition": False, "map": True, "trash": True}
STORAGE = {
    "diskSize": "252.0 GiB",
    "diskSizeRaw": 270553174016,
    "diskUseRaw": 27660902400,
    "diskAvailableRaw": 81283391488,
    "diskUsagePercentage": 10.22,
}
STATISTICS = {
    "photos": 24,
    "videos": 1,
    "usage": 3885810,
    "usagePhotos": 3840133,
    "usageVideos": 45677,
    "usageByUser": [
        {
            "userId": SECOND_ID,
            "userName": "Second User",
            "photos": 2,
            "videos": 0,
            "usage": 199959,
            "usagePhotos": 199959,
            "usageVideos": 0,
            "quotaSizeInBytes": None,
        }
    ],
}
QUEUE = {
    "name": "thumbnailGeneration",
    "isPaused": False,
    "statistics": {
        "active": 1,
        "completed": 7,
        "failed": 2,
        "delayed": 3,
        "waiting": 4,
        "paused": 5,
    },
}
JOB_STATUS = {
    "queueStatus": {"isPaused": True, "isActive": False},
    "jobCounts": {
        "active": 0,
        "completed": 0,
        "failed": 1,
        "delayed": 0,
        "waiting": 6,
        "paused": 0,
    },
}
IMAGE = {
    "id": IMAGE_ID,
    "ownerId": ADMIN_ID,
    "type": "IMAGE",
    "originalFileName": "IMG_2026_recent.jpg",
    "originalMimeType": "image/jpeg",
    "fileCreatedAt": "2026-11-28T11:34:56+00:00",
    "localDateTime": "2026-11-28T12:34:56+00:00",
    "isFavorite": False,
    "isArchived": False,
    "isTrashed": False,
    "visibility": "timeline",
    "duration": "0:00:00.00000",
    "exifInfo": {
        "make": "Apple",
        "model": "iPhone 16",
        "exifImageWidth": 1600,
        "exifImageHeight": 1200,
        "fileSizeInByte": 107094,
        "orientation": None,
        "dateTimeOriginal": "2026-11-28T11:34:56+00:00",
        "timeZone": "UTC+1",
        "latitude": 38.7223,
        "longitude": -9.1393,
        "city": "Lisbon",
        "state": "Lisbon",
        "country": "Portugal",
        "description": "",
        "rating": None,
    },
    "livePhotoVideoId": None,
    "people": [],
    "isOffline": False,
    "width": 1600,
    "height": 1200,
}
VIDEO = {
    "id": VIDEO_ID,
    "ownerId": ADMIN_ID,
    "type": "VIDEO",
    "originalFileName": "VID_2024_12_04.mp4",
    "originalMimeType": "video/mp4",
    "fileCreatedAt": "2024-12-04T10:00:00.000Z",
    "localDateTime": "2024-12-04T10:00:00.000Z",
    "isFavorite": False,
    "isArchived": False,
    "isTrashed": False,
    "visibility": "timeline",
    "duration": "00:00:03.000",
    "exifInfo": {
        "make": None,
        "model": None,
        "exifImageWidth": 320,
        "exifImageHeight": 240,
        "orientation": "1",
        "dateTimeOriginal": "2024-12-04T10:00:00+00:00",
        "latitude": None,
        "longitude": None,
        "city": None,
        "description": "",
    },
    "tags": [],
    "people": [],
    "stack": None,
    "width": 320,
    "height": 240,
}
PERSON = {
    "id": "a11ce000-0000-4000-8000-000000000001",
    "name": "Alice",
    "birthDate": None,
    "isHidden": False,
}
TAG = {
    "id": "7a900000-0000-4000-8000-000000000002",
    "parentId": "7a900000-0000-4000-8000-000000000001",
    "name": "Portugal",
    "value": "Travel/Portugal",
    "color": None,
}
ALBUM = {
    "albumName": "Holidays",
    "description": "Holidays test album",
    "albumThumbnailAssetId": "f68d6912-6dde-437d-8da5-12db1e44a28b",
    "id": ALBUM_ID,
    "ownerId": ADMIN_ID,
    "owner": {"id": ADMIN_ID, "email": "admin@example.com", "name": "Admin User"},
    "albumUsers": [],
    "shared": False,
    "startDate": "2016-07-14T00:00:00.000Z",
    "endDate": "2026-11-28T00:00:00.000Z",
    "assets": [IMAGE],
    "assetCount": 1,
}
MEMORY = {
    "id": "7fd968bc-9217-4016-8c23-1f262fae5881",
    "memoryAt": "2025-12-04T00:00:00.000Z",
    "ownerId": ADMIN_ID,
    "type": "on_this_day",
    "data": {"year": 2025},
    "isSaved": False,
    "assets": [VIDEO],
}


def without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    trimmed = copy.deepcopy(data)
    for key in keys:
        trimmed.pop(key, None)
    return trimmed


def with_nulls(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    for key in keys:
        changed[key] = None
    return changed


# Server


def test_server_version_from_dict() -> None:
    version = ServerVersion.from_dict({"major": 2, "minor": 7, "patch": 5})

    assert version == ServerVersion(2, 7, 5)
    assert str(version) == "v2.7.5"
    assert ServerVersion(1, 118, 0) < version < ServerVersion(3, 0, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("v2.7.5", (2, 7, 5)), ("1.106.1", (1, 106, 1)), ("v3.0.0-rc.1", (3, 0, 0))],
)
def test_server_version_parse(text: str, expected: tuple[int, int, int]) -> None:
    assert ServerVersion.parse(text) == ServerVersion(*expected)


@pytest.mark.parametrize("text", ["", "v2.7", "latest", "v2.x.1"])
def test_server_version_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"version|invalid literal"):
        ServerVersion.parse(text)


def test_user_full() -> None:
    user = User.from_dict(USER)

    assert user.id == ADMIN_ID
    assert user.name == "Admin User"
    assert user.email == "admin@example.com"
    assert user.is_admin is True
    assert user.quota_size_in_bytes is None
    assert user.quota_usage_in_bytes == 3685851


def test_user_optional_fields_missing() -> None:
    user = User.from_dict({"id": ADMIN_ID, "name": None, "email": "admin@example.com"})

    assert user.name == "admin@example.com"
    assert user.is_admin is False
    assert user.quota_usage_in_bytes is None
    assert User.from_dict({"id": ADMIN_ID}).name == ADMIN_ID


def test_user_without_id_rejected() -> None:
    with pytest.raises(ValueError, match="without the field `id`"):
        User.from_dict(without(USER, "id"))


def test_about_full_and_minimal() -> None:
    about = ServerAbout.from_dict(ABOUT)
    minimal = ServerAbout.from_dict({"version": "v2.7.5", "nodejs": None})

    assert about.version == "v2.7.5"
    assert about.version_url == ABOUT["versionUrl"]
    assert about.ffmpeg == ABOUT["ffmpeg"]
    assert minimal.version == "v2.7.5"
    assert minimal.nodejs is None
    assert minimal.version_url is None


def test_version_check_disabled_and_enabled() -> None:
    disabled = VersionCheck.from_dict({"checkedAt": None, "releaseVersion": None})
    enabled = VersionCheck.from_dict(
        {"checkedAt": "2026-12-04T19:52:00.000Z", "releaseVersion": "v2.8.1"}
    )

    assert disabled == VersionCheck(checked_at=None, release_version=None)
    assert enabled.release_version == "v2.8.1"
    assert enabled.checked_at == datetime(2026, 12, 4, 19, 52, tzinfo=UTC)


def test_features_defaults() -> None:
    features = ServerFeatures.from_dict(FEATURES)
    empty = ServerFeatures.from_dict({})

    assert (features.smart_search, features.facial_recognition, features.trash) == (
        False,
        False,
        True,
    )
    assert empty.trash is True
    assert empty.smart_search is False


def test_storage_full_and_missing() -> None:
    storage = ServerStorage.from_dict(STORAGE)
    empty = ServerStorage.from_dict(with_nulls(STORAGE, "diskUseRaw", "diskUsagePercentage"))

    assert storage.disk_size_raw == 270553174016
    assert storage.disk_available_raw == 81283391488
    assert storage.disk_usage_percentage == pytest.approx(10.22)
    assert empty.disk_use_raw == 0
    assert empty.disk_usage_percentage == 0.0


def test_statistics_full() -> None:
    statistics = ServerStatistics.from_dict(STATISTICS)

    assert (statistics.photos, statistics.videos, statistics.usage) == (24, 1, 3885810)
    assert statistics.usage_photos == 3840133
    assert len(statistics.usage_by_user) == 1
    second = statistics.usage_by_user[0]
    assert second.user_id == SECOND_ID
    assert second.user_name == "Second User"
    assert second.quota_size_in_bytes is None


def test_statistics_optional_fields_missing() -> None:
    statistics = ServerStatistics.from_dict(
        with_nulls(without(STATISTICS, "usagePhotos", "usageVideos"), "usageByUser")
    )
    user = ServerStatistics.from_dict(
        {"usageByUser": [{"userId": SECOND_ID, "userName": None}]}
    ).usage_by_user[0]

    assert statistics.usage_photos is None
    assert statistics.usage_videos is None
    assert statistics.usage_by_user == ()
    assert user.user_name == SECOND_ID
    assert user.usage_photos is None


def test_asset_statistics() -> None:
    assert AssetStatistics.from_dict({"images": 22, "videos": 1, "total": 23}) == AssetStatistics(
        22, 1, 23
    )
    assert AssetStatistics.from_dict({}) == AssetStatistics(0, 0, 0)


def test_queue_from_queues_item() -> None:
    queue = Queue.from_queue_dict(QUEUE)

    assert queue.name == "thumbnailGeneration"
    assert queue.is_paused is False
    assert queue.failed == 2
    assert queue.completed == 7
    assert queue.pending == 1 + 4 + 3 + 5


def test_queue_from_jobs_value() -> None:
    queue = Queue.from_job_status("metadataExtraction", JOB_STATUS)

    assert queue.name == "metadataExtraction"
    assert queue.is_paused is True
    assert queue.failed == 1
    assert queue.pending == 6


def test_queue_counts_missing() -> None:
    from_queues = Queue.from_queue_dict({"name": "sidecar", "statistics": None})
    from_jobs = Queue.from_job_status("sidecar", {"jobCounts": {"waiting": None}})

    assert from_queues.pending == 0
    assert from_queues.is_paused is False
    assert from_jobs.pending == 0


# Assets


def test_image_asset_full() -> None:
    asset = Asset.from_dict(IMAGE)

    assert asset.id == IMAGE_ID
    assert asset.type is AssetType.IMAGE
    assert asset.is_image
    assert asset.original_file_name == "IMG_2026_recent.jpg"
    assert asset.original_mime_type == "image/jpeg"
    assert asset.owner_id == ADMIN_ID
    assert (asset.width, asset.height) == (1600, 1200)
    assert asset.exif is not None
    assert asset.exif.city == "Lisbon"
    assert asset.exif.make == "Apple"
    assert asset.exif.latitude == pytest.approx(38.7223)
    assert asset.exif.orientation is None
    assert asset.description is None
    assert asset.taken_at == datetime(2026, 11, 28, 11, 34, 56, tzinfo=UTC)
    # localDateTime is wall-clock time although Immich writes it with an offset.
    assert asset.local_date_time == datetime(2026, 11, 28, 12, 34, 56)
    assert asset.is_archived is False


def test_video_asset_nulls() -> None:
    asset = Asset.from_dict(VIDEO)

    assert asset.type is AssetType.VIDEO
    assert not asset.is_image
    assert asset.duration == "00:00:03.000"
    assert asset.exif is not None
    assert asset.exif.make is None
    assert asset.exif.latitude is None
    assert asset.exif.orientation == "1"
    assert asset.tags == ()
    assert asset.people == ()


def test_asset_minimal() -> None:
    asset = Asset.from_dict({"id": IMAGE_ID})

    assert asset.type is AssetType.OTHER
    assert asset.original_file_name == IMAGE_ID
    assert asset.exif is None
    assert asset.description is None
    assert asset.taken_at is None
    assert asset.local_date_time is None
    assert (asset.width, asset.height) == (None, None)
    assert (asset.is_favorite, asset.is_archived, asset.is_trashed) == (False, False, False)
    assert (asset.people, asset.person_ids, asset.tags) == ((), (), ())


def test_asset_null_optional_fields() -> None:
    nulls = with_nulls(
        IMAGE,
        "exifInfo",
        "people",
        "fileCreatedAt",
        "localDateTime",
        "isFavorite",
        "width",
        "height",
        "originalFileName",
    )

    asset = Asset.from_dict(nulls)

    assert asset.exif is None
    assert asset.people == ()
    assert asset.taken_at is None
    assert asset.is_favorite is False
    assert asset.width is None
    assert asset.original_file_name == IMAGE_ID


def test_asset_size_from_exif() -> None:
    asset = Asset.from_dict(without(VIDEO, "width", "height"))

    assert (asset.width, asset.height) == (320, 240)


def test_asset_archived_by_visibility() -> None:
    asset = Asset.from_dict(without(IMAGE, "isArchived") | {"visibility": "archive"})

    assert asset.is_archived is True


def test_asset_people_and_tags() -> None:
    data = copy.deepcopy(IMAGE)
    data["people"] = [PERSON, {"id": "b0b00000-0000-4000-8000-000000000002", "name": ""}]
    data["tags"] = [TAG, {"id": "7a900000-0000-4000-8000-000000000003", "name": "Family"}]

    asset = Asset.from_dict(data)

    assert asset.people == ("Alice",)
    assert asset.person_ids == (PERSON["id"], "b0b00000-0000-4000-8000-000000000002")
    assert asset.tags == ("Travel/Portugal", "Family")


def test_asset_taken_at_keeps_offset() -> None:
    data = copy.deepcopy(IMAGE)
    data["exifInfo"]["dateTimeOriginal"] = "2026-11-28T12:34:56+01:00"

    asset = Asset.from_dict(data)

    assert asset.taken_at is not None
    assert asset.taken_at.utcoffset() == timedelta(hours=1)
    assert asset.taken_at == datetime(2026, 11, 28, 11, 34, 56, tzinfo=UTC)


def test_asset_unknown_type_is_other() -> None:
    assert Asset.from_dict({"id": IMAGE_ID, "type": "HOLOGRAM"}).type is AssetType.OTHER


def test_asset_without_id_rejected() -> None:
    with pytest.raises(ValueError, match="without the field `id`"):
        Asset.from_dict(without(IMAGE, "id"))


def test_search_page_with_next() -> None:
    page = SearchPage.from_dict(
        {
            "albums": {"total": 0, "count": 0, "items": [], "facets": []},
            "assets": {
                "total": 2,
                "count": 2,
                "items": [IMAGE, VIDEO],
                "facets": [],
                "nextPage": "2",
            },
        }
    )

    assert [asset.id for asset in page.assets] == [IMAGE_ID, VIDEO_ID]
    assert page.total == 2
    assert page.next_page == "2"


def test_search_page_last_and_empty() -> None:
    last = SearchPage.from_dict(
        {"assets": {"total": 1, "count": 1, "items": [IMAGE], "nextPage": None}}
    )
    empty = SearchPage.from_dict({"assets": None})

    assert last.next_page is None
    assert len(last.assets) == 1
    assert empty.assets == ()
    assert empty.total == 0
    assert empty.next_page is None


# Albums, memories, people, tags


def test_album_with_assets() -> None:
    album = Album.from_dict(ALBUM)

    assert album.id == ALBUM_ID
    assert album.name == "Holidays"
    assert album.description == "Holidays test album"
    assert album.owner_name == "Admin User"
    assert album.owner_id == ADMIN_ID
    assert album.shared is False
    assert album.asset_count == 1
    assert album.start_date == datetime(2016, 7, 14, tzinfo=UTC)
    assert album.assets is not None
    assert [asset.id for asset in album.assets] == [IMAGE_ID]


def test_album_assets_left_out() -> None:
    # `withoutAssets=true` and the album list send `assets: []` beside a non-zero count.
    listed = Album.from_dict(ALBUM | {"assets": [], "assetCount": 5})
    v3 = Album.from_dict(without(ALBUM, "assets"))
    empty = Album.from_dict(ALBUM | {"assets": [], "assetCount": 0})

    assert listed.assets is None
    assert listed.asset_count == 5
    assert v3.assets is None
    assert empty.assets == ()


def test_album_optional_fields_missing() -> None:
    album = Album.from_dict(
        with_nulls(
            without(ALBUM, "owner", "shared"),
            "description",
            "albumThumbnailAssetId",
            "startDate",
            "endDate",
            "assetCount",
        )
    )

    assert album.owner_name is None
    assert album.description is None
    assert album.thumbnail_asset_id is None
    assert (album.start_date, album.end_date) == (None, None)
    assert album.shared is False
    assert album.asset_count == 0


def test_memory_on_this_day() -> None:
    memory = Memory.from_dict(MEMORY)

    assert memory.id == MEMORY["id"]
    assert memory.year == 2025
    assert memory.memory_at == datetime(2025, 12, 4, tzinfo=UTC)
    assert [asset.id for asset in memory.assets] == [VIDEO_ID]


def test_memory_optional_fields_missing() -> None:
    without_data = Memory.from_dict(with_nulls(MEMORY, "data", "assets"))
    bare = Memory.from_dict({"id": MEMORY["id"]})

    assert without_data.year == 2025
    assert without_data.assets == ()
    assert bare.year is None
    assert bare.memory_at is None


def test_memory_lane_entries() -> None:
    today = date(2026, 12, 4)
    with_years_ago = Memory.from_memory_lane({"yearsAgo": 2, "assets": [IMAGE]}, today)
    title_only = Memory.from_memory_lane({"title": "2 years ago", "assets": [VIDEO]}, today)

    assert with_years_ago.year == 2024
    assert with_years_ago.id is None
    assert title_only.year == 2024
    assert Memory.from_memory_lane({"title": "x"}, today).assets == ()


def test_people_page() -> None:
    page = PeoplePage.from_dict(
        {"people": [PERSON, PERSON | {"name": None}], "hasNextPage": True, "total": 9, "hidden": 0}
    )
    empty = PeoplePage.from_dict({"people": [], "hasNextPage": False, "total": 0, "hidden": 0})

    assert [person.name for person in page.people] == ["Alice", ""]
    assert page.people[0].birth_date is None
    assert page.total == 9
    assert page.has_next_page is True
    assert empty.people == ()
    assert PeoplePage.from_dict({"people": [PERSON]}).total == 1


def test_tag_value_and_name() -> None:
    tag = Tag.from_dict(TAG)
    without_value = Tag.from_dict(without(TAG, "value"))

    assert (tag.id, tag.name, tag.value) == (TAG["id"], "Portugal", "Travel/Portugal")
    assert without_value.value == "Portugal"


def test_upload_results() -> None:
    created = UploadResult.from_dict({"id": IMAGE_ID, "status": "created"})
    duplicate = UploadResult.from_dict({"status": "duplicate", "id": IMAGE_ID})

    assert created == UploadResult(IMAGE_ID, duplicate=False)
    assert duplicate == UploadResult(IMAGE_ID, duplicate=True)


def test_wall_clock_offset_ignored() -> None:
    asset = Asset.from_dict(IMAGE | {"localDateTime": "2026-11-28T12:34:56-05:00"})

    assert asset.local_date_time == datetime(2026, 11, 28, 12, 34, 56)
    assert asset.local_date_time.tzinfo is None


# Full captures


def _items(parser: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    return lambda items: [parser(item) for item in items]


CAPTURE_PARSERS: list[tuple[str, Callable[[Any], Any]]] = [
    ("server_version", ServerVersion.from_dict),
    ("users_me", User.from_dict),
    ("users_me_user_key", User.from_dict),
    ("server_about", ServerAbout.from_dict),
    ("server_about_user_key", ServerAbout.from_dict),
    ("server_version_check", VersionCheck.from_dict),
    ("server_features", ServerFeatures.from_dict),
    ("server_storage", ServerStorage.from_dict),
    ("server_statistics", ServerStatistics.from_dict),
    ("assets_statistics", AssetStatistics.from_dict),
    ("queues", _items(Queue.from_queue_dict)),
    ("jobs", lambda data: [Queue.from_job_status(k, v) for k, v in data.items()]),
    ("asset_info", Asset.from_dict),
    ("asset_info_video", Asset.from_dict),
    ("search_random", _items(Asset.from_dict)),
    ("search_random_with_exif", _items(Asset.from_dict)),
    ("search_metadata_page1", SearchPage.from_dict),
    ("search_metadata_page3", SearchPage.from_dict),
    ("search_metadata_album", SearchPage.from_dict),
    ("memories_all", _items(Memory.from_dict)),
    ("memories_for_now", _items(Memory.from_dict)),
    ("memories_for_date_only", _items(Memory.from_dict)),
    ("albums_list", _items(Album.from_dict)),
    ("albums_list_shared", _items(Album.from_dict)),
    ("album_detail", Album.from_dict),
    ("album_detail_without_assets", Album.from_dict),
    ("people_list", PeoplePage.from_dict),
    ("tags_list", _items(Tag.from_dict)),
    ("asset_upload_created", UploadResult.from_dict),
    ("asset_upload_duplicate", UploadResult.from_dict),
]


def _ids(value: Any) -> list[str]:
    """Return the ids a parsed model or list of models carries, for comparing with the raw body."""
    if isinstance(value, list):
        return [item for element in value for item in _ids(element)]
    return [value.id] if isinstance(getattr(value, "id", None), str) else []


@pytest.mark.parametrize(("name", "parser"), CAPTURE_PARSERS, ids=[n for n, _ in CAPTURE_PARSERS])
def test_full_capture_parses(name: str, parser: Callable[[Any], Any]) -> None:
    raw = capture_body(name)

    parsed = parser(raw)

    items = raw if isinstance(raw, list) else [raw]
    raw_ids = [item["id"] for item in items if isinstance(item, dict) and "id" in item]
    assert _ids(parsed) == raw_ids
