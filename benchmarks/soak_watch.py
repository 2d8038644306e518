"""Watchers of the soak run: log records, loop exceptions, failed tasks and memory."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
import contextlib
from dataclasses import dataclass, field
import gc
import logging
import os
from pathlib import Path
from traceback import extract_tb
import tracemalloc
from typing import Any
from unittest.mock import patch
import weakref

from homeassistant.config_entries import ConfigEntry
from homeassistant.exceptions import ConfigEntryError

MAX_EXAMPLES = 20
"""Unhandled exceptions kept with their traceback; later ones are only counted."""
NO_FAULT = "no fault"


@dataclass(slots=True)
class Unhandled:
    """Exceptions that escaped the integration's error handling."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, where: str, description: str) -> None:
        self.count += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{where}: {description}")


class RecordCounter(logging.Handler):
    """Counts log records by fault in force, logger and level, and catches exc_info errors."""

    def __init__(self, unhandled: Unhandled) -> None:
        super().__init__(logging.DEBUG)
        self.fault = NO_FAULT
        """Name of the fault in force or, between faults, of the last one; the loop sets it."""
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.messages: Counter[tuple[str, str, str]] = Counter()
        """Counts by logger, level and message template (`record.msg`)."""
        self.warnings_by_fault: Counter[tuple[str, str, str, str]] = Counter()
        """Counts of WARNING and ERROR records by fault, logger, level and message template."""
        self._unhandled = unhandled
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[(self.fault, record.name, record.levelname)] += 1
        message = (record.name, record.levelname, str(record.msg)[:120])
        self.messages[message] += 1
        if record.levelno >= logging.WARNING:
            self.warnings_by_fault[(self.fault, *message)] += 1
        if record.levelno >= logging.ERROR and record.exc_info and counts_as_unhandled(record):
            self._unhandled.add(
                f"ERROR record of {record.name} during or after '{self.fault}'",
                f"{record.getMessage()}\n{self._formatter.formatException(record.exc_info)}",
            )


def counts_as_unhandled(record: logging.LogRecord) -> bool:
    """Tell whether an ERROR record's traceback is an exception the integration let escape.

    Home Assistant logs a ConfigEntryError, a setup failure that the integration raises on
    purpose, with its traceback. The emulated server's own errors (a request body cut off
    when the client gave up) are no part of the integration.
    """
    assert record.exc_info is not None
    _, error, traceback = record.exc_info
    if isinstance(error, ConfigEntryError):
        return False
    frames = extract_tb(traceback) if traceback is not None else []
    return not any(f"{os.sep}immich_emulator{os.sep}" in frame.filename for frame in frames)


@contextlib.contextmanager
def watch_records(unhandled: Unhandled) -> Iterator[RecordCounter]:
    counter = RecordCounter(unhandled)
    root = logging.getLogger()
    root.addHandler(counter)
    try:
        yield counter
    finally:
        root.removeHandler(counter)


@contextlib.contextmanager
def watch_loop_exceptions(unhandled: Unhandled, fault: Callable[[], str]) -> Iterator[None]:
    """Count what reaches the event loop's exception handler, then pass it on."""
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exception = context.get("exception")
        unhandled.add(
            f"event loop exception handler during or after '{fault()}'",
            f"{context.get('message')}: {exception!r}",
        )
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handle)
    try:
        yield
    finally:
        loop.set_exception_handler(previous)


class EntryTasks:
    """Tasks that config entries started (polls, prefetches) and that ended with an exception.

    The integration may await such a task later, as the slideshow awaits its prefetch at the
    next advance, so `check` counts only those whose exception is still unretrieved after
    `GRACE_ITERATIONS` iterations. A task collected unretrieved reaches the loop's exception
    handler instead.
    """

    GRACE_ITERATIONS = 2

    def __init__(self, unhandled: Unhandled, fault: Callable[[], str]) -> None:
        self._unhandled = unhandled
        self._fault = fault
        self._failed: list[tuple[int, weakref.ref[asyncio.Task[Any]], str]] = []
        self.iteration = 0

    def on_done(self, task: asyncio.Task[Any]) -> None:
        # `_log_traceback` is asyncio's flag for an exception that no caller has retrieved yet; reading it,
        # unlike `exception()`, leaves it set.
        if not task.cancelled() and task._log_traceback:
            self._failed.append((self.iteration, weakref.ref(task), self._fault()))

    def check(self, final: bool = False) -> None:
        waiting = []
        for iteration, reference, fault in self._failed:
            task = reference()
            if task is None or not task._log_traceback:
                continue
            if not final and self.iteration - iteration < self.GRACE_ITERATIONS:
                waiting.append((iteration, reference, fault))
                continue
            self._unhandled.add(
                f"task {task.get_name()!r} died during or after '{fault}'", repr(task.exception())
            )
        self._failed = waiting


@contextlib.contextmanager
def watch_entry_tasks(unhandled: Unhandled, fault: Callable[[], str]) -> Iterator[EntryTasks]:
    """Watch the tasks that config entries start with `async_create(_background)_task`."""
    tasks = EntryTasks(unhandled, fault)
    create_task = ConfigEntry.async_create_task
    create_background_task = ConfigEntry.async_create_background_task

    def watched(original: Callable[..., asyncio.Task[Any]]) -> Callable[..., asyncio.Task[Any]]:
        def start(
            entry: ConfigEntry,
            hass: Any,
            target: Coroutine[Any, Any, Any],
            *args: Any,
            **kwargs: Any,
        ) -> asyncio.Task[Any]:
            task = original(entry, hass, target, *args, **kwargs)
            task.add_done_callback(tasks.on_done)
            return task

        return start

    with (
        patch.object(ConfigEntry, "async_create_task", watched(create_task)),
        patch.object(ConfigEntry, "async_create_background_task", watched(create_background_task)),
    ):
        yield tasks
    tasks.check(final=True)


@dataclass(frozen=True, slots=True)
class MemoryPoint:
    """Memory after a full garbage collection, at one iteration of the soak loop."""

    iteration: int
    traced_bytes: int
    """tracemalloc's current size: memory allocated since tracing started and still held."""
    rss_bytes: int


def resident_set_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def measure_memory(iteration: int) -> MemoryPoint:
    gc.collect()
    return MemoryPoint(iteration, tracemalloc.get_traced_memory()[0], resident_set_size())
