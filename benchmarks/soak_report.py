"""Options and results of the soak run, its console summary and benchmarks/SOAK.md."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
import logging
import os
from pathlib import Path
import platform

from homeassistant.const import __version__ as HA_VERSION

from .soak_faults import FIELD_FAULTS
from .soak_watch import NO_FAULT, MemoryPoint, Unhandled

SOAK_PATH = Path(__file__).with_name("SOAK.md")
DEFAULT_UPDATES = 10_000
DEFAULT_ADVANCES = 10_000
DEFAULT_SEED = 20261204
MEMORY_GROWTH_LIMIT = 1024**2
"""Largest traced growth, in bytes, between the warm-up point and the end that counts as flat."""
MiB = 1024**2
MAX_RECORDS_PER_OUTAGE = 4.0
"""WARNING and ERROR records per outage of one fault: one from each coordinator and the slideshow."""


@dataclass(frozen=True, slots=True)
class SoakOptions:
    updates: int = DEFAULT_UPDATES
    advances: int = DEFAULT_ADVANCES
    seed: int = DEFAULT_SEED


@dataclass(frozen=True, slots=True)
class SoakResult:
    options: SoakOptions
    seconds: float
    warmup_iteration: int
    outages: Counter[str]
    faulted_operations: Counter[str]
    """Coordinator updates plus advances run while each fault was on."""
    fetch_statuses: Counter[int]
    """HTTP statuses of the image proxy's responses; 0 means the state had no picture URL."""
    reload_states: Counter[str]
    action_errors: Counter[str]
    """Errors of the `next_image` action that Home Assistant shows the user, by translation key."""
    unhandled: Unhandled
    record_counts: Counter[tuple[str, str, str]]
    """Log records by fault in force, logger and level."""
    record_messages: Counter[tuple[str, str, str]]
    warnings_by_fault: Counter[tuple[str, str, str, str]]
    """WARNING and ERROR records by fault, logger, level and message template."""
    memory: list[MemoryPoint]
    top_growth: list[str]

    @property
    def memory_growth(self) -> int:
        """Traced bytes held at the end minus those held at the warm-up point."""
        warmup = next(p for p in self.memory if p.iteration == self.warmup_iteration)
        return self.memory[-1].traced_bytes - warmup.traced_bytes

    def warnings_during(self, fault_name: str) -> int:
        """Return the records of WARNING or above logged while the fault was on."""
        return sum(
            count
            for (fault, _, level), count in self.record_counts.items()
            if fault == fault_name and logging.getLevelName(level) >= logging.WARNING
        )

    @property
    def noisy_faults(self) -> list[str]:
        """Faults that logged more than `MAX_RECORDS_PER_OUTAGE` warnings per outage."""
        return [
            name
            for name, outages in self.outages.items()
            if outages and self.warnings_during(name) / outages > MAX_RECORDS_PER_OUTAGE
        ]

    @property
    def passed(self) -> bool:
        return (
            self.unhandled.count == 0
            and not self.noisy_faults
            and self.memory_growth < MEMORY_GROWTH_LIMIT
        )


def fault_rows(result: SoakResult) -> list[list[str]]:
    """Per fault: outages, faulted operations, records of WARNING or above, and per outage."""
    rows = [["Fault", "Outages", "Faulted operations", "WARNING+ during and after", "Per outage"]]
    for name in [fault.name for fault in FIELD_FAULTS]:
        warnings = result.warnings_during(name)
        outages = result.outages[name]
        ratio = f"{warnings / outages:.2f}" if outages else "-"
        rows.append(
            [name, str(outages), str(result.faulted_operations[name]), str(warnings), ratio]
        )
    rows.append([NO_FAULT, "-", "-", str(result.warnings_during(NO_FAULT)), "-"])
    return rows


def logger_rows(result: SoakResult) -> list[list[str]]:
    totals: Counter[tuple[str, str]] = Counter()
    for (_, logger, level), count in result.record_counts.items():
        totals[(logger, level)] += count
    rows = [["Logger", "Level", "Records"]]
    rows += [[logger, level, str(count)] for (logger, level), count in totals.most_common()]
    return rows


def message_rows(result: SoakResult, limit: int = 15) -> list[list[str]]:
    rows = [["Logger", "Level", "Message template", "Records"]]
    for (logger, level, message), count in result.record_messages.most_common(limit):
        rows.append([logger, level, message.replace("|", "\\|"), str(count)])
    return rows


def warning_rows(result: SoakResult, limit: int = 20) -> list[list[str]]:
    rows = [["Fault", "Logger", "Level", "Message template", "Records"]]
    for (fault, logger, level, message), count in result.warnings_by_fault.most_common(limit):
        rows.append([fault, logger, level, message.replace("|", "\\|"), str(count)])
    return rows


def memory_rows(result: SoakResult) -> list[list[str]]:
    rows = [["Iteration", "Traced MiB", "RSS MiB"]]
    for point in result.memory:
        rows.append(
            [
                f"{point.iteration:,}",
                f"{point.traced_bytes / MiB:.2f}",
                f"{point.rss_bytes / MiB:.1f}",
            ]
        )
    return rows


def markdown_table(rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return lines


def summary_lines(result: SoakResult) -> list[str]:
    options = result.options
    growth = result.memory_growth
    return [
        f"{options.updates:,} coordinator updates and {options.advances:,} advances "
        f"in {result.seconds:.0f} s, seed {options.seed}",
        f"outages: {sum(result.outages.values())}, "
        f"image fetches by status: {dict(sorted(result.fetch_statuses.items()))}",
        f"reloads: {dict(result.reload_states)}",
        f"errors of the next_image action: {dict(result.action_errors)}",
        f"unhandled exceptions: {result.unhandled.count}",
        f"faults logged more than {MAX_RECORDS_PER_OUTAGE:g} warnings per outage: "
        f"{result.noisy_faults or 'none'}",
        f"traced memory growth from iteration {result.warmup_iteration:,} to the end: "
        f"{growth / MiB:.3f} MiB (flat below {MEMORY_GROWTH_LIMIT / MiB:.0f} MiB)",
        "PASSED" if result.passed else "FAILED",
    ]


def print_summary(result: SoakResult, write_line: Callable[[str], object]) -> None:
    for line in summary_lines(result):
        write_line(line)
    for example in result.unhandled.examples:
        write_line(example)
    for rows in (fault_rows(result), warning_rows(result), memory_rows(result)):
        for row in rows:
            write_line("  ".join(row))
    for line in result.top_growth:
        write_line(line)


def machine_line() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
        f"Home Assistant {HA_VERSION}, 1-minute load average {load:.2f} at the end"
    )


INTRODUCTION = """\
# Soak run

`scripts/soak` drives the integration for a long time against the emulated Immich server,
with faults that Immich servers and their proxies showed in the field, and checks three
things: no exception escapes the integration's error handling, errors are logged once per
outage and not once per poll, and memory stays flat.

```
scripts/soak                              # 10,000 updates and 10,000 advances; rewrites SOAK.md
scripts/soak --updates 500 --advances 500 # a quick run, which prints only
scripts/soak --seed 7                     # other faults at other times
```

`scripts/soak` runs `python -m benchmarks.soak` on the newest test environment. Only a run
with the default counts rewrites this page (`--no-write` keeps it). The command exits with
status 1 when the run fails one of the checks below.

## What runs

A real Home Assistant (pytest-homeassistant-custom-component's `hass` fixture) loads a config
entry of the emulator's admin user with a Random slideshow, and polling turned off. Each
iteration of the loop refreshes one of the three coordinators (server, statistics, queues) with
`async_refresh()` and advances the slideshow with the `immich.next_image` action. Every 10th
advance fetches the photo through Home Assistant's image proxy. The client's request timeout
is lowered to 0.2 s, so that a hung request ends fast.

At each iteration without a fault, a fault starts with a chance of 5 %, and lasts 1 to 10
iterations. A seeded generator draws the faults and the durations (`benchmarks/soak_faults.py`):
a 502 HTML page from a proxy, 401 JSON, 429 with `Retry-After`, 403 `Missing required
permission: asset.view` on thumbnails, 403 `Missing required permission: all` on `users/me`,
the non-admin 403 on statistics and queues, a hang, a truncated body, malformed JSON, 500 JSON,
400 `id must be a UUID` on thumbnails, `search/random` returning `[]` or the same asset, and a
version check with nulls. The `users/me` fault breaks only the setup, so the loop reloads the
entry while it is on, then reloads it again without it. Timing still varies between runs,
so the same seed gives the same faults but not always the same log records.

## What is measured

- **Unhandled exceptions**, which must be 0. They are calls to the event loop's exception
  handler, ERROR records with a traceback, and tasks of the config entry that ended with an
  exception. Coordinator errors other than `UpdateFailed` and `ConfigEntryAuthFailed` count
  too, as do exceptions out of the action, image proxy responses of status 500 or above, and
  an entry that does not load again after a reload.
- **Log records** by logger and level, counted by a handler on the root logger at Home
  Assistant's test level (INFO). *Per outage* divides the WARNING and ERROR records logged
  while a fault was on, or after it until the next fault started, by its outages: the
  integration may go on failing after the server recovered. Four parts may each log an
  outage once: the three coordinators and the slideshow, which logs a warning when it stops
  and an INFO record when it recovers. The run fails when a fault logs more than 4 per
  outage; once per poll would show as a value near *Faulted operations* / *Outages*. The
  *no fault* row counts records before the first fault.
- **Errors of the `next_image` action**: the action raises `slideshow_unavailable` while the
  slideshow is unavailable. A missing permission on thumbnails pauses the slideshow's
  requests for 5 minutes of wall-clock time, longer than a whole run, until a reload ends the
  pause. Advances after such a fault therefore fail until the next reload, and this count
  is far higher than the number of faulted operations.
- **Memory**: tracemalloc's current size after `gc.collect()`, traced from the first
  iteration, and the resident set size. Memory is flat when the traced size grows by less than
  1 MiB between the warm-up point (iteration 1,000, or a tenth of a shorter run) and the end.
  Caches still fill up until about iteration 2,000 (`linecache` keeps the source lines of
  logged tracebacks), so runs shorter than 10,000 iterations may fail this check alone.
"""


def write_soak_page(result: SoakResult) -> None:
    growth = result.memory_growth
    lines = [
        INTRODUCTION,
        "## Results",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d}: {machine_line()}.",
        "",
        *[f"- {line}" for line in summary_lines(result)],
        "",
        "### Faults and log records",
        "",
        *markdown_table(fault_rows(result)),
        "",
        "Records by logger and level, all faults together:",
        "",
        *markdown_table(logger_rows(result)),
        "",
        "Most frequent message templates:",
        "",
        *markdown_table(message_rows(result)),
        "",
        "Most frequent WARNING and ERROR templates, by the fault in force or last in force:",
        "",
        *markdown_table(warning_rows(result)),
        "",
        "### Memory",
        "",
        *markdown_table(memory_rows(result)),
        "",
        f"Traced growth from iteration {result.warmup_iteration:,} to the end: "
        f"{growth / MiB:.3f} MiB. Largest growth by line:",
        "",
        "```",
        *result.top_growth,
        "```",
        "",
        "### Unhandled exceptions",
        "",
        f"{result.unhandled.count} in total.",
    ]
    if result.unhandled.examples:
        lines += ["", "```", *result.unhandled.examples, "```"]
    SOAK_PATH.write_text("\n".join(lines) + "\n")
