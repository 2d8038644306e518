"""CPU time of coordinator refreshes, without the work of the emulator that shares the thread.

The emulated server runs on Home Assistant's event loop, as in the test suite, so that its
timers (socket.io pings among them) follow the same simulated clock as the integration's.
Its work then runs on the same thread while a coordinator waits for a response. The meter
measures the emulator's request handling separately (aiohttp's server-side parsing and each
step of its request-handling tasks) and subtracts it from the refresh windows.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
import statistics
import time
from typing import Any

from aiohttp.web_protocol import RequestHandler
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
import pytest


@dataclass(slots=True)
class CpuWindow:
    """Thread CPU time while at least one call of a kind runs, and the emulator's share of it."""

    depth: int = 0
    started: float = 0.0
    seconds: float = 0.0
    emulator_seconds: float = 0.0
    emulator_at_start: float = 0.0
    samples: list[float] = field(default_factory=list)
    """CPU seconds of each window without the emulator's share, in order."""

    def enter(self) -> None:
        if self.depth == 0:
            self.started = time.thread_time()
            self.emulator_at_start = self.emulator_seconds
        self.depth += 1

    def exit(self) -> None:
        self.depth -= 1
        if self.depth == 0:
            elapsed = time.thread_time() - self.started
            self.seconds += elapsed
            self.samples.append(elapsed - (self.emulator_seconds - self.emulator_at_start))

    @property
    def median_seconds(self) -> float:
        """The median window's CPU seconds, which a rare slow window (a garbage collection,
        another process on the core) does not move."""
        return statistics.median(self.samples) if self.samples else 0.0

    @property
    def own_seconds(self) -> float:
        """CPU seconds of the windows without the emulator's request handling."""
        return self.seconds - self.emulator_seconds


class CpuMeter:
    """Measures coordinator refreshes and the emulator's request handling on one thread.

    Overlapping refreshes (several coordinators due at the same moment) count once, because
    each window is the time during which at least one of them runs.
    """

    def __init__(self, emulator_port: int) -> None:
        self.emulator_port = emulator_port
        self.refresh = CpuWindow()
        """`DataUpdateCoordinator._async_refresh`: fetch, parse and entity state writes."""
        self.update = CpuWindow()
        """`_async_update_data` alone: fetch and parse."""
        self.emulator_seconds = 0.0
        self.refreshes: Counter[str] = Counter()
        """Refreshes by coordinator class."""
        self.refresh_by_class: dict[str, CpuWindow] = {}
        """Refresh windows of each coordinator class; overlaps with other classes count in each."""
        self._emulator_depth = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def reset(self) -> None:
        self.refresh = CpuWindow(depth=self.refresh.depth)
        self.update = CpuWindow(depth=self.update.depth)
        self.emulator_seconds = 0.0
        self.refreshes.clear()
        self.refresh_by_class = {
            name: CpuWindow(depth=window.depth) for name, window in self.refresh_by_class.items()
        }

    @property
    def refreshing(self) -> bool:
        return self.refresh.depth > 0

    async def async_wait_idle(self) -> None:
        """Wait until no coordinator refresh runs."""
        while self.refreshing:
            await self._idle.wait()

    @contextmanager
    def emulator_step(self) -> Iterator[None]:
        """Charge the enclosed synchronous work to the emulator; nested steps count once."""
        self._emulator_depth += 1
        started = time.thread_time() if self._emulator_depth == 1 else 0.0
        try:
            yield
        finally:
            self._emulator_depth -= 1
            if self._emulator_depth == 0:
                spent = time.thread_time() - started
                self.emulator_seconds += spent
                if self.refresh.depth:
                    self.refresh.emulator_seconds += spent
                if self.update.depth:
                    self.update.emulator_seconds += spent
                for window in self.refresh_by_class.values():
                    if window.depth:
                        window.emulator_seconds += spent

    def is_emulator(self, handler: RequestHandler) -> bool:
        transport = handler.transport
        if transport is None:
            return False
        sockname = transport.get_extra_info("sockname")
        return bool(sockname) and sockname[1] == self.emulator_port

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Wrap every coordinator's refresh and the emulator's request handling."""
        meter = self
        refresh = DataUpdateCoordinator._async_refresh

        async def metered_refresh(
            coordinator: DataUpdateCoordinator[Any], *args: Any, **kwargs: Any
        ) -> None:
            if "_async_update_data" not in vars(coordinator):
                # An instance attribute shadows the class's method for this coordinator only.
                coordinator._async_update_data = meter.wrap_update(  # type: ignore[method-assign]
                    coordinator._async_update_data
                )
            name = type(coordinator).__name__
            meter.refreshes[name] += 1
            own = meter.refresh_by_class.setdefault(name, CpuWindow())
            meter._idle.clear()
            meter.refresh.enter()
            own.enter()
            try:
                await refresh(coordinator, *args, **kwargs)
            finally:
                own.exit()
                meter.refresh.exit()
                if not meter.refreshing:
                    meter._idle.set()

        data_received = RequestHandler.data_received
        handle_request = RequestHandler._handle_request

        def metered_data_received(handler: RequestHandler, data: bytes) -> None:
            if not meter.is_emulator(handler):
                data_received(handler, data)
                return
            with meter.emulator_step():
                data_received(handler, data)

        def metered_handle_request(handler: RequestHandler, *args: Any, **kwargs: Any) -> Any:
            coroutine = handle_request(handler, *args, **kwargs)
            if not meter.is_emulator(handler):
                return coroutine
            return MeteredCoroutine(coroutine, meter)

        monkeypatch.setattr(DataUpdateCoordinator, "_async_refresh", metered_refresh)
        monkeypatch.setattr(RequestHandler, "data_received", metered_data_received)
        monkeypatch.setattr(RequestHandler, "_handle_request", metered_handle_request)

    def wrap_update[T](
        self, update: Callable[[], Awaitable[T]]
    ) -> Callable[[], Coroutine[Any, Any, T]]:
        async def metered_update() -> T:
            self.update.enter()
            try:
                return await update()
            finally:
                self.update.exit()

        return metered_update


class MeteredCoroutine[T](Coroutine[Any, Any, T]):
    """A coroutine whose every step (each `send` or `throw` by its task) is emulator work.

    aiohttp runs each request in a task of its own. Wrapping the task's coroutine therefore
    measures the handler, the emulator's middleware and the response writing, step by step.
    """

    def __init__(self, coroutine: Coroutine[Any, Any, T], meter: CpuMeter) -> None:
        self._coroutine = coroutine
        self._meter = meter

    def send(self, value: Any) -> Any:
        with self._meter.emulator_step():
            return self._coroutine.send(value)

    def throw(self, *args: Any) -> Any:
        with self._meter.emulator_step():
            return self._coroutine.throw(*args)

    def close(self) -> None:
        self._coroutine.close()

    def __await__(self) -> Generator[Any, None, T]:
        return self._coroutine.__await__()
