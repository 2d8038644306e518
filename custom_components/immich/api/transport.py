"""One HTTP request path for the client: timeout, transport errors and status mapping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
import json
import re
import ssl
import time
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from .errors import (
    ImmichAdminRequiredError,
    ImmichAuthenticationError,
    ImmichBadRequestError,
    ImmichConnectionError,
    ImmichEndpointMissingError,
    ImmichError,
    ImmichNotFoundError,
    ImmichPermissionError,
    ImmichRateLimitedError,
    ImmichServerError,
    ImmichTimeoutError,
    ImmichTLSError,
)
from .ids import UUID_PATTERN
from .keys import MAX_API_KEY_LENGTH
from .redirects import MAX_REDIRECTS, REDIRECT_STATUSES, redirect_target

DEFAULT_REQUEST_TIMEOUT = 10.0
STREAM_CHUNK_SIZE = 64 * 1024
MISSING_PERMISSION_PREFIX = "Missing required permission:"
# Immich responds to a bad id with a 400 such as "Not found or no album.read access" or
# "id must be a UUID". Other 400s are validation failures of the request itself.
ID_ERROR_MARKERS = ("not found", "must be a uuid", "no such", "does not exist")
# OpenSSL error reasons seen when a plain-HTTP server receives a TLS handshake.
PLAIN_HTTP_MARKERS = (
    "wrong_version_number",
    "wrong version number",
    "record layer failure",
    "packet length too long",
    "http request",
    "unknown protocol",
)
# A longer `Retry-After` is cut to this, so a misconfigured proxy cannot stop polling for days.
MAX_RETRY_AFTER = 3600.0
UUID_SEGMENT = re.compile(rf"(?<=/){UUID_PATTERN.pattern}(?=/|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RawResponse:
    """Status, headers and full body of a successful response."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()


@dataclass(slots=True)
class StreamedResponse:
    """A successful response whose body is read in chunks; `close()` it when done."""

    status: int
    headers: CIMultiDictProxy[str]
    _response: aiohttp.ClientResponse = field(repr=False)
    _description: str = field(repr=False)
    _timeout_text: str = field(repr=False)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()

    async def iter_chunks(self, chunk_size: int = STREAM_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Yield the body as it arrives, at most `chunk_size` bytes at a time."""
        with _mapped_errors(self._description, self._timeout_text):
            async for chunk in self._response.content.iter_chunked(chunk_size):
                yield chunk

    def close(self) -> None:
        """Release the connection; one whose body was not read to the end is closed."""
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


class Transport:
    """Sends requests to an Immich API root with the API key, and raises typed errors."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_url: URL,
        api_key: str,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        self._session = session
        self._api_url = api_url
        self._api_key = api_key
        self._request_timeout = request_timeout
        self._retry_not_before: dict[str, float] = {}
        """`time.monotonic()` before which a route that returned 429 gets no request, by
        route template such as `GET /api/assets/{id}/thumbnail`, so one wait covers every
        asset and the mapping stays as small as the set of routes."""

    def url_for(self, path: str) -> URL:
        """Return the absolute URL of an API path such as `assets/<id>/thumbnail`."""
        return URL(f"{self._api_url}/{path.lstrip('/')}", encoded=False)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        json_body: Any = None,
        data: aiohttp.FormData | None = None,
        extra_headers: dict[str, str] | None = None,
        allow_redirects: bool = True,
        limit_total_time: bool = True,
        passed_statuses: Collection[int] = (),
    ) -> RawResponse:
        """Send one request and return the whole response; raise an ImmichError on failure.

        With `allow_redirects=False` a redirect (HTTP 3xx) is returned for the caller to
        inspect. Otherwise a GET or HEAD follows redirects to the server's own address, and
        any other redirect raises ImmichRedirectError, because each hop receives the API key.
        With `limit_total_time=False` the request timeout bounds connecting and each wait for
        data instead of the whole exchange, so a large upload can take longer. A
        status in `passed_statuses` (for example 304 Not Modified) is returned, not raised.
        """
        description = f"{method} /api/{path.lstrip('/')}"
        options: dict[str, Any] = {}
        if limit_total_time:
            total_timeout: float | None = self._request_timeout
            timeout_text = f"after {self._request_timeout:g} s"
        else:
            total_timeout = None
            timeout_text = f"after waiting {self._request_timeout:g} s for data"
            options["timeout"] = self._idle_timeout()

        self._raise_if_api_key_implausible(description)
        self._raise_if_rate_limited(description)
        url = self.url_for(path)
        # aiohttp would send the API key to wherever a redirect leads, so this loop follows
        # redirects itself, and only to the server's own address.
        with _mapped_errors(description, timeout_text):
            async with asyncio.timeout(total_timeout):
                for hops in range(MAX_REDIRECTS + 1):
                    async with self._session.request(
                        method,
                        url,
                        params=params if hops == 0 else None,
                        json=json_body,
                        data=data,
                        headers=self._headers(extra_headers),
                        allow_redirects=False,
                        **options,
                    ) as response:
                        body = await response.read()
                        raw = RawResponse(response.status, response.headers, body)
                        response_url = response.url
                    if not allow_redirects or raw.status not in REDIRECT_STATUSES:
                        break
                    url = redirect_target(method, response_url, raw, description, hops)

        if not allow_redirects and 300 <= raw.status < 400:
            return raw
        if raw.status in passed_statuses:
            return raw
        if raw.status >= 300:
            raise self._status_error(raw, description)
        return raw

    async def open_stream(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
        passed_statuses: Collection[int] = (),
    ) -> StreamedResponse:
        """Send one request and return when its headers arrive, leaving the body unread.

        The request timeout bounds connecting and receiving the headers, then each wait for
        body data, so a long video can stream for as long as it lasts. A status of 300 or
        more raises an ImmichError unless it is in `passed_statuses` (for example 416 for a
        byte range outside the file), which the caller then forwards. Redirects are followed
        as in `request`.
        """
        description = f"{method} /api/{path.lstrip('/')}"
        timeout_text = f"after {self._request_timeout:g} s"
        self._raise_if_api_key_implausible(description)
        self._raise_if_rate_limited(description)
        url = self.url_for(path)
        with _mapped_errors(description, timeout_text):
            async with asyncio.timeout(self._request_timeout):
                for hops in range(MAX_REDIRECTS + 1):
                    response = await self._session.request(
                        method,
                        url,
                        params=params if hops == 0 else None,
                        headers=self._headers(extra_headers),
                        timeout=self._idle_timeout(),
                        allow_redirects=False,
                    )
                    if response.status not in REDIRECT_STATUSES:
                        break
                    response.release()
                    raw = RawResponse(response.status, response.headers, b"")
                    url = redirect_target(method, response.url, raw, description, hops)

        if response.status < 300 or response.status in passed_statuses:
            return StreamedResponse(
                response.status,
                response.headers,
                _response=response,
                _description=description,
                _timeout_text=f"after waiting {self._request_timeout:g} s for data",
            )

        try:
            with _mapped_errors(description, timeout_text):
                async with asyncio.timeout(self._request_timeout):
                    body = await response.read()
        finally:
            response.release()
        raise self._status_error(RawResponse(response.status, response.headers, body), description)

    def _raise_if_api_key_implausible(self, description: str) -> None:
        """Raise ImmichAuthenticationError, sending nothing, for a key too long to be one."""
        if len(self._api_key) > MAX_API_KEY_LENGTH:
            raise ImmichAuthenticationError(
                f"{description} was not sent: the API key is {len(self._api_key)} characters "
                f"long, and this client accepts at most {MAX_API_KEY_LENGTH}; paste only the key"
            )

    def _raise_if_rate_limited(self, description: str) -> None:
        """Raise ImmichRateLimitedError, sending nothing, while a route's Retry-After lasts."""
        route = route_template(description)
        not_before = self._retry_not_before.get(route)
        if not_before is None:
            return
        remaining = not_before - time.monotonic()
        if remaining <= 0:
            del self._retry_not_before[route]
            return
        raise ImmichRateLimitedError(
            f"{description} is rate limited (HTTP 429); the next request is sent after "
            f"{remaining:.0f} s",
            retry_after=remaining,
            status=None,
        )

    def _status_error(self, raw: RawResponse, description: str) -> ImmichError:
        """Return the error for a failed response, and remember a 429's Retry-After."""
        error = status_error(raw, description)
        if isinstance(error, ImmichRateLimitedError) and error.retry_after:
            self._retry_not_before[route_template(description)] = (
                time.monotonic() + error.retry_after
            )
        return error

    def _headers(self, extra_headers: dict[str, str] | None) -> dict[str, str]:
        headers = {"x-api-key": self._api_key, "Accept": "application/json"}
        if extra_headers:
            headers.update(extra_headers)
        return headers

    def _idle_timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=None, sock_connect=self._request_timeout, sock_read=self._request_timeout
        )

    async def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request and decode its JSON body."""
        raw = await self.request(method, path, **kwargs)
        return decode_json(raw, f"{method} /api/{path.lstrip('/')}")


def decode_json(raw: RawResponse, description: str) -> Any:
    """Decode a JSON body; raise ImmichServerError for HTML pages or malformed JSON."""
    if "json" not in raw.content_type:
        raise ImmichServerError(
            f"{description} returned {raw.content_type} instead of JSON (HTTP {raw.status}); "
            "a proxy in front of Immich may have answered",
            status=raw.status,
        )
    try:
        return json.loads(raw.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ImmichServerError(
            f"{description} returned malformed JSON (HTTP {raw.status})", status=raw.status
        ) from err


def _error_body(raw: RawResponse) -> dict[str, Any] | None:
    """Return an error response's JSON object, or None for any other body."""
    if "json" not in raw.content_type:
        return None
    try:
        data = json.loads(raw.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def server_message(raw: RawResponse) -> str | None:
    """Return the `message` of an Immich error body, joined when it is a list."""
    data = _error_body(raw)
    if data is None:
        return None
    message = data.get("message")
    if isinstance(message, list):
        return "; ".join(str(item) for item in message)
    return str(message) if message is not None else None


def invalid_fields(raw: RawResponse) -> tuple[str, ...]:
    """Return the dotted `path` of each issue in a v3 `Validation failed` body, such as `for`."""
    data = _error_body(raw)
    issues = data.get("errors") if data is not None else None
    if not isinstance(issues, list):
        return ()
    fields = []
    for issue in issues:
        path = issue.get("path") if isinstance(issue, dict) else None
        if isinstance(path, list) and path:
            fields.append(".".join(str(part) for part in path))
    return tuple(fields)


def status_error(raw: RawResponse, description: str) -> ImmichError:
    """Return the ImmichError subclass that matches a response of status 300 or more."""
    status = raw.status
    message = server_message(raw)
    detail = f"{description} failed with HTTP {status}" + (f": {message}" if message else "")
    error: ImmichError

    if status == 401:
        error = ImmichAuthenticationError(detail, status=status, server_message=message)
    elif status == 429:
        retry_after = retry_after_seconds(raw.headers.get("Retry-After"))
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        error = ImmichRateLimitedError(
            detail + wait, retry_after=retry_after, server_message=message
        )
    elif status == 403 and message and message.startswith(MISSING_PERMISSION_PREFIX):
        permission = message[len(MISSING_PERMISSION_PREFIX) :].strip()
        error = ImmichPermissionError(detail, permission=permission, server_message=message)
    elif status == 403:
        error = ImmichAdminRequiredError(detail, status=status, server_message=message)
    elif status == 404 and (message is None or message.startswith("Cannot ")):
        # Immich's router responds "Cannot GET /api/..." for a route it does not have, and a
        # proxy's HTML 404 page means the same for this path.
        error = ImmichEndpointMissingError(detail, status=status, server_message=message)
    elif (status in (400, 404) and message and _is_id_error(message)) or status == 404:
        error = ImmichNotFoundError(detail, status=status, server_message=message)
    elif status == 400:
        error = ImmichBadRequestError(
            detail, status=status, server_message=message, invalid_fields=invalid_fields(raw)
        )
    elif status >= 500 and message is None:
        error = ImmichServerError(
            f"{description} failed with HTTP {status} ({raw.content_type} body); "
            "a proxy in front of Immich may have answered",
            status=status,
        )
    else:
        error = ImmichServerError(detail, status=status, server_message=message)
    return error


def route_template(description: str) -> str:
    """Return a request description with each UUID path segment replaced by `{id}`."""
    return UUID_SEGMENT.sub("{id}", description)


def retry_after_seconds(value: str | None) -> float | None:
    """Return the seconds a `Retry-After` header requests to wait, from either of its forms.

    The header is a number of seconds (`120`) or an HTTP date (`Wed, 21 Oct 2026 07:28:00
    GMT`). Returns None for a missing or invalid value, 0 for a date in the past, and at most
    MAX_RETRY_AFTER.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            # `-0000` parses without a zone, and HTTP dates are in UTC.
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - time.time()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


@contextmanager
def _mapped_errors(description: str, timeout_text: str) -> Iterator[None]:
    """Turn aiohttp, socket and timeout failures into the client's ImmichError subclasses."""
    try:
        yield
    except TimeoutError as err:
        raise ImmichTimeoutError(f"{description} timed out {timeout_text}") from err
    except (aiohttp.ClientConnectorCertificateError, ssl.SSLCertVerificationError) as err:
        raise ImmichTLSError(f"{description}: TLS verification failed ({err})") from err
    except (aiohttp.ClientSSLError, ssl.SSLError) as err:
        # Not a certificate problem, so turning off verification would not help.
        raise ImmichConnectionError(_tls_handshake_text(description, err)) from err
    except aiohttp.ClientPayloadError as err:
        raise ImmichConnectionError(f"{description}: response body was cut off") from err
    except aiohttp.ClientError as err:
        raise ImmichConnectionError(f"{description}: {err}") from err


def _tls_handshake_text(description: str, err: Exception) -> str:
    text = str(err)
    if any(marker in text.lower() for marker in PLAIN_HTTP_MARKERS):
        return (
            f"{description}: the server does not answer TLS on this port ({text}); check "
            "whether the URL should start with http:// instead of https://"
        )
    return f"{description}: the TLS handshake failed ({text}); check http:// versus https://"


def _is_id_error(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in ID_ERROR_MARKERS)
