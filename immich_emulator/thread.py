"""Run an emulated server on its own event loop in a background thread.

Tests use it where the server's own loop must stay apart from Home Assistant's, for
example a TLS server whose failed handshakes asyncio reports on the serving loop.
"""

from __future__ import annotations

import asyncio
import ssl
import threading

from .server import EmulatorServer


class EmulatorThread:
    """Start with `start()`, which returns the URL; `stop()` ends the loop and the thread."""

    def __init__(self, server: EmulatorServer, ssl_context: ssl.SSLContext | None = None) -> None:
        self.server = server
        self._ssl_context = ssl_context
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self, timeout: float = 10.0) -> str:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            self.server.start(ssl_context=self._ssl_context), self._loop
        )
        return future.result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop.close()
