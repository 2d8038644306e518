"""Asset edits that Immich announces over its socket: bulk update, trash, delete and restore.

Routes, bodies, statuses and permissions follow the v2.7.5 spec. As in Immich's asset and trash
services, every id must be an asset the caller owns, or the whole request fails with 400
`Not found or no asset.<permission> access` and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
from typing import Any

from aiohttp import web

from .legacy_shapes import SERVER_PATHS_SINCE, VISIBILITY_SINCE
from .library import Library
from .routes import UUID_PATTERN, _json, _library, _server, _user_id, validation_failed
from .server import EmulatorServer, json_error
from .socket import payloads

VISIBILITIES = ("archive", "timeline", "hidden", "locked")
TRASH_COUNT_SINCE = SERVER_PATHS_SINCE
"""`POST /trash/restore/assets` returns `{"count": n}` with 200; the v1.98.2 and v1.106.1 specs
give 204 without a body.
NOTE: the release between v1.106.1 and v2.7.5 that changed this is unpinned; v1.118 is a guess."""


class InvalidBody(ValueError):
    """A request body that fails validation; the message names the field."""

    def __init__(self, field: str, message: str, code: str = "invalid_type") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


def _invalid(request: web.Request, error: InvalidBody) -> web.Response:
    if _server(request).profile.version >= (3, 0, 0):
        # NOTE: v3 validates with zod; this issue's `code` and `message` are modelled on the
        # captured invalid-UUID issue, not on a captured body error.
        return validation_failed({"code": error.code, "path": [error.field], "message": str(error)})
    return json_error(400, [str(error)], "Bad Request")


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise InvalidBody("body", "body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidBody("body", "body must be a JSON object")
    ids = body.get("ids")
    if not isinstance(ids, list):
        raise InvalidBody("ids", "ids must be an array")
    if not all(isinstance(i, str) and UUID_PATTERN.match(i) for i in ids):
        raise InvalidBody("ids", "each value in ids must be a UUID", "invalid_format")
    return body


def _boolean(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise InvalidBody(name, f"{name} must be a boolean value")
    return value


def _owned(library: Library, user_id: str, ids: list[str]) -> bool:
    return all(i in library.assets and library.assets[i]["ownerId"] == user_id for i in ids)


def _no_access(permission: str) -> web.Response:
    return json_error(400, f"Not found or no {permission} access", "Bad Request")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _requested_visibility(server: EmulatorServer, body: dict[str, Any]) -> str | None:
    """Return the visibility a body sets: `visibility` from v1.133, `isArchived` before."""
    if server.profile.version < VISIBILITY_SINCE:
        is_archived = _boolean(body, "isArchived")
        if is_archived is None:
            return None
        return "archive" if is_archived else "timeline"
    visibility = body.get("visibility")
    if visibility is not None and visibility not in VISIBILITIES:
        raise InvalidBody(
            "visibility",
            f"visibility must be one of the following values: {', '.join(VISIBILITIES)}",
            "invalid_value",
        )
    return visibility


async def update_assets(request: web.Request) -> web.Response:
    """Set `isFavorite` and the visibility of several assets, then send `on_asset_update` for each.

    NOTE: Immich sends `on_asset_update` after a job writes the change to the sidecar. The
    v2.7.5 capture shows it for `isFavorite`; that other fields trigger it too is assumed.
    """
    server = _server(request)
    try:
        body = await _body(request)
        is_favorite = _boolean(body, "isFavorite")
        visibility = _requested_visibility(server, body)
    except InvalidBody as error:
        return _invalid(request, error)
    library = _library(request)
    user_id = _user_id(request)
    ids: list[str] = body["ids"]
    if not _owned(library, user_id, ids):
        return _no_access("asset.update")

    for asset_id in ids:
        asset = library.assets[asset_id]
        if is_favorite is not None:
            asset["isFavorite"] = is_favorite
        if visibility is not None:
            asset["visibility"] = visibility
            asset["isArchived"] = visibility == "archive"
        asset["updatedAt"] = _now()
        server.emit_event(user_id, "on_asset_update", payloads.asset_json(server.profile, asset))
    return web.Response(status=204)


async def delete_assets(request: web.Request) -> web.Response:
    """Trash assets (`on_asset_trash` with the ids), or with `force` remove them
    (`on_asset_delete` once per id)."""
    server = _server(request)
    try:
        body = await _body(request)
        force = bool(_boolean(body, "force"))
    except InvalidBody as error:
        return _invalid(request, error)
    library = _library(request)
    user_id = _user_id(request)
    ids: list[str] = body["ids"]
    if not _owned(library, user_id, ids):
        return _no_access("asset.delete")

    if not force:
        for asset_id in ids:
            library.assets[asset_id]["isTrashed"] = True
            library.assets[asset_id]["updatedAt"] = _now()
        if ids:
            server.emit_event(user_id, "on_asset_trash", ids)
        return web.Response(status=204)

    for asset_id in ids:
        _remove(library, asset_id)
    for asset_id in ids:
        server.emit_event(user_id, "on_asset_delete", asset_id)
    return web.Response(status=204)


def _remove(library: Library, asset_id: str) -> None:
    library.assets.pop(asset_id, None)
    library.originals.pop(asset_id, None)
    for album in library.albums.values():
        if asset_id in album.asset_ids:
            album.asset_ids.remove(asset_id)


async def restore_assets(request: web.Request) -> web.Response:
    """Take assets out of the trash and send `on_asset_restore` with their ids."""
    server = _server(request)
    try:
        body = await _body(request)
    except InvalidBody as error:
        return _invalid(request, error)
    library = _library(request)
    user_id = _user_id(request)
    ids: list[str] = body["ids"]
    if ids and not _owned(library, user_id, ids):
        return _no_access("asset.delete")

    for asset_id in ids:
        library.assets[asset_id]["isTrashed"] = False
    if ids:
        server.emit_event(user_id, "on_asset_restore", ids)
    if server.profile.version < TRASH_COUNT_SINCE:
        return web.Response(status=204)
    # Immich counts the requested ids, trashed or not.
    return _json({"count": len(ids)})


def register_asset_edit_routes(app: web.Application) -> None:
    """Add the edit routes under every path a release used; `legacy_shapes` picks the one served."""
    for path in ("/api/assets", "/api/asset"):
        app.router.add_put(path, update_assets)
        app.router.add_delete(path, delete_assets)
    app.router.add_post("/api/trash/restore/assets", restore_assets)
    app.router.add_post("/api/asset/restore", restore_assets)
