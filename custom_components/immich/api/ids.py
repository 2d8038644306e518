"""Checks of the ids the client puts into request paths and bodies.

Every Immich id is a UUID: the OpenAPI specs from v1.98.2 to v3.0.3 declare path ids
`format: uuid`. An id from a user, a saved media identifier or a server response is checked
here before it becomes part of a request, so text such as `../server/about` or `a?b=1` can
never change which endpoint the request reaches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
import re

from .errors import ImmichInvalidIdError
from .models import AssetSearchFilter

UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def is_uuid(value: object) -> bool:
    """Return whether a value is a UUID string in the 8-4-4-4-12 hex form, in any case."""
    return isinstance(value, str) and UUID_PATTERN.fullmatch(value) is not None


def require_uuid(value: object, what: str) -> str:
    """Return a UUID in lowercase; raise ImmichInvalidIdError for anything else.

    Immich stores ids in PostgreSQL's `uuid` type, which reads any case and writes lowercase,
    so the lowercase form names the same item and matches the ids in responses.
    """
    if not is_uuid(value):
        raise ImmichInvalidIdError(
            f"Invalid {what} id {value!r}: Immich ids are UUIDs", what=what, value=str(value)
        )
    assert isinstance(value, str)
    return value.lower()


def require_uuids(values: Iterable[object], what: str) -> list[str]:
    """Return every id of a list in lowercase; raise ImmichInvalidIdError at the first invalid one."""
    return [require_uuid(value, what) for value in values]


def require_filter_ids(search_filter: AssetSearchFilter) -> AssetSearchFilter:
    """Return a search filter with its album, person and tag ids checked and in lowercase."""
    return replace(
        search_filter,
        album_ids=tuple(require_uuids(search_filter.album_ids, "album")),
        person_ids=tuple(require_uuids(search_filter.person_ids, "person")),
        tag_ids=tuple(require_uuids(search_filter.tag_ids, "tag")),
    )
