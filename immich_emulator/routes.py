"""Route handlers of the emulated Immich API (v2.x and v3.x layouts)."""

from __future__ import annotations

from datetime import UTC, date, datetime
import json
import random
import re
from typing import Any
from urllib.parse import quote

from aiohttp import web

from . import captures
from .legacy_shapes import MEMORIES_FOR_SINCE, search_payload
from .library import EmulatedAlbum, Library, strip_asset
from .media import render
from .originals import fullsize_redirect
from .server import SERVER_KEY, EmulatorServer, json_error, missing_route, request_key

MEMORY_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def _server(request: web.Request) -> EmulatorServer:
    return request.app[SERVER_KEY]


def _library(request: web.Request) -> Library:
    return request.app[SERVER_KEY].library


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(data).encode(), content_type="application/json"
    )


def _user_id(request: web.Request) -> str:
    return request_key(request).user_id


def _invalid_id(name: str = "id") -> web.Response:
    return json_error(400, [f"{name} must be a UUID"], "Bad Request")


def validation_failed(issue: dict[str, Any]) -> web.Response:
    """Return v3's request validation error: Immich's exception filter sends the zod issues
    without `error` and `statusCode`, and the correlation id as a header."""
    return web.Response(
        status=400,
        body=json.dumps({"message": "Validation failed", "errors": [issue]}).encode(),
        content_type="application/json",
        headers={"x-immich-cid": "emulated"},
    )


def invalid_id_for(request: web.Request, name: str = "id") -> web.Response:
    """Return the 400 a release sends for a path id that is not a UUID."""
    if _server(request).profile.version >= (3, 0, 0):
        return validation_failed(
            {
                "origin": "string",
                "code": "invalid_format",
                "format": "uuid",
                "pattern": UUID_PATTERN.pattern,
                "path": [name],
                "message": "Invalid UUID",
            }
        )
    return _invalid_id(name)


def _not_found(kind: str) -> web.Response:
    return json_error(400, f"Not found or no {kind}.read access", "Bad Request")


# Server


async def server_version(request: web.Request) -> web.Response:
    server = _server(request)
    major, minor, patch = server.reported_version or server.profile.version
    return _json({"major": major, "minor": minor, "patch": patch})


async def server_ping(request: web.Request) -> web.Response:
    return _json({"res": "pong"})


async def server_about(request: web.Request) -> web.Response:
    profile = _server(request).profile
    about = dict(_library(request).about)
    about["version"] = profile.version_text
    about["versionUrl"] = (
        f"https://github.com/immich-app/immich/releases/tag/{profile.version_text}"
    )
    return _json(about)


async def server_version_check(request: web.Request) -> web.Response:
    release = _library(request).release_version
    checked_at = "2026-12-04T19:52:00.000Z" if release else None
    return _json({"checkedAt": checked_at, "releaseVersion": release})


async def server_features(request: web.Request) -> web.Response:
    return _json(_library(request).features)


async def server_config(request: web.Request) -> web.Response:
    return _json(captures.body("server_config"))


async def server_media_types(request: web.Request) -> web.Response:
    return _json(captures.body("server_media_types"))


async def server_storage(request: web.Request) -> web.Response:
    return _json(_library(request).storage)


def asset_size(asset: dict[str, Any]) -> int:
    """Return an asset's file size; the captured deviceAssetId ends in it (`name.jpg-98769`)."""
    exif = asset.get("exifInfo") or {}
    if exif.get("fileSizeInByte"):
        return int(exif["fileSizeInByte"])
    suffix = str(asset.get("deviceAssetId", "")).rsplit("-", 1)[-1]
    return int(suffix) if suffix.isdigit() else 100_000


async def server_statistics(request: web.Request) -> web.Response:
    library = _library(request)
    per_user = []
    for user in library.users.values():
        owned = [
            a
            for a in library.assets.values()
            if a["ownerId"] == user["id"] and not a.get("isTrashed")
        ]
        photos = [a for a in owned if a["type"] == "IMAGE"]
        videos = [a for a in owned if a["type"] == "VIDEO"]
        per_user.append(
            {
                "userId": user["id"],
                "userName": user["name"],
                "photos": len(photos),
                "videos": len(videos),
                "usage": sum(map(asset_size, owned)),
                "usagePhotos": sum(map(asset_size, photos)),
                "usageVideos": sum(map(asset_size, videos)),
                "quotaSizeInBytes": user.get("quotaSizeInBytes"),
            }
        )
    return _json(
        {
            "photos": sum(u["photos"] for u in per_user),
            "videos": sum(u["videos"] for u in per_user),
            "usage": sum(u["usage"] for u in per_user),
            "usagePhotos": sum(u["usagePhotos"] for u in per_user),
            "usageVideos": sum(u["usageVideos"] for u in per_user),
            "usageByUser": per_user,
        }
    )


async def users_me(request: web.Request) -> web.Response:
    return _json(_library(request).users[_user_id(request)])


async def asset_statistics(request: web.Request) -> web.Response:
    library = _library(request)
    owned = [
        a
        for a in library.assets.values()
        if a["ownerId"] == _user_id(request) and not a.get("isTrashed")
    ]
    images = sum(1 for a in owned if a["type"] == "IMAGE")
    videos = sum(1 for a in owned if a["type"] == "VIDEO")
    return _json({"images": images, "videos": videos, "total": images + videos})


# Queues


async def queues_list(request: web.Request) -> web.Response:
    library = _library(request)
    library.advance_queues()
    return _json(list(library.queues.values()))


async def jobs_list(request: web.Request) -> web.Response:
    library = _library(request)
    library.advance_queues()
    return _json(
        {
            name: {
                "queueStatus": {
                    "isPaused": queue["isPaused"],
                    "isActive": queue["statistics"]["active"] > 0,
                },
                "jobCounts": dict(queue["statistics"]),
            }
            for name, queue in library.queues.items()
        }
    )


async def queue_update(request: web.Request) -> web.Response:
    library = _library(request)
    queue = library.queues.get(request.match_info["name"])
    if queue is None:
        return json_error(400, ["name must be one of the queue names"], "Bad Request")
    payload = await request.json()
    if "isPaused" in payload:
        if payload["isPaused"] and queue["name"] == "backgroundTask":
            return json_error(400, "The BackgroundTask queue cannot be paused", "Bad Request")
        queue["isPaused"] = bool(payload["isPaused"])
    return _json(queue)


async def job_command(request: web.Request) -> web.Response:
    library = _library(request)
    queue = library.queues.get(request.match_info["name"])
    if queue is None:
        return json_error(400, ["name must be one of the queue names"], "Bad Request")
    payload = await request.json()
    command = payload.get("command")
    if command == "pause":
        queue["isPaused"] = True
    elif command == "resume":
        queue["isPaused"] = False
    elif command == "clear-failed":
        queue["statistics"]["failed"] = 0
    elif command == "start":
        queue["statistics"]["waiting"] += 1
    else:
        return json_error(400, ["command must be one of the job commands"], "Bad Request")
    return _json(
        {
            "queueStatus": {
                "isPaused": queue["isPaused"],
                "isActive": queue["statistics"]["active"] > 0,
            },
            "jobCounts": dict(queue["statistics"]),
        }
    )


# Assets and search


def _visible_assets(request: web.Request) -> list[dict[str, Any]]:
    library = _library(request)
    visible = library.visible_asset_ids(_user_id(request))
    return [library.assets[asset_id] for asset_id in visible if asset_id in library.assets]


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _filtered(request: web.Request, payload: dict[str, Any]) -> list[dict[str, Any]]:
    library = _library(request)
    assets = _visible_assets(request)
    payload = search_payload(_server(request).profile, payload)

    # As in Immich, an asset must be in every album, show every person and carry every tag
    # of the filter, where a tag also matches the tags below it (`Travel` matches `Travel/Italy`).
    for album_id in payload.get("albumIds") or []:
        album = library.albums.get(album_id)
        members = set(album.asset_ids) if album is not None else set()
        assets = [a for a in assets if a["id"] in members]
    person_ids = set(payload.get("personIds") or [])
    if person_ids:
        assets = [a for a in assets if person_ids <= {p["id"] for p in a.get("people") or []}]
    for tag_id in payload.get("tagIds") or []:
        assets = [a for a in assets if _has_tag(library, a, tag_id)]

    if "type" in payload:
        assets = [a for a in assets if a["type"] == payload["type"]]
    if "isFavorite" in payload:
        assets = [a for a in assets if a["isFavorite"] == payload["isFavorite"]]
    if payload.get("originalFileName"):
        part = str(payload["originalFileName"]).casefold()
        assets = [a for a in assets if part in a["originalFileName"].casefold()]
    visibility = payload.get("visibility")
    if visibility and not library.search_ignores_visibility:
        assets = [a for a in assets if a.get("visibility", "timeline") == visibility]
    if not payload.get("withDeleted"):
        assets = [a for a in assets if not a.get("isTrashed")]

    after = _parse_time(payload.get("takenAfter"))
    before = _parse_time(payload.get("takenBefore"))
    if after or before:
        kept = []
        for asset in assets:
            taken = _parse_time(asset["fileCreatedAt"])
            if taken is None or (after and taken < after) or (before and taken > before):
                continue
            kept.append(asset)
        assets = kept
    return assets


def _has_tag(library: Library, asset: dict[str, Any], tag_id: str) -> bool:
    tag = library.tags.get(tag_id)
    if tag is None:
        return False
    values = [t["value"] for t in asset.get("tags") or []]
    return any(value == tag["value"] or value.startswith(tag["value"] + "/") for value in values)


def _present(asset: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    shown = strip_asset(asset)
    if payload.get("withExif") and "exifInfo" in asset:
        shown["exifInfo"] = asset["exifInfo"]
    if payload.get("withPeople"):
        shown["people"] = asset.get("people") or []
    return shown


async def search_random(request: web.Request) -> web.Response:
    payload = await request.json()
    library = _library(request)
    if library.random_asset_ids is not None:
        fixed = [library.assets[i] for i in library.random_asset_ids if i in library.assets]
        return _json([_present(asset, payload) for asset in fixed])
    assets = _filtered(request, payload)
    size = int(payload.get("size") or 250)
    chosen = random.sample(assets, min(size, len(assets)))
    return _json([_present(asset, payload) for asset in chosen])


async def search_metadata(request: web.Request) -> web.Response:
    payload = await request.json()
    assets = _filtered(request, payload)
    assets.sort(key=lambda a: a["fileCreatedAt"], reverse=payload.get("order", "desc") == "desc")
    size = int(payload.get("size") or 250)
    page_size_limit = _library(request).search_page_size
    if page_size_limit is not None:
        size = min(size, page_size_limit)
    page = int(payload.get("page") or 1)
    items = assets[(page - 1) * size : page * size]
    has_more = page * size < len(assets)
    return _json(search_page_json([_present(asset, payload) for asset in items], page, has_more))


def search_page_json(items: list[dict[str, Any]], page: int, has_more: bool) -> dict[str, Any]:
    """Return the body of `POST /search/metadata` for one page of presented assets."""
    return {
        "albums": {"total": 0, "count": 0, "items": [], "facets": []},
        "assets": {
            "total": len(items),
            "count": len(items),
            "items": items,
            "facets": [],
            "nextPage": str(page + 1) if has_more else None,
        },
    }


async def assets_random(request: web.Request) -> web.Response:
    if not _server(request).profile.has_assets_random:
        return missing_route(request)
    count = int(request.query.get("count", "1"))
    assets = [a for a in _visible_assets(request) if not a.get("isTrashed")]
    chosen = random.sample(assets, min(count, len(assets)))
    return _json([_present(asset, {"withExif": True, "withPeople": True}) for asset in chosen])


def _asset_or_error(request: web.Request) -> dict[str, Any] | web.Response:
    asset_id = request.match_info["id"]
    if not UUID_PATTERN.match(asset_id):
        return _invalid_id()
    library = _library(request)
    if (
        asset_id not in library.visible_asset_ids(_user_id(request))
        or asset_id not in library.assets
    ):
        return _not_found("asset")
    return library.assets[asset_id]


async def asset_info(request: web.Request) -> web.Response:
    asset = _asset_or_error(request)
    if isinstance(asset, web.Response):
        return asset
    return _json(asset)


async def asset_thumbnail(request: web.Request) -> web.Response:
    asset = _asset_or_error(request)
    if isinstance(asset, web.Response):
        return asset
    size = request.query.get("size", "thumbnail")
    if size == "fullsize":
        return fullsize_redirect(request, asset)
    return thumbnail_response(asset, size)


def thumbnail_response(asset: dict[str, Any], size: str) -> web.Response:
    """Return a rendition of an asset (`thumbnail`, `preview` or `fullsize`), or a 400 error."""
    if size not in ("thumbnail", "preview", "fullsize"):
        return json_error(
            400,
            ["size must be one of the following values: fullsize, preview, thumbnail"],
            "Bad Request",
        )
    content, content_type = render(
        asset["id"],
        asset["originalFileName"],
        size,
        int(asset.get("width") or 1600),
        int(asset.get("height") or 1200),
    )
    # Immich percent-encodes the name as JavaScript's encodeURIComponent does (RFC 5987).
    stem = quote(asset["originalFileName"].rsplit(".", 1)[0], safe="!'()*-._~")
    extension = "webp" if content_type == "image/webp" else "jpeg"
    return web.Response(
        body=content,
        content_type=content_type,
        headers={
            "Cache-Control": "private, max-age=86400, no-transform",
            "Content-Disposition": f"inline; filename*=UTF-8''{stem}_{size}.{extension}",
        },
    )


# Memories


async def memories(request: web.Request) -> web.Response:
    profile = _server(request).profile
    if profile.version < MEMORIES_FOR_SINCE:
        # Before v1.133 this lists memories a user saved, which the emulator has none of,
        # and ignores `for`.
        return _json([])
    text = request.query.get("for")
    if text is None:
        day = datetime.now(UTC).date()
    elif profile.memories_date_only:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            # The v3.0.3 spec gives `for` the format `date` and a YYYY-MM-DD pattern.
            return validation_failed(
                {
                    "origin": "string",
                    "code": "invalid_format",
                    "format": "date",
                    "pattern": MEMORY_DATE_PATTERN,
                    "path": ["for"],
                    "message": "Invalid ISO date",
                }
            )
        day = date.fromisoformat(text)
    else:
        try:
            day = datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            return json_error(400, ["for must be a Date instance"], "Bad Request")
    return _json(_library(request).memories_for(_user_id(request), day))


# Albums, people, tags


def _album_json(request: web.Request, album_id: str, with_assets: bool) -> dict[str, Any]:
    library = _library(request)
    album = library.albums[album_id]
    data = dict(album.data)
    ids = [
        i for i in album.asset_ids if i in library.assets and not library.assets[i].get("isTrashed")
    ]
    data["assetCount"] = len(ids)
    data["shared"] = bool(album.shared_with) or data.get("shared", False)
    data["assets"] = [strip_asset(library.assets[i]) for i in ids] if with_assets else []
    return data


async def albums_list(request: web.Request) -> web.Response:
    library = _library(request)
    user_id = _user_id(request)
    albums = library.albums_for(user_id)
    if _server(request).profile.albums_filter_by_ownership:
        is_owned = request.query.get("isOwned")
        is_shared = request.query.get("isShared")
    else:
        # Before v3, a request without `shared` lists only owned albums, and `shared`
        # filters by sharing.
        shared = request.query.get("shared")
        is_owned = "true" if shared is None else None
        is_shared = shared
    if is_owned is not None:
        albums = [a for a in albums if (a.data["ownerId"] == user_id) == (is_owned == "true")]
    if is_shared is not None:
        albums = [a for a in albums if _is_shared(a, user_id) == (is_shared == "true")]
    return _json([_album_json(request, a.data["id"], with_assets=False) for a in albums])


def _is_shared(album: EmulatedAlbum, user_id: str) -> bool:
    return bool(album.shared_with) or album.data["ownerId"] != user_id


async def album_info(request: web.Request) -> web.Response:
    album_id = request.match_info["id"]
    if not UUID_PATTERN.match(album_id):
        return _invalid_id()
    library = _library(request)
    user_id = _user_id(request)
    album = library.albums.get(album_id)
    if album is None or (album.data["ownerId"] != user_id and user_id not in album.shared_with):
        return _not_found("album")
    inline = _server(request).profile.album_assets_inline
    with_assets = inline and request.query.get("withoutAssets") != "true"
    data = _album_json(request, album_id, with_assets)
    if not inline:
        data.pop("assets", None)
    return _json(data)


async def people_list(request: web.Request) -> web.Response:
    library = _library(request)
    user_id = _user_id(request)
    visible = library.visible_asset_ids(user_id)
    seen = {
        person["id"]
        for asset_id in visible
        for person in library.assets.get(asset_id, {}).get("people") or []
    }
    people = [p for pid, p in library.people.items() if pid in seen]
    # The v2.7.5 spec pages the list with `page` (from 1) and `size` (default 500).
    page = int(request.query.get("page") or 1)
    size = int(request.query.get("size") or 500)
    items = people[(page - 1) * size : page * size]
    return _json(
        {
            "people": items,
            "hasNextPage": page * size < len(people),
            "total": len(people),
            "hidden": 0,
        }
    )


async def person_thumbnail(request: web.Request) -> web.Response:
    person_id = request.match_info["id"]
    if not UUID_PATTERN.match(person_id):
        return _invalid_id()
    person = _library(request).people.get(person_id)
    if person is None:
        return _not_found("person")
    content, content_type = render(person_id, person["name"], "thumbnail", 250, 250)
    return web.Response(body=content, content_type=content_type)


async def tags_list(request: web.Request) -> web.Response:
    return _json(list(_library(request).tags.values()))


def register_routes(app: web.Application) -> None:
    """Add every emulated route; a handler returns a missing-route error when a profile lacks it."""
    from .legacy_routes import register_legacy_routes  # they import helpers of this module
    from .routes_media import register_media_routes

    server = app[SERVER_KEY]
    register_legacy_routes(app)
    register_media_routes(app)

    def only_if(flag: str, handler: Any) -> Any:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if not getattr(server.profile, flag):
                return missing_route(request)
            response: web.StreamResponse = await handler(request)
            return response

        return guarded

    app.router.add_get("/api/server/version", server_version)
    app.router.add_get(
        "/api/server-info/version", only_if("has_server_info_version", server_version)
    )
    app.router.add_get("/api/server/ping", server_ping)
    app.router.add_get("/api/server/about", server_about)
    app.router.add_get("/api/server/version-check", server_version_check)
    app.router.add_get("/api/server/features", server_features)
    app.router.add_get("/api/server/config", server_config)
    app.router.add_get("/api/server/media-types", server_media_types)
    app.router.add_get("/api/server/storage", server_storage)
    app.router.add_get("/api/server/statistics", server_statistics)
    app.router.add_get("/api/users/me", users_me)
    app.router.add_get("/api/assets/statistics", asset_statistics)
    app.router.add_get("/api/queues", only_if("has_queues", queues_list))
    app.router.add_put("/api/queues/{name}", only_if("has_queues", queue_update))
    app.router.add_get("/api/jobs", only_if("has_jobs", jobs_list))
    app.router.add_put("/api/jobs/{name}", only_if("has_jobs", job_command))
    app.router.add_post("/api/search/random", search_random)
    app.router.add_post("/api/search/metadata", search_metadata)
    app.router.add_get("/api/assets/random", assets_random)
    app.router.add_get("/api/assets/{id}", asset_info)
    app.router.add_get("/api/assets/{id}/thumbnail", asset_thumbnail)
    app.router.add_get("/api/memories", memories)
    app.router.add_get("/api/albums", albums_list)
    app.router.add_get("/api/albums/{id}", album_info)
    app.router.add_get("/api/people", people_list)
    app.router.add_get("/api/people/{id}/thumbnail", person_thumbnail)
    app.router.add_get("/api/tags", tags_list)
