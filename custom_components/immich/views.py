"""The view that proxies Immich images and video streams to Home Assistant's clients.

Clients send Home Assistant's token or a signed path, never the Immich API key, and the
view adds the key to its own requests. Ranges pass through, so players can seek in videos.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
import math

from aiohttp import hdrs, web
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import HomeAssistantView

from .api import (
    AssetMedia,
    ImmichClient,
    ImmichError,
    ImmichNotFoundError,
    ImmichPermissionError,
    ImmichRateLimitedError,
    ImmichTimeoutError,
)
from .const import LOGGER
from .issues import async_create_missing_permission_issue, async_delete_missing_permission_issue
from .media_identifier import is_uuid, loaded_entry
from .media_urls import VIEW_URL, MediaSize

# Response headers of Immich's video playback that the client needs to play and seek.
PROXIED_VIDEO_HEADERS = (
    hdrs.CONTENT_TYPE,
    hdrs.CONTENT_LENGTH,
    hdrs.CONTENT_RANGE,
    hdrs.ACCEPT_RANGES,
    hdrs.ETAG,
    hdrs.LAST_MODIFIED,
    hdrs.CACHE_CONTROL,
)


@dataclass(frozen=True, slots=True)
class MediaTarget:
    """The rendition a view path requests: `<id>/<size>/<MIME type>`."""

    item_id: str
    size: MediaSize
    mime_type: str

    @property
    def is_video(self) -> bool:
        return self.mime_type.startswith("video/")

    @classmethod
    def parse(cls, location: str) -> MediaTarget:
        """Parse the part after the source id; raise ValueError for any other form."""
        item_id, size, mime_base, mime_subtype = location.split("/")
        if not mime_base or not mime_subtype:
            raise ValueError(f"invalid MIME type in {location!r}")
        return cls(item_id, MediaSize(size), f"{mime_base}/{mime_subtype}")


class ImmichMediaView(HomeAssistantView):
    """Serves thumbnails, previews, fullsize images, faces and video streams of loaded accounts.

    The path forms are the built-in integration's, so its saved links keep working.
    """

    url = VIEW_URL
    name = "api:immich:media"
    requires_auth = True

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self._reported_permissions: set[str] = set()
        self._missing_permissions: dict[tuple[str, MediaSize], str] = {}
        """Permission whose repair issue a failed request raised, by entry id and size, so
        the next image of that size served for the entry withdraws it."""

    async def get(
        self, request: web.Request, source_dir_id: str, location: str
    ) -> web.StreamResponse:
        return await self._serve(request, source_dir_id, location, send_body=True)

    async def head(
        self, request: web.Request, source_dir_id: str, location: str
    ) -> web.StreamResponse:
        return await self._serve(request, source_dir_id, location, send_body=False)

    async def _serve(
        self, request: web.Request, source_dir_id: str, location: str, *, send_body: bool
    ) -> web.StreamResponse:
        try:
            target = MediaTarget.parse(location)
        except ValueError as err:
            raise web.HTTPNotFound from err
        if not is_uuid(target.item_id):
            raise web.HTTPBadRequest(text=f"{target.item_id} is not an Immich id (a UUID)")
        entry = loaded_entry(self.hass, source_dir_id)
        if entry is None:
            raise web.HTTPNotFound
        client = entry.runtime_data.client

        try:
            if target.is_video and target.size is not MediaSize.PERSON:
                return await self._stream_video(request, client, target.item_id, send_body)
            media = await self._fetch_image(client, target)
        except ImmichPermissionError as err:
            self._missing_permissions[(entry.entry_id, target.size)] = err.permission
            async_create_missing_permission_issue(self.hass, entry, err.permission)
            raise self._http_error(err, target) from err
        except ImmichError as err:
            raise self._http_error(err, target) from err
        permission = self._missing_permissions.pop((entry.entry_id, target.size), None)
        if permission is not None:
            async_delete_missing_permission_issue(self.hass, entry, permission)
        return web.Response(body=media.content, content_type=media.content_type)

    async def _fetch_image(self, client: ImmichClient, target: MediaTarget) -> AssetMedia:
        match target.size:
            case MediaSize.PERSON:
                return await client.async_get_person_thumbnail(target.item_id)
            case MediaSize.FULLSIZE:
                return await client.async_get_fullsize(target.item_id)
            case size:
                return await client.async_get_thumbnail(target.item_id, size.value)

    async def _stream_video(
        self, request: web.Request, client: ImmichClient, asset_id: str, send_body: bool
    ) -> web.StreamResponse:
        async with client.async_stream_video(
            asset_id,
            byte_range=request.headers.get(hdrs.RANGE),
            if_range=request.headers.get(hdrs.IF_RANGE),
        ) as stream:
            response = web.StreamResponse(status=stream.status)
            for name in PROXIED_VIDEO_HEADERS:
                if name in stream.headers:
                    response.headers[name] = stream.headers[name]
            await response.prepare(request)
            if not send_body or stream.status == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE:
                await response.write_eof()
                return response

            try:
                async for chunk in stream.iter_chunks():
                    await response.write(chunk)
            except ConnectionResetError:
                LOGGER.debug("The client stopped playing video %s", asset_id)
                return response
            except ImmichError as err:
                # The status line is already sent, so a body shorter than Content-Length is the
                # only sign of the failure the client gets.
                LOGGER.warning("Streaming video %s from Immich failed: %s", asset_id, err)
                return response
            await response.write_eof()
            return response

    def _http_error(self, err: ImmichError, target: MediaTarget) -> web.HTTPException:
        """Return the HTTP error for a failed Immich request, logging what a user must fix."""
        if isinstance(err, ImmichNotFoundError):
            return web.HTTPNotFound()
        if isinstance(err, ImmichPermissionError):
            # Browsing a folder fetches many thumbnails; name a missing permission once.
            if err.permission not in self._reported_permissions:
                self._reported_permissions.add(err.permission)
                LOGGER.warning(
                    "The Immich API key lacks the permission %s, needed for %s images; "
                    "edit the key in Immich to add it",
                    err.permission,
                    target.size,
                )
            return web.HTTPForbidden()
        LOGGER.debug("Fetching %s %s from Immich failed: %s", target.size, target.item_id, err)
        if isinstance(err, ImmichTimeoutError):
            return web.HTTPGatewayTimeout()
        if isinstance(err, ImmichRateLimitedError):
            # Pass the wait on, so the browser does not retry before Immich accepts requests.
            headers = {}
            if err.retry_after is not None:
                headers[hdrs.RETRY_AFTER] = str(math.ceil(err.retry_after))
            return web.HTTPTooManyRequests(headers=headers)
        return web.HTTPBadGateway()
