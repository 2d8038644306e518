"""Normalisation of the server URL a user types."""

from __future__ import annotations

from yarl import URL


class InvalidServerUrlError(ValueError):
    """The text is not an http or https URL with a host."""


class ServerUrlCredentialsError(InvalidServerUrlError):
    """The URL contains a user name or password, which Immich does not use.

    Immich authenticates requests by the API key only. A password in the URL would be sent as
    HTTP Basic authentication and shown wherever the URL is shown. The message omits the URL.
    """


def normalize_server_url(text: str) -> URL:
    """Return the server's web address without `/api`, query or trailing slash.

    `https://host`, `https://host/`, `https://host/api` and `https://host/api/` are the same
    server. An install under a sub-path (`https://host/photos`) keeps the prefix. A URL with
    a user name or password raises ServerUrlCredentialsError.
    """
    url = _parse_http_url(text)
    if url.user is not None or url.password is not None:
        raise ServerUrlCredentialsError("the server URL contains a user name or password")

    path = url.path.rstrip("/")
    if path.endswith("/api"):
        path = path[: -len("/api")]
    return url.with_path(path or "/").with_query(None).with_fragment(None)


def remove_user_info(text: str) -> str:
    """Return the URL without its user name and password.

    Text that is not an http or https URL with a host raises InvalidServerUrlError.
    """
    return str(_parse_http_url(text).with_user(None))


def _parse_http_url(text: str) -> URL:
    try:
        url = URL(text.strip())
    except (TypeError, ValueError) as err:
        raise InvalidServerUrlError(text) from err
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidServerUrlError(text)
    return url


def api_base_url(server_url: URL) -> URL:
    """Return the API root for a normalised server URL, for example `https://host/photos/api`."""
    return server_url.with_path(server_url.path.rstrip("/") + "/api")


def format_server_url(server_url: URL) -> str:
    """Format a normalised server URL as it is stored, without a trailing slash."""
    return str(server_url).rstrip("/")
