"""A simulated clock for a Home Assistant test instance: jump from one due timer to the next.

The `freezer` fixture freezes `time.monotonic`, so the event loop's clock does not advance
unless the benchmark ticks it. Each step moves the clock to the next scheduled timer of the
loop, or to the end of the span. It then fires what is due with the test package's
`async_fire_time_changed`, so every coordinator polls at its own time and none is skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
import math

import freezegun.api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util.async_ import get_scheduled_timer_handles
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from .compare_meter import CpuMeter

MIN_STEP = 0.01
"""Seconds a step moves at least, so a timer that reschedules itself at once cannot stall."""
QUIET_ROUNDS = 2
"""Event loop iterations in a row with nothing to run and no socket ready that end a settle."""
MAX_SETTLE_ROUNDS = 10_000


def real_seconds() -> float:
    """Return the unfrozen `time.perf_counter()`, for the parts that run in real time."""
    return freezegun.api.real_perf_counter()


class SimulatedClock:
    """Moves a frozen Home Assistant through time and waits for the work each step starts."""

    def __init__(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory, meter: CpuMeter):
        self._hass = hass
        self._freezer = freezer
        self._meter = meter
        self.elapsed = 0.0
        """Simulated seconds since the clock was created."""

    def seconds_to_next_timer(self) -> float:
        loop = self._hass.loop
        due = [
            handle.when()
            for handle in get_scheduled_timer_handles(loop)
            if isinstance(handle, asyncio.TimerHandle) and not handle.cancelled()
        ]
        return min(due, default=math.inf) - loop.time()

    async def async_step(self, limit: float) -> None:
        """Move to the next timer, but at most `limit` seconds, and fire what is due."""
        step = min(max(self.seconds_to_next_timer(), MIN_STEP), limit)
        self._freezer.tick(timedelta(seconds=step))
        self.elapsed += step
        async_fire_time_changed(self._hass)
        await self.async_settle()

    async def async_run_for(self, seconds: float) -> None:
        end = self.elapsed + seconds
        while self.elapsed < end - 1e-9:
            await self.async_step(end - self.elapsed)

    async def async_run_until(self, condition: Callable[[], bool], limit: float) -> float | None:
        """Step until `condition()` holds; return the simulated seconds it took, or None when
        it still fails after `limit` seconds."""
        started = self.elapsed
        while not condition():
            if self.elapsed - started >= limit:
                return None
            await self.async_step(limit - (self.elapsed - started))
        return self.elapsed - started

    async def async_settle(self) -> None:
        """Wait for the tasks the last step started and for every coordinator refresh.

        Refreshes run as background tasks, but `async_block_till_done(wait_background_tasks=
        True)` would also wait for long-lived background tasks such as a websocket listener,
        so the meter's count of running refreshes is awaited instead.
        """
        await self._hass.async_block_till_done()
        await self._meter.async_wait_idle()
        await self._hass.async_block_till_done()
        await async_quiesce(self._hass.loop)


async def async_quiesce(loop: asyncio.AbstractEventLoop) -> None:
    """Let the loop run until no callback is ready and no socket has bytes to read.

    A websocket ping and its pong take several loop iterations over loopback. Without this,
    the next step could jump the frozen clock past the server's pong timeout before the pong
    is read, and the socket would close for a reason that real time never produces.
    NOTE: this reads asyncio's private `_ready` and `_selector` of the selector event loop.
    """
    ready = getattr(loop, "_ready", None)
    selector = getattr(loop, "_selector", None)
    assert ready is not None, f"{type(loop).__name__} has no `_ready` queue"
    assert selector is not None, f"{type(loop).__name__} has no `_selector`"
    quiet = 0
    for _ in range(MAX_SETTLE_ROUNDS):
        await asyncio.sleep(0)
        quiet = 0 if ready or selector.select(0) else quiet + 1
        if quiet >= QUIET_ROUNDS:
            return


async def async_wait_real(condition: Callable[[], bool], seconds: float) -> float | None:
    """Spin the event loop for up to `seconds` of real time until `condition()` holds.

    Return the real seconds it took, or None. The loop's own timers are frozen, so this is a
    busy wait that yields at every turn, to let network I/O such as a websocket event arrive.
    """
    started = real_seconds()
    while (elapsed := real_seconds() - started) < seconds:
        if condition():
            return elapsed
        await asyncio.sleep(0)
    return elapsed if condition() else None
