"""State attributes of a slideshow image: what a photo-frame overlay or an automation shows."""

from __future__ import annotations

from datetime import date
from typing import Any, Final
from xml.sax.saxutils import escape

from .player import Slide

ATTR_ASSET_ID: Final = "asset_id"
ATTR_FILE_NAME: Final = "file_name"
ATTR_TAKEN_AT: Final = "taken_at"
ATTR_CITY: Final = "city"
ATTR_STATE: Final = "state"
ATTR_COUNTRY: Final = "country"
ATTR_DESCRIPTION: Final = "description"
ATTR_PEOPLE: Final = "people"
ATTR_ALBUM: Final = "album"
ATTR_FAVORITE: Final = "favorite"
ATTR_WIDTH: Final = "width"
ATTR_HEIGHT: Final = "height"
ATTR_MEMORY_YEAR: Final = "memory_year"
ATTR_YEARS_AGO: Final = "years_ago"
ATTR_IMMICH_URL: Final = "immich_url"
ATTR_STATUS: Final = "status"

SLIDE_ATTRIBUTES: Final = frozenset(
    {
        ATTR_ASSET_ID,
        ATTR_FILE_NAME,
        ATTR_TAKEN_AT,
        ATTR_CITY,
        ATTR_STATE,
        ATTR_COUNTRY,
        ATTR_DESCRIPTION,
        ATTR_PEOPLE,
        ATTR_ALBUM,
        ATTR_FAVORITE,
        ATTR_WIDTH,
        ATTR_HEIGHT,
        ATTR_MEMORY_YEAR,
        ATTR_YEARS_AGO,
        ATTR_IMMICH_URL,
        ATTR_STATUS,
    }
)
"""Every attribute a slideshow sets; all are kept out of the recorder."""


def slide_attributes(slide: Slide, server_url: str, today: date) -> dict[str, Any]:
    """Return the attributes of the photo on show. The API key is never part of them."""
    asset = slide.asset
    exif = asset.exif
    year = slide.candidate.memory_year
    return {
        ATTR_ASSET_ID: asset.id,
        ATTR_FILE_NAME: asset.original_file_name,
        ATTR_TAKEN_AT: asset.local_date_time.isoformat() if asset.local_date_time else None,
        ATTR_CITY: exif.city if exif else None,
        ATTR_STATE: exif.state if exif else None,
        ATTR_COUNTRY: exif.country if exif else None,
        ATTR_DESCRIPTION: asset.description,
        ATTR_PEOPLE: list(asset.people),
        ATTR_ALBUM: slide.candidate.album_name,
        ATTR_FAVORITE: asset.is_favorite,
        ATTR_WIDTH: asset.width,
        ATTR_HEIGHT: asset.height,
        ATTR_MEMORY_YEAR: year,
        ATTR_YEARS_AGO: today.year - year if year else None,
        ATTR_IMMICH_URL: f"{server_url}/photos/{asset.id}",
    }


def empty_state_svg(title: str, message: str) -> bytes:
    """Return a plain placeholder image with a message, shown while a source has no photo."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="720" viewBox="0 0 1280 720">'
        '<rect width="1280" height="720" fill="#1c1c1c"/>'
        '<text x="640" y="330" fill="#e0e0e0" font-family="sans-serif" font-size="48" '
        f'text-anchor="middle">{escape(title)}</text>'
        '<text x="640" y="400" fill="#9e9e9e" font-family="sans-serif" font-size="28" '
        f'text-anchor="middle">{escape(message)}</text>'
        "</svg>"
    ).encode()
