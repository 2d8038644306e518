"""Open sockets by user, the events sent to them, and the counters tests and benchmarks read."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import json
import logging
from typing import Any

from aiohttp import WSCloseCode, web

_LOGGER = logging.getLogger(__name__)

EVENT_PACKET = "42"
"""engine.io message (4) carrying a socket.io event (2) of the default namespace."""


@dataclass(slots=True)
class SocketStats:
    """Counters of the socket endpoint since the server started."""

    connections: int = 0
    """Sockets that joined the default namespace with a valid API key."""
    rejected: int = 0
    """Namespace joins rejected with `unauthorized`."""
    open: int = 0
    """Websockets open now, joined or not."""
    events: int = 0
    """Event packets sent, counted once per receiving socket."""


class SocketConnection:
    """One websocket. A single writer task sends its frames in the order they were queued."""

    def __init__(self, websocket: web.WebSocketResponse) -> None:
        self.websocket = websocket
        self.user_id: str | None = None
        """The API key's user once the socket joined the default namespace."""
        self.pong = asyncio.Event()
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue()

    def send(self, frame: str) -> None:
        self._outbox.put_nowait(frame)

    def finish(self) -> None:
        """Stop the writer after the frames queued so far."""
        self._outbox.put_nowait(None)

    async def write_frames(self) -> None:
        while (frame := await self._outbox.get()) is not None:
            if self.websocket.closed:
                return
            try:
                await self.websocket.send_str(frame)
            except ConnectionError as err:
                _LOGGER.debug("Socket write failed: %s", err)
                return

    async def close(self, code: int = WSCloseCode.OK) -> None:
        await self.websocket.close(code=code)


class SocketHub:
    """The emulated server's sockets, grouped by user as Immich's socket.io rooms are."""

    def __init__(self) -> None:
        self.stats = SocketStats()
        self._connections: set[SocketConnection] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def attach(self, connection: SocketConnection) -> None:
        self._connections.add(connection)
        self.stats.open = len(self._connections)

    def detach(self, connection: SocketConnection) -> None:
        self._connections.discard(connection)
        self.stats.open = len(self._connections)

    def emit(self, user_id: str, name: str, payload: Any) -> int:
        """Send `42[name, payload]` to every joined socket of a user; return how many got it."""
        frame = EVENT_PACKET + json.dumps([name, payload], separators=(",", ":"))
        receivers = [c for c in self._connections if c.user_id == user_id]
        for connection in receivers:
            connection.send(frame)
        self.stats.events += len(receivers)
        return len(receivers)

    async def close_all(self) -> None:
        """Close every open websocket, as a restarting server or a proxy timeout does."""
        connections = list(self._connections)
        await asyncio.gather(
            *(connection.close(WSCloseCode.GOING_AWAY) for connection in connections)
        )

    def later(self, delay: float, action: Callable[[], Awaitable[None]]) -> None:
        """Run an action after `delay` seconds, unless the server stops first."""

        async def run() -> None:
            await asyncio.sleep(delay)
            await action()

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.close_all()
