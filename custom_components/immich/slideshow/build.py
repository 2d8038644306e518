"""Build the feed a slideshow's settings describe."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from ..api import AssetSearchFilter, AssetType, ImmichClient
from .feeds import Feed, MemoriesFeed, Scope, SequentialFeed, ShuffleFeed
from .settings import Order, SlideshowSettings, Source


def base_filter(settings: SlideshowSettings) -> AssetSearchFilter:
    """Return the filter every scope of a slideshow shares: photos, archive and date range.

    Date limits apply to the UTC capture time, so a photo taken near midnight far from UTC
    can fall on the other side of a limit.
    """
    taken_after = (
        datetime.combine(settings.date_from, time(), tzinfo=UTC) if settings.date_from else None
    )
    # The last day of the calendar (9999-12-31) has no next day, and needs no limit anyway.
    taken_before = (
        datetime.combine(settings.date_to + timedelta(days=1), time(), tzinfo=UTC)
        if settings.date_to and settings.date_to < date.max
        else None
    )
    return AssetSearchFilter(
        asset_type=AssetType.IMAGE,
        include_archived=settings.include_archived,
        taken_after=taken_after,
        taken_before=taken_before,
    )


async def async_build_scopes(client: ImmichClient, settings: SlideshowSettings) -> list[Scope]:
    """Return one scope per album, person or tag, or a single scope for the other sources.

    Several albums (people, tags) are separate scopes rather than one filter with several
    ids, because Immich matches several person ids as "all of them in one photo".
    """
    shared = base_filter(settings)
    if settings.source is Source.FAVORITES:
        return [Scope(replace(shared, is_favorite=True))]
    if settings.source is Source.ALBUMS:
        albums = {album.id: album for album in await client.async_get_albums()}
        return [
            Scope(
                replace(shared, album_ids=(album_id,)),
                album_name=albums[album_id].name,
                weight=albums[album_id].asset_count,
            )
            for album_id in settings.ids
            if album_id in albums
        ]
    if settings.source is Source.PEOPLE:
        return [Scope(replace(shared, person_ids=(person_id,))) for person_id in settings.ids]
    if settings.source is Source.TAGS:
        return [Scope(replace(shared, tag_ids=(tag_id,))) for tag_id in settings.ids]
    return [Scope(shared)]


async def async_build_feed(
    client: ImmichClient, settings: SlideshowSettings, today: Callable[[], date]
) -> Feed | None:
    """Return the feed for a slideshow, or None when none of its albums exists any more."""
    shuffle = settings.order is Order.SHUFFLE
    if settings.source is Source.MEMORIES:
        return MemoriesFeed(client, base_filter(settings), today, shuffle)

    scopes = await async_build_scopes(client, settings)
    if not scopes:
        return None
    return ShuffleFeed(client, scopes) if shuffle else SequentialFeed(client, scopes)
