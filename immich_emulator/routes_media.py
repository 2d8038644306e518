"""Emulated media routes: upload, album membership, video playback, originals, smart search,
timeline buckets, and single people and tags."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
import hashlib
import mimetypes
from pathlib import PurePosixPath
import re
from typing import Any
import uuid

from aiohttp import web

from .originals import entity_tag, original_file
from .routes import (
    UUID_PATTERN,
    _asset_or_error,
    _filtered,
    _invalid_id,
    _json,
    _library,
    _not_found,
    _present,
    _server,
    _user_id,
    search_page_json,
)
from .server import json_error
from .socket.endpoint import announce_upload

# Immich's file responses (captured from `GET /assets/{id}/video/playback`).
FILE_CACHE_CONTROL = (
    "private, max-age=86400, no-transform, stale-while-revalidate=2592000, stale-if-error=2592000"
)
STREAM_CHUNK_SIZE = 16 * 1024
SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


# Upload and albums


async def upload_asset(request: web.Request) -> web.Response:
    """Store an uploaded file; a file the user already has is a duplicate (200, not 201)."""
    library = _library(request)
    user_id = _user_id(request)
    form = await request.post()
    file_field = form.get("assetData")
    if not isinstance(file_field, web.FileField):
        return json_error(400, ["assetData must be a file"], "Bad Request")

    required = ["fileCreatedAt", "fileModifiedAt"]
    if _server(request).profile.version < (3, 0, 0):
        required += ["deviceAssetId", "deviceId"]
    problems = [f"{name} should not be empty" for name in required if not form.get(name)]
    for name in ("fileCreatedAt", "fileModifiedAt"):
        if form.get(name) and _parse_date(str(form[name])) is None:
            problems.append(f"{name} must be a Date instance")
    if problems:
        return json_error(400, problems, "Bad Request")

    content = file_field.file.read()
    checksum = base64.b64encode(hashlib.sha1(content).digest()).decode()
    for asset in library.assets.values():
        if asset["ownerId"] == user_id and asset.get("checksum") == checksum:
            return _json({"status": "duplicate", "id": asset["id"]})

    file_name = file_field.filename or "upload"
    mime_type = mimetypes.guess_type(file_name)[0] or file_field.content_type
    if not mime_type.startswith(("image/", "video/")):
        return json_error(400, f"Unsupported file type {file_name}", "Bad Request")

    asset_id = str(uuid.uuid4())
    library.assets[asset_id] = _uploaded_asset(
        asset_id, user_id, form, file_name, mime_type, content, checksum
    )
    library.originals[asset_id] = content
    announce_upload(_server(request), asset_id)
    return _json({"id": asset_id, "status": "created"}, status=201)


def _uploaded_asset(
    asset_id: str,
    user_id: str,
    form: Any,
    file_name: str,
    mime_type: str,
    content: bytes,
    checksum: str,
) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    created = str(form["fileCreatedAt"])
    extension = PurePosixPath(file_name).suffix.lower()
    return {
        "id": asset_id,
        "createdAt": now,
        "deviceAssetId": str(form.get("deviceAssetId") or f"{file_name}-{len(content)}"),
        "ownerId": user_id,
        "deviceId": str(form.get("deviceId") or "unknown"),
        "libraryId": None,
        "type": "VIDEO" if mime_type.startswith("video/") else "IMAGE",
        "originalPath": f"/data/upload/{user_id}/{asset_id}{extension}",
        "originalFileName": file_name,
        "originalMimeType": mime_type,
        "thumbhash": None,
        "fileCreatedAt": created,
        "fileModifiedAt": str(form["fileModifiedAt"]),
        "localDateTime": created,
        "updatedAt": now,
        "isFavorite": False,
        "isArchived": False,
        "isTrashed": False,
        "visibility": "timeline",
        "duration": "0:00:00.00000",
        "exifInfo": {"fileSizeInByte": len(content), "description": ""},
        "livePhotoVideoId": None,
        "people": [],
        "tags": [],
        "checksum": checksum,
        "isOffline": False,
        "hasMetadata": True,
        "duplicateId": None,
        "resized": False,
        "width": None,
        "height": None,
    }


async def album_add_assets(request: web.Request) -> web.Response:
    """Add assets to an album and report each: added, `duplicate` or `no_permission`."""
    library = _library(request)
    user_id = _user_id(request)
    album_id = request.match_info["id"]
    if not UUID_PATTERN.match(album_id):
        return _invalid_id()
    album = library.albums.get(album_id)
    if album is None or (album.data["ownerId"] != user_id and user_id not in album.shared_with):
        return json_error(400, "Not found or no albumAsset.create access", "Bad Request")
    payload = await request.json()
    ids = payload.get("ids")
    if not isinstance(ids, list) or not all(
        isinstance(i, str) and UUID_PATTERN.match(i) for i in ids
    ):
        return json_error(400, ["each value in ids must be a UUID"], "Bad Request")

    visible = library.visible_asset_ids(user_id)
    results: list[dict[str, Any]] = []
    for asset_id in ids:
        if asset_id in album.asset_ids:
            results.append({"id": asset_id, "success": False, "error": "duplicate"})
        elif asset_id not in visible or asset_id not in library.assets:
            results.append({"id": asset_id, "success": False, "error": "no_permission"})
        else:
            album.asset_ids.append(asset_id)
            album.data["albumThumbnailAssetId"] = (
                album.data.get("albumThumbnailAssetId") or asset_id
            )
            results.append({"id": asset_id, "success": True})
    return _json(results)


# Files


async def video_playback(request: web.Request) -> web.StreamResponse:
    """Stream a video as Immich does: 200 for the whole file, 206 for one byte range."""
    asset = _asset_or_error(request)
    if isinstance(asset, web.Response):
        return asset
    if asset["type"] != "VIDEO":
        # NOTE: no capture shows Immich's response for a photo, so this status and message are a guess.
        return json_error(404, "Asset not found or asset is not a video", "Not Found")
    content, _ = original_file(_library(request), asset)
    return await _send_file(request, content, "video/mp4", entity_tag(content, asset))


async def asset_original(request: web.Request) -> web.StreamResponse:
    asset = _asset_or_error(request)
    if isinstance(asset, web.Response):
        return asset
    content, content_type = original_file(_library(request), asset)
    return await _send_file(request, content, content_type, entity_tag(content, asset))


async def _send_file(
    request: web.Request, content: bytes, content_type: str, etag: str
) -> web.StreamResponse:
    """Send a file in chunks, honouring one `Range` as Express's `send` does.

    An unparsable range, several ranges, or an `If-Range` for another version are ignored
    (200); a range that starts past the end is 416 with `Content-Range: bytes */<size>`.
    """
    size = len(content)
    headers = {
        "Cache-Control": FILE_CACHE_CONTROL,
        "Content-Type": content_type,
        "Accept-Ranges": "bytes",
        "Etag": etag,
    }
    byte_range = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range != etag:
        byte_range = None

    start, end, status = 0, size - 1, 200
    match = SINGLE_RANGE.match(byte_range.replace(" ", "")) if byte_range else None
    if match and (match[1] or match[2]):
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
        else:
            start = max(size - int(match[2]), 0)
        if start >= size or start > end:
            headers["Content-Range"] = f"bytes */{size}"
            return web.Response(status=416, headers=headers)
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"

    body = content[start : end + 1]
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = len(body)
    await response.prepare(request)
    if request.method != "HEAD":
        for offset in range(0, len(body), STREAM_CHUNK_SIZE):
            await response.write(body[offset : offset + STREAM_CHUNK_SIZE])
    await response.write_eof()
    return response


# Search and timeline


async def search_smart(request: web.Request) -> web.Response:
    """Rank assets by how many query words their name, place, people and tags contain.

    Immich returns 400 when machine learning is off; switch it with
    `library.features["smartSearch"]`. Like Immich's vector search it never filters out
    assets for matching badly, it only ranks them lower.
    """
    if not _library(request).features.get("smartSearch"):
        return json_error(400, "Smart search is not enabled", "Bad Request")
    payload = await request.json()
    query = str(payload.get("query") or "")
    if not query:
        return json_error(400, ["query should not be empty"], "Bad Request")

    words = query.casefold().split()
    assets = _filtered(request, payload)
    assets.sort(key=lambda a: a["fileCreatedAt"], reverse=True)
    assets.sort(key=lambda a: -_match_count(a, words))
    size = int(payload.get("size") or 100)
    page = int(payload.get("page") or 1)
    items = assets[(page - 1) * size : page * size]
    presented = [_present(asset, payload) for asset in items]
    return _json(search_page_json(presented, page, page * size < len(assets)))


def _match_count(asset: dict[str, Any], words: list[str]) -> int:
    exif = asset.get("exifInfo") or {}
    texts = [
        asset.get("originalFileName"),
        exif.get("city"),
        exif.get("country"),
        exif.get("description"),
        *(person.get("name") for person in asset.get("people") or []),
        *(tag.get("value") for tag in asset.get("tags") or []),
    ]
    text = " ".join(str(t) for t in texts if t).casefold()
    return sum(1 for word in words if word in text)


async def timeline_buckets(request: web.Request) -> web.Response:
    """Count assets per month of their local time, newest month first unless `order=asc`."""
    query = request.query
    payload: dict[str, Any] = {}
    if "visibility" in query:
        payload["visibility"] = query["visibility"]
    if "isFavorite" in query:
        payload["isFavorite"] = query["isFavorite"] == "true"
    for name, key in (("albumId", "albumIds"), ("personId", "personIds"), ("tagId", "tagIds")):
        if name in query:
            payload[key] = [query[name]]

    counts: dict[str, int] = {}
    for asset in _filtered(request, payload):
        month = f"{str(asset['localDateTime'])[:7]}-01"
        counts[month] = counts.get(month, 0) + 1
    months = sorted(counts, reverse=query.get("order", "desc") != "asc")
    return _json([{"timeBucket": month, "count": counts[month]} for month in months])


# People and tags


async def person_info(request: web.Request) -> web.Response:
    person_id = request.match_info["id"]
    if not UUID_PATTERN.match(person_id):
        return _invalid_id()
    person = _library(request).people.get(person_id)
    if person is None:
        return _not_found("person")
    return _json(person)


async def tag_info(request: web.Request) -> web.Response:
    tag_id = request.match_info["id"]
    if not UUID_PATTERN.match(tag_id):
        return _invalid_id()
    tag = _library(request).tags.get(tag_id)
    if tag is None:
        return _not_found("tag")
    return _json(tag)


def _parse_date(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def register_media_routes(app: web.Application) -> None:
    """Add the media routes; the permission each needs comes from the spec, as for every route."""
    app.router.add_post("/api/assets", upload_asset)
    app.router.add_put("/api/albums/{id}/assets", album_add_assets)
    app.router.add_get("/api/assets/{id}/video/playback", video_playback)
    app.router.add_get("/api/assets/{id}/original", asset_original)
    app.router.add_post("/api/search/smart", search_smart)
    app.router.add_get("/api/timeline/buckets", timeline_buckets)
    app.router.add_get("/api/people/{id}", person_info)
    app.router.add_get("/api/tags/{id}", tag_info)
