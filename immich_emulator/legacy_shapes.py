"""The API of Immich releases before v2.4: which routes exist, who may call them, and the
shapes of their responses and search bodies.

Route layouts and response shapes come from the v1.98.2 and v1.106.1 OpenAPI specs and the
v1.89 endpoint list. `captures/legacy_schemas.json` contains the property names of the response
schemas those specs define. Between v1.106.1 and v2.7.5 no spec pins the releases, so the
boundaries below (v1.116, v1.118, v1.133, v1.134) follow Immich's release notes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
import json
from typing import Any

from aiohttp import web

from . import captures
from .library import ADMIN_USER_ID
from .profiles import Profile

type Version = tuple[int, int, int]

PLURAL_PATHS_SINCE: Version = (1, 106, 0)
"""`/users/me`, `/assets/...`, `/albums`, `/people`, `/tags` and `/server-info/storage`."""
RANDOM_SEARCH_SINCE: Version = (1, 116, 0)
SERVER_PATHS_SINCE: Version = (1, 118, 0)
"""`/server/*` replaces `/server-info/*`."""
MEMORIES_FOR_SINCE: Version = (1, 133, 0)
"""`GET /memories?for=` lists "on this day" memories, and the memory lane is gone."""
VISIBILITY_SINCE: Version = (1, 133, 0)
TAG_SEARCH_SINCE: Version = (1, 118, 0)
"""Searches take `tagIds`, tags have a hierarchy (`value` such as `Travel/Portugal`), and
`GET /tags/{id}/assets` is gone.
NOTE: the v1.106.1 spec has flat tags and the tag asset list, and v2.7.5's has the hierarchy
and `tagIds`. No spec pins the release between them that changed this, so v1.118 is a guess."""
VERSION_CHECK_SINCE: Version = (1, 134, 0)
ASSET_BY_ID_UNTIL: Version = (1, 92, 0)
"""v1.89 reads an asset at `GET /asset/assetById/{id}`, and `GET /asset/{deviceId}` lists a
device's assets; that list marks the latter for removal in v1.92.
NOTE: the v1.98.2 spec has `GET /asset/{id}` for assets; the release that moved it is unpinned."""

TRASH_PATHS_SINCE: Version = (1, 98, 0)
"""`POST /trash/restore/assets` replaces v1.89's `POST /asset/restore`.
NOTE: v1.89's endpoint list has the latter and the v1.98.2 spec the former; the release between
them that moved it is unpinned."""

LATEST_SHAPES_SINCE: Version = (2, 4, 0)
"""Profiles from here serve the captured v2.7.5 shapes unchanged."""

# Routes that Immich serves without authentication, because the v1.98.2 and v1.106.1 specs give
# them no `security`. Their `/server/*` successors are public in the v2.7.5 permission table.
LEGACY_PUBLIC_ROUTES = frozenset(
    f"GET /server-info/{name}" for name in ("config", "features", "media-types", "ping", "version")
)
# Admin-only before scoped keys: the server statistics and the job queues.
LEGACY_ADMIN_ROUTES = frozenset(
    {"GET /server-info/statistics", "GET /server/statistics", "GET /jobs", "PUT /jobs/{name}"}
)


def _since(version: Version) -> Callable[[Profile], bool]:
    return lambda profile: profile.version >= version


def _before(version: Version) -> Callable[[Profile], bool]:
    return lambda profile: profile.version < version


def _between(first: Version, end: Version) -> Callable[[Profile], bool]:
    return lambda profile: first <= profile.version < end


_PLURAL = _since(PLURAL_PATHS_SINCE)
_SINGULAR = _before(PLURAL_PATHS_SINCE)
_SERVER_PATHS = _since(SERVER_PATHS_SINCE)
_SERVER_INFO_PATHS = _before(SERVER_PATHS_SINCE)

# For each route the emulator serves, the releases that have it. Routes not listed exist on
# every profile, unless a flag of the profile such as `has_queues` removes them.
ROUTE_AVAILABILITY: dict[str, Callable[[Profile], bool]] = {
    # v1.118 and later
    "GET /server/version": _SERVER_PATHS,
    "GET /server/ping": _SERVER_PATHS,
    "GET /server/about": _SERVER_PATHS,
    "GET /server/version-check": _since(VERSION_CHECK_SINCE),
    "GET /server/features": _SERVER_PATHS,
    "GET /server/config": _SERVER_PATHS,
    "GET /server/media-types": _SERVER_PATHS,
    "GET /server/storage": _SERVER_PATHS,
    "GET /server/statistics": _SERVER_PATHS,
    "POST /search/random": _since(RANDOM_SEARCH_SINCE),
    "POST /search/metadata": lambda profile: profile.has_search_metadata,
    "POST /search/smart": lambda profile: profile.has_search_metadata,
    # v1.106 and later (the v1.106.1 spec)
    "GET /users/me": _PLURAL,
    "GET /assets/statistics": _PLURAL,
    "GET /assets/random": _PLURAL,
    "GET /assets/{id}": _PLURAL,
    "GET /assets/{id}/thumbnail": _PLURAL,
    "GET /assets/{id}/video/playback": _PLURAL,
    "GET /assets/{id}/original": _PLURAL,
    "POST /assets": _PLURAL,
    "PUT /assets": _PLURAL,
    "DELETE /assets": _PLURAL,
    "POST /trash/restore/assets": _since(TRASH_PATHS_SINCE),
    "GET /memories": _PLURAL,
    "GET /albums": _PLURAL,
    "GET /albums/{id}": _PLURAL,
    "PUT /albums/{id}/assets": _PLURAL,
    "GET /people": _PLURAL,
    "GET /people/{id}": _PLURAL,
    "GET /people/{id}/thumbnail": _PLURAL,
    "GET /tags": _PLURAL,
    "GET /tags/{id}": _PLURAL,
    "GET /timeline/buckets": _PLURAL,
    # From v1.133 `/assets/memory-lane` is `GET /assets/{id}` with the id `memory-lane`.
    "GET /assets/memory-lane": _PLURAL,
    "GET /server-info/storage": _between(PLURAL_PATHS_SINCE, SERVER_PATHS_SINCE),
    "GET /tags/{id}/assets": _between(PLURAL_PATHS_SINCE, TAG_SEARCH_SINCE),
    # Before v1.118 (the v1.98.2 and v1.106.1 specs)
    "GET /server-info/version": lambda profile: (
        profile.has_server_info_version or profile.version < SERVER_PATHS_SINCE
    ),
    "GET /server-info/ping": _SERVER_INFO_PATHS,
    "GET /server-info/features": _SERVER_INFO_PATHS,
    "GET /server-info/config": _SERVER_INFO_PATHS,
    "GET /server-info/media-types": _SERVER_INFO_PATHS,
    "GET /server-info/statistics": _SERVER_INFO_PATHS,
    # Before v1.106 (the v1.98.2 spec and the v1.89 list)
    "GET /server-info": _SINGULAR,
    "GET /user/me": _SINGULAR,
    "GET /asset/statistics": _SINGULAR,
    "GET /asset/random": _SINGULAR,
    "GET /asset/memory-lane": _SINGULAR,
    "GET /asset/thumbnail/{id}": _SINGULAR,
    "GET /asset/{id}": _SINGULAR,
    "GET /asset/assetById/{id}": _before(ASSET_BY_ID_UNTIL),
    "PUT /asset": _SINGULAR,
    "DELETE /asset": _SINGULAR,
    "POST /asset/restore": _before(TRASH_PATHS_SINCE),
    "GET /assets": _SINGULAR,
    "GET /album": _SINGULAR,
    "GET /album/{id}": _SINGULAR,
    "GET /person": _SINGULAR,
    "GET /person/{id}": _SINGULAR,
    "GET /person/{id}/thumbnail": _SINGULAR,
    "GET /tag": _SINGULAR,
    "GET /tag/{id}": _SINGULAR,
    "GET /tag/{id}/assets": _SINGULAR,
}


def served_route(profile: Profile, route: str) -> str:
    """Return the route a release serves a request with. A removed literal path falls to a
    parametrised route, so `/assets/memory-lane` reads as an asset id from v1.133."""
    if route == "GET /assets/memory-lane" and profile.version >= MEMORIES_FOR_SINCE:
        return "GET /assets/{id}"
    return route


def route_exists(profile: Profile, route: str) -> bool:
    """Return whether a release has a route, given as `METHOD /template` without `/api`."""
    available = ROUTE_AVAILABILITY.get(route)
    return available is None or available(profile)


@dataclass(frozen=True, slots=True)
class AccessRule:
    """The access a route requires: a valid key, and maybe an admin's key or a permission."""

    admin_only: bool
    permission: str | None
    """The scoped-key permission; None on releases without scoped keys."""


def access_rule(profile: Profile, route: str) -> AccessRule | None:
    """Return what a route needs from the caller, or None for a public route."""
    rule = captures.permissions(profile.permissions_spec).get(route)
    if profile.scoped_keys:
        if rule is None or (rule["permission"] is None and not rule["adminOnly"]):
            return None
        return AccessRule(admin_only=bool(rule["adminOnly"]), permission=rule["permission"])

    if route in LEGACY_PUBLIC_ROUTES or (
        rule is not None and rule["permission"] is None and not rule["adminOnly"]
    ):
        return None
    admin_only = route in LEGACY_ADMIN_ROUTES or bool(rule and rule["adminOnly"])
    return AccessRule(admin_only=admin_only, permission=None)


# Response shapes


@cache
def _schemas(spec: str) -> dict[str, dict[str, list[str]]]:
    with (captures.CAPTURES_DIR / "legacy_schemas.json").open(encoding="utf-8") as file:
        data: dict[str, dict[str, dict[str, list[str]]]] = json.load(file)
    return data[spec]


def _legacy_spec(profile: Profile) -> str | None:
    """Return the spec whose schemas a release's responses follow, or None for v1.118 and later."""
    if profile.version < PLURAL_PATHS_SINCE:
        return "v1.98.2"
    if profile.version < SERVER_PATHS_SINCE:
        return "v1.106.1"
    return None


# Values for required fields of the old schemas that the captured v2.7.5 data lacks.
REQUIRED_DEFAULTS: dict[str, dict[str, Any]] = {
    "AssetResponseDto": {
        "isExternal": False,
        "isReadOnly": False,
        "resized": True,
        "stackCount": 0,
        "libraryId": None,
    },
    "AlbumResponseDto": {"sharedUsers": [], "albumUsers": []},
    "PersonResponseDto": {"thumbnailPath": ""},
    "TagResponseDto": {"type": "CUSTOM"},
}


def conform(spec: str, schema: str, data: dict[str, Any]) -> dict[str, Any]:
    """Keep a schema's properties and fill its required ones that the data lacks."""
    definition = _schemas(spec)[schema]
    shaped = {key: value for key, value in data.items() if key in definition["properties"]}
    defaults = REQUIRED_DEFAULTS.get(schema, {})
    for key in definition["required"]:
        if key not in shaped and key in defaults:
            shaped[key] = defaults[key]
    return shaped


def shape_asset(profile: Profile, asset: dict[str, Any]) -> dict[str, Any]:
    """Return an asset as a release sends it: old schemas lack `visibility`, width and height."""
    spec = _legacy_spec(profile)
    if spec is not None:
        shaped = conform(spec, "AssetResponseDto", asset)
        if isinstance(asset.get("exifInfo"), dict):
            shaped["exifInfo"] = conform(spec, "ExifResponseDto", asset["exifInfo"])
        if isinstance(asset.get("owner"), dict):
            shaped["owner"] = shape_user(profile, asset["owner"])
        if isinstance(asset.get("people"), list):
            shaped["people"] = [shape_person(profile, person) for person in asset["people"]]
        if isinstance(asset.get("tags"), list):
            shaped["tags"] = [shape_tag(profile, tag) for tag in asset["tags"]]
        return shaped
    if profile.version < VISIBILITY_SINCE:
        return {key: value for key, value in asset.items() if key != "visibility"}
    return asset


def shape_user(profile: Profile, user: dict[str, Any]) -> dict[str, Any]:
    spec = _legacy_spec(profile)
    if spec is None:
        return user
    # `GET /user/me` of v1.98.2 returns a UserResponseDto; v1.106.1's `GET /users/me` an
    # UserAdminResponseDto. Both have `isAdmin` and the quota fields.
    schema = "UserResponseDto" if spec == "v1.98.2" else "UserAdminResponseDto"
    return conform(spec, schema, user)


def shape_person(profile: Profile, person: dict[str, Any]) -> dict[str, Any]:
    spec = _legacy_spec(profile)
    return conform(spec, "PersonResponseDto", person) if spec else person


def shape_tag(profile: Profile, tag: dict[str, Any]) -> dict[str, Any]:
    """Return a tag; before v1.118 tags have a flat `name`, here the full `value`."""
    spec = _legacy_spec(profile)
    if spec is None or profile.version >= TAG_SEARCH_SINCE:
        return tag
    # NOTE: old tags have no hierarchy, so the emulator names each by its full value
    # (`Travel/Portugal`), as a user of that era would have named such a tag. The emulated
    # library's tags all belong to the admin.
    flat = {**tag, "name": tag.get("value") or tag.get("name"), "userId": ADMIN_USER_ID}
    return conform(spec, "TagResponseDto", flat)


def shape_album(profile: Profile, album: dict[str, Any]) -> dict[str, Any]:
    spec = _legacy_spec(profile)
    if spec is None:
        shaped = dict(album)
    else:
        shaped = conform(spec, "AlbumResponseDto", album)
        if isinstance(album.get("owner"), dict):
            shaped["owner"] = shape_user(profile, album["owner"])
    if isinstance(album.get("assets"), list):
        shaped["assets"] = [shape_asset(profile, asset) for asset in album["assets"]]
    return shaped


def _shape_asset_list(profile: Profile, data: Any) -> Any:
    return [shape_asset(profile, asset) for asset in data]


def _shape_search(profile: Profile, data: Any) -> Any:
    data["assets"]["items"] = _shape_asset_list(profile, data["assets"]["items"])
    return data


def _shape_memories(profile: Profile, data: Any) -> Any:
    for memory in data:
        memory["assets"] = _shape_asset_list(profile, memory["assets"])
    return data


def _shape_statistics(profile: Profile, data: Any) -> Any:
    if profile.statistics_usage_split:
        return data
    split = ("usagePhotos", "usageVideos")
    for user in data["usageByUser"]:
        for key in split:
            user.pop(key, None)
    return {key: value for key, value in data.items() if key not in split}


def _shape_people(profile: Profile, data: Any) -> Any:
    spec = _legacy_spec(profile)
    if spec is None:
        return data
    shaped = conform(spec, "PeopleResponseDto", data)
    shaped["people"] = [shape_person(profile, person) for person in data["people"]]
    return shaped


def _shape_features(profile: Profile, data: Any) -> Any:
    spec = _legacy_spec(profile)
    return conform(spec, "ServerFeaturesDto", data) if spec else data


def hidden_queue_names(profile: Profile) -> frozenset[str]:
    """Return the captured v2.7.5 server's queues that a release does not have yet.

    Queues a test adds to the library stay listed on every release.
    """
    spec = _legacy_spec(profile) or ("v1.106.1" if profile.version < LATEST_SHAPES_SINCE else None)
    if spec is None:
        return frozenset()
    # NOTE: between v1.118 and v2.3 the emulator keeps v1.106.1's queues; no spec lists them.
    known = set(_schemas(spec)["AllJobStatusResponseDto"]["required"])
    return frozenset(_captured_queue_names() - known)


@cache
def _captured_queue_names() -> frozenset[str]:
    return frozenset(captures.body("jobs"))


def _shape_jobs(profile: Profile, data: Any) -> Any:
    hidden = hidden_queue_names(profile)
    return {name: status for name, status in data.items() if name not in hidden}


RESPONSE_SHAPERS: dict[str, Callable[[Profile, Any], Any]] = {
    "GET /user/me": shape_user,
    "GET /users/me": shape_user,
    "GET /asset/{id}": lambda profile, data: (
        data if isinstance(data, list) else shape_asset(profile, data)
    ),
    "GET /asset/assetById/{id}": shape_asset,
    "GET /assets/{id}": shape_asset,
    "GET /asset/random": _shape_asset_list,
    "GET /assets/random": _shape_asset_list,
    "GET /assets": _shape_asset_list,
    "GET /tag/{id}/assets": _shape_asset_list,
    "GET /tags/{id}/assets": _shape_asset_list,
    "POST /search/random": _shape_asset_list,
    "POST /search/metadata": _shape_search,
    "POST /search/smart": _shape_search,
    "GET /asset/memory-lane": _shape_memories,
    "GET /assets/memory-lane": _shape_memories,
    "GET /memories": _shape_memories,
    "GET /album": lambda profile, data: [shape_album(profile, album) for album in data],
    "GET /albums": lambda profile, data: [shape_album(profile, album) for album in data],
    "GET /album/{id}": shape_album,
    "GET /albums/{id}": shape_album,
    "GET /person": _shape_people,
    "GET /people": _shape_people,
    "GET /person/{id}": shape_person,
    "GET /people/{id}": shape_person,
    "GET /tag": lambda profile, data: [shape_tag(profile, tag) for tag in data],
    "GET /tags": lambda profile, data: [shape_tag(profile, tag) for tag in data],
    "GET /tag/{id}": shape_tag,
    "GET /tags/{id}": shape_tag,
    "GET /server-info/statistics": _shape_statistics,
    "GET /server/statistics": _shape_statistics,
    "GET /server-info/features": _shape_features,
    "GET /server/features": _shape_features,
    "GET /jobs": _shape_jobs,
}


def reshape_response(
    profile: Profile, route: str, response: web.StreamResponse
) -> web.StreamResponse:
    """Rewrite a successful JSON response of a release before v2.4 into that release's shape."""
    shaper = RESPONSE_SHAPERS.get(route)
    if (
        shaper is None
        or profile.version >= LATEST_SHAPES_SINCE
        or not isinstance(response, web.Response)
        or response.status != 200
        or response.content_type != "application/json"
        or not isinstance(response.body, bytes)
    ):
        return response
    data = shaper(profile, json.loads(response.body))
    return web.Response(
        status=response.status, body=json.dumps(data).encode(), content_type="application/json"
    )


# Search bodies


def search_payload(profile: Profile, payload: dict[str, Any]) -> dict[str, Any]:
    """Return a search body as a release reads it, in the modern form the search code applies.

    Releases ignore fields their DTO lacks. Before v1.133 `isArchived` picks archived or
    unarchived assets, and without it `withArchived` decides whether archived ones appear.
    """
    if profile.version >= LATEST_SHAPES_SINCE:
        return payload
    known = dict(payload)
    if not profile.search_by_album:
        known.pop("albumIds", None)
    if profile.version < TAG_SEARCH_SINCE:
        known.pop("tagIds", None)
    if profile.version >= VISIBILITY_SINCE:
        return known

    known.pop("visibility", None)
    is_archived = known.pop("isArchived", None)
    with_archived = known.pop("withArchived", None)
    if is_archived is not None:
        known["visibility"] = "archive" if is_archived else "timeline"
    elif not with_archived:
        known["visibility"] = "timeline"
    return known
