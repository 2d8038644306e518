"""The emulated server of the live updates benchmark, in a process of its own.

`python -m benchmarks.live_emulator` serves Immich v2.7.5 with the control endpoint on
127.0.0.1, prints `listening on URL` and stops on SIGTERM or SIGINT, or by itself after
`--lifetime` seconds. Besides `/_emulator/control` it serves two routes for the benchmark:

- `GET /_emulator/bench` returns `{"upload_event_delay": seconds}`.
- `POST /_emulator/bench/uploads` with `{"count": N}` adds N photos to the admin's library
  at once and schedules each one's upload events as `POST /api/assets` does. It returns
  `{"asset_ids": [...]}`.

Running the server in its own process keeps its work (multipart parsing, JSON encoding of
the events) off the event loop whose latency the benchmark measures, as with a real server.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
from datetime import UTC, datetime
import hashlib
import sys
from typing import Any
import uuid

from aiohttp import ClientSession, web

from immich_emulator import ADMIN_USER_ID
from immich_emulator.control import CONTROL_PATH, ControlledEmulatorServer
from immich_emulator.server import SERVER_KEY, EmulatorServer
from immich_emulator.socket.endpoint import announce_upload

from .emulator_process import EmulatorProcess, serve

DEFAULT_LIFETIME = 10 * 60
PROFILE = "v2.7.5"
BENCH_PATH = "/_emulator/bench"
UPLOADS_PATH = f"{BENCH_PATH}/uploads"
MAX_BURST = 100_000


class LiveEmulatorServer(ControlledEmulatorServer):
    """The controlled emulator plus the benchmark's two routes."""

    def create_app(self) -> web.Application:
        app = super().create_app()
        app.router.add_get(BENCH_PATH, get_settings)
        app.router.add_post(UPLOADS_PATH, post_uploads)
        return app


async def get_settings(request: web.Request) -> web.Response:
    server = request.app[SERVER_KEY]
    return web.json_response({"upload_event_delay": server.upload_event_delay})


async def post_uploads(request: web.Request) -> web.Response:
    server = request.app[SERVER_KEY]
    body = await request.json()
    count = body.get("count") if isinstance(body, dict) else None
    if not isinstance(count, int) or not 1 <= count <= MAX_BURST:
        return web.json_response(
            {"error": f"count must be an integer from 1 to {MAX_BURST}, got {count!r}"},
            status=400,
        )

    asset_ids = [add_photo(server, number) for number in range(count)]
    for asset_id in asset_ids:
        announce_upload(server, asset_id)
    return web.json_response({"asset_ids": asset_ids})


def add_photo(server: EmulatorServer, number: int) -> str:
    """Add a copy of one of the admin's captured photos under a new id; return the id.

    The copy has its own id, checksum and file name, as a distinct upload has, so that the
    statistics count it and its event payload names it.
    """
    library = server.library
    template = next(
        asset
        for asset in library.assets.values()
        if asset["ownerId"] == ADMIN_USER_ID
        and asset["type"] == "IMAGE"
        and not asset.get("isTrashed")
        and asset.get("visibility", "timeline") == "timeline"
    )
    asset_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    file_name = f"burst-{number:05d}.jpg"
    asset = copy.deepcopy(template)
    asset.update(
        {
            "id": asset_id,
            "createdAt": now,
            "updatedAt": now,
            "deviceAssetId": f"{file_name}-{number}",
            "deviceId": "live-benchmark",
            "originalFileName": file_name,
            "originalPath": f"/data/upload/{ADMIN_USER_ID}/{asset_id}.jpg",
            "checksum": base64.b64encode(hashlib.sha1(asset_id.encode()).digest()).decode(),
            "isFavorite": False,
            "livePhotoVideoId": None,
            "duplicateId": None,
        }
    )
    library.assets[asset_id] = asset
    return asset_id


def live_emulator_process(lifetime: float = DEFAULT_LIFETIME) -> EmulatorProcess:
    """Return the process that serves the live updates benchmark's emulator."""
    return EmulatorProcess("benchmarks.live_emulator", ["--lifetime", str(lifetime)])


class LiveEmulatorControl:
    """Reads counters of the emulator process and drives it, over its `/_emulator/` routes."""

    def __init__(self, session: ClientSession, url: str) -> None:
        self._session = session
        self._url = url

    async def async_state(self) -> dict[str, Any]:
        """Return the control endpoint's state: `stats` (requests by route) and `socket`."""
        async with self._session.get(self._url + CONTROL_PATH) as response:
            response.raise_for_status()
            state: dict[str, Any] = await response.json()
        return state

    async def async_requests(self, route: str) -> int:
        """Return the requests of one `METHOD /path` since the last reset."""
        state = await self.async_state()
        return int(state["stats"]["by_route"].get(route, 0))

    async def async_reset_stats(self) -> None:
        await self._async_control({"reset_stats": True})

    async def async_drop_sockets(self) -> None:
        await self._async_control({"drop_sockets": True})

    async def async_upload_event_delay(self) -> float:
        async with self._session.get(self._url + BENCH_PATH) as response:
            response.raise_for_status()
            settings: dict[str, Any] = await response.json()
        return float(settings["upload_event_delay"])

    async def async_add_photos(self, count: int) -> list[str]:
        """Add photos at once; each one's upload events follow after the upload event delay."""
        async with self._session.post(self._url + UPLOADS_PATH, json={"count": count}) as response:
            response.raise_for_status()
            body: dict[str, Any] = await response.json()
        return list(body["asset_ids"])

    async def _async_control(self, request: dict[str, Any]) -> None:
        async with self._session.post(self._url + CONTROL_PATH, json=request) as response:
            response.raise_for_status()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.live_emulator",
        description="Serve the emulated Immich API of the live updates benchmark on 127.0.0.1.",
    )
    parser.add_argument(
        "--lifetime",
        type=float,
        default=DEFAULT_LIFETIME,
        metavar="SECONDS",
        help=f"stop by itself after this many seconds (default {DEFAULT_LIFETIME})",
    )
    args = parser.parse_args(argv)
    asyncio.run(serve(LiveEmulatorServer(PROFILE), args.lifetime))
    return 0


if __name__ == "__main__":
    sys.exit(main())
