"""Results of the comparison with the built-in integration: the table and docs/benchmarks.md."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
import os
from pathlib import Path
import platform
import statistics

from homeassistant.const import __version__ as HA_VERSION
import pytest

from .report import ScenarioResult, machine_description, table_rows

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BUILT_IN = "built-in"
OURS = "ours"
KINDS = (BUILT_IN, OURS)
HEALTHY = "healthy"
REFUSED = "refused"
HANGING = "hanging"
CONDITIONS = (HEALTHY, REFUSED, HANGING)
DEFAULT_SLIDESHOW_ADVANCES = 50

MAX_SHARED_REQUEST_RATIO = 1 / 3
QUEUE_INTERVAL_SECONDS = 30
MAX_REFUSED_SETUP_SECONDS = 1.0

POLLING_KEY = pytest.StashKey["dict[str, PollingResult]"]()
"""The day with the thumbnail queue moving on every poll, the emulator's default."""
IDLE_POLLING_KEY = pytest.StashKey["dict[str, PollingResult]"]()
"""The day with every queue still, as on a server with no work to do."""
BUSY = "busy"
IDLE = "idle"
QUEUE_ACTIVITIES = (BUSY, IDLE)
SETUP_KEY = pytest.StashKey["dict[tuple[str, str], SetupResult]"]()
SLIDESHOW_KEY = pytest.StashKey["list[ScenarioResult]"]()
"""Results of the slideshow scenarios (`report.ScenarioResult`), rerun by this command."""


def route_category(route: str) -> str:
    """Return which sensors a `METHOD /path` request serves."""
    path = route.partition(" ")[2]
    if "/socket.io" in path:
        return "live"
    if path.startswith(("/api/queues", "/api/jobs")):
        return "queues"
    return "shared"


@dataclass(frozen=True, slots=True)
class Latency:
    """Time from a change on the server to the sensor showing it."""

    seconds: float | None
    """None when the sensor did not show the change within the limit."""
    live: bool
    """True when it showed during the real-time wait right after the change, before the
    simulated clock moved: a pushed event, not a poll."""


@dataclass(slots=True)
class PollingResult:
    """One integration over the simulated day, then the latency samples."""

    kind: str
    integration_path: str
    hours: float
    setup_routes: Counter[str]
    """Requests from adding the entry until setup finished, websocket connection included."""
    routes: Counter[str]
    body_bytes: int
    body_bytes_by_route: Counter[str]
    refresh_cpu_seconds: float
    update_cpu_seconds: float
    emulator_cpu_seconds: float
    """The emulator's request handling inside refresh windows, taken out of both figures."""
    refreshes: Counter[str]
    refresh_cpu_by_class: dict[str, float]
    """CPU seconds of each coordinator class's refreshes, emulator work taken out."""
    typical_refresh_cpu_seconds: float
    """Each coordinator class's median refresh times its number of refreshes, summed."""
    entities: int
    photo_latencies: list[Latency] = field(default_factory=list)
    other_user_photo_latencies: list[Latency] = field(default_factory=list)
    """Uploads by another Immich user, whose events go to that user's sockets only."""
    queue_latencies: list[Latency] | None = None
    """None when the integration has no sensor that shows a queue's waiting count."""
    upload_event_delay: float | None = None
    """Seconds the emulator waits after an upload before it sends the socket.io events."""

    def per_hour(self, value: float) -> float:
        return value / self.hours

    def requests(self, category: str | None = None) -> int:
        return sum(
            count
            for route, count in self.routes.items()
            if category is None or route_category(route) == category
        )

    def body_bytes_of(self, category: str) -> int:
        return sum(
            count
            for route, count in self.body_bytes_by_route.items()
            if route_category(route) == category
        )


@dataclass(frozen=True, slots=True)
class SetupResult:
    kind: str
    condition: str
    seconds: float | None
    """Wall time of `async_setup_component`, or None when it had not returned at the cap."""
    cap_seconds: float
    state: str
    """The entry's state once setup returned (after the cap, once the server closed)."""
    block_till_done_seconds: float
    connections: int = 0
    """Connections the hanging server accepted."""


# Formatting


def _ratio(ours: float | None, built_in: float | None) -> str:
    if ours is None or built_in is None or built_in == 0:
        return "n/a"
    return f"{ours / built_in:.2f}"


def _latency_summary(latencies: Sequence[Latency] | None) -> tuple[str, float | None]:
    """Return 'median, worst' text, and the median for the ratio."""
    if latencies is None:
        return "no such sensor", None
    if not latencies:
        return "not measured", None
    if any(latency.seconds is None for latency in latencies):
        missed = sum(latency.seconds is None for latency in latencies)
        return f"{missed} of {len(latencies)} never shown", None
    values = [latency.seconds for latency in latencies if latency.seconds is not None]
    live = sum(latency.live for latency in latencies)
    median = statistics.median(values)
    how = f"; {live} of {len(values)} pushed" if live else ""
    return f"{median:.1f} s, {max(values):.1f} s{how}", median


def _setup_text(result: SetupResult | None) -> str:
    if result is None:
        return "not run"
    if result.seconds is None:
        return f"> {result.cap_seconds:.0f} s (still waiting), then {result.state}"
    return f"{result.seconds:.3f} s, {result.state}"


QUEUES_COORDINATOR = "ImmichQueuesCoordinator"


def shared_refresh_cpu_seconds(run: PollingResult) -> float:
    """Return the refresh CPU of every coordinator except this integration's job queues."""
    return sum(
        seconds for name, seconds in run.refresh_cpu_by_class.items() if name != QUEUES_COORDINATOR
    )


def polling_rows(runs: dict[str, PollingResult], with_latency: bool = True) -> list[list[str]]:
    built_in, ours = runs.get(BUILT_IN), runs.get(OURS)
    rows = [["Measure", "Built-in", "Ours", "Ours / built-in"]]

    def add(label: str, value: Callable[[PollingResult], float], fmt: str = "{:.1f}") -> None:
        values = [value(run) if run else None for run in (built_in, ours)]
        texts = [fmt.format(v) if v is not None else "not run" for v in values]
        rows.append([label, *texts, _ratio(values[1], values[0])])

    add("Requests per hour, all", lambda run: run.per_hour(run.requests()))
    add(
        "Requests per hour, sensors both have (server, storage, statistics)",
        lambda run: run.per_hour(run.requests("shared")),
    )
    add("Requests per hour, job queues", lambda run: run.per_hour(run.requests("queues")))
    add(
        "Requests per hour, socket.io (each websocket connection is one)",
        lambda run: run.per_hour(run.requests("live")),
        "{:.2f}",
    )
    add("Response body kB per hour, all", lambda run: run.per_hour(run.body_bytes) / 1000)
    add(
        "Response body kB per hour, sensors both have",
        lambda run: run.per_hour(run.body_bytes_of("shared")) / 1000,
    )
    add(
        "Coordinator refreshes per hour",
        lambda run: run.per_hour(sum(run.refreshes.values())),
    )
    add(
        "CPU ms per hour in coordinator refreshes (fetch, parse, state writes)",
        lambda run: run.per_hour(run.refresh_cpu_seconds) * 1000,
    )
    add(
        "CPU ms per hour, median refresh of each coordinator times its refreshes",
        lambda run: run.per_hour(run.typical_refresh_cpu_seconds) * 1000,
    )
    add(
        "CPU ms per hour in `_async_update_data` (fetch, parse)",
        lambda run: run.per_hour(run.update_cpu_seconds) * 1000,
    )
    add(
        "CPU ms per hour in refreshes for the sensors both have (all but job queues)",
        lambda run: run.per_hour(shared_refresh_cpu_seconds(run)) * 1000,
    )
    add("Entities (enabled by default)", lambda run: run.entities, "{:.0f}")
    add(
        "Requests during setup (the live connection starts after it, in the background)",
        lambda run: sum(
            count for route, count in run.setup_routes.items() if route_category(route) != "live"
        ),
        "{:.0f}",
    )

    if not with_latency:
        return rows
    photo = [_latency_summary(run.photo_latencies if run else []) for run in (built_in, ours)]
    rows.append(
        [
            "Upload by the entry's own user to photos count sensor (median, worst)",
            photo[0][0],
            photo[1][0],
            _ratio(photo[1][1], photo[0][1]),
        ]
    )
    other = [
        _latency_summary(run.other_user_photo_latencies if run else []) for run in (built_in, ours)
    ]
    rows.append(
        [
            "Upload by another Immich user to photos count sensor (median, worst)",
            other[0][0],
            other[1][0],
            _ratio(other[1][1], other[0][1]),
        ]
    )
    queue = [_latency_summary(run.queue_latencies if run else []) for run in (built_in, ours)]
    rows.append(
        [
            "Queue waiting count changed on the server to jobs pending sensor (median, worst)",
            queue[0][0],
            queue[1][0],
            _ratio(queue[1][1], queue[0][1]),
        ]
    )
    return rows


def setup_rows(setups: dict[tuple[str, str], SetupResult]) -> list[list[str]]:
    labels = {
        HEALTHY: "Setup, server healthy",
        REFUSED: "Setup, connection refused",
        HANGING: "Setup, server accepts and never answers",
    }
    rows = [["Measure", "Built-in", "Ours", "Ours / built-in"]]
    for condition in CONDITIONS:
        built_in, ours = setups.get((BUILT_IN, condition)), setups.get((OURS, condition))
        rows.append(
            [
                labels[condition],
                _setup_text(built_in),
                _setup_text(ours),
                _ratio(ours.seconds if ours else None, built_in.seconds if built_in else None),
            ]
        )
    return rows


def target_rows(
    runs: dict[str, PollingResult],
    setups: dict[tuple[str, str], SetupResult],
    idle_runs: dict[str, PollingResult] | None = None,
) -> list[list[str]]:
    rows = [["Target", "Measured", "Result"]]
    built_in, ours = runs.get(BUILT_IN), runs.get(OURS)
    if built_in and ours:
        shared = ours.per_hour(ours.requests("shared"))
        limit = built_in.per_hour(built_in.requests()) * MAX_SHARED_REQUEST_RATIO
        queue_polls = ours.per_hour(ours.refreshes.get(QUEUES_COORDINATOR, 0))
        interval = 3600 / queue_polls if queue_polls else float("inf")
        rows.append(
            [
                "At most 1/3 of the built-in's requests per hour for the sensors both have, "
                f"with queues polled every {QUEUE_INTERVAL_SECONDS} s",
                f"{shared:.1f} of at most {limit:.1f}; queues polled every {interval:.1f} s",
                _met(shared <= limit and abs(interval - QUEUE_INTERVAL_SECONDS) < 1),
            ]
        )
        for label, pair in (("busy queues", runs), ("idle queues", idle_runs or {})):
            built_in_run, ours_run = pair.get(BUILT_IN), pair.get(OURS)
            if built_in_run is None or ours_run is None:
                continue
            rows.append(
                [
                    f"No more CPU per hour in coordinator refreshes than the built-in, {label}",
                    f"{ours_run.per_hour(ours_run.refresh_cpu_seconds) * 1000:.1f} ms vs "
                    f"{built_in_run.per_hour(built_in_run.refresh_cpu_seconds) * 1000:.1f} ms "
                    "in all; median refresh times refreshes: "
                    f"{ours_run.per_hour(ours_run.typical_refresh_cpu_seconds) * 1000:.1f} ms vs "
                    f"{built_in_run.per_hour(built_in_run.typical_refresh_cpu_seconds) * 1000:.1f}"
                    " ms",
                    _met(
                        ours_run.refresh_cpu_seconds <= built_in_run.refresh_cpu_seconds
                        and ours_run.typical_refresh_cpu_seconds
                        <= built_in_run.typical_refresh_cpu_seconds
                    ),
                ]
            )
    refused = setups.get((OURS, REFUSED))
    if refused:
        rows.append(
            [
                f"Setup with the connection refused returns in under "
                f"{MAX_REFUSED_SETUP_SECONDS:g} s, entry in setup retry",
                _setup_text(refused),
                _met(
                    refused.seconds is not None
                    and refused.seconds < MAX_REFUSED_SETUP_SECONDS
                    and refused.state == "setup_retry"
                ),
            ]
        )
    return rows


def _cpu_lines(runs: dict[str, PollingResult]) -> list[str]:
    """Explain the CPU comparison: which part of ours the built-in integration has no match for."""
    built_in, ours = runs.get(BUILT_IN), runs.get(OURS)
    if built_in is None or ours is None:
        return []
    queue_refreshes = ours.per_hour(ours.refreshes.get(QUEUES_COORDINATOR, 0))
    queue_cpu = ours.per_hour(ours.refresh_cpu_by_class.get(QUEUES_COORDINATOR, 0.0)) * 1000
    shared = ours.per_hour(shared_refresh_cpu_seconds(ours)) * 1000
    built_in_cpu = built_in.per_hour(built_in.refresh_cpu_seconds) * 1000
    return [
        f"The CPU target compares every refresh. This integration refreshes the job queues "
        f"{queue_refreshes:.0f} times an hour ({queue_cpu:.1f} ms CPU), which the built-in "
        f"integration has no sensors for; its other coordinators take {shared:.1f} ms an hour "
        f"against the built-in's {built_in_cpu:.1f} ms on the busy day. Home Assistant's shared "
        "connector keeps aiohttp's default keep-alive of 15 s, so each queue poll, 30 s after "
        "the last, opens a new connection. CPU figures vary by about 15 % between runs.",
    ]


def _met(met: bool) -> str:
    return "met" if met else "MISSED"


def markdown_table(rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(rows[0]) + " |",
        "|" + "---|" * len(rows[0]),
        *("| " + " | ".join(row) + " |" for row in rows[1:]),
    ]


def _routes_lines(runs: dict[str, PollingResult]) -> Iterator[str]:
    for kind in KINDS:
        if (run := runs.get(kind)) is None:
            continue
        per_hour = ", ".join(
            f"`{route}` {run.per_hour(count):.2f}" for route, count in run.routes.most_common()
        )
        refreshes = ", ".join(
            f"{name} {run.per_hour(count):.1f} "
            f"({run.per_hour(run.refresh_cpu_by_class.get(name, 0.0)) * 1000:.1f} ms CPU)"
            for name, count in run.refreshes.most_common()
        )
        yield f"- {kind}: requests per hour by route: {per_hour}."
        yield f"  Refreshes per hour by coordinator, with their CPU per hour: {refreshes}."
        yield (
            f"  Emulator CPU taken out of the refresh windows: "
            f"{run.per_hour(run.emulator_cpu_seconds) * 1000:.1f} ms per hour."
        )


def _loaded_lines(runs: dict[str, PollingResult]) -> Iterator[str]:
    for kind in KINDS:
        if (run := runs.get(kind)) is not None:
            yield f"- {kind}: `{run.integration_path}`"


def _hanging_lines(setups: dict[tuple[str, str], SetupResult]) -> Iterator[str]:
    for kind in KINDS:
        if (result := setups.get((kind, HANGING))) is None:
            continue
        waited = "waited for it" if result.seconds is None or result.seconds >= 1 else "did not"
        yield (
            f"- {kind}: `async_setup_component`, as Home Assistant's start calls it, {waited}: "
            f"{_setup_text(result)}; the hanging server accepted {result.connections} "
            f"connection(s); `async_block_till_done` afterwards took "
            f"{result.block_till_done_seconds:.3f} s."
        )


def _delay_text(runs: dict[str, PollingResult]) -> str:
    delays = {run.upload_event_delay for run in runs.values()}
    if len(delays) != 1 or None in delays:
        return "an unknown time"
    return f"{delays.pop():g} s (simulated)"


def command_line(advances: int) -> str:
    if advances == DEFAULT_SLIDESHOW_ADVANCES:
        return "scripts/compare"
    return f"scripts/compare --advances {advances}"


def render_page(
    runs: dict[str, PollingResult],
    setups: dict[tuple[str, str], SetupResult],
    slideshow: Sequence[ScenarioResult],
    advances: int,
    idle_runs: dict[str, PollingResult],
) -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    hours = next(iter(runs.values())).hours if runs else 0
    slideshow_table = (
        markdown_table(table_rows(slideshow)) if slideshow else ["No slideshow scenario ran."]
    )
    return "\n".join(
        [
            "# Benchmarks: this integration and Home Assistant's built-in Immich integration",
            "",
            f"Written by `{command_line(advances)}` on {generated}; rerunning the command "
            "rewrites this page (`--no-write` prints the tables only).",
            "",
            f"- Machine: {machine_description()}, {os.cpu_count()} CPUs reported by `nproc`.",
            f"- Software: Home Assistant {HA_VERSION} (pytest-homeassistant-custom-component) "
            f"on Python {platform.python_version()}; the built-in integration uses aioimmich "
            f"{version('aioimmich')}, the version its manifest pins.",
            "- Server: the emulated Immich v2.7.5 API (`immich_emulator`) with its captured "
            "library, the admin user's API key, on 127.0.0.1 on the same event loop.",
            "",
            "Integration each Home Assistant instance loaded:",
            "",
            *_loaded_lines(runs),
            "",
            f"## Polling over {hours:g} simulated hours, default settings",
            "",
            "The emulator moves the thumbnail queue on every poll, as a server does while it",
            "works through an upload, so every queue poll returns a new list.",
            "",
            *markdown_table(polling_rows(runs)),
            "",
            *_routes_lines(runs),
            "",
            f"## Polling over {hours:g} simulated hours, idle job queues",
            "",
            "The same day with every queue's counts still, as on a server with no work to do.",
            "Latency is measured on the busy day only.",
            "",
            *markdown_table(polling_rows(idle_runs, with_latency=False)),
            "",
            *_routes_lines(idle_runs),
            "",
            "## Setup",
            "",
            *markdown_table(setup_rows(setups)),
            "",
            *_hanging_lines(setups),
            "",
            "## Targets",
            "",
            *markdown_table(target_rows(runs, setups, idle_runs)),
            "",
            *_cpu_lines(runs),
            "",
            "## Slideshow image entity (this integration only)",
            "",
            f"The scenarios of `benchmarks/bench_slideshow.py`, rerun with {advances} timed "
            "advances each (half for Random and Memories) to keep the command short; "
            "`scripts/bench` runs 200 and describes each column in "
            "[benchmarks/RESULTS.md](../benchmarks/RESULTS.md).",
            "",
            *slideshow_table,
            "",
            "## How each number is measured",
            "",
            "- Each integration runs in its own Home Assistant test instance (one pytest item "
            "each): the built-in one with custom integrations disabled, ours with them "
            "enabled. The path above is `Integration.file_path` of the `immich` integration "
            "that Home Assistant's loader returned in that instance.",
            "- Polling: after setup, the request counters are reset and the instance runs "
            f"{hours:g} simulated hours. The clock is frozen (`freezer`) and moves from one "
            "scheduled timer of the event loop to the next, each fired with "
            "`async_fire_time_changed`; nothing sleeps. Requests and response body bytes come "
            "from the emulator's counters (`stats`); body bytes by route from a middleware of "
            "the benchmark. 304 responses have no body; websocket frames are not counted. Both "
            "integrations send the last response's ETag back (aioimmich keeps the first ETag it "
            "saw for each endpoint), and the library does not change during the day, so the "
            "shared sensors' responses are 304s without a body on both sides.",
            "- CPU: `time.thread_time()` of the event loop's thread while at least one "
            "`DataUpdateCoordinator._async_refresh` runs (overlapping refreshes count once), "
            "and likewise for `_async_update_data`. The emulator runs on the same thread; its "
            "request handling (aiohttp's server-side parsing and each step of its request "
            "tasks) is measured as well and subtracted. Per-request bookkeeping in aiohttp's "
            "server connection task is not separated and stays in both figures. A rare slow "
            "refresh (a garbage collection, another process on the core) moves the total, so "
            "the page also gives each coordinator's median refresh times its number of "
            "refreshes (refreshes of two coordinators that overlap count in both), and the "
            "target counts as met only when both figures are no higher.",
            "- Latency: after the simulated day, each sample first runs the clock for a random "
            "span (seeded, the same for both). Then it changes the server. For the photos "
            "count, it uploads a photo through `POST /api/assets`, once with the entry's own "
            "key, whose user Immich sends the upload event to, and once with another user's "
            "key, which only a poll shows. For the jobs pending "
            "sensor, it sets a queue's waiting count directly in the emulator's library, "
            "because Immich sends no event for it. The benchmark then waits up to 0.5 s of real time with the clock "
            "stopped, so a pushed event can arrive; a change shown then counts as pushed, with "
            "its real delay. Otherwise the clock steps on until the sensor shows the change, "
            "and the simulated time is the latency.",
            f"- The emulator sends an upload's socket.io events {_delay_text(runs)} after the "
            "upload, standing for Immich, which sends them once the thumbnails exist. The "
            "v2.7.5 capture times its frames from the socket's connection, and the upload's "
            "event came 1.1 s after it, so at most 1.1 s after the upload; the benchmark uses "
            "that upper figure. A latency of that size is the event's path, not a poll.",
            "- Setup: real time, no frozen clock. `async_setup_component(hass, 'immich', {})` "
            "with the entry added and Home Assistant in the state it has before its start "
            "completes (`CoreState.not_running`), as its start calls it, timed with "
            "`time.perf_counter()`; then the entry's state. Refused: a 127.0.0.1 port with "
            "nothing listening. Hanging: a 127.0.0.1 server that accepts and never answers; "
            "when the call has not returned at the cap, the server closes its connections and "
            "the state after that is shown.",
            "",
        ]
    )


def print_tables(
    runs: dict[str, PollingResult],
    setups: dict[tuple[str, str], SetupResult],
    slideshow: Sequence[ScenarioResult],
    write_line: Callable[[str], object],
    idle_runs: dict[str, PollingResult],
) -> None:
    write_line("")
    for line in _loaded_lines(runs):
        write_line(line)
    for rows in (
        polling_rows(runs),
        polling_rows(idle_runs, with_latency=False),
        setup_rows(setups),
        target_rows(runs, setups, idle_runs),
    ):
        write_line("")
        for line in markdown_table(rows):
            write_line(line)
    for line in [*_routes_lines(runs), *_hanging_lines(setups)]:
        write_line(line)
    if slideshow:
        write_line("")
        for line in markdown_table(table_rows(slideshow)):
            write_line(line)


class CompareReporter:
    """A pytest plugin that prints the tables at the end and rewrites docs/benchmarks.md."""

    def __init__(self, expected_slideshow: int) -> None:
        self.expected_slideshow = expected_slideshow

    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter, config: pytest.Config
    ) -> None:
        runs = config.stash.get(POLLING_KEY, {})
        idle_runs = config.stash.get(IDLE_POLLING_KEY, {})
        setups = config.stash.get(SETUP_KEY, {})
        slideshow = config.stash.get(SLIDESHOW_KEY, [])
        print_tables(runs, setups, slideshow, terminalreporter.write_line, idle_runs)
        complete = (
            len(runs) == len(KINDS)
            and len(idle_runs) == len(KINDS)
            and len(setups) == len(KINDS) * len(CONDITIONS)
            and len(slideshow) == self.expected_slideshow
        )
        if config.getoption("--no-write"):
            return
        if not complete:
            terminalreporter.write_line("docs/benchmarks.md left as it is: not every item ran")
            return
        advances = config.getoption("--advances")
        DOCS_PATH.write_text(
            render_page(runs, setups, slideshow, advances, idle_runs), encoding="utf-8"
        )
        terminalreporter.write_line(f"wrote {DOCS_PATH.relative_to(Path.cwd())}")


@pytest.fixture(scope="session", autouse=True)
def compare_reporter(request: pytest.FixtureRequest) -> None:
    """Register the reporter once, from whichever comparison module runs first."""
    from .bench_slideshow import SCENARIOS

    manager = request.config.pluginmanager
    if not manager.has_plugin("immich_compare_reporter"):
        manager.register(CompareReporter(len(SCENARIOS)), "immich_compare_reporter")
