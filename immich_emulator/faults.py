"""Fault injection: make chosen requests slow, hang, fail or arrive broken."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
import json
import re

from aiohttp import web

# A hang never outlives this, so a forgotten fault cannot keep a test server busy forever.
MAX_HANG_SECONDS = 30.0


class FaultKind(StrEnum):
    """Effect a fault has on a matching request."""

    DELAY = "delay"
    HANG = "hang"
    SERVER_ERROR = "server_error"
    HTML_ERROR = "html_error"
    UNAUTHORIZED = "unauthorized"
    MISSING_PERMISSION = "missing_permission"
    TRUNCATED = "truncated"
    MISSING_ROUTE = "missing_route"
    MALFORMED_JSON = "malformed_json"
    """HTTP 200 with a JSON content type and a body that is not valid JSON."""
    RATE_LIMITED = "rate_limited"
    """HTTP 429 with `Retry-After` (`seconds`, or the `retry_after` text) and a JSON body."""
    NOT_MODIFIED = "not_modified"
    """HTTP 304 with no body whatever the request's headers, as a misconfigured cache sends."""


@dataclass(slots=True)
class Fault:
    """A rule: requests whose `METHOD /api/path` matches `pattern` get the fault."""

    kind: FaultKind
    pattern: str = ".*"
    seconds: float = 0.0
    status: int = 503
    permission: str = "asset.read"
    message: str = "Internal server error"
    """The `message` of a `server_error` body, for example an error about an id."""
    retry_after: str | None = None
    """The `Retry-After` of a `rate_limited` response, for example an HTTP date; None sends
    `seconds` as a whole number."""
    remaining: int | None = None
    """How many more requests it applies to; None applies until cleared."""

    def matches(self, method: str, path: str) -> bool:
        return re.search(self.pattern, f"{method} {path}") is not None


def error_body(status: int, message: str | list[str], error: str) -> bytes:
    return json.dumps(
        {"message": message, "error": error, "statusCode": status, "correlationId": "emulated"}
    ).encode()


HTML_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


class FaultInjector:
    """The active faults of one emulated server."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """Return the first fault for this request and count it down."""
        for fault in self.faults:
            if not fault.matches(method, path):
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
            return fault
        return None

    async def respond(self, fault: Fault, request: web.Request) -> web.StreamResponse | None:
        """Apply a fault; return the response to send, or None to continue normally."""
        if fault.kind is FaultKind.DELAY:
            await asyncio.sleep(fault.seconds)
            return None
        if fault.kind is FaultKind.HANG:
            await asyncio.sleep(min(fault.seconds or MAX_HANG_SECONDS, MAX_HANG_SECONDS))
            return None
        if fault.kind is FaultKind.SERVER_ERROR:
            return web.Response(
                status=fault.status,
                body=error_body(fault.status, fault.message, "Internal Server Error"),
                content_type="application/json",
            )
        if fault.kind is FaultKind.HTML_ERROR:
            return web.Response(status=fault.status, body=HTML_PAGE, content_type="text/html")
        if fault.kind is FaultKind.UNAUTHORIZED:
            return web.Response(
                status=401,
                body=error_body(401, "Invalid API key", "Unauthorized"),
                content_type="application/json",
            )
        if fault.kind is FaultKind.MISSING_PERMISSION:
            return web.Response(
                status=403,
                body=error_body(
                    403, f"Missing required permission: {fault.permission}", "Forbidden"
                ),
                content_type="application/json",
            )
        if fault.kind is FaultKind.MISSING_ROUTE:
            return web.Response(
                status=404,
                body=error_body(404, f"Cannot {request.method} {request.path}", "Not Found"),
                content_type="application/json",
            )
        if fault.kind is FaultKind.NOT_MODIFIED:
            return web.Response(status=304)
        if fault.kind is FaultKind.RATE_LIMITED:
            retry_after = fault.retry_after or str(round(fault.seconds))
            return web.Response(
                status=429,
                body=error_body(429, "Too Many Requests", "Too Many Requests"),
                content_type="application/json",
                headers={"Retry-After": retry_after},
            )
        if fault.kind is FaultKind.MALFORMED_JSON:
            return web.Response(status=200, body=b'{"id": "a', content_type="application/json")
        return await _truncated(request)


async def _truncated(request: web.Request) -> web.StreamResponse:
    """Promise a JSON body, send half of it, then drop the connection."""
    payload = json.dumps({"message": "x" * 512}).encode()
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    response.content_length = len(payload)
    await response.prepare(request)
    await response.write(payload[: len(payload) // 2])
    if request.transport is not None:
        request.transport.close()
    return response
