"""A live connection to Immich's socket.io endpoint, for events about the key's own library.

Immich serves socket.io (engine.io v4) at `/api/socket.io/` and authenticates the websocket
upgrade request by its `x-api-key` header. The connection uses python-socketio over the
caller's aiohttp session, on the websocket transport only, and never reconnects by itself:
the caller decides when to try again.

aiohttp follows redirects of a websocket upgrade and sends every header to the new address,
and its websocket call has no option to stop that. So the connection runs on its own session
over the caller's connector, whose trace hook raises at the first redirect, before the
request to the new address is sent. Before that, a plain request without the API key
checks the endpoint, so that a redirect or a missing endpoint is named in the error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import StrEnum
import logging
from typing import Any

import aiohttp
import socketio  # type: ignore[import-untyped]
from yarl import URL

from .errors import ImmichError
from .live_events import LiveEvent, parse_live_event
from .url import api_base_url

_LOGGER = logging.getLogger(__name__)

SOCKET_PATH = "socket.io"
"""Path of the endpoint below the API root, `/api/socket.io/`."""
MAX_PROBE_BODY = 4096
SERVER_ERROR_EVENT = "error"
"""Event Immich sends, with a reason, before it closes a socket it does not accept."""
WELCOME_EVENT = "on_server_version"
"""Event Immich sends once it has accepted the socket's API key."""


class LiveUnavailableReason(StrEnum):
    """Reason a live connection could not be opened, or ended."""

    REDIRECTED = "redirected"
    ENDPOINT_MISSING = "endpoint_missing"
    UPGRADE_REJECTED = "upgrade_rejected"
    REJECTED_BY_SERVER = "rejected_by_server"
    CONNECTION_FAILED = "connection_failed"
    TIMEOUT = "timeout"


PERMANENT_REASONS = frozenset(
    {
        LiveUnavailableReason.REDIRECTED,
        LiveUnavailableReason.ENDPOINT_MISSING,
        LiveUnavailableReason.UPGRADE_REJECTED,
    }
)
"""Reasons that a retry a few seconds later will not fix: a proxy's or server's set-up."""


class ImmichLiveError(ImmichError):
    """The live connection could not be opened; `reason` names the cause."""

    def __init__(self, message: str, *, reason: LiveUnavailableReason) -> None:
        super().__init__(message)
        self.reason = reason


class LiveConnection:
    """One socket.io connection; `on_event` receives each parsed event on the event loop.

    Use `async_connect`, then `async_wait_closed` until the server or network ends it, and
    `async_close` to end it from this side. A closed connection is not opened again.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        server_url: URL,
        api_key: str,
        *,
        timeout: float,
        on_event: Callable[[LiveEvent], None],
    ) -> None:
        self._session = session
        self._api_url = api_base_url(server_url)
        self._api_key = api_key
        self._timeout = timeout
        self._on_event = on_event
        self._sio: Any = None
        self._websocket_session: aiohttp.ClientSession | None = None
        self._closed = asyncio.Event()
        self._accepted = asyncio.Event()
        self._probe_status: int | None = None
        self.close_reason: str | None = None
        """Why the connection ended, once it has."""

    @property
    def socket_url(self) -> URL:
        """The engine.io websocket address, without credentials."""
        return (self._api_url / SOCKET_PATH / "").with_query(EIO="4", transport="websocket")

    @property
    def connected(self) -> bool:
        return self._sio is not None and not self._closed.is_set()

    async def async_connect(self) -> None:
        """Open the connection and join the default namespace; raise ImmichLiveError."""
        await self._async_probe()
        self._websocket_session = aiohttp.ClientSession(
            connector=self._session.connector,
            connector_owner=False,
            headers=self._session.headers,
            trace_configs=[_redirect_refusing_trace_config()],
        )
        sio = socketio.AsyncClient(
            reconnection=False,
            handle_sigint=False,
            http_session=self._websocket_session,
            request_timeout=self._timeout,
            timestamp_requests=False,
        )
        sio.on("*", self._handle_frame)
        sio.on("disconnect", self._handle_disconnect)
        origin = str(self._api_url.origin())
        path = f"{self._api_url.path.strip('/')}/{SOCKET_PATH}"
        try:
            async with asyncio.timeout(self._timeout):
                await sio.connect(
                    origin,
                    headers={"x-api-key": self._api_key},
                    transports=["websocket"],
                    socketio_path=path,
                    wait_timeout=self._timeout,
                )
        except TimeoutError as err:
            await self._async_abandon(sio)
            raise ImmichLiveError(
                f"No socket.io handshake from {self._describe()} within {self._timeout:g} s",
                reason=LiveUnavailableReason.TIMEOUT,
            ) from err
        except ImmichLiveError:
            await self._async_abandon(sio)
            raise
        except socketio.exceptions.ConnectionError as err:
            await self._async_abandon(sio)
            raise self._connect_error(err) from err

        # Immich joins every socket to the namespace first and checks the key afterwards, so
        # the connection counts as open only once the server's welcome arrives.
        if not await self._async_wait_for_welcome():
            await self._async_abandon(sio)
            raise ImmichLiveError(
                f"{self._describe()} closed the connection: {self.close_reason}",
                reason=LiveUnavailableReason.REJECTED_BY_SERVER,
            )
        self._sio = sio

    async def _async_wait_for_welcome(self) -> bool:
        """Return False when the server closes the socket before its welcome event.

        A server that sends no welcome within the timeout counts as accepting.
        """
        waiters = [
            asyncio.ensure_future(self._accepted.wait()),
            asyncio.ensure_future(self._closed.wait()),
        ]
        try:
            await asyncio.wait(waiters, timeout=self._timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        return self._accepted.is_set() or not self._closed.is_set()

    async def async_wait_closed(self) -> str:
        """Wait until the connection ends and return why."""
        await self._closed.wait()
        return self.close_reason or "closed"

    async def async_close(self) -> None:
        """End the connection, if open; safe to call more than once."""
        sio, self._sio = self._sio, None
        if sio is not None:
            self.close_reason = self.close_reason or "closed by Home Assistant"
            await self._async_abandon(sio)
        self._closed.set()

    async def _async_abandon(self, sio: Any) -> None:
        """Disconnect the client and close the websocket session, whatever their state."""
        await _async_disconnect(sio)
        session, self._websocket_session = self._websocket_session, None
        if session is not None:
            await session.close()

    def _describe(self) -> str:
        return f"{self._api_url.origin()}{self._api_url.path}/{SOCKET_PATH}/"

    async def _async_probe(self) -> None:
        """Send the endpoint a plain request without the API key; raise on a redirect."""
        try:
            async with self._session.get(
                self.socket_url,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                await response.content.read(MAX_PROBE_BODY)
                self._probe_status = response.status
                location = response.headers.get("Location")
        except TimeoutError as err:
            raise ImmichLiveError(
                f"{self._describe()} sent no response within {self._timeout:g} s",
                reason=LiveUnavailableReason.TIMEOUT,
            ) from err
        except aiohttp.ClientError as err:
            raise ImmichLiveError(
                f"Failed to connect to {self._describe()}: {err}",
                reason=LiveUnavailableReason.CONNECTION_FAILED,
            ) from err

        if 300 <= self._probe_status < 400:
            target = self.socket_url.join(URL(location)).origin() if location else "nowhere"
            raise ImmichLiveError(
                f"{self._describe()} redirects to {target} (HTTP {self._probe_status}); the API"
                " key is not sent to a redirect, so configure the address Immich answers on",
                reason=LiveUnavailableReason.REDIRECTED,
            )

    def _connect_error(self, err: Exception) -> ImmichLiveError:
        """Explain a failed upgrade with the status the plain request returned."""
        status = self._probe_status
        if status == 404:
            return ImmichLiveError(
                f"{self._describe()} does not exist (HTTP 404): the server or a proxy in front"
                " of it has no socket.io endpoint",
                reason=LiveUnavailableReason.ENDPOINT_MISSING,
            )
        if status in (401, 403, 407):
            return ImmichLiveError(
                f"The websocket upgrade to {self._describe()} failed, and a plain request "
                f"without the API key returned HTTP {status}: a proxy in front of Immich asks"
                " for its own sign-in, which the integration cannot give",
                reason=LiveUnavailableReason.UPGRADE_REJECTED,
            )
        if status is not None and status != 400:
            # engine.io returns 400 to a request without an upgrade, so any other status
            # comes from a proxy that does not pass websockets on.
            return ImmichLiveError(
                f"The websocket upgrade to {self._describe()} failed, and a plain request "
                f"returned HTTP {status}: a proxy in front of Immich may not pass websocket"
                " upgrades on",
                reason=LiveUnavailableReason.UPGRADE_REJECTED,
            )
        return ImmichLiveError(
            f"The websocket connection to {self._describe()} failed: {err}",
            reason=LiveUnavailableReason.CONNECTION_FAILED,
        )

    async def _handle_frame(self, name: str, *args: Any) -> None:
        payload = args[0] if args else None
        if name == SERVER_ERROR_EVENT:
            # Immich sends this before it leaves the namespace of a socket whose key it
            # rejects. python-socketio drops that namespace disconnect when it arrives before
            # `connect` returns, so the error itself ends the connection.
            self.close_reason = f"the server sent an error: {str(payload)[:200]}"
            self._closed.set()
            return
        if name == WELCOME_EVENT:
            self._accepted.set()
        event = parse_live_event(name, payload)
        if event is None:
            return
        try:
            self._on_event(event)
        except Exception:
            # A failing listener must not end the connection's read loop.
            _LOGGER.exception("Error handling Immich event %s", name)

    async def _handle_disconnect(self, *args: Any) -> None:
        if self.close_reason is None:
            self.close_reason = f"disconnected ({args[0]})" if args else "disconnected"
        self._closed.set()


def _redirect_refusing_trace_config() -> aiohttp.TraceConfig:
    """Return a trace config that raises at a redirect, before aiohttp follows it."""

    async def refuse(
        session: aiohttp.ClientSession,
        context: Any,
        params: aiohttp.TraceRequestRedirectParams,
    ) -> None:
        location = params.response.headers.get("Location")
        target = params.url.join(URL(location)).origin() if location else "nowhere"
        raise ImmichLiveError(
            f"The websocket upgrade to {params.url.origin()}{params.url.path} redirects to "
            f"{target} (HTTP {params.response.status}); the API key is not sent to a redirect,"
            " so configure the address Immich answers on",
            reason=LiveUnavailableReason.REDIRECTED,
        )

    trace_config = aiohttp.TraceConfig()
    trace_config.on_request_redirect.append(refuse)
    return trace_config


async def _async_disconnect(sio: Any) -> None:
    """Disconnect a client, whatever state it is in, without waiting long."""
    try:
        async with asyncio.timeout(5):
            await sio.disconnect()
    except Exception as err:
        _LOGGER.debug("Error while closing the socket.io client: %s", err)
