"""Results of the slideshow benchmark: summary numbers, the printed table and RESULTS.md."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
import math
import os
from pathlib import Path
import platform
import statistics

from homeassistant.const import __version__ as HA_VERSION
import pytest

RESULTS_PATH = Path(__file__).resolve().parent / "RESULTS.md"
RESULTS_KEY = pytest.StashKey["list[ScenarioResult]"]()
"""Key of the results list on the pytest config, which the terminal summary reads."""
DEFAULT_ADVANCES = 200
MAX_REQUESTS_PER_ADVANCE = 2
MAX_SERVE_MS = 5.0
MAX_HELD_MB = 20.0
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class AdvanceSample:
    """One advance: how long it took to serve the new photo, and what it cost the server."""

    serve_seconds: float
    """From calling `async_next()` to the last byte of the HTTP GET of `entity_picture`."""
    serve_cpu_seconds: float
    """CPU time of the event loop's thread over the same span: the work, without waiting."""
    advance_seconds: float
    """`async_next()` alone."""
    requests: int
    """Requests the emulator received from this advance until its prefetch finished."""
    body_bytes: int


@dataclass(slots=True)
class ScenarioResult:
    name: str
    advances: int
    setup_requests: int
    setup_bytes: int
    samples: list[AdvanceSample]
    routes: Counter[str]
    """Requests of the timed advances by `METHOD /path`, with asset ids as `{id}`."""
    held_bytes: int
    """Memory traced at the end of the memory advances: allocated during them and still held."""
    halfway_held_bytes: int
    peak_bytes: int
    load_average: float
    """The machine's 1-minute load average when the scenario started, from `os.getloadavg()`."""
    top_growth: list[str] = field(default_factory=list)

    @property
    def mean_requests(self) -> float:
        return statistics.fmean(sample.requests for sample in self.samples)

    @property
    def max_requests(self) -> int:
        return max(sample.requests for sample in self.samples)

    @property
    def mean_bytes(self) -> float:
        return statistics.fmean(sample.body_bytes for sample in self.samples)

    def serve_ms(self) -> tuple[float, float]:
        """Return the median and 95th percentile of the serve time, in milliseconds."""
        return median_p95([sample.serve_seconds * 1000 for sample in self.samples])

    def serve_cpu_ms(self) -> tuple[float, float]:
        return median_p95([sample.serve_cpu_seconds * 1000 for sample in self.samples])

    def advance_ms(self) -> tuple[float, float]:
        return median_p95([sample.advance_seconds * 1000 for sample in self.samples])


def median_p95(values: Sequence[float]) -> tuple[float, float]:
    """Return the median and the nearest-rank 95th percentile."""
    ordered = sorted(values)
    return statistics.median(ordered), ordered[math.ceil(0.95 * len(ordered)) - 1]


def group_routes(by_path: Mapping[str, int]) -> Counter[str]:
    """Count `METHOD /path` requests by route, with the asset id of `/api/assets/<id>` as `{id}`."""
    grouped: Counter[str] = Counter()
    for route, count in by_path.items():
        method, _, path = route.partition(" ")
        parts = path.split("/")
        if len(parts) >= 4 and parts[1:3] == ["api", "assets"] and len(parts[3]) == 36:
            parts[3] = "{id}"
        grouped[f"{method} {'/'.join(parts)}"] += count
    return grouped


# Table


def table_rows(results: Iterable[ScenarioResult]) -> list[list[str]]:
    rows = [
        [
            "Scenario",
            "Advances",
            "Requests/advance (mean, max)",
            "kB/advance",
            "Served ms (median, p95)",
            "Served CPU ms (median, p95)",
            "async_next ms (median, p95)",
            "Held MB (N/2, N)",
            "Peak MB",
            "Setup requests, kB",
            "Load",
        ]
    ]
    for result in results:
        serve_median, serve_p95 = result.serve_ms()
        cpu_median, cpu_p95 = result.serve_cpu_ms()
        advance_median, advance_p95 = result.advance_ms()
        rows.append(
            [
                result.name,
                str(result.advances),
                f"{result.mean_requests:.2f}, {result.max_requests}",
                f"{result.mean_bytes / 1000:.1f}",
                f"{serve_median:.2f}, {serve_p95:.2f}",
                f"{cpu_median:.2f}, {cpu_p95:.2f}",
                f"{advance_median:.2f}, {advance_p95:.2f}",
                f"{result.halfway_held_bytes / MB:.2f}, {result.held_bytes / MB:.2f}",
                f"{result.peak_bytes / MB:.2f}",
                f"{result.setup_requests}, {result.setup_bytes / 1000:.0f}",
                f"{result.load_average:.2f}",
            ]
        )
    return rows


def print_table(results: Sequence[ScenarioResult], write_line: Callable[[str], object]) -> None:
    if not results:
        write_line("slideshow benchmark: no scenario finished")
        return
    rows = table_rows(results)
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    write_line("")
    for row in rows:
        write_line("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for line in target_lines(results):
        write_line(line)


# Targets


def target_lines(results: Sequence[ScenarioResult]) -> list[str]:
    """Return one line per target: the worst scenario's value and whether the target is met."""
    worst_requests = max(results, key=lambda result: result.max_requests)
    worst_serve = max(results, key=lambda result: result.serve_ms()[1])
    worst_held = max(results, key=lambda result: result.held_bytes)
    checks = [
        (
            f"at most {MAX_REQUESTS_PER_ADVANCE} requests per advance",
            f"max {worst_requests.max_requests} ({worst_requests.name})",
            worst_requests.max_requests <= MAX_REQUESTS_PER_ADVANCE,
        ),
        (
            f"under {MAX_SERVE_MS:g} ms from advance to bytes served, at p95",
            f"p95 {worst_serve.serve_ms()[1]:.2f} ms ({worst_serve.name})",
            worst_serve.serve_ms()[1] < MAX_SERVE_MS,
        ),
        (
            f"under {MAX_HELD_MB:g} MB held",
            f"{worst_held.held_bytes / MB:.2f} MB ({worst_held.name})",
            worst_held.held_bytes / MB < MAX_HELD_MB,
        ),
    ]
    return [
        f"| {target} | {worst} | {'met' if met else 'MISSED'} |" for target, worst, met in checks
    ]


# RESULTS.md


def machine_description() -> str:
    cpu = "unknown CPU"
    memory = "unknown memory"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in file if line.startswith("model name")),
                cpu,
            )
        with open("/proc/meminfo", encoding="utf-8") as file:
            kib = next(int(line.split()[1]) for line in file if line.startswith("MemTotal"))
            memory = f"{kib / 1024**2:.0f} GiB memory"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} cores ({cpu}), {memory}, Linux {platform.release()}"


def command_line(advances: int) -> str:
    return (
        "scripts/bench" if advances == DEFAULT_ADVANCES else f"scripts/bench --advances {advances}"
    )


def render_results(results: Sequence[ScenarioResult], asset_count: int, advances: int) -> str:
    rows = table_rows(results)
    table = [
        "| " + " | ".join(rows[0]) + " |",
        "|" + "---|" * len(rows[0]),
        *("| " + " | ".join(row) + " |" for row in rows[1:]),
    ]
    routes = [
        f"- {result.name}: "
        + ", ".join(f"`{route}` {count}" for route, count in result.routes.most_common())
        for result in results
    ]
    growth = [
        f"- {result.name}: " + "; ".join(f"`{line}`" for line in result.top_growth)
        for result in results
    ]
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            "# Slideshow benchmark",
            "",
            f"Written by `{command_line(advances)}` on {generated}; the next full run rewrites "
            "this page.",
            "",
            f"- Machine: {machine_description()}.",
            f"- Software: Home Assistant {HA_VERSION} on Python {platform.python_version()} "
            "(the newest test environment).",
            f"- Emulated server: Immich v2.7.5 API with a {asset_count:,}-photo virtual album "
            "(`immich_emulator/virtual.py`), in its own process on the same machine.",
            f"- Each scenario: 10 warm-up advances, then {advances} timed advances for the "
            f"album scenarios and {round(advances / 2)} for Random and Memories, then as many "
            "again under tracemalloc.",
            "",
            "## Targets",
            "",
            "| Target | Worst scenario | Result |",
            "|---|---|---|",
            *target_lines(results),
            "",
            "## Results",
            "",
            *table,
            "",
            "Requests of the timed advances, by route:",
            "",
            *routes,
            "",
            "Largest memory growth by source line (tracemalloc, held at the end):",
            "",
            *growth,
            "",
            "## How each number is measured",
            "",
            "- Setup: a real Home Assistant from pytest-homeassistant-custom-component's `hass` "
            "fixture (asyncio debug mode off), with a config entry of the emulator's admin user, "
            "polling disabled, and one slideshow subentry with a 24-hour interval, so that only "
            "the benchmark advances it. *Setup requests, kB* counts everything the emulator "
            "served from setting up the entry until the first photo and its prefetch were ready.",
            "- An advance is `await entity.async_next()`, then an HTTP GET of the state's "
            "`entity_picture` through Home Assistant's HTTP server (aiohttp test client on "
            "127.0.0.1), a check that the body is the new photo's bytes and differs from the "
            "previous photo, then a wait until the prefetch of the next photo has finished, as "
            "it has in use, where advances are at least 10 seconds apart.",
            "- *Requests/advance* and *kB/advance*: the emulator's request counter and response "
            "body bytes (`emulator.stats` over `/_emulator/control`) read after each advance; an "
            "advance is charged with the requests of the prefetch it starts. Mean and maximum "
            "over the timed advances. Memories takes 2 per advance because Immich v2.7.5 sends "
            "memory assets without `exifInfo`, so the player fetches each asset's details along "
            "with its preview.",
            "- *Served ms*: `time.perf_counter()` from calling `async_next()` to the last byte "
            "of the GET; median and nearest-rank 95th percentile over the timed advances. "
            "*Served CPU ms* is `time.thread_time()` over the same span: the CPU time of the "
            "thread that runs the event loop, Home Assistant's HTTP handler and the test client, "
            "so it leaves out time spent waiting for a CPU. *async_next ms* is the call alone.",
            "- *Held MB*: `tracemalloc` starts after the timed advances (so it does not slow "
            "them), after `gc.collect()`; the memory it traces after the next N/2 and N advances "
            "and a `gc.collect()` is memory allocated during those advances and still held by "
            "the process, which runs only Home Assistant and the benchmark. Equal values at N/2 "
            "and N mean that memory stays bounded. *Peak MB* is tracemalloc's peak over the same "
            "advances. The GET goes through the test client's session, because the test client "
            "keeps every response it returns, and the test server's access log is off, because "
            "pytest keeps every log record: either would otherwise count as held memory.",
            "- *Load*: the 1-minute load average of the machine when the scenario started. "
            "Other programs on the machine delay single advances by a few milliseconds, which "
            "shows in the 95th percentile of *Served ms* but not of *Served CPU ms*.",
            "- Limits: emulated previews are gradient JPEGs of about 35 kB, smaller than "
            "previews of real photos, so bytes per advance and held memory grow with real "
            "previews while request counts do not. The emulator and Home Assistant share the "
            "machine's 2 cores.",
            "",
        ]
    )


def write_results(results: Sequence[ScenarioResult], asset_count: int, advances: int) -> None:
    RESULTS_PATH.write_text(render_results(results, asset_count, advances), encoding="utf-8")
