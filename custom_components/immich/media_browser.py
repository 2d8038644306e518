"""The browse tree of one account: collections, their folders and their photos and videos."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from homeassistant.components.media_player.const import MediaClass
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import BrowseMediaSource
from homeassistant.util import dt as dt_util

from .api import Asset, AssetSearchFilter, AssetType, ImmichClient, Operation, SearchPage
from .compat import search_browse_options
from .const import DOMAIN, LOGGER
from .media_identifier import Collection, MediaIdentifier, is_uuid
from .media_urls import asset_thumbnail_path, person_thumbnail_path

PAGE_SIZE = 200
"""Assets and people per browse page; a "Next page" folder leads to the rest."""
SEARCH_MEDIA_CLASSES = [MediaClass.IMAGE, MediaClass.VIDEO]
COLLECTION_TITLES = {
    Collection.ALBUMS: "Albums",
    Collection.PEOPLE: "People",
    Collection.TAGS: "Tags",
    Collection.FAVORITES: "Favorites",
    Collection.MEMORIES: "Memories",
    Collection.TIMELINE: "Timeline",
}
# The built-in integration names its favourites folder `favorites|favorites`.
FAVORITES_ID = "favorites"
# Local time runs from UTC-12 to UTC+14, so the assets of a local-time month were taken
# between 14 hours before its start and 12 hours after its end in UTC.
EARLIEST_UTC_OFFSET = timedelta(hours=14)
LATEST_UTC_OFFSET = timedelta(hours=12)


def invalid_identifier(identifier: MediaIdentifier | str) -> BrowseError:
    return BrowseError(
        translation_domain=DOMAIN,
        translation_key="invalid_media_identifier",
        translation_placeholders={"identifier": str(identifier)},
    )


class AccountBrowser:
    """Builds the browse node of one identifier within one account."""

    def __init__(self, client: ImmichClient, title: str, identifier: MediaIdentifier) -> None:
        self._client = client
        self._title = title
        self._identifier = identifier
        self._source_id = identifier.unique_id

    async def async_browse(self) -> BrowseMediaSource:
        """Return the node with its children; raise BrowseError for a malformed identifier."""
        identifier = self._identifier
        collection_id = identifier.collection_id
        numeric_id = collection_id is not None and collection_id.isdigit()
        match identifier.collection:
            case None:
                return self._collections()
            case Collection.ALBUMS if collection_id is None:
                return await self._albums()
            case Collection.ALBUMS if is_uuid(collection_id):
                return await self._album()
            case Collection.PEOPLE if collection_id is None:
                return await self._people()
            case Collection.PEOPLE if is_uuid(collection_id):
                return await self._person()
            case Collection.TAGS if collection_id is None:
                return await self._tags()
            case Collection.TAGS if is_uuid(collection_id):
                return await self._tag()
            case Collection.FAVORITES if collection_id in (None, FAVORITES_ID):
                return await self._favorites()
            case Collection.MEMORIES if collection_id is None:
                return await self._memories()
            case Collection.MEMORIES if numeric_id:
                return await self._memory(int(self._require_id()))
            case Collection.TIMELINE if collection_id is None:
                return await self._timeline_years()
            case Collection.TIMELINE:
                return await self._timeline_period(self._require_id())
        raise invalid_identifier(identifier)

    def _collections(self) -> BrowseMediaSource:
        children = []
        for collection, title in COLLECTION_TITLES.items():
            if collection is Collection.TIMELINE and not self._client.supports(
                Operation.TIME_BUCKETS
            ):
                # The timeline's buckets need v2.4 or later.
                continue
            identifier = MediaIdentifier(self._source_id, collection)
            if collection is Collection.FAVORITES:
                identifier = identifier.child(FAVORITES_ID)
            children.append(_folder(identifier, title))
        return _node(self._identifier, self._title, children)

    async def _albums(self) -> BrowseMediaSource:
        albums = await self._client.async_get_albums()
        children = [
            _folder(
                self._identifier.child(album.id),
                album.name,
                thumbnail=self._thumbnail(album.thumbnail_asset_id),
                media_class=MediaClass.ALBUM,
            )
            for album in sorted(albums, key=lambda album: album.name.casefold())
            if _is_listable(album.id, "album")
        ]
        return _node(self._identifier, COLLECTION_TITLES[Collection.ALBUMS], children)

    async def _album(self) -> BrowseMediaSource:
        album_id = self._require_id()
        # NOTE: archived assets of the album are left out, because recent Immich releases
        # search one visibility at a time and the timeline's is the one sent.
        album, page = await asyncio.gather(
            self._client.async_get_album(album_id),
            self._search(AssetSearchFilter(album_ids=(album_id,))),
        )
        return self._asset_page(album.name, page)

    async def _people(self) -> BrowseMediaSource:
        identifier = self._identifier
        people_page = await self._client.async_get_people(page=identifier.page, size=PAGE_SIZE)
        children = [
            _folder(
                identifier.child(person.id),
                person.name or "Unnamed person",
                thumbnail=person_thumbnail_path(self._source_id, person.id),
            )
            for person in people_page.people
            if _is_listable(person.id, "person")
        ]
        next_page = identifier.page + 1 if people_page.has_next_page else None
        title = _paged_title(COLLECTION_TITLES[Collection.PEOPLE], identifier.page)
        return _node(identifier, title, children, next_page=next_page)

    async def _person(self) -> BrowseMediaSource:
        person_id = self._require_id()
        person, page = await asyncio.gather(
            self._client.async_get_person(person_id),
            self._search(AssetSearchFilter(person_ids=(person_id,))),
        )
        return self._asset_page(person.name or "Unnamed person", page)

    async def _tags(self) -> BrowseMediaSource:
        tags = await self._client.async_get_tags()
        children = [
            _folder(self._identifier.child(tag.id), tag.value)
            for tag in sorted(tags, key=lambda tag: tag.value.casefold())
            if _is_listable(tag.id, "tag")
        ]
        return _node(self._identifier, COLLECTION_TITLES[Collection.TAGS], children)

    async def _tag(self) -> BrowseMediaSource:
        tag_id = self._require_id()
        tag, page = await asyncio.gather(
            self._client.async_get_tag(tag_id),
            self._search(AssetSearchFilter(tag_ids=(tag_id,))),
        )
        return self._asset_page(tag.value, page)

    async def _favorites(self) -> BrowseMediaSource:
        page = await self._search(AssetSearchFilter(is_favorite=True))
        return self._asset_page(COLLECTION_TITLES[Collection.FAVORITES], page)

    async def _memories(self) -> BrowseMediaSource:
        memories = await self._client.async_get_memories(dt_util.now().date())
        children = [
            _folder(
                self._identifier.child(str(memory.year)),
                str(memory.year),
                thumbnail=self._thumbnail(memory.assets[0].id),
            )
            for memory in reversed(memories)
            if memory.year is not None and memory.assets
        ]
        return _node(self._identifier, COLLECTION_TITLES[Collection.MEMORIES], children)

    async def _memory(self, year: int) -> BrowseMediaSource:
        memories = await self._client.async_get_memories(dt_util.now().date())
        assets = [asset for memory in memories if memory.year == year for asset in memory.assets]
        return _node(self._identifier, str(year), self._asset_items(assets))

    async def _timeline_years(self) -> BrowseMediaSource:
        buckets = await self._client.async_get_time_buckets()
        years = sorted({bucket.month.year for bucket in buckets if bucket.count}, reverse=True)
        children = [_folder(self._identifier.child(str(year)), str(year)) for year in years]
        return _node(self._identifier, COLLECTION_TITLES[Collection.TIMELINE], children)

    async def _timeline_period(self, folder_id: str) -> BrowseMediaSource:
        try:
            start, end = timeline_period(folder_id)
        except ValueError as err:
            raise invalid_identifier(self._identifier) from err
        if "-" in folder_id:
            return await self._timeline_month(start, end)
        return await self._timeline_year(start.year)

    async def _timeline_year(self, year: int) -> BrowseMediaSource:
        buckets = await self._client.async_get_time_buckets()
        months = sorted(
            (bucket.month for bucket in buckets if bucket.month.year == year and bucket.count),
            reverse=True,
        )
        children = [
            _folder(self._identifier.child(month.strftime("%Y-%m")), month.strftime("%Y-%m"))
            for month in months
        ]
        return _node(self._identifier, str(year), children)

    async def _timeline_month(self, start: datetime, end: datetime) -> BrowseMediaSource:
        taken_after, taken_before = utc_search_window(start, end)
        page = await self._search(
            AssetSearchFilter(taken_after=taken_after, taken_before=taken_before)
        )
        # Timeline months are in the assets' local time, as Immich's timeline groups them.
        assets = [
            asset
            for asset in page.assets
            if asset.local_date_time is None or start <= asset.local_date_time < end
        ]
        month_page = SearchPage(tuple(assets), len(assets), page.next_page)
        return self._asset_page(start.strftime("%Y-%m"), month_page)

    async def _search(self, search_filter: AssetSearchFilter) -> SearchPage:
        """Return the identifier's page of assets, photos and videos alike, newest first."""
        search_filter = replace(search_filter, asset_type=None, with_exif=False, with_people=False)
        return await self._client.async_search_metadata(
            search_filter, page=self._identifier.page, size=PAGE_SIZE
        )

    def _asset_page(self, title: str, page: SearchPage) -> BrowseMediaSource:
        next_page = self._identifier.page + 1 if page.next_page else None
        return _node(
            self._identifier,
            _paged_title(title, self._identifier.page),
            self._asset_items(page.assets),
            next_page=next_page,
        )

    def _asset_items(self, assets: tuple[Asset, ...] | list[Asset]) -> list[BrowseMediaSource]:
        items = []
        for asset in assets:
            item = asset_item(self._identifier, asset)
            if item is not None:
                items.append(item)
        return items

    def _thumbnail(self, asset_id: str | None) -> str | None:
        return asset_thumbnail_path(self._source_id, asset_id) if is_uuid(asset_id) else None

    def _require_id(self) -> str:
        if self._identifier.collection_id is None:
            raise invalid_identifier(self._identifier)
        return self._identifier.collection_id


def asset_item(parent: MediaIdentifier, asset: Asset) -> BrowseMediaSource | None:
    """Return the browse item of a photo or video listed under `parent`; None for other kinds
    and for an asset whose id is not a UUID."""
    if not _is_listable(asset.id, "asset"):
        return None
    mime_type = asset.original_mime_type or ""
    if asset.type is AssetType.VIDEO:
        media_class = MediaClass.VIDEO
        if not mime_type.startswith("video/"):
            mime_type = "video/mp4"
    elif asset.type is AssetType.IMAGE:
        media_class = MediaClass.IMAGE
        if not mime_type.startswith("image/"):
            mime_type = "image/jpeg"
    else:
        return None
    identifier = parent.for_asset(asset.id, asset.original_file_name, mime_type)
    return BrowseMediaSource(
        domain=DOMAIN,
        identifier=str(identifier),
        media_class=media_class,
        media_content_type=mime_type,
        title=asset.original_file_name,
        can_play=True,
        can_expand=False,
        thumbnail=asset_thumbnail_path(parent.unique_id, asset.id),
    )


def _is_listable(item_id: str, what: str) -> bool:
    """Return whether a server's id may go into identifiers and view paths: only UUIDs may."""
    if is_uuid(item_id):
        return True
    LOGGER.debug("Leaving out the %s with invalid id %r that Immich listed", what, item_id)
    return False


def account_node(identifier: MediaIdentifier, title: str) -> BrowseMediaSource:
    """Return the folder of an account, listed at the root."""
    return _folder(identifier, title, media_class=MediaClass.DIRECTORY)


def _folder(
    identifier: MediaIdentifier,
    title: str,
    *,
    thumbnail: str | None = None,
    media_class: MediaClass = MediaClass.DIRECTORY,
) -> BrowseMediaSource:
    return BrowseMediaSource(
        domain=DOMAIN,
        identifier=str(identifier),
        media_class=media_class,
        media_content_type="",
        title=title,
        can_play=False,
        can_expand=True,
        thumbnail=thumbnail,
    )


def _node(
    identifier: MediaIdentifier,
    title: str,
    children: list[BrowseMediaSource],
    *,
    next_page: int | None = None,
) -> BrowseMediaSource:
    if next_page is not None:
        children.append(_folder(identifier.with_page(next_page), "Next page"))
    node = BrowseMediaSource(
        domain=DOMAIN,
        identifier=str(identifier),
        media_class=MediaClass.DIRECTORY,
        media_content_type="",
        title=title,
        can_play=False,
        can_expand=True,
        children=children,
        children_media_class=MediaClass.DIRECTORY,
        **search_browse_options(SEARCH_MEDIA_CLASSES),
    )
    if children:
        node.calculate_children_class()
    return node


def _paged_title(title: str, page: int) -> str:
    return title if page == 1 else f"{title} (page {page})"


def timeline_period(folder_id: str) -> tuple[datetime, datetime]:
    """Return the local start and end of a timeline year (`2024`) or month (`2024-12`).

    Raise ValueError for any other text.
    """
    year_text, separator, month_text = folder_id.partition("-")
    if len(year_text) != 4 or not year_text.isdigit():
        raise ValueError(f"invalid year in {folder_id!r}")
    year = int(year_text)
    if not separator:
        return datetime(year, 1, 1), datetime(year + 1, 1, 1)
    if len(month_text) != 2 or not month_text.isdigit() or not 1 <= int(month_text) <= 12:
        raise ValueError(f"invalid month in {folder_id!r}")
    month = int(month_text)
    return datetime(year, month, 1), datetime(year + month // 12, month % 12 + 1, 1)


def utc_search_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Return UTC bounds that hold every asset taken between two local times, anywhere."""
    return (
        start.replace(tzinfo=UTC) - EARLIEST_UTC_OFFSET,
        end.replace(tzinfo=UTC) + LATEST_UTC_OFFSET,
    )
