"""Redirect rules: each hop receives the API key, so only the server's own address is followed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yarl import URL

from .errors import ImmichRedirectError

if TYPE_CHECKING:
    from .transport import RawResponse

# 300 Multiple Choices names no single target and 304 Not Modified is no redirect, so neither
# is followed.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
FOLLOWED_METHODS = frozenset({"GET", "HEAD"})
KEY_NOTE = (
    "the API key is sent only to the server's own address, so enter the address where Immich "
    "itself responds"
)


def is_safe_redirect(source: URL, target: URL) -> bool:
    """Return whether a redirect from `source` to `target` may carry the API key.

    It may when the target has the same host, and either the same scheme and port or an
    upgrade from http to https on any port.
    """
    if not target.is_absolute() or target.scheme not in ("http", "https"):
        return False
    if target.host is None or source.host is None or target.host.lower() != source.host.lower():
        return False
    if target.scheme == source.scheme:
        return target.port == source.port
    return source.scheme == "http" and target.scheme == "https"


def redirect_target(method: str, source: URL, raw: RawResponse, description: str, hops: int) -> URL:
    """Return the URL a redirect response leads to; raise ImmichRedirectError when the client
    must not follow it."""
    location = raw.headers.get("Location")
    if not location:
        raise ImmichRedirectError(
            f"{description} returned a redirect (HTTP {raw.status}) without a Location header",
            status=raw.status,
            target_origin=None,
        )
    try:
        target = source.join(URL(location))
        origin = str(target.origin())
    except ValueError as err:
        raise ImmichRedirectError(
            f"{description} returned a redirect (HTTP {raw.status}) to an invalid Location",
            status=raw.status,
            target_origin=None,
        ) from err

    reason = _rejection_reason(method, source, target, hops)
    if reason is not None:
        raise ImmichRedirectError(
            f"{description} was redirected (HTTP {raw.status}) to {origin}, which the client "
            f"does not follow because {reason}; {KEY_NOTE}",
            status=raw.status,
            target_origin=origin,
        )
    return target


def _rejection_reason(method: str, source: URL, target: URL, hops: int) -> str | None:
    if method.upper() not in FOLLOWED_METHODS:
        return f"it follows redirects only for GET and HEAD requests, not {method.upper()}"
    if hops >= MAX_REDIRECTS:
        return f"the request was already redirected {MAX_REDIRECTS} times"
    if is_safe_redirect(source, target):
        return None
    if (target.host or "").lower() != (source.host or "").lower():
        return "it is another host"
    if source.scheme == "https" and target.scheme == "http":
        return "it drops HTTPS"
    return "it is another port or scheme"
