"""Immich as a media source: browse, play and search the photos and videos of each account."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
import time

from homeassistant.components.media_player.const import MediaClass
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import (
    BrowseMediaSource,
    MediaSource,
    MediaSourceItem,
    PlayMedia,
    Unresolvable,
)
from homeassistant.core import HomeAssistant

from .api import (
    Asset,
    AssetSearchFilter,
    AssetType,
    ImmichAuthenticationError,
    ImmichBadRequestError,
    ImmichError,
    ImmichNotFoundError,
    ImmichPermissionError,
    SearchPage,
)
from .compat import SearchMedia, SearchMediaQuery
from .const import DOMAIN, LOGGER
from .coordinator import ImmichConfigEntry
from .media_browser import (
    AccountBrowser,
    account_node,
    asset_item,
    invalid_identifier,
    timeline_period,
    utc_search_window,
)
from .media_identifier import Collection, MediaIdentifier, is_uuid, loaded_entry, source_id_of
from .media_urls import asset_play_path

SEARCH_RESULT_SIZE = 100
FEATURES_MAX_AGE = 600.0
"""Seconds a server's smart search setting is trusted before it is read again."""
MEDIA_CLASS_ASSET_TYPES = {MediaClass.IMAGE: AssetType.IMAGE, MediaClass.VIDEO: AssetType.VIDEO}


async def async_get_media_source(hass: HomeAssistant) -> ImmichMediaSource:
    """Return the media source; the view it links to is registered in `async_setup`."""
    return ImmichMediaSource(hass)


class ImmichMediaSource(MediaSource):
    """Lists every loaded account with its albums, people, tags, favorites, memories and timeline."""

    name = "Immich"

    def __init__(self, hass: HomeAssistant) -> None:
        super().__init__(DOMAIN)
        self.hass = hass
        self._smart_search: dict[str, tuple[float, bool]] = {}
        """Per entry id: when the server's features were read, and whether smart search is on."""
        self._fallback_logged: set[str] = set()
        self._truncation_logged: set[str] = set()

    async def async_browse_media(self, item: MediaSourceItem) -> BrowseMediaSource:
        if not item.identifier:
            return self._browse_root()
        identifier = _parse_for_browse(item.identifier)
        entry = _entry_for_browse(self.hass, identifier)
        browser = AccountBrowser(entry.runtime_data.client, entry.title, identifier)
        with _browse_errors(identifier):
            return await browser.async_browse()

    def _browse_root(self) -> BrowseMediaSource:
        if not self.hass.config_entries.async_entries(DOMAIN):
            raise BrowseError(translation_domain=DOMAIN, translation_key="not_configured")
        children = [
            account_node(MediaIdentifier(source_id_of(entry)), entry.title)
            for entry in self.hass.config_entries.async_loaded_entries(DOMAIN)
        ]
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=None,
            media_class=MediaClass.DIRECTORY,
            media_content_type="",
            title=self.name or DOMAIN,
            can_play=False,
            can_expand=True,
            children=children,
            children_media_class=MediaClass.DIRECTORY,
        )

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """Return the view path of a video's stream or a photo's preview."""
        try:
            identifier = MediaIdentifier.parse(item.identifier)
        except ValueError as err:
            raise _unresolvable(item.identifier) from err
        if not is_uuid(identifier.asset_id) or identifier.mime_type is None:
            raise _unresolvable(item.identifier)
        assert identifier.asset_id is not None
        if loaded_entry(self.hass, identifier.unique_id) is None:
            raise Unresolvable(
                translation_domain=DOMAIN,
                translation_key="account_not_loaded",
                translation_placeholders={"unique_id": identifier.unique_id},
            )
        path, mime_type = asset_play_path(
            identifier.unique_id, identifier.asset_id, identifier.mime_type
        )
        return PlayMedia(path, mime_type)

    async def async_search_media(
        self, item: MediaSourceItem, query: SearchMediaQuery
    ) -> SearchMedia:
        """Search the browsed account, within the browsed album, person, tag or favorites."""
        if not item.identifier:
            raise BrowseError(translation_domain=DOMAIN, translation_key="search_requires_account")
        identifier = _parse_for_browse(item.identifier)
        entry = _entry_for_browse(self.hass, identifier)
        search_filter = _search_filter(identifier, query.media_filter_classes)
        with _browse_errors(identifier):
            assets = await self._async_search(entry, query.search_query, search_filter)

        parent = MediaIdentifier(
            identifier.unique_id, identifier.collection, identifier.collection_id
        )
        results = [found for asset in assets if (found := asset_item(parent, asset)) is not None]
        return SearchMedia(result=results)

    async def _async_search(
        self, entry: ImmichConfigEntry, query: str, search_filter: AssetSearchFilter
    ) -> tuple[Asset, ...]:
        client = entry.runtime_data.client
        if await self._async_smart_search_enabled(entry):
            try:
                page = await client.async_smart_search(
                    query, search_filter, size=SEARCH_RESULT_SIZE
                )
            except ImmichBadRequestError as err:
                if "not enabled" not in (err.server_message or "").lower():
                    raise
                self._smart_search[entry.entry_id] = (time.monotonic(), False)
            else:
                return self._first_page(entry, page)

        if entry.entry_id not in self._fallback_logged:
            self._fallback_logged.add(entry.entry_id)
            LOGGER.info(
                "Smart search needs machine learning, which is off on %s; searching file "
                "names with metadata search instead",
                client.server_url,
            )
        by_file_name = replace(search_filter, extra={"originalFileName": query})
        page = await client.async_search_metadata(by_file_name, size=SEARCH_RESULT_SIZE)
        return self._first_page(entry, page)

    def _first_page(self, entry: ImmichConfigEntry, page: SearchPage) -> tuple[Asset, ...]:
        """Return a search's first page, logging once per entry that later pages are left out."""
        if page.next_page is not None and entry.entry_id not in self._truncation_logged:
            self._truncation_logged.add(entry.entry_id)
            LOGGER.info(
                "Media searches in %s show only the first %d matches; "
                "narrow the search or browse a folder to find the others",
                entry.title,
                SEARCH_RESULT_SIZE,
            )
        return page.assets

    async def _async_smart_search_enabled(self, entry: ImmichConfigEntry) -> bool:
        checked = self._smart_search.get(entry.entry_id)
        if checked is not None and time.monotonic() - checked[0] < FEATURES_MAX_AGE:
            return checked[1]
        try:
            features = await entry.runtime_data.client.async_get_features()
        except ImmichError as err:
            # Trying smart search costs one request, and a 400 `Smart search is not enabled` shows it is off.
            LOGGER.debug("Failed to read the features of %s: %s", entry.title, err)
            return True
        self._smart_search[entry.entry_id] = (time.monotonic(), features.smart_search)
        return features.smart_search


def _search_filter(
    identifier: MediaIdentifier, media_classes: list[MediaClass] | None
) -> AssetSearchFilter:
    """Return the filter that limits a search to the browsed folder and media classes."""
    asset_types = {
        MEDIA_CLASS_ASSET_TYPES[media_class]
        for media_class in media_classes or ()
        if media_class in MEDIA_CLASS_ASSET_TYPES
    }
    search_filter = AssetSearchFilter(
        asset_type=asset_types.pop() if len(asset_types) == 1 else None,
        with_exif=False,
        with_people=False,
    )
    folder_id = identifier.collection_id
    match identifier.collection:
        case Collection.ALBUMS if is_uuid(folder_id):
            return replace(search_filter, album_ids=(folder_id,))
        case Collection.PEOPLE if is_uuid(folder_id):
            return replace(search_filter, person_ids=(folder_id,))
        case Collection.TAGS if is_uuid(folder_id):
            return replace(search_filter, tag_ids=(folder_id,))
        case Collection.FAVORITES:
            return replace(search_filter, is_favorite=True)
        case Collection.TIMELINE if folder_id:
            try:
                taken_after, taken_before = utc_search_window(*timeline_period(folder_id))
            except ValueError as err:
                raise invalid_identifier(identifier) from err
            return replace(search_filter, taken_after=taken_after, taken_before=taken_before)
    return search_filter


def _parse_for_browse(text: str) -> MediaIdentifier:
    try:
        return MediaIdentifier.parse(text)
    except ValueError as err:
        raise invalid_identifier(text) from err


def _entry_for_browse(hass: HomeAssistant, identifier: MediaIdentifier) -> ImmichConfigEntry:
    entry = loaded_entry(hass, identifier.unique_id)
    if entry is None:
        raise BrowseError(
            translation_domain=DOMAIN,
            translation_key="account_not_loaded",
            translation_placeholders={"unique_id": identifier.unique_id},
        )
    return entry


def _unresolvable(identifier: str) -> Unresolvable:
    return Unresolvable(
        translation_domain=DOMAIN,
        translation_key="invalid_media_identifier",
        translation_placeholders={"identifier": identifier},
    )


@contextmanager
def _browse_errors(identifier: MediaIdentifier) -> Iterator[None]:
    """Turn client errors into browse errors that name the cause and the fix."""
    try:
        yield
    except ImmichPermissionError as err:
        raise BrowseError(
            translation_domain=DOMAIN,
            translation_key="missing_permission",
            translation_placeholders={"permission": err.permission},
        ) from err
    except ImmichAuthenticationError as err:
        raise BrowseError(translation_domain=DOMAIN, translation_key="invalid_auth") from err
    except ImmichNotFoundError as err:
        raise BrowseError(
            translation_domain=DOMAIN,
            translation_key="media_not_found",
            translation_placeholders={"identifier": str(identifier)},
        ) from err
    except ImmichError as err:
        raise BrowseError(
            translation_domain=DOMAIN,
            translation_key="browse_failed",
            translation_placeholders={"error": str(err)},
        ) from err
