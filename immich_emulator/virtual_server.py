"""An emulated server that also serves a `VirtualAlbum`, for benchmarks on a large library.

A middleware sits behind the server's own one (request counting, faults and authentication)
and handles the requests that concern the virtual album's assets. It merges them into the
responses about the whole library: random and metadata search, memories, the album list and the
statistics. Every other request goes to the regular routes unchanged.

NOTE: `GET /assets/random`, time buckets, downloads and video routes know nothing of the
virtual assets.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
import json
import random
from typing import Any

from aiohttp import web

from .control import ControlledEmulatorServer
from .library import Library, memory_json, strip_asset
from .profiles import DEFAULT_PROFILE
from .routes import (
    _filtered,
    _json,
    _not_found,
    _parse_time,
    _present,
    search_page_json,
    thumbnail_response,
)
from .virtual import DEFAULT_ASSET_COUNT, IndexRange, VirtualAlbum

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
type VirtualRoute = Callable[
    [VirtualAlbumServer, web.Request, Handler, str], Awaitable[web.StreamResponse]
]


class VirtualAlbumServer(ControlledEmulatorServer):
    """A controlled emulated server whose admin user also owns a large virtual album."""

    def __init__(
        self,
        profile: str = DEFAULT_PROFILE,
        library: Library | None = None,
        *,
        asset_count: int = DEFAULT_ASSET_COUNT,
        path_prefix: str = "",
    ) -> None:
        super().__init__(profile, library, path_prefix=path_prefix)
        self.virtual_album = VirtualAlbum.from_library(self.library, asset_count)

    def create_app(self) -> web.Application:
        app = super().create_app()
        app.middlewares.append(self._virtual_middleware)
        return app

    @web.middleware
    async def _virtual_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        key = request.get("api_key")
        resource = request.match_info.route.resource
        route = VIRTUAL_ROUTES.get(
            f"{request.method} {resource.canonical.removeprefix(self.path_prefix)}"
            if resource is not None
            else ""
        )
        if key is None or route is None:
            return await handler(request)
        return await route(self, request, handler, key.user_id)


# Search


async def _search_random(
    server: VirtualAlbumServer, request: web.Request, handler: Handler, user_id: str
) -> web.StreamResponse:
    """Sample uniformly from the library's matches and the album's together."""
    payload = await request.json()
    album = server.virtual_album
    real = _filtered(request, payload)
    members = album.match(payload, user_id)
    virtual_count = members.count if members is not None else 0

    population = len(real) + virtual_count
    picks = random.sample(range(population), min(int(payload.get("size") or 250), population))
    chosen = [
        real[pick] if pick < len(real) else album.asset(_member(members, pick - len(real)))
        for pick in picks
    ]
    return _json([_present(asset, payload) for asset in chosen])


async def _search_metadata(
    server: VirtualAlbumServer, request: web.Request, handler: Handler, user_id: str
) -> web.StreamResponse:
    """Return one page of the library's and the album's matches, merged in capture order."""
    payload = await request.json()
    album = server.virtual_album
    descending = payload.get("order", "desc") == "desc"
    size = int(payload.get("size") or 250)
    page = int(payload.get("page") or 1)

    real = sorted(_filtered(request, payload), key=_taken_at, reverse=descending)
    members = album.match(payload, user_id)
    virtual_count = members.count if members is not None else 0

    # Where each library asset falls in the merged order: its own rank plus the album assets
    # before it. A page is then filled from both sides without listing the album.
    positions = [
        rank + _virtual_before(album, members, _taken_at(asset), descending)
        for rank, asset in enumerate(real)
    ]
    total = len(real) + virtual_count
    offset = (page - 1) * size
    end = min(offset + size, total)
    next_real = bisect_left(positions, offset)
    virtual_rank = offset - next_real

    items = []
    for position in range(offset, end):
        if next_real < len(real) and positions[next_real] == position:
            items.append(real[next_real])
            next_real += 1
            continue
        rank = virtual_count - 1 - virtual_rank if descending else virtual_rank
        items.append(album.asset(_member(members, rank)))
        virtual_rank += 1
    presented = [_present(asset, payload) for asset in items]
    return _json(search_page_json(presented, page, end < total))


def _member(members: IndexRange | None, rank: int) -> int:
    assert members is not None, "a rank past the library's matches needs album members"
    return members.index_at(rank)


def _taken_at(asset: dict[str, Any]) -> datetime:
    return _parse_time(asset["fileCreatedAt"]) or datetime.min.replace(tzinfo=UTC)


def _virtual_before(
    album: VirtualAlbum, members: IndexRange | None, taken: datetime, descending: bool
) -> int:
    """Count the album's matches that come before an asset taken at `taken` (ties after it)."""
    if members is None:
        return 0
    if descending:
        return members.count - members.rank_of(album.first_index_after(taken))
    return members.rank_of(album.first_index_from(taken))


# Assets


async def _asset_info(
    server: VirtualAlbumServer, request: web.Request, handler: Handler, user_id: str
) -> web.StreamResponse:
    album = server.virtual_album
    index = album.index_of(request.match_info["id"])
    if index is None:
        return await handler(request)
    if user_id != album.owner_id:
        return _not_found("asset")
    return _json(album.asset(index))


async def _asset_thumbnail(
    server: VirtualAlbumServer, request: web.Request, handler: Handler, user_id: str
) -> web.StreamResponse:
    album = server.virtual_album
    index = album.index_of(request.match_info["id"])
    if index is None:
        return await handler(request)
    if user_id != album.owner_id:
        return _not_found("asset")
    return thumbnail_response(album.asset(index), request.query.get("size", "thumbnail"))


# Memories


async def _memories(
    server: VirtualAlbumServer, request: web.Request, handler: Handler, user_id: str
) -> web.StreamResponse:
    """Add the album's photos of this day to the memories of the same years."""
    response = await handler(request)
    if response.status != 200 or not server.library.memories_enabled:
        return response
    # The regular route has accepted `for`, and the forms of both generations start with the date.
    text = request.query.get("for")
    day = date.fromisoformat(text[:10]) if text else datetime.now(UTC).date()

    memories = {memory["data"]["year"]: memory for memory in _decoded(response)}
    album = server.virtual_album
    for year, indexes in album.memory_indexes(user_id, day):
        memory = memories.setdefault(year, memory_json(user_id, year, day, []))
        memory["assets"].extend(strip_asset(album.asset(index)) for index in indexes)
    return _json([memories[year] for year in sorted(memories, reverse=True)])


# Albums


async def _albums_list(
    server: VirtualAlbumServer, request: web.Request, handler: Handler, user_id: str
) -> web.StreamResponse:
    """Add the album to the owner's list unless the query selects shared albums only."""
    response = await handler(request)
    album = server.virtual_album
    if response.status != 200 or user_id != album.owner_id:
        return response
    query = request.query
    # The album is owned and not shared: v2's `shared=true` and v3's `isShared=true` or
    # `isOwned=false` leave it out.
    if "true" in (query.get("shared"), query.get("isShared")) or query.get("isOwned") == "false":
        return response
    return _json([*_decoded(response), album.album_json(with_assets=False)])


async def _album_info(
    server: VirtualAlbumServer, request: web.Request, handler: Handler, user_id: str
) -> web.StreamResponse:
    album = server.virtual_album
    if request.match_info["id"] != album.album_id:
        return await handler(request)
    if user_id != album.owner_id:
        return _not_found("album")
    inline = server.profile.album_assets_inline
    data = album.album_json(with_assets=inline and request.query.get("withoutAssets") != "true")
    if not inline:
        data.pop("assets", None)
    return _json(data)


# Statistics


async def _server_statistics(
    server: VirtualAlbumServer, request: web.Request, handler: Handler, user_id: str
) -> web.StreamResponse:
    response = await handler(request)
    if response.status != 200:
        return response
    album = server.virtual_album
    count, size = album.asset_count, album.total_size()
    statistics = _decoded(response)
    for user in statistics["usageByUser"]:
        if user["userId"] == album.owner_id:
            user["photos"] += count
            user["usage"] += size
            user["usagePhotos"] += size
    statistics["photos"] += count
    statistics["usage"] += size
    statistics["usagePhotos"] += size
    return _json(statistics)


async def _asset_statistics(
    server: VirtualAlbumServer, request: web.Request, handler: Handler, user_id: str
) -> web.StreamResponse:
    response = await handler(request)
    album = server.virtual_album
    if response.status != 200 or user_id != album.owner_id:
        return response
    statistics = _decoded(response)
    statistics["images"] += album.asset_count
    statistics["total"] += album.asset_count
    return _json(statistics)


def _decoded(response: web.StreamResponse) -> Any:
    assert isinstance(response, web.Response)
    assert isinstance(response.body, bytes)
    return json.loads(response.body)


VIRTUAL_ROUTES: dict[str, VirtualRoute] = {
    "POST /api/search/random": _search_random,
    "POST /api/search/metadata": _search_metadata,
    "GET /api/assets/{id}": _asset_info,
    "GET /api/assets/{id}/thumbnail": _asset_thumbnail,
    "GET /api/memories": _memories,
    "GET /api/albums": _albums_list,
    "GET /api/albums/{id}": _album_info,
    "GET /api/server/statistics": _server_statistics,
    "GET /api/assets/statistics": _asset_statistics,
}
"""Routes whose responses involve the virtual album, by `METHOD /path template`."""
