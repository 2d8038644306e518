"""Conditional GET requests: resend the last response's ETag and reuse its parsed body on a 304.

Immich v2.7.5 sends an ETag with `GET /albums`, and responds with 304 Not Modified and no
body to a request whose `If-None-Match` carries that ETag. Album lists are read on every
slideshow setup and media browser visit, so a repeated read costs a status line instead of
the whole list.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
import logging
from typing import Any

from .errors import ImmichServerError
from .transport import Transport, decode_json

_LOGGER = logging.getLogger(__name__)

MAX_CACHED_RESPONSES = 16
"""Responses kept per client; the least recently used one goes first."""

type CacheKey = tuple[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """The ETag of a response and its parsed body."""

    etag: str
    value: Any


class ConditionalCache:
    """The latest parsed response of each path and query, by ETag.

    Each ImmichClient has its own cache, and a client sends one API key, so the response one
    user saw is never returned to another.
    """

    def __init__(self, max_entries: int = MAX_CACHED_RESPONSES) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[CacheKey, CachedResponse] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def async_get[T](
        self,
        transport: Transport,
        path: str,
        params: Mapping[str, str] | None,
        parse: Callable[[Any], T],
    ) -> T:
        """Send a GET with `If-None-Match` when a response is cached; return the parsed body.

        `parse` turns the decoded JSON into the value returned, and must not return a value
        that callers change, because a 304 returns the same value again. Immich's 304 repeats
        the ETag it matched. A 304 without that ETag, or to a request without
        `If-None-Match`, came from a proxy or cache in front of Immich: the request is sent
        once more without `If-None-Match` and with `Cache-Control: no-cache`, and a second
        304 raises ImmichServerError.
        """
        key: CacheKey = (path, tuple(sorted((params or {}).items())))
        cached = self._entries.get(key)
        headers = {"If-None-Match": cached.etag} if cached is not None else None
        raw = await transport.request(
            "GET",
            path,
            params=params,
            extra_headers=headers,
            passed_statuses=(HTTPStatus.NOT_MODIFIED,),
        )
        if (
            raw.status == HTTPStatus.NOT_MODIFIED
            and cached is not None
            and _same_etag(raw.headers.get("ETag"), cached.etag)
        ):
            self._entries.move_to_end(key)
            value: T = cached.value
            return value

        description = f"GET /api/{path}"
        if raw.status == HTTPStatus.NOT_MODIFIED:
            _LOGGER.debug(
                "%s returned 304 without the ETag of a cached response; sending it again",
                description,
            )
            raw = await transport.request(
                "GET",
                path,
                params=params,
                extra_headers={"Cache-Control": "no-cache"},
                passed_statuses=(HTTPStatus.NOT_MODIFIED,),
            )
            if raw.status == HTTPStatus.NOT_MODIFIED:
                raise ImmichServerError(
                    f"{description} returned 304 Not Modified to a request without "
                    "If-None-Match; a proxy or cache in front of Immich may have answered",
                    status=raw.status,
                )

        parsed = parse(decode_json(raw, description))
        etag = raw.headers.get("ETag")
        if etag:
            self._entries[key] = CachedResponse(etag, parsed)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        else:
            self._entries.pop(key, None)
        return parsed


def _same_etag(received: str | None, cached: str) -> bool:
    """Compare ETags weakly, as Immich's framework does: `W/"x"` matches `"x"`."""
    if received is None:
        return False
    return received.strip().removeprefix("W/") == cached.strip().removeprefix("W/")
