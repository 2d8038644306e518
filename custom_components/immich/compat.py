"""Differences between the Home Assistant versions this integration supports (2025.4.4 and newer).

Every difference lives here, so the rest of the code is written against one API.
"""

from __future__ import annotations

from collections.abc import Callable
import inspect
from pathlib import Path
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.components.media_player.const import MediaClass
from homeassistant.components.media_source import PlayMedia
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.helpers.selector import MediaSelector
from homeassistant.helpers.service import async_extract_entity_ids
from homeassistant.helpers.update_coordinator import UpdateFailed

HA_AWESOME_VERSION = AwesomeVersion(HA_VERSION)


def ha_version_at_least(version: str) -> bool:
    """Return whether the running Home Assistant is this version or newer."""
    return AwesomeVersion(version) <= HA_AWESOME_VERSION


# Home Assistant 2026.3 replaced voluptuous with probatio for schemas it receives (config
# flow forms, service schemas); 2025.4 only has voluptuous. Both offer the same names.
try:
    import probatio as vol
except ImportError:  # Home Assistant before 2026.3
    import voluptuous as vol  # type: ignore[no-redef]

# Searching media sources (`SearchMedia`, `BrowseMedia(can_search=...)`) is not in 2025.4.
try:
    from homeassistant.components.media_player.browse_media import (
        SearchMedia,
        SearchMediaQuery,
    )
except ImportError:  # Home Assistant 2025.4
    SearchMedia = None  # type: ignore[assignment,misc]
    SearchMediaQuery = None  # type: ignore[assignment,misc]

MEDIA_SEARCH_SUPPORTED = SearchMedia is not None


def search_browse_options(media_classes: list[MediaClass]) -> dict[str, Any]:
    """Return the BrowseMedia arguments that offer search, or none where search is missing."""
    if not MEDIA_SEARCH_SUPPORTED:
        return {}
    return {"can_search": True, "search_media_classes": media_classes}


def media_selector_schema(accept: list[str]) -> Callable[[Any], Any]:
    """Return a validator for a media selector's value limited to these MIME types.

    In 2025.4 the media selector has no `accept` option and requires an `entity_id`, which
    a file picked from a media source has not, so the value is checked by hand there.
    """
    try:
        return MediaSelector({"accept": accept})
    except vol.Invalid:
        return vol.Schema(
            {vol.Required("media_content_id"): str, vol.Optional("media_content_type"): str},
            extra=vol.ALLOW_EXTRA,
        )


LOCAL_MEDIA_PREFIX = "media-source://media_source/"


def local_media_path(hass: HomeAssistant, media_content_id: str, media: PlayMedia) -> Path | None:
    """Return the local file behind a resolved media item, or None for any other media.

    2025.4's PlayMedia has no `path`, so there an item of the local media source
    (`media-source://media_source/<folder>/<file>`) is mapped to its media folder. Resolving
    it first has already rejected absolute paths and `..` in `<file>`.
    """
    if hasattr(media, "path"):
        return Path(media.path) if media.path is not None else None
    if not media_content_id.startswith(LOCAL_MEDIA_PREFIX):
        return None
    folder, _, location = media_content_id.removeprefix(LOCAL_MEDIA_PREFIX).partition("/")
    base = hass.config.media_dirs.get(folder)
    if base is None or not location:
        return None
    return Path(base, location)


def async_get_entry_device(hass: HomeAssistant, entry_id: str) -> DeviceEntry | None:
    """Return the device a config entry registered under the identifier `(immich, entry_id)`.

    2026.10 rejects `DeviceRegistry.async_get_device(identifiers=...)` and 2025.4 lacks its
    replacement `async_get_device_by_identifier`, so the entry's devices are searched.
    """
    identifier = ("immich", entry_id)
    return next(
        (
            device
            for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
            if identifier in device.identifiers
        ),
        None,
    )


# 2025.4's `async_extract_entity_ids` takes `(hass, call)`, and 2026.10's takes only the call.
_EXTRACT_TAKES_HASS = next(iter(inspect.signature(async_extract_entity_ids).parameters)) == "hass"


async def async_target_entity_ids(call: ServiceCall) -> set[str]:
    """Return the entity IDs an action call targets, with areas, devices and labels expanded."""
    if _EXTRACT_TAKES_HASS:
        return await async_extract_entity_ids(call.hass, call)  # type: ignore[arg-type,call-arg,unused-ignore]
    return await async_extract_entity_ids(call)  # type: ignore[arg-type,unused-ignore]


# `UpdateFailed(retry_after=...)` schedules the next poll that many seconds later; 2025.4's
# UpdateFailed has no such argument and polls at the usual interval.
UPDATE_FAILED_TAKES_RETRY_AFTER = (
    "retry_after" in inspect.signature(UpdateFailed.__init__).parameters
)


def update_failed(retry_after: float | None, **kwargs: Any) -> UpdateFailed:
    """Return an UpdateFailed that delays the next poll by `retry_after` seconds where supported."""
    if retry_after is not None and UPDATE_FAILED_TAKES_RETRY_AFTER:
        return UpdateFailed(retry_after=retry_after, **kwargs)  # type: ignore[call-arg,unused-ignore]
    return UpdateFailed(**kwargs)


__all__ = [
    "HA_VERSION",
    "MEDIA_SEARCH_SUPPORTED",
    "UPDATE_FAILED_TAKES_RETRY_AFTER",
    "SearchMedia",
    "SearchMediaQuery",
    "async_get_entry_device",
    "async_target_entity_ids",
    "ha_version_at_least",
    "local_media_path",
    "media_selector_schema",
    "search_browse_options",
    "update_failed",
    "vol",
]
