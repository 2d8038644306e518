"""The slideshow player: the photo on show, the prefetched next one, and a short history."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Collection, Coroutine
from dataclasses import dataclass, replace
from enum import StrEnum
import logging
from typing import Any

from ..api import (
    Asset,
    AssetMedia,
    ImmichClient,
    ImmichError,
    ImmichNotFoundError,
    ImmichServerError,
)
from .feeds import Candidate, Feed
from .settings import Orientation

_LOGGER = logging.getLogger(__name__)

MAX_CANDIDATES_PER_ADVANCE = 60
"""Candidates examined for one photo before the source counts as having nothing to show.

It is enough to get past a run of portrait photos in a landscape slideshow. The bound means
a source without a single match costs a few requests rather than an endless loop."""
MAX_SERVER_ERRORS_IN_A_ROW = 3
"""Failed previews in a row after which the server, not the photos, counts as broken.

One photo whose preview fails (a corrupt file) is skipped. When several in a row fail, the
server is down or a proxy returns error pages, and trying more photos only floods it."""
MAX_OFFERS_OF_CURRENT = 3
"""Times the feed may offer the photo on show before the player shows it again."""
HISTORY_LENGTH = 20
"""Photos `previous` can step back through; only the newest keeps its image bytes."""
KEEP_BYTES_FOR_PREVIOUS = 1
"""Slides next to the current one in each direction that keep their image bytes."""
MAX_REMOVED_WHILE_LOADING = 3
"""Photos loaded for one advance that were removed while they loaded, before it gives up."""
REMOVED_MEMORY = 1000
"""Ids of removed assets the player remembers, so a prefetch already under way skips them."""


type TaskFactory = Callable[[Coroutine[Any, Any, Slide | None], str], asyncio.Task[Slide | None]]
"""Starts the prefetch task; Home Assistant passes one that tracks it with the config entry."""


def _create_task(
    coroutine: Coroutine[Any, Any, Slide | None], name: str
) -> asyncio.Task[Slide | None]:
    return asyncio.create_task(coroutine, name=name)


class PlayerStatus(StrEnum):
    """State of the player: loading, showing a photo, or empty."""

    LOADING = "loading"
    SHOWING = "showing"
    EMPTY = "empty"
    """The source has no photo to show (empty album, no match for the filters)."""


@dataclass(slots=True)
class Slide:
    """A photo ready to show: the asset, its preview bytes and where it came from."""

    candidate: Candidate
    image: AssetMedia | None

    @property
    def asset(self) -> Asset:
        return self.candidate.asset


def matches_orientation(asset: Asset, orientation: Orientation) -> bool:
    """Return whether the photo as displayed is landscape or portrait, as asked."""
    if orientation is Orientation.ANY or not asset.width or not asset.height:
        return True
    width, height = asset.width, asset.height
    # EXIF orientations 5 to 8 rotate the stored image by 90 degrees when displayed.
    if asset.exif and asset.exif.orientation in ("5", "6", "7", "8"):
        width, height = height, width
    if orientation is Orientation.LANDSCAPE:
        return width >= height
    return height > width


class SlideshowPlayer:
    """Moves through a feed, one photo at a time, with the next photo already in memory.

    `async_advance` swaps in the prefetched photo without waiting for the network, then
    starts fetching the one after. Photos that disappeared or whose preview fails are
    skipped. Connection errors propagate, so the caller can mark its entity unavailable.
    """

    def __init__(
        self,
        client: ImmichClient,
        feed: Feed,
        orientation: Orientation = Orientation.ANY,
        create_task: TaskFactory | None = None,
    ) -> None:
        self._client = client
        self._create_task: TaskFactory = create_task or _create_task
        self._feed = feed
        self._orientation = orientation
        self.current: Slide | None = None
        self.status = PlayerStatus.LOADING
        self.skipped = 0
        """Photos skipped since start because they disappeared or failed to load."""
        self.loaded = 0
        """Previews fetched from the server since start, prefetches included."""
        self._server_errors_in_a_row = 0
        self._history: deque[Slide] = deque(maxlen=HISTORY_LENGTH)
        self._forward: deque[Slide] = deque(maxlen=HISTORY_LENGTH)
        """Slides stepped back from, shown again by `async_advance` before new ones."""
        self._next: asyncio.Task[Slide | None] | None = None
        self._removed: dict[str, None] = {}
        """Recently trashed, deleted or hidden asset ids, oldest first."""

    async def async_advance(self) -> Slide | None:
        """Show the next photo and start prefetching the one after it."""
        if self._forward:
            revisited = self._forward.pop()
            if revisited.image is None:
                revisited.image = await self._async_fetch_image(revisited.asset)
            if revisited.image is not None:
                self._show(revisited)
                return revisited

        slide = await self._async_take_next()
        if slide is None:
            self.status = PlayerStatus.EMPTY
            return None
        self._show(slide)
        self._start_prefetch()
        return slide

    async def async_previous(self) -> Slide | None:
        """Step back to the photo shown before; `async_advance` then returns to this one."""
        while self._history:
            slide = self._history.pop()
            if slide.image is None:
                slide.image = await self._async_fetch_image(slide.asset)
            if slide.image is None:
                continue
            if self.current is not None:
                self._forward.append(self.current)
                _drop_old_bytes(self._forward)
            self.current = slide
            self.status = PlayerStatus.SHOWING
            return slide
        return self.current

    def peek_prefetched(self) -> Slide | None:
        """Return the next photo when its prefetch has finished, without advancing."""
        task = self._next
        if task is None or not task.done() or task.cancelled() or task.exception() is not None:
            return None
        return task.result()

    def reset(self) -> None:
        """Drop the prefetched photo and the feed's cache, so the source is read again."""
        self._cancel_prefetch()
        self._forward.clear()
        self._feed.reset()

    def close(self) -> None:
        self._cancel_prefetch()

    def forget(self, asset_ids: Collection[str]) -> bool:
        """Drop trashed, deleted or hidden assets from the feed, the history and the
        prefetch; return whether the photo on show is one of them."""
        for asset_id in asset_ids:
            self._removed[asset_id] = None
        while len(self._removed) > REMOVED_MEMORY:
            del self._removed[next(iter(self._removed))]

        self._feed.forget(asset_ids)
        self._history = _without(self._history, asset_ids)
        self._forward = _without(self._forward, asset_ids)
        prefetched = self.peek_prefetched()
        if prefetched is not None and prefetched.asset.id in asset_ids:
            self._cancel_prefetch()
        return self.current is not None and self.current.asset.id in asset_ids

    def note_update(self, asset: Asset) -> bool:
        """Take in an asset's new fields; one that no longer passes the source's filters,
        such as a photo no longer a favorite, is forgotten. Return whether it is on show."""
        if not self._feed.accepts(asset):
            return self.forget({asset.id})
        self._feed.invalidate()
        return False

    def note_new_assets(self, asset_ids: Collection[str]) -> None:
        """Let the feed read assets uploaded or restored since its last batch."""
        for asset_id in asset_ids:
            self._removed.pop(asset_id, None)
        self._feed.invalidate()

    def _show(self, slide: Slide) -> None:
        if self.current is not None:
            self._history.append(self.current)
            _drop_old_bytes(self._history)
        self.current = slide
        self.status = PlayerStatus.SHOWING

    async def _async_take_next(self) -> Slide | None:
        task = self._next
        self._next = None
        if task is not None:
            try:
                slide = await task
            except asyncio.CancelledError:
                slide = None
            except ImmichError as err:
                # The prefetch ran up to an interval ago, and the server may have recovered
                # since, so its error is stale: the photo is loaded again now instead.
                _LOGGER.debug("Prefetching the next photo failed, loading it again: %s", err)
                slide = None
            if slide is not None and slide.asset.id not in self._removed:
                return slide
        # An asset can be removed while its preview loads; the next one is loaded instead.
        for _ in range(MAX_REMOVED_WHILE_LOADING):
            slide = await self._async_load_next()
            if slide is None or slide.asset.id not in self._removed:
                return slide
        return None

    def _start_prefetch(self) -> None:
        self._next = self._create_task(self._async_load_next(), "immich slideshow prefetch")

    def _cancel_prefetch(self) -> None:
        task, self._next = self._next, None
        if task is None:
            return
        if task.done():
            if not task.cancelled():
                task.exception()  # retrieved, so asyncio does not log it as unhandled
            return
        task.cancel()

    async def _async_load_next(self) -> Slide | None:
        """Find the next matching photo and fetch its preview; None when the source has none."""
        offers_of_current = 0
        for _ in range(MAX_CANDIDATES_PER_ADVANCE):
            candidate = await self._feed.async_next()
            if candidate is None:
                return None
            if candidate.asset.id in self._removed:
                continue
            if not matches_orientation(candidate.asset, self._orientation):
                continue
            if self.current is not None and candidate.asset.id == self.current.asset.id:
                offers_of_current += 1
                # A source whose only photo is on show offers it again and again, and
                # each offer can cost a request: show it again rather than keep asking.
                if offers_of_current < MAX_OFFERS_OF_CURRENT:
                    continue
            slide = await self._async_load_slide(candidate)
            if slide is not None:
                return slide
        return None

    async def _async_load_slide(self, candidate: Candidate) -> Slide | None:
        """Fetch the preview, and the asset's details when the feed's copy has no EXIF data."""
        if candidate.asset.exif is not None:
            image = await self._async_fetch_image(candidate.asset)
            return Slide(candidate, image) if image is not None else None

        details, image = await asyncio.gather(
            self._async_fetch_details(candidate.asset),
            self._async_fetch_image(candidate.asset),
        )
        if details is None or image is None:
            return None
        return Slide(replace(candidate, asset=details), image)

    async def _async_fetch_details(self, asset: Asset) -> Asset | None:
        try:
            details = await self._client.async_get_asset(asset.id)
        except ImmichNotFoundError as err:
            _LOGGER.debug("Skipping asset %s: %s", asset.id, err)
            return None
        except ImmichServerError as err:
            self._count_server_error(err)
            _LOGGER.debug("Skipping asset %s: %s", asset.id, err)
            return None
        return details

    async def _async_fetch_image(self, asset: Asset) -> AssetMedia | None:
        """Fetch the preview rendition; None (and a skip) when it is gone or fails."""
        try:
            image = await self._client.async_get_thumbnail(asset.id, "preview")
        except ImmichNotFoundError as err:
            self.skipped += 1
            _LOGGER.debug("Skipping asset %s: %s", asset.id, err)
            return None
        except ImmichServerError as err:
            self._count_server_error(err)
            self.skipped += 1
            _LOGGER.debug("Skipping asset %s: %s", asset.id, err)
            return None
        self._server_errors_in_a_row = 0
        self.loaded += 1
        return image

    def _count_server_error(self, err: ImmichServerError) -> None:
        """Skip a photo whose preview fails, but raise once the failures show the server is down."""
        self._server_errors_in_a_row += 1
        if self._server_errors_in_a_row >= MAX_SERVER_ERRORS_IN_A_ROW:
            self._server_errors_in_a_row = 0
            raise err


def _without(slides: deque[Slide], asset_ids: Collection[str]) -> deque[Slide]:
    return deque((s for s in slides if s.asset.id not in asset_ids), maxlen=slides.maxlen)


def _drop_old_bytes(slides: deque[Slide]) -> None:
    """Keep image bytes only for the slides nearest the current one, to bound memory."""
    for index, slide in enumerate(reversed(slides)):
        if index >= KEEP_BYTES_FOR_PREVIOUS:
            slide.image = None
