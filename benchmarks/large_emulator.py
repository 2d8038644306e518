"""The emulated server with a large virtual album, in a process of its own.

`python -m benchmarks.large_emulator --assets 100000` serves on 127.0.0.1, prints
`listening on URL` and stops on SIGTERM or SIGINT, or by itself after `--lifetime` seconds.
`large_emulator_process` starts it from a benchmark, so that tracemalloc and the timings of
the benchmark's process see Home Assistant's work only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from aiohttp import ClientSession

from immich_emulator.control import CONTROL_PATH
from immich_emulator.virtual import DEFAULT_ASSET_COUNT
from immich_emulator.virtual_server import VirtualAlbumServer

from .emulator_process import EmulatorProcess, serve

DEFAULT_LIFETIME = 30 * 60


def large_emulator_process(asset_count: int, lifetime: float = DEFAULT_LIFETIME) -> EmulatorProcess:
    """Return the process that serves a virtual album of `asset_count` photos."""
    return EmulatorProcess(
        "benchmarks.large_emulator",
        ["--assets", str(asset_count), "--lifetime", str(lifetime)],
    )


class EmulatorStats:
    """Reads and resets the request counters over the emulator's control endpoint."""

    def __init__(self, session: ClientSession, url: str) -> None:
        self._session = session
        self._control_url = url + CONTROL_PATH

    async def async_read(self) -> dict[str, Any]:
        """Return `{"requests": int, "body_bytes": int, "by_route": {"GET /api/...": int}}`."""
        async with self._session.get(self._control_url) as response:
            response.raise_for_status()
            state: dict[str, Any] = await response.json()
        stats: dict[str, Any] = state["stats"]
        return stats

    async def async_reset(self) -> None:
        async with self._session.post(self._control_url, json={"reset_stats": True}) as response:
            response.raise_for_status()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.large_emulator",
        description="Serve the emulated Immich API with a large virtual album on 127.0.0.1.",
    )
    parser.add_argument(
        "--assets",
        type=int,
        default=DEFAULT_ASSET_COUNT,
        help=f"photos in the virtual album (default {DEFAULT_ASSET_COUNT})",
    )
    parser.add_argument(
        "--lifetime",
        type=float,
        default=DEFAULT_LIFETIME,
        metavar="SECONDS",
        help=f"stop by itself after this many seconds (default {DEFAULT_LIFETIME})",
    )
    args = parser.parse_args(argv)
    asyncio.run(serve(VirtualAlbumServer(asset_count=args.assets), args.lifetime))
    return 0


if __name__ == "__main__":
    sys.exit(main())
