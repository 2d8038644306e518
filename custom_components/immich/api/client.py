"""Async client for the Immich API of every generation from v1.89 to v3.x."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
import logging
from types import TracebackType
from typing import Any, Self

import aiohttp

from .errors import (
    ImmichEndpointMissingError,
    ImmichServerError,
    ImmichUnsupportedVersionError,
)
from .generation import ApiGeneration, Operation, routes_for
from .models import (
    Album,
    Asset,
    AssetMedia,
    AssetSearchFilter,
    AssetStatistics,
    Memory,
    PeoplePage,
    Queue,
    SearchPage,
    ServerAbout,
    ServerFeatures,
    ServerStatistics,
    ServerStorage,
    ServerVersion,
    Tag,
    User,
    VersionCheck,
)
from .parsing import as_list, as_object
from .search import matches_filter, metadata_search_body, random_search_body
from .transport import DEFAULT_REQUEST_TIMEOUT, Transport
from .url import api_base_url, format_server_url, normalize_server_url

_LOGGER = logging.getLogger(__name__)


type Handler[T] = Callable[[], Awaitable[T]]

VERSION_PATHS = ("server/version", "server-info/version")
# Immich answers `GET /assets/random` with at most this many assets per request.
MAX_RANDOM_COUNT = 1000


class ImmichClient:
    """Client for one Immich server and API key.

    The client learns the server's version on first use, picks the routes of that API
    generation, and re-detects the version when a route that worked before disappears.
    """

    def __init__(
        self,
        server_url: str,
        api_key: str,
        *,
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        self._server_url = normalize_server_url(server_url)
        self._api_key = api_key
        self._session = session
        self._owns_session = session is None
        self._request_timeout = request_timeout
        self._transport: Transport | None = None
        self.version: ServerVersion | None = None
        """Version reported by the server at the last detection."""
        self.generation: ApiGeneration | None = None
        self._chosen_routes: dict[Operation, str] = {}

    @property
    def server_url(self) -> str:
        """The normalised web address of the server, for example `https://host/photos`."""
        return format_server_url(self._server_url)

    @property
    def chosen_routes(self) -> Mapping[Operation, str]:
        """Routes that answered so far, by operation; cleared when the version changes."""
        return dict(self._chosen_routes)

    def web_url(self, path: str = "") -> str:
        """Return a link into Immich's web UI, for example `photos/<asset id>`."""
        return f"{self.server_url}/{path.lstrip('/')}" if path else self.server_url

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session when the client created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None
            self._transport = None

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            if self._session is None:
                self._session = aiohttp.ClientSession()
            self._transport = Transport(
                self._session,
                api_base_url(self._server_url),
                self._api_key,
                self._request_timeout,
            )
        return self._transport

    # Version and generation

    async def async_get_server_version(self) -> ServerVersion:
        """Return the server's version from `/server/version`, or `/server-info/version` before v1.118."""
        for path in VERSION_PATHS:
            try:
                data = await self.transport.request_json("GET", path)
            except ImmichEndpointMissingError:
                continue
            return _parse(ServerVersion.from_dict, data, path)
        raise ImmichUnsupportedVersionError(
            "The server answers no known Immich version endpoint "
            "(/api/server/version or /api/server-info/version); check the URL",
            version=None,
        )

    async def async_detect_generation(self) -> ApiGeneration:
        """Read the server's version and select the routes of its API generation."""
        version = await self.async_get_server_version()
        try:
            generation = ApiGeneration.for_version(version)
        except ValueError as err:
            raise ImmichUnsupportedVersionError(
                f"Unsupported Immich version {version}; v1.89.0 or newer is required",
                version=str(version),
            ) from err

        if version != self.version:
            if self.version is not None:
                _LOGGER.info("Immich server version changed from %s to %s", self.version, version)
            self._chosen_routes.clear()
        self.version = version
        self.generation = generation
        return generation

    async def _generation(self) -> ApiGeneration:
        if self.generation is None:
            return await self.async_detect_generation()
        return self.generation

    def supports(self, operation: Operation) -> bool:
        """Return whether the detected generation has any route for an operation."""
        return self.generation is not None and bool(routes_for(operation, self.generation))

    async def _call[T](
        self,
        operation: Operation,
        handlers: Mapping[str, Handler[T]],
        *,
        retried: bool = False,
    ) -> T:
        """Run the first route of an operation that the server has, and remember it.

        A missing route falls back to the next candidate. When the remembered route goes
        missing, the server changed version: detect it again and retry once.
        """
        generation = await self._generation()
        chosen = self._chosen_routes.get(operation)
        candidates = (chosen,) if chosen else routes_for(operation, generation)
        if not candidates:
            raise ImmichEndpointMissingError(
                f"Immich {self.version} has no endpoint for {operation.value}"
            )

        missing: ImmichEndpointMissingError | None = None
        for route in candidates:
            try:
                result = await handlers[route]()
            except ImmichEndpointMissingError as err:
                missing = err
                continue
            self._chosen_routes[operation] = route
            return result

        assert missing is not None
        if retried:
            raise missing
        previous_version = self.version
        await self.async_detect_generation()
        if self.version == previous_version:
            raise missing
        return await self._call(operation, handlers, retried=True)

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self.transport.request_json("GET", path, params=params)

    async def _post(self, path: str, body: Any) -> Any:
        return await self.transport.request_json("POST", path, json_body=body)

    # Server

    async def async_get_my_user(self) -> User:
        """Return the user the API key belongs to."""
        data = await self._call(
            Operation.OWN_USER,
            {
                "GET /user/me": lambda: self._get("user/me"),
                "GET /users/me": lambda: self._get("users/me"),
            },
        )
        return _parse(User.from_dict, data, "users/me")

    async def async_get_about(self) -> ServerAbout | None:
        """Return build details, or None on servers before v1.118 that have no such endpoint."""
        await self._generation()
        if not self.supports(Operation.ABOUT):
            return None
        try:
            data = await self._call(
                Operation.ABOUT, {"GET /server/about": lambda: self._get("server/about")}
            )
        except ImmichEndpointMissingError:
            return None
        return _parse(ServerAbout.from_dict, data, "server/about")

    async def async_get_version_check(self) -> VersionCheck | None:
        """Return the newest release the server knows of; None before v1.134, which has no check."""
        await self._generation()
        if not self.supports(Operation.VERSION_CHECK):
            return None
        try:
            data = await self._call(
                Operation.VERSION_CHECK,
                {"GET /server/version-check": lambda: self._get("server/version-check")},
            )
        except ImmichEndpointMissingError:
            return None
        return _parse(VersionCheck.from_dict, data, "server/version-check")

    async def async_get_features(self) -> ServerFeatures:
        """Return the optional features enabled on the server (smart search, faces, trash)."""
        data = await self._call(
            Operation.FEATURES,
            {
                "GET /server/features": lambda: self._get("server/features"),
                "GET /server-info/features": lambda: self._get("server-info/features"),
            },
        )
        return _parse(ServerFeatures.from_dict, data, "server/features")

    async def async_get_storage(self) -> ServerStorage:
        """Return disk size, use and availability of the library volume."""
        data = await self._call(
            Operation.STORAGE,
            {
                "GET /server/storage": lambda: self._get("server/storage"),
                "GET /server-info/storage": lambda: self._get("server-info/storage"),
                "GET /server-info": lambda: self._get("server-info"),
            },
        )
        return _parse(ServerStorage.from_dict, data, "server/storage")

    async def async_get_statistics(self) -> ServerStatistics:
        """Return server-wide counts and usage; needs an admin's key."""
        data = await self._call(
            Operation.STATISTICS,
            {
                "GET /server/statistics": lambda: self._get("server/statistics"),
                "GET /server-info/statistics": lambda: self._get("server-info/statistics"),
            },
        )
        return _parse(ServerStatistics.from_dict, data, "server/statistics")

    async def async_get_asset_statistics(self) -> AssetStatistics:
        """Return the key's own user's image and video counts."""
        data = await self._call(
            Operation.ASSET_STATISTICS,
            {
                "GET /asset/statistics": lambda: self._get("asset/statistics"),
                "GET /assets/statistics": lambda: self._get("assets/statistics"),
            },
        )
        return _parse(AssetStatistics.from_dict, data, "assets/statistics")

    async def async_get_queues(self) -> tuple[Queue, ...]:
        """Return every job queue with its counts; needs an admin's key."""
        return await self._call(
            Operation.QUEUES,
            {
                "GET /queues": self._queues_from_queues,
                "GET /jobs": self._queues_from_jobs,
            },
        )

    async def _queues_from_queues(self) -> tuple[Queue, ...]:
        data = await self._get("queues")
        return _parse(
            lambda items: tuple(Queue.from_queue_dict(item) for item in as_list(items)),
            data,
            "queues",
        )

    async def _queues_from_jobs(self) -> tuple[Queue, ...]:
        data = await self._get("jobs")
        return _parse(
            lambda items: tuple(
                Queue.from_job_status(name, value) for name, value in as_object(items).items()
            ),
            data,
            "jobs",
        )

    # Assets

    async def async_get_asset(self, asset_id: str) -> Asset:
        """Return one asset with its EXIF data and people."""
        data = await self._call(
            Operation.ASSET,
            {
                "GET /asset/{id}": lambda: self._get(f"asset/{asset_id}"),
                "GET /assets/{id}": lambda: self._get(f"assets/{asset_id}"),
            },
        )
        return _parse(Asset.from_dict, data, "assets/{id}")

    async def async_get_thumbnail(self, asset_id: str, size: str = "preview") -> AssetMedia:
        """Return a rendition (`preview` or `thumbnail`) with the content type the server sent."""
        raw = await self._call(
            Operation.THUMBNAIL,
            {
                "GET /asset/thumbnail/{id}": lambda: self.transport.request(
                    "GET",
                    f"asset/thumbnail/{asset_id}",
                    params={"format": "JPEG" if size == "preview" else "WEBP"},
                ),
                "GET /assets/{id}/thumbnail": lambda: self.transport.request(
                    "GET", f"assets/{asset_id}/thumbnail", params={"size": size}
                ),
            },
        )
        if not raw.content_type.startswith("image/"):
            raise ImmichServerError(
                f"Thumbnail of asset {asset_id} came back as {raw.content_type} "
                f"(HTTP {raw.status}); a proxy in front of Immich may have answered",
                status=raw.status,
            )
        return AssetMedia(raw.body, raw.content_type)

    async def async_get_random_assets(
        self, count: int, search_filter: AssetSearchFilter | None = None
    ) -> list[Asset]:
        """Return up to `count` random assets that match the filter."""
        search_filter = search_filter or AssetSearchFilter()
        count = max(1, min(count, MAX_RANDOM_COUNT))
        assets: list[Asset] = await self._call(
            Operation.RANDOM,
            {
                "POST /search/random": lambda: self._random_via_search(count, search_filter),
                "GET /assets/random": lambda: self._random_via_assets("assets/random", count),
                "GET /asset/random": lambda: self._random_via_assets("asset/random", count),
            },
        )
        # Servers ignore filter fields they predate, so apply the filter here as well.
        return [asset for asset in assets if matches_filter(asset, search_filter)]

    async def _random_via_search(self, count: int, search_filter: AssetSearchFilter) -> list[Asset]:
        body = random_search_body(count, search_filter, self.version)
        data = await self._post("search/random", body)
        return _parse(_asset_list, data, "search/random")

    async def _random_via_assets(self, path: str, count: int) -> list[Asset]:
        data = await self._get(path, {"count": str(count)})
        return _parse(_asset_list, data, path)

    async def async_search_metadata(
        self,
        search_filter: AssetSearchFilter | None = None,
        *,
        page: int = 1,
        size: int = 250,
        newest_first: bool = True,
    ) -> SearchPage:
        """Return one page of assets matching the filter, newest first unless asked otherwise."""
        search_filter = search_filter or AssetSearchFilter()
        body = metadata_search_body(search_filter, self.version, page, size, newest_first)
        data = await self._call(
            Operation.METADATA_SEARCH,
            {"POST /search/metadata": lambda: self._post("search/metadata", body)},
        )
        return _parse(SearchPage.from_dict, data, "search/metadata")

    async def async_get_memories(self, day: date) -> list[Memory]:
        """Return the "on this day" memories for a calendar day, oldest year first."""
        memories: list[Memory] = await self._call(
            Operation.MEMORIES,
            {
                "GET /memories": lambda: self._memories(day),
                "GET /assets/memory-lane": lambda: self._memory_lane("assets/memory-lane", day),
                "GET /asset/memory-lane": lambda: self._memory_lane("asset/memory-lane", day),
            },
        )
        return sorted(memories, key=lambda memory: memory.year or 0)

    async def _memories(self, day: date) -> list[Memory]:
        # v3 accepts only YYYY-MM-DD; v2 parses the same text as that day's UTC midnight,
        # which is what "on this day" needs, so the local calendar day is sent as it is.
        data = await self._get("memories", {"for": day.isoformat()})
        memories = _parse(
            lambda items: [Memory.from_dict(i) for i in as_list(items)], data, "memories"
        )
        return [memory for memory in memories if memory.assets]

    async def _memory_lane(self, path: str, day: date) -> list[Memory]:
        params = {"day": str(day.day), "month": str(day.month)}
        data = await self._get(path, params)
        memories = _parse(
            lambda items: [Memory.from_memory_lane(i, day) for i in as_list(items)], data, path
        )
        return [memory for memory in memories if memory.assets]

    # Albums, people and tags

    async def async_get_albums(self, *, shared: bool | None = None) -> list[Album]:
        """Return albums the user owns and albums shared with them, each once.

        `shared=True` returns only shared albums, `False` only unshared ones.
        """
        params = {"shared": "true" if shared else "false"} if shared is not None else None
        data = await self._call(
            Operation.ALBUMS,
            {
                "GET /album": lambda: self._get("album", params),
                "GET /albums": lambda: self._get("albums", params),
            },
        )
        albums = _parse(lambda items: [Album.from_dict(i) for i in as_list(items)], data, "albums")
        unique: dict[str, Album] = {}
        for album in albums:
            unique.setdefault(album.id, album)
        return list(unique.values())

    async def async_get_album(self, album_id: str, *, with_assets: bool = False) -> Album:
        """Return an album; before v3 the server also lists its assets when asked."""
        params = None if with_assets else {"withoutAssets": "true"}
        data = await self._call(
            Operation.ALBUM,
            {
                "GET /album/{id}": lambda: self._get(f"album/{album_id}", params),
                "GET /albums/{id}": lambda: self._get(f"albums/{album_id}", params),
            },
        )
        return _parse(Album.from_dict, data, "albums/{id}")

    async def async_get_people(
        self, *, page: int = 1, size: int = 500, with_hidden: bool = False
    ) -> PeoplePage:
        """Return a page of recognised people."""
        params = {"page": str(page), "size": str(size), "withHidden": str(with_hidden).lower()}
        data = await self._call(
            Operation.PEOPLE,
            {
                "GET /person": lambda: self._get("person", {"withHidden": params["withHidden"]}),
                "GET /people": lambda: self._get("people", params),
            },
        )
        return _parse(PeoplePage.from_dict, data, "people")

    async def async_get_tags(self) -> list[Tag]:
        """Return every tag of the user."""
        data = await self._call(
            Operation.TAGS,
            {
                "GET /tag": lambda: self._get("tag"),
                "GET /tags": lambda: self._get("tags"),
            },
        )
        return _parse(lambda items: [Tag.from_dict(i) for i in as_list(items)], data, "tags")


def _asset_list(items: Any) -> list[Asset]:
    return [Asset.from_dict(item) for item in as_list(items)]


def _parse[T](parser: Callable[[Any], T], data: Any, path: str) -> T:
    """Run a model parser; a response of the wrong shape becomes an ImmichServerError."""
    try:
        return parser(data)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ImmichServerError(f"Unexpected response from /api/{path}: {err}") from err
