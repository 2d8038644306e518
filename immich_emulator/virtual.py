"""A very large synthetic album whose assets are computed from their index, never stored.

Asset `i` of a `VirtualAlbum` has the UUID `b16a55e7-0000-4000-8000-<i in 12 hex digits>` and
a capture time that grows with `i` across the album's date range. Its body is that of one of a
few captured photos, with its own id, file name, dates and favourite flag. Because index order
is capture order, a date filter is an index range and a metadata search page is a slice of it, so
serving a request costs time in proportion to what it returns, not to the album's size.

`virtual_server.VirtualAlbumServer` serves such an album next to the captured library.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import hashlib
from typing import Any

from . import captures
from .library import ADMIN_USER_ID, WINTER_ALBUM_ID, Library, strip_asset

LARGE_ALBUM_ID = "b16a1b00-0000-4000-8000-000000000000"
ASSET_ID_PREFIX = "b16a55e7-0000-4000-8000-"
DEFAULT_ASSET_COUNT = 100_000
MAX_ASSET_COUNT = 16**12
"""Ids have 12 hex digits for the index."""

TEMPLATE_ASSET_IDS = (
    "741ca548-ae85-46f9-9a70-2eeb4cff4eff",  # 1600 x 1200, Paris
    "5365b962-5af4-4802-bbed-7ab040f9853f",  # 1200 x 1600 with EXIF orientation 6
    "cb50182f-802f-4eec-a3ce-d58b947bd552",  # 1600 x 1067, New York City
    "d9091968-1198-414a-8dd5-bacfc8e944dd",  # 1600 x 1200, Helsinki
)
"""Captured photos with EXIF data whose bodies the synthetic assets copy, in turn."""

OWNER_FIELDS = ("id", "email", "name", "profileImagePath", "avatarColor", "profileChangedAt")
"""User fields that an album's and an asset's `owner` object carry."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _microseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _timestamp(microseconds: int) -> str:
    """Format a time as Immich does in asset bodies: `2019-12-04T09:30:00.000Z`."""
    moment = _EPOCH + timedelta(microseconds=microseconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class IndexRange:
    """The album indexes in [start, stop) that pass a favourite filter, in capture order.

    Favourites are the indexes divisible by `favorite_every`, so the members of every filter
    are found by arithmetic: `index_at(rank)` and `rank_of(index)` are O(1).
    """

    start: int
    stop: int
    favorite: bool | None
    favorite_every: int

    def _rank_from_zero(self, index: int) -> int:
        """Count the members below `index`, from index 0 and ignoring `start`."""
        favorites_below = -(-index // self.favorite_every)
        if self.favorite is None:
            return index
        if self.favorite:
            return favorites_below
        return index - favorites_below

    def _index_from_zero(self, rank: int) -> int:
        every = self.favorite_every
        if self.favorite is None:
            return rank
        if self.favorite:
            return rank * every
        # Each block of `every` indexes starts with one favourite, followed by `every - 1` others.
        return rank + rank // (every - 1) + 1

    @property
    def count(self) -> int:
        return max(0, self._rank_from_zero(self.stop) - self._rank_from_zero(self.start))

    def rank_of(self, index: int) -> int:
        """Return how many members lie below `index`."""
        index = min(max(index, self.start), self.stop)
        return self._rank_from_zero(index) - self._rank_from_zero(self.start)

    def index_at(self, rank: int) -> int:
        """Return the album index of the member with this rank (0 is the oldest)."""
        if not 0 <= rank < self.count:
            raise IndexError(f"rank {rank} is outside 0..{self.count - 1}")
        return self._index_from_zero(self._rank_from_zero(self.start) + rank)


class VirtualAlbum:
    """An album of `asset_count` photos owned by one user, with no other copy in the library.

    The assets are all photos on the timeline (none archived, trashed, tagged or showing
    people), taken in UTC, evenly spread from `first_taken` to `last_taken` with a
    deterministic jitter.
    """

    def __init__(
        self,
        templates: Sequence[Mapping[str, Any]],
        owner: Mapping[str, Any],
        asset_count: int = DEFAULT_ASSET_COUNT,
        *,
        album_template: Mapping[str, Any],
        album_id: str = LARGE_ALBUM_ID,
        name: str = "Everything",
        first_taken: datetime = datetime(2010, 1, 1, tzinfo=UTC),
        last_taken: datetime = datetime(2026, 1, 1, tzinfo=UTC),
        favorite_every: int = 50,
    ) -> None:
        if not 0 <= asset_count <= MAX_ASSET_COUNT:
            raise ValueError(f"asset_count must be 0 to {MAX_ASSET_COUNT}, got {asset_count}")
        if favorite_every < 2:
            raise ValueError(f"favorite_every must be at least 2, got {favorite_every}")
        if not templates or any("exifInfo" not in template for template in templates):
            raise ValueError("templates must be asset bodies with exifInfo, at least one")
        self.asset_count = asset_count
        self.album_id = album_id
        self.name = name
        self.owner_id: str = owner["id"]
        self.favorite_every = favorite_every
        self.first_taken = first_taken
        self._owner = {field: owner.get(field) for field in OWNER_FIELDS}
        self._templates = [dict(template) for template in templates]
        self._album_template = dict(album_template)
        self._first_us = _microseconds(first_taken)
        self._step_us = max(1, (_microseconds(last_taken) - self._first_us) // max(asset_count, 1))

    @classmethod
    def from_library(
        cls, library: Library, asset_count: int = DEFAULT_ASSET_COUNT, **options: Any
    ) -> VirtualAlbum:
        """Build an album of the admin user from the captured photos of a fresh library."""
        album_template = next(
            album for album in captures.body("albums_list") if album["id"] == WINTER_ALBUM_ID
        )
        return cls(
            [library.assets[asset_id] for asset_id in TEMPLATE_ASSET_IDS],
            library.users[ADMIN_USER_ID],
            asset_count,
            album_template=album_template,
            **options,
        )

    # Ids and times

    def asset_id(self, index: int) -> str:
        return f"{ASSET_ID_PREFIX}{index:012x}"

    def index_of(self, asset_id: str) -> int | None:
        """Return the index of one of this album's asset ids, or None for any other id."""
        if not asset_id.lower().startswith(ASSET_ID_PREFIX):
            return None
        try:
            index = int(asset_id[len(ASSET_ID_PREFIX) :], 16)
        except ValueError:
            return None
        return index if index < self.asset_count else None

    def _taken_us(self, index: int) -> int:
        # The jitter stays below one step, so capture times strictly increase with the index.
        jitter = (index * 2_654_435_761) % self._step_us
        return self._first_us + index * self._step_us + jitter

    def taken_at(self, index: int) -> datetime:
        return _EPOCH + timedelta(microseconds=self._taken_us(index))

    def first_index_from(self, moment: datetime) -> int:
        """Return the first index taken at or after `moment`; `asset_count` when there is none."""
        offset = _microseconds(moment) - self._first_us
        if offset <= 0:
            return 0
        # Asset i is taken within [i * step, (i + 1) * step) of the first time, so the result
        # is i or i + 1.
        index = offset // self._step_us
        if index < self.asset_count and self._taken_us(index) < self._first_us + offset:
            index += 1
        return min(index, self.asset_count)

    def first_index_after(self, moment: datetime) -> int:
        """Return the first index taken strictly after `moment`."""
        return self.first_index_from(moment + _MICROSECOND)

    # Bodies

    def asset(self, index: int) -> dict[str, Any]:
        """Return the full body of asset `index`, as `GET /assets/{id}` sends it."""
        if not 0 <= index < self.asset_count:
            raise IndexError(f"index {index} is outside 0..{self.asset_count - 1}")
        template = self._templates[index % len(self._templates)]
        asset_id = self.asset_id(index)
        taken = _timestamp(self._taken_us(index))
        name = f"IMG_{index:06d}.jpg"
        exif = dict(template["exifInfo"])
        exif.update(
            dateTimeOriginal=taken.replace(".000Z", "+00:00"),
            modifyDate=taken.replace(".000Z", "+00:00"),
            timeZone="UTC",
        )
        return {
            **template,
            "id": asset_id,
            "deviceAssetId": f"{name}-{exif.get('fileSizeInByte') or 100_000}",
            "ownerId": self.owner_id,
            "owner": self._owner,
            "originalPath": f"/data/upload/{self.owner_id}/{asset_id[:2]}/{asset_id}.jpg",
            "originalFileName": name,
            "fileCreatedAt": taken,
            "fileModifiedAt": taken,
            "localDateTime": taken,
            "isFavorite": index % self.favorite_every == 0,
            "isArchived": False,
            "isTrashed": False,
            "visibility": "timeline",
            "checksum": base64.b64encode(hashlib.sha1(asset_id.encode()).digest()).decode(),
            "duplicateId": None,
            "livePhotoVideoId": None,
            "stack": None,
            "tags": [],
            "people": [],
            "unassignedFaces": [],
            "exifInfo": exif,
        }

    def album_json(self, with_assets: bool) -> dict[str, Any]:
        """Return the album as `GET /albums` lists it; `with_assets` lists all its assets too.

        NOTE: with assets the body is about 1.5 kB per asset (150 MB for 100,000), as a real
        server sends it before v3 unless asked for `withoutAssets`.
        """
        last = self.asset_count - 1
        return {
            **self._album_template,
            "id": self.album_id,
            "albumName": self.name,
            "description": f"{self.asset_count} synthetic photos",
            "albumThumbnailAssetId": self.asset_id(0) if self.asset_count else None,
            "ownerId": self.owner_id,
            "owner": self._owner,
            "albumUsers": [],
            "shared": False,
            "hasSharedLink": False,
            "startDate": _timestamp(self._taken_us(0)) if self.asset_count else None,
            "endDate": _timestamp(self._taken_us(last)) if self.asset_count else None,
            "assetCount": self.asset_count,
            "assets": (
                [strip_asset(self.asset(i)) for i in range(self.asset_count)] if with_assets else []
            ),
        }

    def total_size(self) -> int:
        """Return the sum of the assets' file sizes, as server statistics count usage."""
        total = 0
        for position, template in enumerate(self._templates):
            uses = len(range(position, self.asset_count, len(self._templates)))
            total += uses * int(template["exifInfo"].get("fileSizeInByte") or 100_000)
        return total

    # Queries

    def match(self, payload: Mapping[str, Any], user_id: str) -> IndexRange | None:
        """Return the assets that a search body selects, or None when it excludes them all.

        Follows the emulator's search routes: every album, person and tag id must match,
        `takenAfter` and `takenBefore` are inclusive, and other fields are ignored.
        """
        if user_id != self.owner_id:
            return None
        if any(album_id != self.album_id for album_id in payload.get("albumIds") or []):
            return None
        if payload.get("personIds") or payload.get("tagIds"):
            return None
        if payload.get("type", "IMAGE") != "IMAGE":
            return None
        if payload.get("visibility") not in (None, "timeline") or payload.get("isArchived"):
            return None
        start, stop = 0, self.asset_count
        after = _parse_time(payload.get("takenAfter"))
        if after is not None:
            start = self.first_index_from(after)
        before = _parse_time(payload.get("takenBefore"))
        if before is not None:
            stop = self.first_index_after(before)
        favorite = payload.get("isFavorite")
        return IndexRange(
            start,
            max(start, stop),
            favorite if isinstance(favorite, bool) else None,
            self.favorite_every,
        )

    def memory_indexes(self, user_id: str, day: date) -> Iterator[tuple[int, range]]:
        """Yield (year, indexes) of the photos taken on this month and day in earlier years."""
        if user_id != self.owner_id or not self.asset_count:
            return
        last_year = self.taken_at(self.asset_count - 1).year
        for year in range(self.first_taken.year, min(day.year - 1, last_year) + 1):
            try:
                midnight = datetime(year, day.month, day.day, tzinfo=UTC)
            except ValueError:  # 29 February in a year that has none
                continue
            indexes = range(
                self.first_index_from(midnight), self.first_index_from(midnight + timedelta(days=1))
            )
            if indexes:
                yield year, indexes


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
