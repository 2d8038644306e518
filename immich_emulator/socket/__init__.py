"""Immich's live socket.io endpoint, `GET /api/socket.io/?EIO=4&transport=websocket`.

The emulator speaks engine.io v4 and socket.io v5 itself over aiohttp's websocket, so that it
does not depend on the socket.io library the integration uses.
"""

from .hub import SocketHub, SocketStats

__all__ = ["SocketHub", "SocketStats"]
