"""The emulated server with a large virtual album, in a process of its own.

`python -m benchmarks.large_emulator --assets 100000` serves on 127.0.0.1, prints
`listening on URL` and stops on SIGTERM or SIGINT, or by itself after `--lifetime` seconds.
`EmulatorProcess` starts it from a benchmark, so that tracemalloc and the timings of the
benchmark's process see Home Assistant's work only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path
import select
import signal
import subprocess
import sys
import time
from typing import IO, Any

from aiohttp import ClientSession

from immich_emulator.control import CONTROL_PATH
from immich_emulator.virtual import DEFAULT_ASSET_COUNT
from immich_emulator.virtual_server import VirtualAlbumServer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READY_PREFIX = "listening on "
DEFAULT_LIFETIME = 30 * 60


class EmulatorProcess:
    """An emulator process: `start()` starts it and returns its URL, `stop()` ends it."""

    def __init__(self, asset_count: int, lifetime: float = DEFAULT_LIFETIME) -> None:
        self.asset_count = asset_count
        self.lifetime = lifetime
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 30.0) -> str:
        command = [
            sys.executable,
            "-m",
            "benchmarks.large_emulator",
            "--assets",
            str(self.asset_count),
            "--lifetime",
            str(self.lifetime),
        ]
        self._process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        line = _read_line(self._process.stdout, timeout)
        if not line.startswith(READY_PREFIX):
            self.stop()
            raise RuntimeError(
                f"the emulator process printed {line!r} instead of {READY_PREFIX!r} "
                f"within {timeout} s; command: {' '.join(command)}"
            )
        self.url = line.removeprefix(READY_PREFIX).strip()
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
        if process.stdout is not None:
            process.stdout.close()


def _read_line(stream: IO[str], timeout: float) -> str:
    ready, _, _ = select.select([stream], [], [], timeout)
    return stream.readline() if ready else ""


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


async def serve(asset_count: int, lifetime: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    server = VirtualAlbumServer(asset_count=asset_count)
    url = await server.start()
    print(f"{READY_PREFIX}{url}", flush=True)
    started = time.monotonic()
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=lifetime)
    finally:
        await server.stop()
    reason = "on a signal" if stop.is_set() else "at the end of its lifetime"
    print(f"stopped {reason}, after {time.monotonic() - started:.0f} s", file=sys.stderr)


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
    asyncio.run(serve(args.assets, args.lifetime))
    return 0


if __name__ == "__main__":
    sys.exit(main())
