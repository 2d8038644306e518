"""Request bodies for random and metadata search, shaped for the server's version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .models import Asset, AssetSearchFilter, ServerVersion

# Servers from v1.133 describe archived and hidden assets with `visibility`; older ones
# with `isArchived`/`withArchived`. No published spec pins the release, v1.133 is its notes'.
VISIBILITY_SINCE = ServerVersion(1, 133, 0)


def _common_fields(
    search_filter: AssetSearchFilter, version: ServerVersion | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "withExif": search_filter.with_exif,
        "withPeople": search_filter.with_people,
    }
    if search_filter.asset_type is not None:
        body["type"] = search_filter.asset_type.value
    if search_filter.is_favorite is not None:
        body["isFavorite"] = search_filter.is_favorite
    if search_filter.album_ids:
        body["albumIds"] = list(search_filter.album_ids)
    if search_filter.person_ids:
        body["personIds"] = list(search_filter.person_ids)
    if search_filter.tag_ids:
        body["tagIds"] = list(search_filter.tag_ids)
    if search_filter.taken_after is not None:
        body["takenAfter"] = _timestamp(search_filter.taken_after)
    if search_filter.taken_before is not None:
        body["takenBefore"] = _timestamp(search_filter.taken_before)

    if version is None or version >= VISIBILITY_SINCE:
        if not search_filter.include_archived:
            body["visibility"] = "timeline"
    elif search_filter.include_archived:
        body["withArchived"] = True
    else:
        body["isArchived"] = False

    body.update(search_filter.extra)
    return body


def random_search_body(
    count: int, search_filter: AssetSearchFilter, version: ServerVersion | None
) -> dict[str, Any]:
    """Return the JSON body of `POST /search/random`."""
    return {"size": count, **_common_fields(search_filter, version)}


def metadata_search_body(
    search_filter: AssetSearchFilter,
    version: ServerVersion | None,
    page: int,
    size: int,
    newest_first: bool,
) -> dict[str, Any]:
    """Return the JSON body of `POST /search/metadata`."""
    return {
        "page": page,
        "size": size,
        "order": "desc" if newest_first else "asc",
        **_common_fields(search_filter, version),
    }


def smart_search_body(
    query: str,
    search_filter: AssetSearchFilter,
    version: ServerVersion | None,
    page: int,
    size: int,
) -> dict[str, Any]:
    """Return the JSON body of `POST /search/smart`, which has no `withPeople` or `order`."""
    body = _common_fields(search_filter, version)
    body.pop("withPeople", None)
    return {"query": query, "page": page, "size": size, **body}


def is_listable(asset: Asset, search_filter: AssetSearchFilter) -> bool:
    """Return whether an asset may be listed at all: never when trashed, offline or hidden,
    and when archived only if the filter includes archived assets.

    Some servers ignore `visibility` in a search, so the client checks the results itself.
    """
    if asset.is_trashed or asset.is_offline or asset.is_hidden:
        return False
    return search_filter.include_archived or not asset.is_archived


def matches_filter(asset: Asset, search_filter: AssetSearchFilter) -> bool:
    """Return whether an asset passes the filter; trashed, offline and hidden assets never do."""
    if not is_listable(asset, search_filter):
        return False
    if search_filter.asset_type is not None and asset.type is not search_filter.asset_type:
        return False
    if search_filter.is_favorite is not None and asset.is_favorite != search_filter.is_favorite:
        return False
    taken_at = asset.taken_at
    if taken_at is not None:
        if search_filter.taken_after is not None and taken_at < search_filter.taken_after:
            return False
        if search_filter.taken_before is not None and taken_at > search_filter.taken_before:
            return False
    return True


def _timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
