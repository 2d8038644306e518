"""Typed models of the Immich responses the client returns, parsed in one place per model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from .parsing import (
    as_list,
    as_object,
    int_or_zero,
    optional_bool,
    optional_datetime,
    optional_float,
    optional_int,
    optional_str,
    parse_datetime,
    required_int,
    required_str,
)


@dataclass(frozen=True, slots=True, order=True)
class ServerVersion:
    """Immich server version, comparable as (major, minor, patch)."""

    major: int
    minor: int
    patch: int

    @classmethod
    def from_dict(cls, data: Any) -> ServerVersion:
        data = as_object(data)
        return cls(
            required_int(data, "major"), required_int(data, "minor"), required_int(data, "patch")
        )

    @classmethod
    def parse(cls, text: str) -> ServerVersion:
        """Parse `v2.7.5` or `2.7.5`; raise ValueError for anything else."""
        parts = text.strip().lstrip("vV").split("-", 1)[0].split(".")
        if len(parts) != 3:
            raise ValueError(f"not a version: {text!r}")
        return cls(int(parts[0]), int(parts[1]), int(parts[2]))

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True, slots=True)
class User:
    """The user an API key belongs to."""

    id: str
    name: str
    email: str
    is_admin: bool
    quota_size_in_bytes: int | None
    quota_usage_in_bytes: int | None

    @classmethod
    def from_dict(cls, data: Any) -> User:
        data = as_object(data)
        user_id = required_str(data, "id")
        return cls(
            id=user_id,
            name=optional_str(data, "name") or optional_str(data, "email") or user_id,
            email=optional_str(data, "email") or "",
            is_admin=optional_bool(data, "isAdmin"),
            quota_size_in_bytes=optional_int(data, "quotaSizeInBytes"),
            quota_usage_in_bytes=optional_int(data, "quotaUsageInBytes"),
        )


@dataclass(frozen=True, slots=True)
class ServerAbout:
    """Build details from `GET /server/about` (v1.118 and later)."""

    version: str
    version_url: str | None
    nodejs: str | None
    ffmpeg: str | None
    exiftool: str | None
    libvips: str | None

    @classmethod
    def from_dict(cls, data: Any) -> ServerAbout:
        data = as_object(data)
        return cls(
            version=required_str(data, "version"),
            version_url=optional_str(data, "versionUrl"),
            nodejs=optional_str(data, "nodejs"),
            ffmpeg=optional_str(data, "ffmpeg"),
            exiftool=optional_str(data, "exiftool"),
            libvips=optional_str(data, "libvips"),
        )


@dataclass(frozen=True, slots=True)
class VersionCheck:
    """Latest release the server found; both fields are None when the server's check is disabled."""

    checked_at: datetime | None
    release_version: str | None

    @classmethod
    def from_dict(cls, data: Any) -> VersionCheck:
        data = as_object(data)
        return cls(
            checked_at=optional_datetime(data, "checkedAt"),
            release_version=optional_str(data, "releaseVersion"),
        )


@dataclass(frozen=True, slots=True)
class ServerFeatures:
    """Optional server features that change what the integration can offer."""

    smart_search: bool
    facial_recognition: bool
    trash: bool

    @classmethod
    def from_dict(cls, data: Any) -> ServerFeatures:
        data = as_object(data)
        return cls(
            smart_search=optional_bool(data, "smartSearch"),
            facial_recognition=optional_bool(data, "facialRecognition"),
            trash=optional_bool(data, "trash", default=True),
        )


@dataclass(frozen=True, slots=True)
class ServerStorage:
    """Disk space of the volume that stores the library, in bytes."""

    disk_size_raw: int
    disk_use_raw: int
    disk_available_raw: int
    disk_usage_percentage: float

    @classmethod
    def from_dict(cls, data: Any) -> ServerStorage:
        data = as_object(data)
        return cls(
            disk_size_raw=int_or_zero(data, "diskSizeRaw"),
            disk_use_raw=int_or_zero(data, "diskUseRaw"),
            disk_available_raw=int_or_zero(data, "diskAvailableRaw"),
            disk_usage_percentage=optional_float(data, "diskUsagePercentage") or 0.0,
        )


@dataclass(frozen=True, slots=True)
class UserUsage:
    """One user's share of the server's assets; byte splits are None before servers reported them."""

    user_id: str
    user_name: str
    photos: int
    videos: int
    usage: int
    usage_photos: int | None
    usage_videos: int | None
    quota_size_in_bytes: int | None

    @classmethod
    def from_dict(cls, data: Any) -> UserUsage:
        data = as_object(data)
        user_id = required_str(data, "userId")
        return cls(
            user_id=user_id,
            user_name=optional_str(data, "userName") or user_id,
            photos=int_or_zero(data, "photos"),
            videos=int_or_zero(data, "videos"),
            usage=int_or_zero(data, "usage"),
            usage_photos=optional_int(data, "usagePhotos"),
            usage_videos=optional_int(data, "usageVideos"),
            quota_size_in_bytes=optional_int(data, "quotaSizeInBytes"),
        )


@dataclass(frozen=True, slots=True)
class ServerStatistics:
    """Server-wide asset counts and usage (admin only)."""

    photos: int
    videos: int
    usage: int
    usage_photos: int | None
    usage_videos: int | None
    usage_by_user: tuple[UserUsage, ...]

    @classmethod
    def from_dict(cls, data: Any) -> ServerStatistics:
        data = as_object(data)
        return cls(
            photos=int_or_zero(data, "photos"),
            videos=int_or_zero(data, "videos"),
            usage=int_or_zero(data, "usage"),
            usage_photos=optional_int(data, "usagePhotos"),
            usage_videos=optional_int(data, "usageVideos"),
            usage_by_user=tuple(
                UserUsage.from_dict(item) for item in as_list(data.get("usageByUser") or [])
            ),
        )


@dataclass(frozen=True, slots=True)
class AssetStatistics:
    """Asset counts of the key's own user."""

    images: int
    videos: int
    total: int

    @classmethod
    def from_dict(cls, data: Any) -> AssetStatistics:
        data = as_object(data)
        return cls(
            images=int_or_zero(data, "images"),
            videos=int_or_zero(data, "videos"),
            total=int_or_zero(data, "total"),
        )


@dataclass(frozen=True, slots=True)
class Queue:
    """A background job queue and its job counts."""

    name: str
    is_paused: bool
    active: int
    waiting: int
    failed: int
    delayed: int
    completed: int
    paused: int

    @property
    def pending(self) -> int:
        """Jobs not yet finished: active, waiting, delayed and paused."""
        return self.active + self.waiting + self.delayed + self.paused

    @classmethod
    def from_queue_dict(cls, data: Any) -> Queue:
        """Parse an item of `GET /queues` (v2.4 and later)."""
        data = as_object(data)
        return cls._from_counts(
            required_str(data, "name"),
            optional_bool(data, "isPaused"),
            as_object(data.get("statistics") or {}),
        )

    @classmethod
    def from_job_status(cls, name: str, data: Any) -> Queue:
        """Parse one value of the `GET /jobs` map (every generation up to v2.x)."""
        data = as_object(data)
        status = as_object(data.get("queueStatus") or {})
        return cls._from_counts(
            name,
            optional_bool(status, "isPaused"),
            as_object(data.get("jobCounts") or {}),
        )

    @classmethod
    def _from_counts(cls, name: str, is_paused: bool, counts: dict[str, Any]) -> Queue:
        return cls(
            name=name,
            is_paused=is_paused,
            active=int_or_zero(counts, "active"),
            waiting=int_or_zero(counts, "waiting"),
            failed=int_or_zero(counts, "failed"),
            delayed=int_or_zero(counts, "delayed"),
            completed=int_or_zero(counts, "completed"),
            paused=int_or_zero(counts, "paused"),
        )


class QueueCommand(StrEnum):
    """Commands an admin can send to a queue."""

    PAUSE = "pause"
    RESUME = "resume"
    START = "start"
    CLEAR_FAILED = "clear-failed"


class AssetType(StrEnum):
    """Kinds of asset Immich stores."""

    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    AUDIO = "AUDIO"
    OTHER = "OTHER"

    @classmethod
    def parse(cls, value: Any) -> AssetType:
        try:
            return cls(str(value).upper())
        except ValueError:
            return cls.OTHER


@dataclass(frozen=True, slots=True)
class ExifInfo:
    """The EXIF fields the integration shows; every one may be missing."""

    city: str | None
    state: str | None
    country: str | None
    description: str | None
    date_time_original: datetime | None
    time_zone: str | None
    image_width: int | None
    image_height: int | None
    orientation: str | None
    make: str | None
    model: str | None
    latitude: float | None
    longitude: float | None
    file_size_in_byte: int | None

    @classmethod
    def from_dict(cls, data: Any) -> ExifInfo:
        data = as_object(data)
        return cls(
            city=optional_str(data, "city"),
            state=optional_str(data, "state"),
            country=optional_str(data, "country"),
            description=optional_str(data, "description"),
            date_time_original=optional_datetime(data, "dateTimeOriginal"),
            time_zone=optional_str(data, "timeZone"),
            image_width=optional_int(data, "exifImageWidth"),
            image_height=optional_int(data, "exifImageHeight"),
            orientation=optional_str(data, "orientation"),
            make=optional_str(data, "make"),
            model=optional_str(data, "model"),
            latitude=optional_float(data, "latitude"),
            longitude=optional_float(data, "longitude"),
            file_size_in_byte=optional_int(data, "fileSizeInByte"),
        )


@dataclass(frozen=True, slots=True)
class Asset:
    """A photo or video, with the metadata the integration shows."""

    id: str
    type: AssetType
    original_file_name: str
    original_mime_type: str | None
    owner_id: str | None
    file_created_at: datetime | None
    local_date_time: datetime | None
    """Wall-clock time where the photo was taken; Immich writes it with a `Z` that means no zone."""
    is_favorite: bool
    is_archived: bool
    is_trashed: bool
    is_offline: bool
    width: int | None
    height: int | None
    duration: str | None
    live_photo_video_id: str | None
    exif: ExifInfo | None
    people: tuple[str, ...]
    """Names of the recognised people who have a name."""
    person_ids: tuple[str, ...]
    tags: tuple[str, ...]
    is_hidden: bool = False
    """Kept out of the timeline, as the video part of a live photo is: `visibility: hidden`
    from v1.133, `isVisible: false` before."""

    @property
    def description(self) -> str | None:
        return self.exif.description if self.exif else None

    @property
    def taken_at(self) -> datetime | None:
        """Capture time with its zone when known, else the file's creation time (UTC)."""
        if self.exif and self.exif.date_time_original:
            return self.exif.date_time_original
        return self.file_created_at

    @property
    def is_image(self) -> bool:
        return self.type is AssetType.IMAGE

    @classmethod
    def from_dict(cls, data: Any) -> Asset:
        data = as_object(data)
        asset_id = required_str(data, "id")
        exif_data = data.get("exifInfo")
        exif = ExifInfo.from_dict(exif_data) if isinstance(exif_data, dict) else None
        people = [item for item in (data.get("people") or []) if isinstance(item, dict)]
        tags = [item for item in (data.get("tags") or []) if isinstance(item, dict)]
        visibility = optional_str(data, "visibility")
        width = optional_int(data, "width")
        height = optional_int(data, "height")
        if width is None and exif is not None:
            width, height = exif.image_width, exif.image_height
        return cls(
            id=asset_id,
            type=AssetType.parse(data.get("type")),
            original_file_name=optional_str(data, "originalFileName") or asset_id,
            original_mime_type=optional_str(data, "originalMimeType"),
            owner_id=optional_str(data, "ownerId"),
            file_created_at=optional_datetime(data, "fileCreatedAt"),
            local_date_time=_wall_clock(data.get("localDateTime")),
            is_favorite=optional_bool(data, "isFavorite"),
            is_archived=optional_bool(data, "isArchived") or visibility == "archive",
            is_trashed=optional_bool(data, "isTrashed"),
            is_offline=optional_bool(data, "isOffline"),
            is_hidden=visibility == "hidden" or data.get("isVisible") is False,
            width=width,
            height=height,
            duration=optional_str(data, "duration"),
            live_photo_video_id=optional_str(data, "livePhotoVideoId"),
            exif=exif,
            people=tuple(name for item in people if (name := optional_str(item, "name"))),
            person_ids=tuple(pid for item in people if (pid := optional_str(item, "id"))),
            tags=tuple(
                name
                for item in tags
                if (name := optional_str(item, "value") or optional_str(item, "name"))
            ),
        )


def _wall_clock(value: Any) -> datetime | None:
    parsed = parse_datetime(value)
    return parsed.replace(tzinfo=None) if parsed else None


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of a metadata search; next_page is None on the last page."""

    assets: tuple[Asset, ...]
    total: int
    next_page: str | None

    @classmethod
    def from_dict(cls, data: Any) -> SearchPage:
        data = as_object(data)
        assets = as_object(data.get("assets") or {})
        items = tuple(Asset.from_dict(item) for item in as_list(assets.get("items") or []))
        next_page = assets.get("nextPage")
        return cls(
            assets=items,
            total=optional_int(assets, "total") or len(items),
            next_page=str(next_page) if next_page not in (None, "") else None,
        )


@dataclass(frozen=True, slots=True)
class Album:
    """An album the key's user owns or that is shared with them."""

    id: str
    name: str
    description: str | None
    asset_count: int
    thumbnail_asset_id: str | None
    owner_id: str | None
    owner_name: str | None
    shared: bool
    start_date: datetime | None
    end_date: datetime | None
    assets: tuple[Asset, ...] | None
    """Assets sent inline by servers before v3; None when the server sent no list."""

    @classmethod
    def from_dict(cls, data: Any) -> Album:
        data = as_object(data)
        owner = data.get("owner") if isinstance(data.get("owner"), dict) else {}
        raw_assets = data.get("assets")
        assets = (
            tuple(Asset.from_dict(item) for item in as_list(raw_assets))
            if isinstance(raw_assets, list) and (raw_assets or not data.get("assetCount"))
            else None
        )
        return cls(
            id=required_str(data, "id"),
            name=optional_str(data, "albumName") or "",
            description=optional_str(data, "description"),
            asset_count=int_or_zero(data, "assetCount"),
            thumbnail_asset_id=optional_str(data, "albumThumbnailAssetId"),
            owner_id=optional_str(data, "ownerId"),
            owner_name=optional_str(owner, "name") if owner else None,
            shared=optional_bool(data, "shared"),
            start_date=optional_datetime(data, "startDate"),
            end_date=optional_datetime(data, "endDate"),
            assets=assets,
        )


@dataclass(frozen=True, slots=True)
class Memory:
    """An "on this day" memory: the assets of one past year."""

    id: str | None
    """None for memory-lane entries of servers before v1.133, which have no id."""
    year: int | None
    memory_at: datetime | None
    assets: tuple[Asset, ...]

    @classmethod
    def from_dict(cls, data: Any) -> Memory:
        data = as_object(data)
        extra = data.get("data") if isinstance(data.get("data"), dict) else {}
        memory_at = optional_datetime(data, "memoryAt")
        year = optional_int(extra, "year") if extra else None
        if year is None and memory_at is not None:
            year = memory_at.year
        return cls(
            id=optional_str(data, "id"),
            year=year,
            memory_at=memory_at,
            assets=tuple(Asset.from_dict(item) for item in as_list(data.get("assets") or [])),
        )

    @classmethod
    def from_memory_lane(cls, data: Any, today: date) -> Memory:
        """Parse a `memory-lane` entry: `{title, assets}` in the v1.98.2 spec, `{yearsAgo,
        assets}` in v1.106.1's. Without `yearsAgo` the first asset's local date gives the year."""
        data = as_object(data)
        assets = tuple(Asset.from_dict(item) for item in as_list(data.get("assets") or []))
        years_ago = optional_int(data, "yearsAgo")
        year = today.year - years_ago if years_ago else None
        if year is None and assets and assets[0].local_date_time:
            year = assets[0].local_date_time.year
        return cls(id=None, year=year, memory_at=None, assets=assets)


@dataclass(frozen=True, slots=True)
class Person:
    """A recognised person."""

    id: str
    name: str
    is_hidden: bool
    birth_date: str | None

    @classmethod
    def from_dict(cls, data: Any) -> Person:
        data = as_object(data)
        return cls(
            id=required_str(data, "id"),
            name=optional_str(data, "name") or "",
            is_hidden=optional_bool(data, "isHidden"),
            birth_date=optional_str(data, "birthDate"),
        )


@dataclass(frozen=True, slots=True)
class PeoplePage:
    """A page of `GET /people`."""

    people: tuple[Person, ...]
    total: int
    has_next_page: bool

    @classmethod
    def from_dict(cls, data: Any) -> PeoplePage:
        data = as_object(data)
        people = tuple(Person.from_dict(item) for item in as_list(data.get("people") or []))
        return cls(
            people=people,
            total=optional_int(data, "total") or len(people),
            has_next_page=optional_bool(data, "hasNextPage"),
        )


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag; value is the full path such as `Travel/Italy`."""

    id: str
    name: str
    value: str

    @classmethod
    def from_dict(cls, data: Any) -> Tag:
        data = as_object(data)
        name = optional_str(data, "name") or ""
        return cls(
            id=required_str(data, "id"), name=name, value=optional_str(data, "value") or name
        )


@dataclass(frozen=True, slots=True)
class UploadResult:
    """Result of an upload: the new asset, or the existing one when the file was a duplicate."""

    id: str
    duplicate: bool

    @classmethod
    def from_dict(cls, data: Any) -> UploadResult:
        data = as_object(data)
        return cls(id=required_str(data, "id"), duplicate=data.get("status") == "duplicate")


@dataclass(frozen=True, slots=True)
class AlbumAssetResult:
    """Outcome for one asset of `PUT /albums/{id}/assets`.

    `error` is Immich's reason when `success` is false: `duplicate` (already in the album),
    `no_permission`, `not_found` or `unknown`.
    """

    id: str
    success: bool
    error: str | None

    @classmethod
    def from_dict(cls, data: Any) -> AlbumAssetResult:
        data = as_object(data)
        return cls(
            id=required_str(data, "id"),
            success=optional_bool(data, "success"),
            error=optional_str(data, "error"),
        )


@dataclass(frozen=True, slots=True)
class TimeBucket:
    """One month of the timeline: its first day, in the assets' local time, and its size."""

    month: date
    count: int

    @classmethod
    def from_dict(cls, data: Any) -> TimeBucket:
        """Parse `2024-12-01` (v2 and later) or `2024-12-01T00:00:00.000Z` (older servers)."""
        data = as_object(data)
        text = required_str(data, "timeBucket")
        return cls(month=date.fromisoformat(text[:10]), count=int_or_zero(data, "count"))


@dataclass(frozen=True, slots=True)
class AssetMedia:
    """Bytes of a rendition with the content type the server sent."""

    content: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class AssetSearchFilter:
    """Filters shared by random and metadata search. Empty tuples mean no filter."""

    album_ids: tuple[str, ...] = ()
    person_ids: tuple[str, ...] = ()
    tag_ids: tuple[str, ...] = ()
    asset_type: AssetType | None = AssetType.IMAGE
    is_favorite: bool | None = None
    include_archived: bool = False
    taken_after: datetime | None = None
    taken_before: datetime | None = None
    with_exif: bool = True
    with_people: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    """Further fields sent as they are, for search options this model has no name for."""
