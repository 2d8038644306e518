"""Route handlers that only Immich releases before v1.118 have: `/server-info/*`, the singular
`/user`, `/asset`, `/album`, `/person` and `/tag` paths (before v1.106), the memory lane, the
v1.89 asset search and the tag asset lists.

`legacy_shapes.ROUTE_AVAILABILITY` decides which profile has each route, and the server turns
the captured v2.7.5 data each handler returns into the release's response shape.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
import random
from typing import Any

from aiohttp import web

from .legacy_shapes import ASSET_BY_ID_UNTIL, MEMORIES_FOR_SINCE, PLURAL_PATHS_SINCE
from .library import strip_asset
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
    album_info,
    albums_list,
    asset_info,
    asset_statistics,
    invalid_id_for,
    people_list,
    person_thumbnail,
    server_config,
    server_features,
    server_media_types,
    server_ping,
    server_statistics,
    server_storage,
    tags_list,
    thumbnail_response,
    users_me,
)
from .routes_media import person_info, tag_info
from .server import json_error

# `GET /asset/thumbnail/{id}?format=` of the v1.98.2 spec: JPEG is the preview, WEBP the
# small thumbnail.
THUMBNAIL_FORMATS = {"JPEG": "preview", "WEBP": "thumbnail"}
DEFAULT_SEARCH_SIZE = 250
SEARCH_BOOLEAN_FIELDS = (
    "isArchived",
    "isFavorite",
    "withArchived",
    "withDeleted",
    "withExif",
    "withPeople",
)


async def asset_random(request: web.Request) -> web.Response:
    """Return `count` random assets the user can see, of any type, archived ones included."""
    count = int(request.query.get("count", "1"))
    library = _library(request)
    assets = [
        library.assets[asset_id]
        for asset_id in library.visible_asset_ids(_user_id(request))
        if asset_id in library.assets and not library.assets[asset_id].get("isTrashed")
    ]
    chosen = random.sample(assets, min(count, len(assets)))
    return _json([_present(asset, {"withExif": True, "withPeople": True}) for asset in chosen])


async def asset_thumbnail(request: web.Request) -> web.Response:
    asset = _asset_or_error(request)
    if isinstance(asset, web.Response):
        return asset
    image_format = request.query.get("format", "WEBP")
    if image_format not in THUMBNAIL_FORMATS:
        return json_error(
            400, ["format must be one of the following values: JPEG, WEBP"], "Bad Request"
        )
    return thumbnail_response(asset, THUMBNAIL_FORMATS[image_format])


async def asset_by_id_or_device(request: web.Request) -> web.Response:
    """Return an asset; on v1.89 this path lists the ids of one device's assets instead."""
    profile = _server(request).profile
    if profile.version >= ASSET_BY_ID_UNTIL:
        return await asset_info(request)
    device_id = request.match_info["id"]
    library = _library(request)
    return _json(
        [
            asset["deviceAssetId"]
            for asset in library.assets.values()
            if asset["ownerId"] == _user_id(request) and asset.get("deviceId") == device_id
        ]
    )


async def memory_lane(request: web.Request) -> web.Response:
    """Return the user's photos of this day in earlier years, one entry per year with photos.

    Entries have a `title` before v1.106 and `yearsAgo` from v1.106 (the two specs'
    MemoryLaneResponseDto). Years count back from the server's current year.
    """
    profile = _server(request).profile
    if profile.version >= MEMORIES_FOR_SINCE:
        # The memory lane is gone, and `GET /assets/{id}` reads `memory-lane` as an asset id.
        return invalid_id_for(request)
    day = _memory_lane_day(request, profile.memory_lane_timestamp)
    if isinstance(day, web.Response):
        return day

    entries = []
    for memory in _library(request).memories_for(_user_id(request), day):
        if not memory["assets"]:
            continue
        years_ago = day.year - memory["data"]["year"]
        entry: dict[str, Any] = {"assets": memory["assets"]}
        if profile.version >= PLURAL_PATHS_SINCE:
            entry["yearsAgo"] = years_ago
        else:
            entry["title"] = f"{years_ago} year{'s' if years_ago > 1 else ''} since..."
        entries.append(entry)
    return _json(entries)


def _memory_lane_day(request: web.Request, reads_timestamp: bool) -> date | web.Response:
    today = datetime.now(UTC).date()
    if reads_timestamp:
        text = request.query.get("timestamp", "")
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            return json_error(400, ["timestamp must be a Date instance"], "Bad Request")

    problems = []
    values = {}
    for name, maximum in (("day", 31), ("month", 12)):
        text = request.query.get(name, "")
        if not text.isdigit() or not 1 <= int(text) <= maximum:
            problems.append(f"{name} must be an integer between 1 and {maximum}")
        else:
            values[name] = int(text)
    if problems:
        return json_error(400, problems, "Bad Request")
    try:
        return date(today.year, values["month"], values["day"])
    except ValueError:
        return json_error(400, ["day must be a day of the month"], "Bad Request")


async def asset_search(request: web.Request) -> web.Response:
    """Return one page of `GET /assets`, the search of v1.89 to v1.105, as a plain list.

    NOTE: the v1.89 endpoint list names this search without parameters; the emulator reads
    those of the v1.98.2 spec's `GET /assets`, which match `POST /search/metadata`'s fields.
    """
    query = request.query
    payload: dict[str, Any] = {}
    for name in SEARCH_BOOLEAN_FIELDS:
        if name in query:
            payload[name] = query[name] == "true"
    for name in ("type", "takenAfter", "takenBefore", "order"):
        if name in query:
            payload[name] = query[name]
    if "personIds" in query:
        payload["personIds"] = query.getall("personIds")

    assets = _filtered(request, payload)
    assets.sort(key=lambda a: a["fileCreatedAt"], reverse=payload.get("order", "desc") == "desc")
    size = int(query.get("size", DEFAULT_SEARCH_SIZE))
    page = int(query.get("page", "1"))
    items = assets[(page - 1) * size : page * size]
    return _json([_present(asset, payload) for asset in items])


async def tag_assets(request: web.Request) -> web.Response:
    """Return the user's assets that carry a tag; old tags have no children to include."""
    tag_id = request.match_info["id"]
    if not UUID_PATTERN.match(tag_id):
        return _invalid_id()
    library = _library(request)
    tag = library.tags.get(tag_id)
    if tag is None:
        return _not_found("tag")
    user_id = _user_id(request)
    return _json(
        [
            strip_asset(asset)
            for asset in library.assets.values()
            if asset["ownerId"] == user_id
            and not asset.get("isTrashed")
            and any(t["value"] == tag["value"] for t in asset.get("tags") or [])
        ]
    )


def register_legacy_routes(app: web.Application) -> None:
    """Add the routes of releases before v1.118; call it before the modern routes are added,
    so that `/assets/memory-lane` matches before `/assets/{id}`."""
    router = app.router
    router.add_get("/api/server-info", server_storage)
    router.add_get("/api/server-info/storage", server_storage)
    router.add_get("/api/server-info/ping", server_ping)
    router.add_get("/api/server-info/features", server_features)
    router.add_get("/api/server-info/config", server_config)
    router.add_get("/api/server-info/media-types", server_media_types)
    router.add_get("/api/server-info/statistics", server_statistics)

    router.add_get("/api/user/me", users_me)
    router.add_get("/api/asset/statistics", asset_statistics)
    router.add_get("/api/asset/random", asset_random)
    router.add_get("/api/asset/memory-lane", memory_lane)
    router.add_get("/api/asset/thumbnail/{id}", asset_thumbnail)
    router.add_get("/api/asset/assetById/{id}", asset_info)
    router.add_get("/api/asset/{id}", asset_by_id_or_device)
    router.add_get("/api/assets", asset_search)
    router.add_get("/api/assets/memory-lane", memory_lane)
    router.add_get("/api/album", albums_list)
    router.add_get("/api/album/{id}", album_info)
    router.add_get("/api/person", people_list)
    router.add_get("/api/person/{id}", person_info)
    router.add_get("/api/person/{id}/thumbnail", person_thumbnail)
    router.add_get("/api/tag", tags_list)
    router.add_get("/api/tag/{id}", tag_info)
    router.add_get("/api/tag/{id}/assets", tag_assets)
    router.add_get("/api/tags/{id}/assets", tag_assets)
