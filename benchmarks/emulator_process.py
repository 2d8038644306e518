"""An emulated server in a process of its own, started and stopped from a benchmark.

Running the server in another process keeps its work out of tracemalloc and off the event
loop whose timings the benchmark measures. The process prints `listening on URL` once it
serves on 127.0.0.1, and stops on SIGTERM or SIGINT, or by itself after its lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
import select
import signal
import subprocess
import sys
import time
from typing import IO

from immich_emulator.server import EmulatorServer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READY_PREFIX = "listening on "


class EmulatorProcess:
    """`python -m <module> <arguments>`: `start()` starts it and returns its URL, `stop()`
    ends it."""

    def __init__(self, module: str, arguments: list[str]) -> None:
        self.command = [sys.executable, "-m", module, *arguments]
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 30.0) -> str:
        self._process = subprocess.Popen(
            self.command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        line = _read_line(self._process.stdout, timeout)
        if not line.startswith(READY_PREFIX):
            self.stop()
            raise RuntimeError(
                f"the emulator process printed {line!r} instead of {READY_PREFIX!r} "
                f"within {timeout} s; command: {' '.join(self.command)}"
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


async def serve(server: EmulatorServer, lifetime: float) -> None:
    """Serve until SIGTERM or SIGINT, or for `lifetime` seconds, printing the ready line."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

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
