"""Response data of `immich.get_random_assets` and `immich.get_memories`.

Each asset carries the attributes a slideshow shows for it and a signed Home Assistant URL
of its preview, so an automation can send today's memory in a notification. The URL works
without a token until `url_expires_at`, and never contains the Immich API key.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util import dt as dt_util

from .api import ImmichClient, ImmichNotFoundError, is_uuid
from .const import LOGGER
from .coordinator import ImmichConfigEntry
from .media_identifier import source_id_of
from .media_urls import PREVIEW_MIME_TYPE, MediaSize, async_sign_media_path, media_path
from .slideshow.attributes import slide_attributes
from .slideshow.feeds import Candidate
from .slideshow.player import Slide

DEFAULT_URL_LIFETIME = timedelta(days=1)
MIN_URL_LIFETIME = timedelta(minutes=1)
MAX_URL_LIFETIME = timedelta(days=7)
DETAILS_CONCURRENCY = 4
"""Asset detail requests in flight at once while completing memories."""

ATTR_ASSETS = "assets"
ATTR_URL = "url"
ATTR_URL_EXPIRES_AT = "url_expires_at"
ATTR_ABSOLUTE_URL = "absolute_url"


async def async_with_details(client: ImmichClient, candidates: list[Candidate]) -> list[Candidate]:
    """Fetch the details of assets listed without EXIF data, as memories are.

    An asset deleted since it was listed is left out. Other errors propagate.
    """
    semaphore = asyncio.Semaphore(DETAILS_CONCURRENCY)

    async def complete(candidate: Candidate) -> Candidate | None:
        if candidate.asset.exif is not None:
            return candidate
        async with semaphore:
            try:
                asset = await client.async_get_asset(candidate.asset.id)
            except ImmichNotFoundError:
                return None
        return replace(candidate, asset=asset)

    completed = await asyncio.gather(*(complete(candidate) for candidate in candidates))
    return [candidate for candidate in completed if candidate is not None]


def home_assistant_url(hass: HomeAssistant) -> str | None:
    """Return Home Assistant's own address (external first), or None when none is known."""
    try:
        return get_url(hass, prefer_external=True)
    except NoURLAvailableError:
        return None


def url_expiry(lifetime: timedelta) -> datetime:
    """Return when a URL signed now for this lifetime stops working, to the second."""
    return dt_util.utcnow().replace(microsecond=0) + lifetime


def assets_response(
    hass: HomeAssistant,
    entry: ImmichConfigEntry,
    client: ImmichClient,
    candidates: list[Candidate],
    today: date,
    url_lifetime: timedelta,
) -> dict[str, Any]:
    """Return `assets` (attributes and a signed preview URL each) and `url_expires_at`.

    `client` is the one the action used: a version change that the action's requests found
    may have reloaded the entry meanwhile, and a reloading entry has no runtime data.
    """
    expires_at = url_expiry(url_lifetime)
    server_url = client.server_url
    source_id = source_id_of(entry)
    base_url = home_assistant_url(hass)
    assets = []
    for candidate in candidates:
        asset = candidate.asset
        if not is_uuid(asset.id):
            # The id would become part of the signed URL's path.
            LOGGER.debug("Leaving out the asset with invalid id %r that Immich returned", asset.id)
            continue
        data = slide_attributes(Slide(candidate, image=None), server_url, today)
        path = media_path(source_id, asset.id, MediaSize.PREVIEW, PREVIEW_MIME_TYPE)
        data[ATTR_URL] = async_sign_media_path(hass, path, url_lifetime)
        # Notification services other than the companion app need an absolute URL.
        data[ATTR_ABSOLUTE_URL] = f"{base_url}{data[ATTR_URL]}" if base_url else None
        assets.append(data)
    return {ATTR_ASSETS: assets, ATTR_URL_EXPIRES_AT: expires_at.isoformat()}
