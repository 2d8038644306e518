"""Random draws and pages over asset lists that the client filters itself.

Servers before v1.116 have only an unfiltered random endpoint, and servers before v2.4 cannot
search by album or tag, so the client reads such assets as a list and samples or pages it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
import random
from typing import Any

from .models import Asset, AssetSearchFilter, AssetType, SearchPage

POOL_SIZE = 1000
"""Assets one search page returns for the client to draw from.
NOTE: a filtered random draw on servers before v1.116 picks only among the newest this many."""

_OLDEST = datetime.min.replace(tzinfo=UTC)


def needs_server_filter(search_filter: AssetSearchFilter) -> bool:
    """Return whether a filter keeps so few assets that an unfiltered random draw, filtered
    afterwards, would often come back nearly empty."""
    return bool(
        search_filter.album_ids
        or search_filter.person_ids
        or search_filter.tag_ids
        or search_filter.is_favorite
        or search_filter.asset_type not in (None, AssetType.IMAGE)
        or search_filter.taken_after is not None
        or search_filter.taken_before is not None
        or search_filter.extra
    )


def sample_assets(assets: Sequence[Asset], count: int) -> list[Asset]:
    """Return up to `count` distinct assets in random order."""
    return random.sample(list(assets), min(count, len(assets)))


def page_of_assets(assets: Sequence[Asset], page: int, size: int, newest_first: bool) -> SearchPage:
    """Return one page of assets sorted by capture time, as a metadata search would."""
    ordered = sorted(assets, key=_capture_time, reverse=newest_first)
    start = (page - 1) * size
    items = tuple(ordered[start : start + size])
    has_more = start + size < len(ordered)
    return SearchPage(assets=items, total=len(items), next_page=str(page + 1) if has_more else None)


def _capture_time(asset: Asset) -> datetime:
    taken_at = asset.taken_at
    if taken_at is None:
        return _OLDEST
    return taken_at if taken_at.tzinfo else taken_at.replace(tzinfo=UTC)


def query_params(body: dict[str, Any]) -> list[tuple[str, str]]:
    """Return a search body as query parameters; lists repeat their key."""
    params: list[tuple[str, str]] = []
    for key, value in body.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, bool):
                params.append((key, "true" if item else "false"))
            else:
                params.append((key, str(item)))
    return params
