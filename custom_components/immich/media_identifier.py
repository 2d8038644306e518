"""Media source identifiers and the config entry they point to.

An identifier has the form `unique_id|collection|collection_id|asset_id|file_name|mime_type`,
cut short at any level: `unique_id` alone is an account, `unique_id|albums` its albums. The
built-in Immich integration writes the same form, so media IDs saved with it keep resolving.
A page after the first is written after the collection id as `@<page>`, for example
`unique_id|albums|<album id>@2` or `unique_id|people|@3`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TypeIs

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .api import ids as api_ids
from .const import DOMAIN
from .coordinator import ImmichConfigEntry

PAGE_SEPARATOR = "@"


def is_uuid(value: str | None) -> TypeIs[str]:
    """Return whether a value is a UUID, the form of every Immich id."""
    return api_ids.is_uuid(value)


class Collection(StrEnum):
    """Top-level folders of an account; the first four are named as the built-in names them."""

    ALBUMS = "albums"
    PEOPLE = "people"
    TAGS = "tags"
    FAVORITES = "favorites"
    MEMORIES = "memories"
    TIMELINE = "timeline"


@dataclass(frozen=True, slots=True)
class MediaIdentifier:
    """A parsed media source identifier."""

    unique_id: str
    collection: str | None = None
    collection_id: str | None = None
    """Album, person or tag id, year, or `YYYY-MM` month, without the page suffix."""
    page: int = 1
    asset_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None

    @classmethod
    def parse(cls, text: str) -> MediaIdentifier:
        """Parse an identifier; raise ValueError when a part is malformed.

        File names may contain `|`, so the MIME type is taken from the right.
        """
        parts = text.split("|", 4)
        parts += [""] * (5 - len(parts))
        unique_id, collection, collection_part, asset_id, file_part = parts
        if not unique_id:
            raise ValueError("the identifier has no account")
        collection_id, page = _split_page(collection_part)
        file_name, separator, mime_type = file_part.rpartition("|")
        if not separator:
            file_name, mime_type = file_part, ""
        return cls(
            unique_id=unique_id,
            collection=collection or None,
            collection_id=collection_id,
            page=page,
            asset_id=asset_id or None,
            file_name=file_name or None,
            mime_type=mime_type or None,
        )

    def __str__(self) -> str:
        page_suffix = f"{PAGE_SEPARATOR}{self.page}" if self.page > 1 else ""
        collection_part = f"{self.collection_id or ''}{page_suffix}"
        if self.asset_id is not None:
            parts = [
                self.unique_id,
                self.collection or "",
                collection_part,
                self.asset_id,
                self.file_name or "",
                self.mime_type or "",
            ]
            return "|".join(parts)
        parts = [self.unique_id]
        if self.collection is not None:
            parts.append(self.collection)
            if collection_part:
                parts.append(collection_part)
        return "|".join(parts)

    def child(self, collection_id: str) -> MediaIdentifier:
        """Return the identifier of an item inside this collection, on its first page."""
        return replace(self, collection_id=collection_id, page=1)

    def with_page(self, page: int) -> MediaIdentifier:
        return replace(self, page=page)

    def for_asset(self, asset_id: str, file_name: str, mime_type: str) -> MediaIdentifier:
        """Return the identifier of an asset listed here; asset ids never carry a page."""
        return replace(self, page=1, asset_id=asset_id, file_name=file_name, mime_type=mime_type)


def _split_page(text: str) -> tuple[str | None, int]:
    collection_id, separator, page_text = text.partition(PAGE_SEPARATOR)
    if not separator:
        return text or None, 1
    if not page_text.isdigit() or int(page_text) < 1:
        raise ValueError(f"invalid page {page_text!r}")
    return collection_id or None, int(page_text)


def loaded_entry(hass: HomeAssistant, source_id: str) -> ImmichConfigEntry | None:
    """Return the loaded entry an identifier or view path names, by unique id or entry id.

    Identifiers of this integration and of the built-in one name the entry by its unique id,
    which is the Immich user id. An entry without a unique id is named by its entry id.
    """
    entry = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, source_id)
    if entry is None:
        entry = hass.config_entries.async_get_entry(source_id)
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        return None
    return entry


def source_id_of(entry: ImmichConfigEntry) -> str:
    """Return the first identifier part that names an entry."""
    return entry.unique_id or entry.entry_id
