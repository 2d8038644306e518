"""Immich API generations and the routes each one offers for an operation.

Immich renamed and moved its endpoints several times. The version a server reports picks a
generation. Where release notes leave a boundary uncertain (v1.116, v1.118, v1.133, v1.134,
v1.137), a generation lists an older route after the newer one. The client falls back to it
only when the newer route is missing on that server.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from .models import ServerVersion

MIN_SUPPORTED_VERSION = ServerVersion(1, 89, 0)


class ApiGeneration(IntEnum):
    """Groups of Immich releases that share their route layout, oldest first."""

    V1_89 = 1
    """v1.89 to v1.105: singular paths (`/user/me`, `/asset/...`) and `/server-info`."""
    V1_106 = 2
    """v1.106 to v1.117: plural paths and `/server-info/storage`."""
    V1_118 = 3
    """v1.118 to v2.3: `/server/*`; queues only through `/jobs`."""
    V2_4 = 4
    """v2.4 to v2.x: `/queues` beside the deprecated `/jobs`."""
    V3 = 5
    """v3.x: album contents only through metadata search; `memories?for=` takes a date."""

    @classmethod
    def for_version(cls, version: ServerVersion) -> ApiGeneration:
        """Return the generation of a server version; raise ValueError below v1.89."""
        if version < MIN_SUPPORTED_VERSION:
            raise ValueError(f"Immich {version} is older than {MIN_SUPPORTED_VERSION}")
        if version.major >= 3:
            return cls.V3
        if version >= ServerVersion(2, 4, 0):
            return cls.V2_4
        if version >= ServerVersion(1, 118, 0):
            return cls.V1_118
        if version >= ServerVersion(1, 106, 0):
            return cls.V1_106
        return cls.V1_89


class Operation(StrEnum):
    """Request the client sends, independent of the route that serves it."""

    OWN_USER = "own_user"
    STORAGE = "storage"
    STATISTICS = "statistics"
    ABOUT = "about"
    VERSION_CHECK = "version_check"
    FEATURES = "features"
    QUEUES = "queues"
    ASSET_STATISTICS = "asset_statistics"
    RANDOM = "random"
    MEMORIES = "memories"
    METADATA_SEARCH = "metadata_search"
    ALBUMS = "albums"
    ALBUM = "album"
    ASSET = "asset"
    THUMBNAIL = "thumbnail"
    PEOPLE = "people"
    TAGS = "tags"
    PERSON = "person"
    PERSON_THUMBNAIL = "person_thumbnail"
    TAG = "tag"
    FULLSIZE = "fullsize"
    VIDEO_PLAYBACK = "video_playback"
    SMART_SEARCH = "smart_search"
    TIME_BUCKETS = "time_buckets"
    UPLOAD = "upload"
    ALBUM_ADD_ASSETS = "album_add_assets"
    QUEUE_PAUSE = "queue_pause"
    JOB_COMMAND = "job_command"
    TAG_ASSETS = "tag_assets"


G = ApiGeneration

# For each operation: (first generation, routes tried in order). An entry applies from its
# generation until the next entry's. A route is "METHOD /path" with Immich's path placeholders.
ROUTE_TABLE: dict[Operation, tuple[tuple[ApiGeneration, tuple[str, ...]], ...]] = {
    Operation.OWN_USER: (
        (G.V1_89, ("GET /user/me",)),
        (G.V1_106, ("GET /users/me",)),
    ),
    Operation.STORAGE: (
        (G.V1_89, ("GET /server-info",)),
        (G.V1_106, ("GET /server-info/storage",)),
        (G.V1_118, ("GET /server/storage", "GET /server-info/storage")),
        (G.V2_4, ("GET /server/storage",)),
    ),
    Operation.STATISTICS: (
        (G.V1_89, ("GET /server-info/statistics",)),
        (G.V1_118, ("GET /server/statistics", "GET /server-info/statistics")),
        (G.V2_4, ("GET /server/statistics",)),
    ),
    Operation.ABOUT: (
        (G.V1_89, ()),
        (G.V1_118, ("GET /server/about",)),
    ),
    Operation.VERSION_CHECK: (
        (G.V1_89, ()),
        (G.V1_118, ("GET /server/version-check",)),
    ),
    Operation.FEATURES: (
        (G.V1_89, ("GET /server-info/features",)),
        (G.V1_118, ("GET /server/features", "GET /server-info/features")),
        (G.V2_4, ("GET /server/features",)),
    ),
    Operation.QUEUES: (
        (G.V1_89, ("GET /jobs",)),
        (G.V2_4, ("GET /queues", "GET /jobs")),
        (G.V3, ("GET /queues",)),
    ),
    Operation.ASSET_STATISTICS: (
        (G.V1_89, ("GET /asset/statistics",)),
        (G.V1_106, ("GET /assets/statistics",)),
    ),
    Operation.RANDOM: (
        (G.V1_89, ("GET /asset/random",)),
        (G.V1_106, ("POST /search/random", "GET /assets/random")),
        (G.V1_118, ("POST /search/random",)),
    ),
    # From v1.106 `GET /memories` exists but lists saved memories and ignores `for` until
    # v1.133, so the memory lane goes first: once it is missing, `/memories` takes over.
    Operation.MEMORIES: (
        (G.V1_89, ("GET /asset/memory-lane",)),
        (G.V1_106, ("GET /assets/memory-lane",)),
        (G.V1_118, ("GET /assets/memory-lane", "GET /memories")),
        (G.V2_4, ("GET /memories",)),
    ),
    # v1.89 has no `POST /search/metadata`, only the `GET /assets` search with the same fields.
    Operation.METADATA_SEARCH: (
        (G.V1_89, ("POST /search/metadata", "GET /assets")),
        (G.V1_106, ("POST /search/metadata",)),
    ),
    # Assets that carry a tag, for servers whose search has no `tagIds`: the v1.106.1 spec has
    # this list and v2.7.5's has not, so between them a missing route means search by tag.
    Operation.TAG_ASSETS: (
        (G.V1_89, ("GET /tag/{id}/assets",)),
        (G.V1_106, ("GET /tags/{id}/assets",)),
        (G.V2_4, ()),
    ),
    Operation.ALBUMS: (
        (G.V1_89, ("GET /album",)),
        (G.V1_106, ("GET /albums",)),
    ),
    Operation.ALBUM: (
        (G.V1_89, ("GET /album/{id}",)),
        (G.V1_106, ("GET /albums/{id}",)),
    ),
    # v1.89 reads an asset at `/asset/assetById/{id}`, where `/asset/{id}` still lists a
    # device's assets; the v1.98.2 spec has `/asset/{id}`.
    Operation.ASSET: (
        (G.V1_89, ("GET /asset/assetById/{id}", "GET /asset/{id}")),
        (G.V1_106, ("GET /assets/{id}",)),
    ),
    Operation.THUMBNAIL: (
        (G.V1_89, ("GET /asset/thumbnail/{id}",)),
        (G.V1_106, ("GET /assets/{id}/thumbnail",)),
    ),
    Operation.PEOPLE: (
        (G.V1_89, ("GET /person",)),
        (G.V1_106, ("GET /people",)),
    ),
    Operation.TAGS: (
        (G.V1_89, ("GET /tag",)),
        (G.V1_106, ("GET /tags",)),
    ),
    # Media browsing, playback and upload. The v1.106.1 spec has these paths as listed, and
    # the v1.98.2 spec the singular ones; the tests run the media browser on v2.7.5 and v3.0.3.
    # NOTE: playback, upload and adding to albums have no v1.89 to v1.105 routes here.
    Operation.PERSON: (
        (G.V1_89, ("GET /person/{id}",)),
        (G.V1_106, ("GET /people/{id}",)),
    ),
    Operation.PERSON_THUMBNAIL: (
        (G.V1_89, ("GET /person/{id}/thumbnail",)),
        (G.V1_106, ("GET /people/{id}/thumbnail",)),
    ),
    Operation.TAG: (
        (G.V1_89, ("GET /tag/{id}",)),
        (G.V1_106, ("GET /tags/{id}",)),
    ),
    Operation.VIDEO_PLAYBACK: ((G.V1_106, ("GET /assets/{id}/video/playback",)),),
    Operation.SMART_SEARCH: ((G.V1_89, ("POST /search/smart",)),),
    Operation.UPLOAD: ((G.V1_106, ("POST /assets",)),),
    Operation.ALBUM_ADD_ASSETS: ((G.V1_106, ("PUT /albums/{id}/assets",)),),
    # `size=fullsize` and `/timeline/buckets` without `size=MONTH` are in the v2.7.5 spec but
    # not in v1.106.1's; no spec between them pins the release that changed them.
    Operation.FULLSIZE: ((G.V2_4, ("GET /assets/{id}/thumbnail",)),),
    Operation.TIME_BUCKETS: ((G.V2_4, ("GET /timeline/buckets",)),),
    # Pausing and resuming: `isPaused` on `/queues/{name}` from v2.4, the `pause` and
    # `resume` commands of `/jobs/{name}` before. Starting a queue and clearing its failed
    # jobs have no `/queues` form (`DELETE /queues/{name}/jobs` also drops waiting jobs),
    # so they use `/jobs/{name}`, which the v3.0.3 spec still lists, deprecated.
    Operation.QUEUE_PAUSE: (
        (G.V1_89, ("PUT /jobs/{name}",)),
        (G.V2_4, ("PUT /queues/{name}", "PUT /jobs/{name}")),
        (G.V3, ("PUT /queues/{name}",)),
    ),
    Operation.JOB_COMMAND: ((G.V1_89, ("PUT /jobs/{name}",)),),
}


def routes_for(operation: Operation, generation: ApiGeneration) -> tuple[str, ...]:
    """Return the routes to try, in order, for an operation on a generation."""
    routes: tuple[str, ...] = ()
    for first_generation, candidates in ROUTE_TABLE[operation]:
        if generation >= first_generation:
            routes = candidates
    return routes
