"""Paths of the media view that serves Immich images and videos to Home Assistant's clients.

A path is `/immich/<source id>/<asset or person id>/<size>/<MIME type>`, as the built-in
integration writes it. The view streams a `video/*` MIME type; for images it sends the
content type Immich returns, whatever MIME type the path contains.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from homeassistant.components.http.auth import async_sign_path
from homeassistant.core import HomeAssistant

VIEW_URL = "/immich/{source_dir_id}/{location:.*}"
# Immich's default thumbnail format; the view sends the real content type.
THUMBNAIL_MIME_TYPE = "image/webp"
# Immich's default preview format; a server set to WebP previews sends WebP instead.
PREVIEW_MIME_TYPE = "image/jpeg"


class MediaSize(StrEnum):
    """Renditions the view serves; `person` is a person's face, named by a person id."""

    THUMBNAIL = "thumbnail"
    PREVIEW = "preview"
    FULLSIZE = "fullsize"
    PERSON = "person"


def media_path(source_id: str, item_id: str, size: MediaSize, mime_type: str) -> str:
    return f"/immich/{source_id}/{item_id}/{size}/{mime_type}"


def asset_thumbnail_path(source_id: str, asset_id: str) -> str:
    return media_path(source_id, asset_id, MediaSize.THUMBNAIL, THUMBNAIL_MIME_TYPE)


def person_thumbnail_path(source_id: str, person_id: str) -> str:
    return media_path(source_id, person_id, MediaSize.PERSON, PREVIEW_MIME_TYPE)


def asset_play_path(source_id: str, asset_id: str, mime_type: str) -> tuple[str, str]:
    """Return the path and MIME type to play an asset: a video's stream or a photo's preview."""
    if mime_type.startswith("video/"):
        return media_path(source_id, asset_id, MediaSize.FULLSIZE, mime_type), mime_type
    path = media_path(source_id, asset_id, MediaSize.PREVIEW, PREVIEW_MIME_TYPE)
    return path, PREVIEW_MIME_TYPE


def async_sign_media_path(hass: HomeAssistant, path: str, expiration: timedelta) -> str:
    """Return the path with a signature that lets a client without a token fetch it until it expires.

    The signature names the user of the current request or websocket connection, or Home
    Assistant's content user when there is none, as `async_sign_path` does.
    """
    return async_sign_path(hass, path, expiration)
