"""Exceptions raised by the Immich client, one class per way a request can fail."""

from __future__ import annotations


class ImmichError(Exception):
    """Base class for every error the Immich client raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        """HTTP status of the response, or None when no response arrived."""
        self.server_message = server_message
        """The `message` field of Immich's error body, joined when it is a list."""


class ImmichConnectionError(ImmichError):
    """The server could not be reached, or the connection broke mid-response."""


class ImmichTimeoutError(ImmichConnectionError):
    """The server did not finish its response within the request timeout."""


class ImmichTLSError(ImmichConnectionError):
    """The TLS handshake or certificate verification failed."""


class ImmichAuthenticationError(ImmichError):
    """The server rejected the API key (HTTP 401)."""


class ImmichPermissionError(ImmichError):
    """A scoped API key lacks a permission (HTTP 403 `Missing required permission: X`)."""

    def __init__(self, message: str, *, permission: str, server_message: str) -> None:
        super().__init__(message, status=403, server_message=server_message)
        self.permission = permission
        """Immich's permission name, for example `asset.read`."""


class ImmichAdminRequiredError(ImmichError):
    """The endpoint needs an admin user's key (HTTP 403 without a permission name)."""


class ImmichEndpointMissingError(ImmichError):
    """The server has no such route (HTTP 404 `Cannot GET /api/...`): another API generation."""


class ImmichNotFoundError(ImmichError):
    """An id in the request is unknown, malformed or not visible to this key (HTTP 400 or 404)."""


class ImmichInvalidIdError(ImmichNotFoundError):
    """An id is not a UUID, so it names nothing on the server; raised before any request."""

    def __init__(self, message: str, *, what: str, value: str) -> None:
        super().__init__(message)
        self.what = what
        """Kind of the id, for example `asset` or `album`."""
        self.value = value
        """The rejected text."""


class ImmichBadRequestError(ImmichError):
    """The server rejected the request for another reason it states (HTTP 400)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        server_message: str | None = None,
        invalid_fields: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, status=status, server_message=server_message)
        self.invalid_fields = invalid_fields
        """Request fields that failed validation, dotted (`for`), from the `path` of each
        issue in Immich v3's `Validation failed` body; empty for other bodies."""


class ImmichServerError(ImmichError):
    """The server failed (HTTP 5xx) or sent a body that is not the expected JSON or media."""


class ImmichRedirectError(ImmichServerError):
    """The server redirected a request somewhere the client does not send the API key: another
    host or port, from HTTPS to HTTP, a request other than GET or HEAD, or too many hops."""

    def __init__(self, message: str, *, status: int, target_origin: str | None) -> None:
        super().__init__(message, status=status)
        self.target_origin = target_origin
        """`scheme://host:port` of the redirect's target, or None when it named no valid one."""


class ImmichUnsupportedVersionError(ImmichError):
    """The server runs a version older than the oldest this client supports, or none is known."""

    def __init__(self, message: str, *, version: str | None) -> None:
        super().__init__(message)
        self.version = version
        """Version the server reported, for example `v1.88.2`, or None when it reported none."""


class ImmichRateLimitedError(ImmichError):
    """The server or a proxy in front of it limits requests (HTTP 429 Too Many Requests).

    The client raises it without a request, too, while an earlier `Retry-After` of the same
    route has not passed.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None,
        status: int | None = 429,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message, status=status, server_message=server_message)
        self.retry_after = retry_after
        """Seconds to wait before the next request to the route, or None when the response
        named no valid `Retry-After`."""
