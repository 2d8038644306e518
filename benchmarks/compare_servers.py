"""Servers for the comparison: the emulator with bytes counted by route, a port that refuses
connections, and a server that accepts connections and never responds."""

from __future__ import annotations

import asyncio
from collections import Counter
import contextlib
import socket
from typing import Any

from aiohttp import web

from immich_emulator import EmulatorServer
from immich_emulator.server import LOOPBACK

HANG_LIFETIME = 120.0
"""Seconds the hanging server keeps a connection open before closing it by itself."""


class CountingEmulatorServer(EmulatorServer):
    """The emulator, plus response body bytes by `METHOD /path`; `stats` has only the total."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.body_bytes_by_route: Counter[str] = Counter()

    def create_app(self) -> web.Application:
        app = super().create_app()
        # The application is frozen when its runner starts, so a middleware can still go first.
        app.middlewares.insert(0, self._count_bytes)
        return app

    @web.middleware
    async def _count_bytes(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            self.body_bytes_by_route[f"{request.method} {request.path}"] += len(response.body)
        return response


def refused_port() -> int:
    """Return a 127.0.0.1 port with nothing listening: bind it, then close it.

    NOTE: another program could take the port in between; nothing else on this machine is
    expected to listen on ephemeral loopback ports during a run.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
    return port


class HangingServer:
    """A server that accepts connections on 127.0.0.1, reads what arrives and never responds.

    Each connection closes after `HANG_LIFETIME` seconds, or at `stop()`.
    """

    def __init__(self) -> None:
        self.port = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            async with asyncio.timeout(HANG_LIFETIME):
                while await reader.read(65536):
                    pass
        except (TimeoutError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def drop_connections(self) -> None:
        """Close every open connection, as a server that gives up would."""
        for writer in list(self._writers):
            writer.close()

    async def stop(self) -> None:
        self.drop_connections()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._server.wait_closed()
            self._server = None
