"""Feeds: endless sequences of candidate assets for a slideshow, fetched lazily in batches.

A feed never lists a whole source. Shuffled feeds request a random batch with the source as
a filter. Sequential feeds page through a metadata search, and the memories feed reads one
day's memories. Each keeps at most a batch or a page of assets in memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
import logging
import random
import time as monotonic_time

from ..api import Asset, AssetSearchFilter, ImmichClient
from ..api.search import matches_filter

RANDOM_BATCH_SIZE = 25
SEQUENTIAL_PAGE_SIZE = 50
RECENT_MEMORY = 50
"""How many recently shown asset ids a shuffled feed avoids repeating."""
MAX_FILL_ATTEMPTS = 2
"""Random batches fetched per refill before the feed reads a metadata search page instead."""
SEARCH_PAGE_SIZE = 100
"""Assets per metadata search page that a shuffled feed shuffles when random draws repeat."""
MAX_MEMORY_YEARS = 100
MEMORY_SEARCH_PAGE_SIZE = 250
"""Photos per earlier year that the memories fallback reads from its search window."""
MEMORIES_RELOAD_SPACING = 300.0
"""Seconds between reloads of today's memories after library changes; the search fallback
costs a request per earlier year."""

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An asset a slideshow may show next, with what is known about why."""

    asset: Asset
    album_name: str | None = None
    memory_year: int | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """One part of a source: a filter and a label, for example one album of several."""

    search_filter: AssetSearchFilter
    album_name: str | None = None
    weight: int = 1
    """Relative share of batches: an album's asset count, so big albums come up more often."""


class Feed(ABC):
    """An endless supply of candidates; `async_next` returns None when the source is empty."""

    @abstractmethod
    async def async_next(self) -> Candidate | None:
        """Return the next candidate, fetching a batch or page when needed."""

    @abstractmethod
    def reset(self) -> None:
        """Forget cached batches, so the next call reads the source again."""

    @abstractmethod
    def forget(self, asset_ids: Collection[str]) -> None:
        """Drop cached candidates of assets that were trashed, deleted or hidden."""

    @abstractmethod
    def accepts(self, asset: Asset) -> bool:
        """Return whether the asset's own fields still pass the source's filters."""

    @abstractmethod
    def invalidate(self) -> None:
        """Note that the library changed, so cached batches may miss new or changed assets."""


class ShuffleFeed(Feed):
    """Random photos from one or more scopes, one server-side random batch at a time.

    Some servers' random search returns nothing, or the same few assets on every call, for
    a scope that has photos. When a scope's random batch has no photo that was not shown
    lately, the feed reads a page of the scope's metadata search instead and shuffles it.
    """

    def __init__(self, client: ImmichClient, scopes: list[Scope]) -> None:
        self._client = client
        self._scopes = scopes
        self._batch: deque[Candidate] = deque()
        self._recent: deque[str] = deque(maxlen=RECENT_MEMORY)
        self._empty_scopes: set[int] = set()
        self._search_pages: dict[int, int] = {}
        """Next metadata search page of each scope whose random draws repeated."""

    def reset(self) -> None:
        self._batch.clear()
        self._empty_scopes.clear()
        self._search_pages.clear()

    def forget(self, asset_ids: Collection[str]) -> None:
        self._batch = deque(c for c in self._batch if c.asset.id not in asset_ids)

    def accepts(self, asset: Asset) -> bool:
        return any(matches_filter(asset, scope.search_filter) for scope in self._scopes)

    def invalidate(self) -> None:
        # A scope found empty, such as favorites before the first one, may have photos now.
        self._batch.clear()
        self._empty_scopes.clear()

    async def async_next(self) -> Candidate | None:
        if not self._batch and not await self._async_fill():
            return None
        candidate = self._batch.popleft()
        self._recent.append(candidate.asset.id)
        return candidate

    async def _async_fill(self) -> bool:
        """Add a batch of one scope, preferring photos not shown lately; False when all
        scopes are empty."""
        while len(self._empty_scopes) < len(self._scopes):
            index = self._pick_scope()
            assets = await self._async_draw(index)
            if assets:
                album_name = self._scopes[index].album_name
                self._batch.extend(Candidate(asset, album_name=album_name) for asset in assets)
                return True
            self._empty_scopes.add(index)
        return False

    async def _async_draw(self, index: int) -> list[Asset]:
        """Return assets of a scope, those not shown lately when there are any; empty when
        neither the random search nor the metadata search finds any."""
        search_filter = self._scopes[index].search_filter
        drawn: list[Asset] = []
        for _attempt in range(MAX_FILL_ATTEMPTS):
            drawn = await self._client.async_get_random_assets(RANDOM_BATCH_SIZE, search_filter)
            fresh = self._fresh(drawn)
            if fresh:
                return fresh
            if len(drawn) < RANDOM_BATCH_SIZE:
                # A short batch is the whole scope, or a random search that repeats itself.
                break

        page_number = self._search_pages.get(index, 1)
        page = await self._client.async_search_metadata(
            search_filter, page=page_number, size=SEARCH_PAGE_SIZE
        )
        self._search_pages[index] = page_number + 1 if page.next_page else 1
        paged = list(page.assets)
        random.shuffle(paged)
        # Every photo of a small scope was shown lately, so some repeat.
        return self._fresh(paged) or paged or drawn

    def _fresh(self, assets: list[Asset]) -> list[Asset]:
        """Return the assets not shown lately, each once."""
        unique = {asset.id: asset for asset in assets if asset.id not in self._recent}
        return list(unique.values())

    def _pick_scope(self) -> int:
        choices = [i for i in range(len(self._scopes)) if i not in self._empty_scopes]
        weights = [max(self._scopes[i].weight, 1) for i in choices]
        return random.choices(choices, weights=weights)[0]


class SequentialFeed(Feed):
    """Photos of each scope in the order they were taken, one search page at a time."""

    def __init__(self, client: ImmichClient, scopes: list[Scope]) -> None:
        self._client = client
        self._scopes = scopes
        self._scope_index = 0
        self._page = 1
        self._page_items: deque[Candidate] = deque()
        self._exhausted = False

    def reset(self) -> None:
        self._scope_index = 0
        self._page = 1
        self._page_items.clear()

    def forget(self, asset_ids: Collection[str]) -> None:
        self._page_items = deque(c for c in self._page_items if c.asset.id not in asset_ids)

    def accepts(self, asset: Asset) -> bool:
        return any(matches_filter(asset, scope.search_filter) for scope in self._scopes)

    def invalidate(self) -> None:
        # The page in hand stays, so the slideshow does not start over; later pages are
        # read fresh anyway.
        return

    async def async_next(self) -> Candidate | None:
        empty_pages_in_a_row = 0
        while not self._page_items:
            if empty_pages_in_a_row > len(self._scopes):
                return None
            found = await self._async_fetch_page()
            empty_pages_in_a_row = 0 if found else empty_pages_in_a_row + 1
        return self._page_items.popleft()

    async def _async_fetch_page(self) -> bool:
        scope = self._scopes[self._scope_index]
        page = await self._client.async_search_metadata(
            scope.search_filter,
            page=self._page,
            size=SEQUENTIAL_PAGE_SIZE,
            newest_first=False,
        )
        self._page_items.extend(Candidate(a, album_name=scope.album_name) for a in page.assets)
        if page.next_page is None:
            self._scope_index = (self._scope_index + 1) % len(self._scopes)
            self._page = 1
        else:
            self._page += 1
        return bool(page.assets)


class MemoriesFeed(Feed):
    """Photos taken on today's date in earlier years, read once per day.

    The feed uses the server's memories. A server that has not yet built them, because its
    nightly job has not run, gets a metadata search per earlier year instead.
    """

    def __init__(
        self,
        client: ImmichClient,
        base_filter: AssetSearchFilter,
        today: Callable[[], date],
        shuffle: bool,
    ) -> None:
        self._client = client
        self._base_filter = base_filter
        self._today = today
        self._shuffle = shuffle
        self._day: date | None = None
        self._items: list[Candidate] = []
        self._position = 0
        self.used_fallback = False
        """Whether today's photos came from the metadata search instead of server memories."""
        self._truncation_logged = False
        self._stale = False
        self._loaded_at: float | None = None
        """`time.monotonic()` of the last load."""

    def reset(self) -> None:
        self._day = None

    def forget(self, asset_ids: Collection[str]) -> None:
        before_position = sum(1 for c in self._items[: self._position] if c.asset.id in asset_ids)
        self._items = [c for c in self._items if c.asset.id not in asset_ids]
        self._position -= before_position

    def accepts(self, asset: Asset) -> bool:
        return matches_filter(asset, self._base_filter)

    def invalidate(self) -> None:
        self._stale = True

    async def async_next(self) -> Candidate | None:
        today = self._today()
        if today != self._day:
            self._items = await self._async_load(today)
            self._day = today
            self._position = 0
            if self._shuffle:
                random.shuffle(self._items)
        elif self._stale and self._reload_allowed():
            await self._async_reload_keeping_place(today)
        if not self._items:
            return None
        if self._position >= len(self._items):
            self._position = 0
            if self._shuffle:
                random.shuffle(self._items)
        candidate = self._items[self._position]
        self._position += 1
        return candidate

    async def async_candidates_for(self, day: date) -> list[Candidate]:
        """Return a day's memories, newest year first, without moving the feed's position."""
        return await self._async_load(day)

    def _reload_allowed(self) -> bool:
        if self._loaded_at is None:
            return True
        return monotonic_time.monotonic() - self._loaded_at >= MEMORIES_RELOAD_SPACING

    async def _async_reload_keeping_place(self, today: date) -> None:
        """Read today's memories again; photos already shown today stay behind the position."""
        shown = {c.asset.id for c in self._items[: self._position]}
        items = await self._async_load(today)
        if self._shuffle:
            random.shuffle(items)
        behind = [c for c in items if c.asset.id in shown]
        ahead = [c for c in items if c.asset.id not in shown]
        self._items = behind + ahead
        self._position = len(behind)

    async def _async_load(self, today: date) -> list[Candidate]:
        self._stale = False
        self._loaded_at = monotonic_time.monotonic()
        memories = await self._client.async_get_memories(today)
        items = [
            Candidate(asset, memory_year=memory.year)
            for memory in sorted(memories, key=lambda m: m.year or 0, reverse=True)
            for asset in memory.assets
            # Memories hold videos and archived photos too; the slideshow's filter decides.
            if matches_filter(asset, self._base_filter)
        ]
        self.used_fallback = not items
        if not items:
            items = await self._async_search_this_day(today)
        return items

    async def _async_search_this_day(self, today: date) -> list[Candidate]:
        oldest = await self._client.async_search_metadata(
            self._base_filter, page=1, size=1, newest_first=False
        )
        if not oldest.assets or oldest.assets[0].local_date_time is None:
            return []
        first_year = max(oldest.assets[0].local_date_time.year, today.year - MAX_MEMORY_YEARS)

        items: list[Candidate] = []
        for year in range(today.year - 1, first_year - 1, -1):
            try:
                day = today.replace(year=year)
            except ValueError:  # 29 February in a year that has none
                continue
            # Search a window wide enough for every time zone, then keep the photos whose
            # local (wall-clock) date is the day itself.
            midnight = datetime.combine(day, time(), tzinfo=UTC)
            window = replace(
                self._base_filter,
                taken_after=midnight - timedelta(hours=14),
                taken_before=midnight + timedelta(hours=38),
            )
            page = await self._client.async_search_metadata(
                window, page=1, size=MEMORY_SEARCH_PAGE_SIZE
            )
            if page.next_page is not None and not self._truncation_logged:
                self._truncation_logged = True
                _LOGGER.info(
                    "Memories of %s from %d show only the first %d photos taken around that day",
                    day.strftime("%B %d"),
                    year,
                    MEMORY_SEARCH_PAGE_SIZE,
                )
            items.extend(
                Candidate(asset, memory_year=year)
                for asset in page.assets
                if asset.local_date_time is not None and asset.local_date_time.date() == day
            )
        return items
