"""Payloads of the events Immich sends over its socket, in the shapes of the v2.7.5 captures."""

from __future__ import annotations

import copy
import re
from typing import Any

from ..legacy_shapes import shape_asset
from ..profiles import Profile

type Version = tuple[int, int, int]

UPLOAD_READY_V1_SINCE: Version = (1, 136, 0)
"""`AssetUploadReadyV1` came with Immich pull request 19858, merged on 2025-07-10.
NOTE: v1.136.0 is the first release after that merge date; no changelog was read to confirm it."""
UPLOAD_READY_V2_SINCE: Version = (3, 0, 0)
"""Immich's main branch sends `AssetUploadReadyV2` with a `SyncAssetV2` (with `createdAt`)
instead of the V1 event.
NOTE: that v3.0 is the release that swapped them is a guess from the v3.0.3 spec, which is the
first to define `SyncAssetV2`."""
VERSION_PRERELEASE_SINCE: Version = (3, 0, 0)
"""`ServerVersionResponseDto` has `prerelease` (the v3.0.3 spec: "Added v3.0.0")."""

RELEASE_CHECKED_AT = "2026-12-04T19:52:00.000Z"
"""The `checkedAt` that `GET /server/version-check` reports."""
RELEASE_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")

SYNC_ASSET_FIELDS = (
    "id",
    "ownerId",
    "originalFileName",
    "thumbhash",
    "checksum",
    "fileCreatedAt",
    "fileModifiedAt",
    "localDateTime",
    "duration",
    "type",
    "deletedAt",
    "isFavorite",
    "visibility",
    "livePhotoVideoId",
    "stackId",
    "libraryId",
    "width",
    "height",
    "isEdited",
)
SYNC_EXIF_FIELDS = (
    "description",
    "exifImageWidth",
    "exifImageHeight",
    "fileSizeInByte",
    "orientation",
    "dateTimeOriginal",
    "modifyDate",
    "timeZone",
    "latitude",
    "longitude",
    "projectionType",
    "city",
    "state",
    "country",
    "make",
    "model",
    "lensModel",
    "fNumber",
    "focalLength",
    "iso",
    "exposureTime",
    "profileDescription",
    "rating",
    "fps",
)


def server_version(version: Version) -> dict[str, Any]:
    """Return `on_server_version`'s payload: Immich sends its `semver` object as it is."""
    text = "{}.{}.{}".format(*version)
    return {
        "options": {},
        "loose": False,
        "includePrerelease": False,
        "raw": text,
        "major": version[0],
        "minor": version[1],
        "patch": version[2],
        "prerelease": [],
        "build": [],
        "version": text,
    }


def _version_json(profile: Profile, version: Version) -> dict[str, Any]:
    major, minor, patch = version
    data: dict[str, Any] = {"major": major, "minor": minor, "patch": patch}
    if profile.version >= VERSION_PRERELEASE_SINCE:
        data["prerelease"] = None
    return data


def new_release(profile: Profile, version: Version, release_version: str) -> dict[str, Any] | None:
    """Return `on_new_release`'s payload, or None when the release is not a version number.

    Immich sends it on connect when its version check has run, and to every socket when a check
    finds a newer release.
    """
    match = RELEASE_VERSION.match(release_version)
    if match is None:
        return None
    release = (int(match[1]), int(match[2]), int(match[3]))
    payload: dict[str, Any] = {
        "isAvailable": release > version,
        "checkedAt": RELEASE_CHECKED_AT,
        "serverVersion": _version_json(profile, version),
        "releaseVersion": _version_json(profile, release),
    }
    if profile.version >= VERSION_PRERELEASE_SINCE:
        # NOTE: the v3.0.3 spec's ReleaseEventV1 requires a nullable `type`; its values are unknown here.
        payload["type"] = None
    return payload


def asset_json(profile: Profile, asset: dict[str, Any]) -> dict[str, Any]:
    """Return an asset as `on_upload_success` and `on_asset_update` send it: as `GET /assets/{id}`."""
    data = copy.deepcopy(asset)
    data.setdefault("unassignedFaces", [])
    return shape_asset(profile, data)


def upload_ready(profile: Profile, asset: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Return the name and payload of the upload-ready event, or None on releases without one."""
    if profile.version < UPLOAD_READY_V1_SINCE:
        return None
    exif = asset.get("exifInfo") or {}
    values = {
        **asset,
        "duration": asset["duration"] if asset.get("type") == "VIDEO" else None,
        "deletedAt": None,
        "stackId": None,
        "isEdited": bool(asset.get("isEdited")),
    }
    synced = {name: values.get(name) for name in SYNC_ASSET_FIELDS}
    synced_exif = {"assetId": asset["id"], **{name: exif.get(name) for name in SYNC_EXIF_FIELDS}}
    if profile.version >= UPLOAD_READY_V2_SINCE:
        synced["createdAt"] = asset.get("createdAt")
        return "AssetUploadReadyV2", {"asset": synced, "exif": synced_exif}
    return "AssetUploadReadyV1", {"asset": synced, "exif": synced_exif}
