"""Async client for the Immich API of every generation from v1.89 to v3.x."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from http import HTTPStatus
import logging
import re
from types import TracebackType
from typing import Any, BinaryIO, Self

import aiohttp

from .conditional import ConditionalCache
from .errors import (
    ImmichBadRequestError,
    ImmichEndpointMissingError,
    ImmichError,
    ImmichNotFoundError,
    ImmichServerError,
    ImmichUnsupportedVersionError,
)
from .generation import ApiGeneration, Operation, routes_for
from .ids import require_filter_ids, require_uuid, require_uuids
from .live import LiveConnection
from .live_events import LiveEvent
from .models import (
    Album,
    AlbumAssetResult,
    Asset,
    AssetMedia,
    AssetSearchFilter,
    AssetStatistics,
    Memory,
    PeoplePage,
    Person,
    Queue,
    QueueCommand,
    SearchPage,
    ServerAbout,
    ServerFeatures,
    ServerStatistics,
    ServerStorage,
    ServerVersion,
    Tag,
    TimeBucket,
    UploadResult,
    User,
    VersionCheck,
)
from .parsing import as_list, as_object, describe_shape_error
from .pool import POOL_SIZE, needs_server_filter, page_of_assets, query_params, sample_assets
from .search import (
    is_listable,
    matches_filter,
    metadata_search_body,
    random_search_body,
    smart_search_body,
)
from .transport import DEFAULT_REQUEST_TIMEOUT, RawResponse, StreamedResponse, Transport
from .url import api_base_url, format_server_url, normalize_server_url

_LOGGER = logging.getLogger(__name__)


type Handler[T] = Callable[[], Awaitable[T]]
type VersionListener = Callable[[ServerVersion | None, ServerVersion], None]

VERSION_PATHS = ("server/version", "server-info/version")
# Immich's queue names are camelCase words such as `thumbnailGeneration`.
QUEUE_NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# `GET /memories?for=` lists "on this day" memories and the memory lane is gone, from this
# release on according to its notes; no published spec pins it.
MEMORIES_FOR_SINCE = ServerVersion(1, 133, 0)
# Immich returns at most this many assets per `GET /assets/random` request.
MAX_RANDOM_COUNT = 1000
# Immich before v3 requires a device id on uploads; it names the uploader in the asset.
UPLOAD_DEVICE_ID = "home-assistant"


class ImmichClient:
    """Client for one Immich server and API key.

    The client learns the server's version on first use, picks the routes of that API
    generation, and re-detects the version when a route that worked before disappears. An
    asset, album, person or tag id that is not a UUID raises ImmichInvalidIdError before any
    request is sent.
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
        self._missing_operations: set[Operation] = set()
        """Optional operations whose every route is missing; cleared when the version changes."""
        self._version_listeners: list[VersionListener] = []
        self._album_lists = ConditionalCache()
        """Album lists by query, sent again as conditional requests."""
        self._polled = ConditionalCache()
        """Responses the coordinators poll, sent again as conditional requests, so an
        unchanged storage, statistics or queue list costs a 304 and no parsing."""

    @property
    def server_url(self) -> str:
        """The normalised web address of the server, for example `https://host/photos`."""
        return format_server_url(self._server_url)

    @property
    def chosen_routes(self) -> Mapping[Operation, str]:
        """Routes that succeeded so far, by operation, cleared when the version changes."""
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

    def live_connection(self, on_event: Callable[[LiveEvent], None]) -> LiveConnection:
        """Return an unopened live connection to the server's socket.io endpoint."""
        # The transport creates the session when the caller passed none.
        _ = self.transport
        assert self._session is not None
        return LiveConnection(
            self._session,
            self._server_url,
            self._api_key,
            timeout=self._request_timeout,
            on_event=on_event,
        )

    # Version and generation

    def add_version_listener(self, listener: VersionListener) -> Callable[[], None]:
        """Call `listener(old, new)` whenever a detection finds another version than the last
        one; return a function that removes the listener."""
        self._version_listeners.append(listener)
        return lambda: self._version_listeners.remove(listener)

    async def async_get_server_version(self) -> ServerVersion:
        """Return the server's version from `/server/version`, or `/server-info/version` before v1.118."""
        paths = VERSION_PATHS
        if self.generation is not None and self.generation < ApiGeneration.V1_118:
            # The older path worked last time, so request it first.
            paths = VERSION_PATHS[::-1]
        for path in paths:
            try:
                data = await self.transport.request_json("GET", path)
            except ImmichEndpointMissingError:
                continue
            return _parse(ServerVersion.from_dict, data, path)
        raise ImmichUnsupportedVersionError(
            "The server responds to no known Immich version endpoint "
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

        previous = self.version
        if version != previous:
            if previous is not None:
                _LOGGER.info("Immich server version changed from %s to %s", previous, version)
            self._chosen_routes.clear()
            self._missing_operations.clear()
        self.version = version
        self.generation = generation
        if previous is not None and version != previous:
            for listener in list(self._version_listeners):
                listener(previous, version)
        return generation

    async def _generation(self) -> ApiGeneration:
        if self.generation is None:
            return await self.async_detect_generation()
        return self.generation

    def supports(self, operation: Operation) -> bool:
        """Return whether the detected generation has any route for an operation that the
        server has not shown to be missing."""
        return (
            self.generation is not None
            and operation not in self._missing_operations
            and bool(routes_for(operation, self.generation))
        )

    async def _call_optional[T](
        self, operation: Operation, handlers: Mapping[str, Handler[T]]
    ) -> T | None:
        """Run an operation that some servers lack; None when the server has none of its routes.

        A missing operation is remembered until the version changes, so it costs one probe.
        """
        await self._generation()
        if not self.supports(operation):
            return None
        try:
            return await self._call(operation, handlers)
        except ImmichEndpointMissingError:
            _LOGGER.debug("Immich %s has no endpoint for %s", self.version, operation.value)
            self._missing_operations.add(operation)
            return None

    async def _call[T](
        self,
        operation: Operation,
        handlers: Mapping[str, Handler[T]],
        *,
        preferred: str | None = None,
        retried: bool = False,
    ) -> T:
        """Run the first route of an operation that the server has, and remember it.

        A missing route falls back to the next candidate; `preferred`, when it is one of
        them, is tried first. When the remembered route goes missing, the server may have
        changed version: detect it again, forget the route and retry every candidate once.
        """
        generation = await self._generation()
        chosen = self._chosen_routes.get(operation)
        candidates = (chosen,) if chosen else routes_for(operation, generation)
        if not chosen and preferred in candidates:
            candidates = (preferred, *(route for route in candidates if route != preferred))
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
        if self.version == previous_version and not chosen:
            raise missing
        self._chosen_routes.pop(operation, None)
        return await self._call(operation, handlers, preferred=preferred, retried=True)

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self.transport.request_json("GET", path, params=params)

    async def _get_polled[T](self, path: str, parser: Callable[[Any], T], described: str) -> T:
        """GET an endpoint that is polled, with the ETag of its last response; on a 304,
        return the model parsed then. `parser` must return an immutable model."""
        return await self._polled.async_get(
            self.transport, path, None, lambda data: _parse(parser, data, described)
        )

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
        return await self._call_optional(
            Operation.ABOUT,
            {
                "GET /server/about": lambda: self._get_polled(
                    "server/about", ServerAbout.from_dict, "server/about"
                )
            },
        )

    async def async_get_version_check(self) -> VersionCheck | None:
        """Return the newest release the server found, or None before v1.134, which has no check."""
        return await self._call_optional(
            Operation.VERSION_CHECK,
            {
                "GET /server/version-check": lambda: self._get_polled(
                    "server/version-check", VersionCheck.from_dict, "server/version-check"
                )
            },
        )

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
        return await self._call(
            Operation.STORAGE,
            {
                route: partial(self._get_polled, path, ServerStorage.from_dict, "server/storage")
                for route, path in (
                    ("GET /server/storage", "server/storage"),
                    ("GET /server-info/storage", "server-info/storage"),
                    ("GET /server-info", "server-info"),
                )
            },
        )

    async def async_get_statistics(self) -> ServerStatistics:
        """Return server-wide counts and usage; needs an admin's key."""
        return await self._call(
            Operation.STATISTICS,
            {
                route: partial(
                    self._get_polled, path, ServerStatistics.from_dict, "server/statistics"
                )
                for route, path in (
                    ("GET /server/statistics", "server/statistics"),
                    ("GET /server-info/statistics", "server-info/statistics"),
                )
            },
        )

    async def async_get_asset_statistics(self) -> AssetStatistics:
        """Return the key's own user's image and video counts."""
        return await self._call(
            Operation.ASSET_STATISTICS,
            {
                route: partial(
                    self._get_polled, path, AssetStatistics.from_dict, "assets/statistics"
                )
                for route, path in (
                    ("GET /asset/statistics", "asset/statistics"),
                    ("GET /assets/statistics", "assets/statistics"),
                )
            },
        )

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
        return await self._get_polled(
            "queues",
            lambda items: tuple(Queue.from_queue_dict(item) for item in as_list(items)),
            "queues",
        )

    async def _queues_from_jobs(self) -> tuple[Queue, ...]:
        return await self._get_polled(
            "jobs",
            lambda items: tuple(
                Queue.from_job_status(name, value) for name, value in as_object(items).items()
            ),
            "jobs",
        )

    # Assets

    async def async_get_asset(self, asset_id: str) -> Asset:
        """Return one asset with its EXIF data and people."""
        asset_id = require_uuid(asset_id, "asset")
        data = await self._call(
            Operation.ASSET,
            {
                "GET /asset/assetById/{id}": lambda: self._get(f"asset/assetById/{asset_id}"),
                "GET /asset/{id}": lambda: self._get(f"asset/{asset_id}"),
                "GET /assets/{id}": lambda: self._get(f"assets/{asset_id}"),
            },
        )
        return _parse(Asset.from_dict, data, "assets/{id}")

    async def async_get_thumbnail(self, asset_id: str, size: str = "preview") -> AssetMedia:
        """Return a rendition (`preview` or `thumbnail`) with the content type the server sent."""
        asset_id = require_uuid(asset_id, "asset")
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
        """Return up to `count` random assets that match the filter.

        Servers before v1.116 have only an unfiltered random endpoint. For a filter that
        narrows the library more than to unarchived photos, the client draws from a metadata
        search instead, or from album and tag lists where the search cannot filter by them.
        """
        search_filter = require_filter_ids(search_filter or AssetSearchFilter())
        count = max(1, min(count, MAX_RANDOM_COUNT))
        members = await self._filter_members(search_filter)
        if members is not None:
            return sample_assets(members, count)

        assets: list[Asset] | None = await self._call(
            Operation.RANDOM,
            {
                "POST /search/random": lambda: self._random_via_search(count, search_filter),
                "GET /assets/random": lambda: self._random_via_assets(
                    "assets/random", count, search_filter
                ),
                "GET /asset/random": lambda: self._random_via_assets(
                    "asset/random", count, search_filter
                ),
            },
        )
        if assets is None:
            pool = await self._search_pool(search_filter)
            return sample_assets([a for a in pool if matches_filter(a, search_filter)], count)
        # Servers ignore filter fields they predate, so apply the filter here as well.
        return [asset for asset in assets if matches_filter(asset, search_filter)][:count]

    async def _random_via_search(self, count: int, search_filter: AssetSearchFilter) -> list[Asset]:
        body = random_search_body(count, search_filter, self.version)
        data = await self._post("search/random", body)
        return _parse(_asset_list, data, "search/random")

    async def _random_via_assets(
        self, path: str, count: int, search_filter: AssetSearchFilter
    ) -> list[Asset] | None:
        """Draw from an unfiltered random endpoint; None, without a request, when the filter
        would leave too few of the drawn assets."""
        if needs_server_filter(search_filter):
            return None
        # Videos and archived assets come back too, so ask for more than needed.
        requested = min(count * 2, MAX_RANDOM_COUNT)
        data = await self._get(path, {"count": str(requested)})
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
        search_filter = require_filter_ids(search_filter or AssetSearchFilter())
        # The body's shape depends on the version, so learn it before the first search.
        await self._generation()
        members = await self._filter_members(search_filter)
        if members is not None:
            return page_of_assets(members, page, size, newest_first)

        body = metadata_search_body(search_filter, self.version, page, size, newest_first)
        found: SearchPage = await self._call(
            Operation.METADATA_SEARCH,
            {
                "POST /search/metadata": lambda: self._search_via_post(body),
                "GET /assets": lambda: self._search_via_get(body, page, size),
            },
        )
        listable = tuple(asset for asset in found.assets if is_listable(asset, search_filter))
        if len(listable) == len(found.assets):
            return found
        return replace(found, assets=listable, total=len(listable))

    async def _search_via_post(self, body: dict[str, Any]) -> SearchPage:
        data = await self._post("search/metadata", body)
        return _parse(SearchPage.from_dict, data, "search/metadata")

    async def _search_via_get(self, body: dict[str, Any], page: int, size: int) -> SearchPage:
        """Search with `GET /assets` (v1.89), which takes the body's fields as query parameters
        and returns a plain list without a next page.

        After a full page, a one-asset page at the next page's first position shows whether
        there is more.
        """
        data = await self.transport.request_json("GET", "assets", params=query_params(body))
        assets = _parse(_asset_list, data, "assets")
        next_page = None
        if len(assets) >= size:
            probe = {**body, "page": page * size + 1, "size": 1}
            more = await self.transport.request_json("GET", "assets", params=query_params(probe))
            if _parse(_asset_list, more, "assets"):
                next_page = str(page + 1)
        return SearchPage(assets=tuple(assets), total=len(assets), next_page=next_page)

    async def _search_pool(self, search_filter: AssetSearchFilter) -> list[Asset]:
        """Return the newest assets matching a filter, at most one large search page."""
        page = await self.async_search_metadata(search_filter, size=POOL_SIZE)
        return list(page.assets)

    async def _filter_members(self, search_filter: AssetSearchFilter) -> list[Asset] | None:
        """Return the assets matching a filter with albums or tags on servers whose search
        cannot filter by them (before v2.4); None when the server's search applies the filter.

        Album members come from the album details, which list their assets before v3, and
        tagged assets from the tag's asset list where the server has one.
        """
        generation = await self._generation()
        if generation >= ApiGeneration.V2_4 or not (
            search_filter.album_ids or search_filter.tag_ids
        ):
            return None

        members: dict[str, Asset] | None = None
        for album_id in search_filter.album_ids:
            album = await self.async_get_album(album_id, with_assets=True)
            members = _intersect(members, album.assets or ())
        searched_tags: list[str] = []
        for tag_id in search_filter.tag_ids:
            tagged = await self._tag_assets(tag_id)
            if tagged is None:
                searched_tags.append(tag_id)
            else:
                members = _intersect(members, tagged)
        if members is None:
            # No album, and the server's search takes the tags.
            return None

        rest = replace(search_filter, album_ids=(), tag_ids=tuple(searched_tags))
        if rest.person_ids or rest.tag_ids:
            # Album and tag lists carry no people, so the server's search checks the rest.
            found = {asset.id for asset in await self._search_pool(rest)}
            members = {asset_id: a for asset_id, a in members.items() if asset_id in found}
        return [asset for asset in members.values() if matches_filter(asset, rest)]

    async def _tag_assets(self, tag_id: str) -> list[Asset] | None:
        """Return the assets that carry a tag, or None where the server has no such list."""
        tag_id = require_uuid(tag_id, "tag")
        data = await self._call_optional(
            Operation.TAG_ASSETS,
            {
                "GET /tag/{id}/assets": lambda: self._get(f"tag/{tag_id}/assets"),
                "GET /tags/{id}/assets": lambda: self._get(f"tags/{tag_id}/assets"),
            },
        )
        return None if data is None else _parse(_asset_list, data, "tags/{id}/assets")

    async def async_get_memories(self, day: date) -> list[Memory]:
        """Return the "on this day" memories for a calendar day, oldest year first.

        The version picks the route and the form of the day. A server whose version misleads
        gets one retry in the other form, on the two errors that show the wrong one.
        """
        await self._generation()
        # Release notes, not a spec, date the switch from the memory lane to v1.133.
        preferred = (
            "GET /memories"
            if self.version is not None and self.version >= MEMORIES_FOR_SINCE
            else None
        )
        memories: list[Memory] = await self._call(
            Operation.MEMORIES,
            {
                "GET /memories": lambda: self._memories(day),
                "GET /assets/memory-lane": lambda: self._memory_lane("assets/memory-lane", day),
                "GET /asset/memory-lane": lambda: self._memory_lane("asset/memory-lane", day),
            },
            preferred=preferred,
        )
        return sorted(memories, key=lambda memory: memory.year or 0)

    async def _memories(self, day: date) -> list[Memory]:
        # The v3.0.3 spec's `for` is a date (YYYY-MM-DD), and v2.7.5's a date-time, read as
        # that instant. In both, the day's UTC midnight is the local calendar day.
        forms = [day.isoformat(), f"{day.isoformat()}T00:00:00.000Z"]
        if self.generation is None or self.generation < ApiGeneration.V3:
            forms.reverse()
        try:
            data = await self._get("memories", {"for": forms[0]})
        except ImmichBadRequestError as err:
            # v3 rejects a date-time with `Validation failed` on the path `for`.
            if "for" not in err.invalid_fields:
                raise
            _LOGGER.debug("Immich %s rejected `for=%s`; sending %s", self.version, *forms)
            data = await self._get("memories", {"for": forms[1]})
        memories = _parse(
            lambda items: [Memory.from_dict(i) for i in as_list(items)], data, "memories"
        )
        return [memory for memory in memories if memory.assets]

    async def _memory_lane(self, path: str, day: date) -> list[Memory]:
        params = {"day": str(day.day), "month": str(day.month)}
        if path == "asset/memory-lane":
            # Releases around v1.89 read the day from `timestamp` instead; each server
            # ignores the fields it does not know. Without a time zone here, the day starts
            # at UTC midnight.
            params["timestamp"] = f"{day.isoformat()}T00:00:00.000Z"
        try:
            data = await self._get(path, params)
        except (ImmichNotFoundError, ImmichBadRequestError) as err:
            if not _is_memory_lane_read_as_asset_id(err):
                raise
            # From v1.133 `GET /assets/{id}` serves this path and rejects `memory-lane` as an
            # id, so the memory lane is missing here and `/memories` takes over.
            raise ImmichEndpointMissingError(
                f"Immich {self.version} has no memory lane: {err}",
                status=err.status,
                server_message=err.server_message,
            ) from err
        memories = _parse(
            lambda items: [Memory.from_memory_lane(i, day) for i in as_list(items)], data, path
        )
        return [memory for memory in memories if memory.assets]

    # Albums, people and tags

    async def async_get_albums(self, *, shared: bool | None = None) -> list[Album]:
        """Return albums the user owns and albums shared with them, each once.

        `shared=True` returns only shared albums, `False` only unshared ones.
        """
        generation = await self._generation()
        queries: list[dict[str, str] | None]
        if shared is not None:
            name = "isShared" if generation >= ApiGeneration.V3 else "shared"
            queries = [{name: str(shared).lower()}]
        elif generation >= ApiGeneration.V3:
            queries = [None]
        else:
            # Before v3, no `shared` lists only owned albums, and `shared=true` lists shared
            # ones, owned or not: together they cover every album, some twice.
            queries = [None, {"shared": "true"}]

        unique: dict[str, Album] = {}
        for params in queries:
            for album in await self._list_albums(params):
                unique.setdefault(album.id, album)
        return list(unique.values())

    async def _list_albums(self, params: dict[str, str] | None) -> list[Album]:
        def parse(data: Any) -> tuple[Album, ...]:
            return _parse(
                lambda items: tuple(Album.from_dict(i) for i in as_list(items)), data, "albums"
            )

        albums = await self._call(
            Operation.ALBUMS,
            {
                "GET /album": lambda: self._album_lists.async_get(
                    self.transport, "album", params, parse
                ),
                "GET /albums": lambda: self._album_lists.async_get(
                    self.transport, "albums", params, parse
                ),
            },
        )
        return list(albums)

    async def async_get_album(self, album_id: str, *, with_assets: bool = False) -> Album:
        """Return an album; before v3 the server also lists its assets when asked."""
        album_id = require_uuid(album_id, "album")
        generation = await self._generation()
        # v3.0.3's spec has no `withoutAssets`: its album detail never lists assets.
        params = (
            None if with_assets or generation >= ApiGeneration.V3 else {"withoutAssets": "true"}
        )
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

    # Media browsing, playback and upload

    async def async_get_person(self, person_id: str) -> Person:
        """Return one recognised person."""
        person_id = require_uuid(person_id, "person")
        data = await self._call(
            Operation.PERSON,
            {
                "GET /person/{id}": lambda: self._get(f"person/{person_id}"),
                "GET /people/{id}": lambda: self._get(f"people/{person_id}"),
            },
        )
        return _parse(Person.from_dict, data, "people/{id}")

    async def async_get_person_thumbnail(self, person_id: str) -> AssetMedia:
        """Return a person's face thumbnail with the content type the server sent."""
        person_id = require_uuid(person_id, "person")
        raw = await self._call(
            Operation.PERSON_THUMBNAIL,
            {
                "GET /person/{id}/thumbnail": lambda: self.transport.request(
                    "GET", f"person/{person_id}/thumbnail"
                ),
                "GET /people/{id}/thumbnail": lambda: self.transport.request(
                    "GET", f"people/{person_id}/thumbnail"
                ),
            },
        )
        return _image_media(raw, f"Thumbnail of person {person_id}")

    async def async_get_tag(self, tag_id: str) -> Tag:
        """Return one tag."""
        tag_id = require_uuid(tag_id, "tag")
        data = await self._call(
            Operation.TAG,
            {
                "GET /tag/{id}": lambda: self._get(f"tag/{tag_id}"),
                "GET /tags/{id}": lambda: self._get(f"tags/{tag_id}"),
            },
        )
        return _parse(Tag.from_dict, data, "tags/{id}")

    async def async_get_fullsize(self, asset_id: str) -> AssetMedia:
        """Return the fullsize rendition, or the preview where the server redirects.

        Immich redirects a fullsize request to the original file for web formats such as
        JPEG and PNG (which needs the `asset.download` permission), and to the preview when
        it made no fullsize image. Both redirects fall back to the preview here, as do
        servers older than the fullsize rendition.
        """
        asset_id = require_uuid(asset_id, "asset")
        await self._generation()
        if not self.supports(Operation.FULLSIZE):
            return await self.async_get_thumbnail(asset_id, "preview")
        raw = await self._call(
            Operation.FULLSIZE,
            {
                "GET /assets/{id}/thumbnail": lambda: self.transport.request(
                    "GET",
                    f"assets/{asset_id}/thumbnail",
                    params={"size": "fullsize"},
                    allow_redirects=False,
                )
            },
        )
        if 300 <= raw.status < 400:
            _LOGGER.debug(
                "Fullsize image of asset %s redirects to %s; using the preview",
                asset_id,
                raw.headers.get("Location"),
            )
            return await self.async_get_thumbnail(asset_id, "preview")
        return _image_media(raw, f"Fullsize image of asset {asset_id}")

    @asynccontextmanager
    async def async_stream_video(
        self, asset_id: str, *, byte_range: str | None = None, if_range: str | None = None
    ) -> AsyncIterator[StreamedResponse]:
        """Open an asset's video playback stream and close it when the block exits.

        `byte_range` and `if_range` are the HTTP `Range` and `If-Range` values to send. The
        server responds 206 with `Content-Range` for a range, 200 without one, and 416 for a
        range outside the file, which is returned rather than raised.
        """
        asset_id = require_uuid(asset_id, "asset")
        headers = {"Accept": "*/*"}
        if byte_range:
            headers["Range"] = byte_range
        if if_range:
            headers["If-Range"] = if_range
        stream = await self._call(
            Operation.VIDEO_PLAYBACK,
            {
                "GET /assets/{id}/video/playback": lambda: self.transport.open_stream(
                    "GET",
                    f"assets/{asset_id}/video/playback",
                    extra_headers=headers,
                    passed_statuses=(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,),
                )
            },
        )
        try:
            yield stream
        finally:
            stream.close()

    async def async_smart_search(
        self,
        query: str,
        search_filter: AssetSearchFilter | None = None,
        *,
        page: int = 1,
        size: int = 100,
    ) -> SearchPage:
        """Return one page of assets ranked by how well they match a text query.

        It needs machine learning on the server: Immich responds 400 `Smart search is not
        enabled` otherwise, raised as ImmichBadRequestError.
        """
        search_filter = require_filter_ids(search_filter or AssetSearchFilter())
        await self._generation()
        body = smart_search_body(query, search_filter, self.version, page, size)
        data = await self._call(
            Operation.SMART_SEARCH,
            {"POST /search/smart": lambda: self._post("search/smart", body)},
        )
        return _parse(SearchPage.from_dict, data, "search/smart")

    async def async_get_time_buckets(self, *, include_archived: bool = False) -> list[TimeBucket]:
        """Return the months of the user's timeline that have assets, newest first."""
        params = {} if include_archived else {"visibility": "timeline"}
        data = await self._call(
            Operation.TIME_BUCKETS,
            {"GET /timeline/buckets": lambda: self._get("timeline/buckets", params)},
        )
        return _parse(
            lambda items: [TimeBucket.from_dict(i) for i in as_list(items)],
            data,
            "timeline/buckets",
        )

    async def async_upload_asset(
        self,
        file: BinaryIO | bytes,
        file_name: str,
        *,
        created_at: datetime,
        modified_at: datetime,
        device_asset_id: str,
        content_type: str | None = None,
    ) -> UploadResult:
        """Upload a photo or video and return its asset id.

        When the user already has a file with the same SHA-1 checksum, Immich stores nothing
        and responds 200 `status: duplicate` with the existing asset's id. aiohttp reads a file
        object in an executor, chunk by chunk, so a large video is never held in memory.
        """
        generation = await self._generation()

        def build_form() -> aiohttp.FormData:
            # A form can be sent once, and a retry after a version change sends it again.
            if not isinstance(file, bytes):
                file.seek(0)
            form = aiohttp.FormData()
            form.add_field(
                "assetData",
                file,
                filename=file_name,
                content_type=content_type or "application/octet-stream",
            )
            if generation < ApiGeneration.V3:
                # Required before v3; the v3.0.3 spec no longer has these fields.
                form.add_field("deviceAssetId", device_asset_id)
                form.add_field("deviceId", UPLOAD_DEVICE_ID)
            form.add_field("fileCreatedAt", _utc_timestamp(created_at))
            form.add_field("fileModifiedAt", _utc_timestamp(modified_at))
            return form

        data = await self._call(
            Operation.UPLOAD,
            {
                "POST /assets": lambda: self.transport.request_json(
                    "POST", "assets", data=build_form(), limit_total_time=False
                )
            },
        )
        return _parse(UploadResult.from_dict, data, "assets")

    async def async_add_assets_to_album(
        self, album_id: str, asset_ids: Sequence[str]
    ) -> list[AlbumAssetResult]:
        """Add assets to an album; assets already in it come back with error `duplicate`."""
        album_id = require_uuid(album_id, "album")
        body = {"ids": require_uuids(asset_ids, "asset")}
        data = await self._call(
            Operation.ALBUM_ADD_ASSETS,
            {
                "PUT /albums/{id}/assets": lambda: self.transport.request_json(
                    "PUT", f"albums/{album_id}/assets", json_body=body
                )
            },
        )
        return _parse(
            lambda items: [AlbumAssetResult.from_dict(i) for i in as_list(items)],
            data,
            "albums/{id}/assets",
        )

    # Queue commands (admin only)

    async def async_run_queue_command(self, name: str, command: QueueCommand) -> Queue:
        """Pause, resume or start a job queue, or clear its failed jobs; return its new state.

        Raises ValueError for a name that is not a queue name's form, before any request.
        A command the server rejects, such as pausing `backgroundTask`, raises
        ImmichBadRequestError with the server's reason as `server_message`.
        """
        if not QUEUE_NAME_PATTERN.fullmatch(name):
            raise ValueError(f"{name!r} is not an Immich queue name")
        if command in (QueueCommand.PAUSE, QueueCommand.RESUME):
            paused = command is QueueCommand.PAUSE
            return await self._call(
                Operation.QUEUE_PAUSE,
                {
                    "PUT /queues/{name}": lambda: self._set_queue_paused(name, paused),
                    "PUT /jobs/{name}": lambda: self._send_job_command(name, command),
                },
            )
        return await self._call(
            Operation.JOB_COMMAND,
            {"PUT /jobs/{name}": lambda: self._send_job_command(name, command)},
        )

    async def _set_queue_paused(self, name: str, paused: bool) -> Queue:
        data = await self.transport.request_json(
            "PUT", f"queues/{name}", json_body={"isPaused": paused}
        )
        return _parse(Queue.from_queue_dict, data, "queues/{name}")

    async def _send_job_command(self, name: str, command: QueueCommand) -> Queue:
        # The v1.106.1 spec requires `force`. With `start` it would queue every asset again,
        # not only those the job has not handled yet.
        data = await self.transport.request_json(
            "PUT", f"jobs/{name}", json_body={"command": command.value, "force": False}
        )
        return _parse(lambda value: Queue.from_job_status(name, value), data, "jobs/{name}")


def _image_media(raw: RawResponse, what: str) -> AssetMedia:
    """Wrap an image response; any other content type came from something other than Immich."""
    if not raw.content_type.startswith("image/"):
        raise ImmichServerError(
            f"{what} came back as {raw.content_type} (HTTP {raw.status}); "
            "a proxy in front of Immich may have answered",
            status=raw.status,
        )
    return AssetMedia(raw.body, raw.content_type)


def _is_memory_lane_read_as_asset_id(err: ImmichError) -> bool:
    """Return whether a 400 is the asset route's complaint that `memory-lane` is no UUID:
    `id must be a UUID` before v3, `Validation failed` on the path `id` from v3."""
    if err.status != HTTPStatus.BAD_REQUEST:
        return False
    if "id must be a uuid" in (err.server_message or "").lower():
        return True
    return isinstance(err, ImmichBadRequestError) and err.invalid_fields == ("id",)


def _utc_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _asset_list(items: Any) -> list[Asset]:
    return [Asset.from_dict(item) for item in as_list(items)]


def _intersect(members: dict[str, Asset] | None, assets: Iterable[Asset]) -> dict[str, Asset]:
    """Return the members also in `assets`, or all of `assets` when there are no members yet."""
    found = {asset.id: asset for asset in assets}
    if members is None:
        return found
    return {asset_id: asset for asset_id, asset in members.items() if asset_id in found}


def _parse[T](parser: Callable[[Any], T], data: Any, path: str) -> T:
    """Run a model parser; a response of the wrong shape becomes an ImmichServerError."""
    try:
        return parser(data)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ImmichServerError(f"/api/{path} returned JSON {describe_shape_error(err)}") from err
