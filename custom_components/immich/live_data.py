"""Data of the events that live updates fire: on the event entity and, for uploads, the bus."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .action_assets import (
    ATTR_ABSOLUTE_URL,
    ATTR_URL,
    ATTR_URL_EXPIRES_AT,
    DEFAULT_URL_LIFETIME,
    home_assistant_url,
    url_expiry,
)
from .api import Asset, LiveEvent, LiveEventType
from .coordinator import ImmichConfigEntry
from .media_identifier import source_id_of
from .media_urls import PREVIEW_MIME_TYPE, MediaSize, async_sign_media_path, media_path

EVENT_ASSET_UPLOADED = "immich_asset_uploaded"
"""Bus event fired for each upload, with the upload's event data and `config_entry_id`."""

ATTR_ASSET_ID = "asset_id"
ATTR_ASSET_IDS = "asset_ids"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"


def live_event_data(
    hass: HomeAssistant, entry: ImmichConfigEntry, event: LiveEvent
) -> dict[str, Any]:
    """Return what the event entity and the bus event carry for an asset event.

    An upload or update carries the asset's fields. An upload also carries a signed Home
    Assistant URL of its preview, which works without a token for a day. Trash, restore and
    delete carry the list of asset ids.
    """
    if event.asset is None:
        return {ATTR_ASSET_IDS: list(event.asset_ids)}

    data = _asset_data(event.asset)
    if event.type is LiveEventType.UPLOADED:
        data.update(_signed_preview(hass, entry, event.asset.id.lower()))
    return data


def _asset_data(asset: Asset) -> dict[str, Any]:
    taken_at = asset.taken_at
    return {
        ATTR_ASSET_ID: asset.id.lower(),
        "file_name": asset.original_file_name,
        "type": asset.type.value.lower(),
        "taken_at": taken_at.isoformat() if taken_at else None,
        "is_favorite": asset.is_favorite,
        "is_archived": asset.is_archived,
    }


def _signed_preview(hass: HomeAssistant, entry: ImmichConfigEntry, asset_id: str) -> dict[str, Any]:
    path = media_path(source_id_of(entry), asset_id, MediaSize.PREVIEW, PREVIEW_MIME_TYPE)
    url = async_sign_media_path(hass, path, DEFAULT_URL_LIFETIME)
    base_url = home_assistant_url(hass)
    return {
        ATTR_URL: url,
        ATTR_ABSOLUTE_URL: f"{base_url}{url}" if base_url else None,
        ATTR_URL_EXPIRES_AT: url_expiry(DEFAULT_URL_LIFETIME).isoformat(),
    }
