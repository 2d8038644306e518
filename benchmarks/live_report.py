"""Results of the live updates benchmark: targets, the printed table and LIVE.md."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
import math
from pathlib import Path
import platform

from homeassistant.const import __version__ as HA_VERSION
import pytest

from custom_components.immich.coordinator import LIVE_REFRESH_COOLDOWN

from .report import machine_description, median_p95

LIVE_PATH = Path(__file__).resolve().parent / "LIVE.md"
LIVE_RESULTS_KEY = pytest.StashKey["LiveResults"]()
"""Key of the results on the pytest config, which the terminal summary reads."""
DEFAULT_UPLOADS = 50
DEFAULT_BURST = 1000
MAX_P95_LATENCY = 2.0
"""Seconds from the start of an upload to the event entity's state change, at p95."""


def allowed_refreshes(span: float, cooldown: float = LIVE_REFRESH_COOLDOWN) -> int:
    """Return the most statistics refreshes that events spread over `span` seconds may cause.

    That is one refresh per cooldown window the events touch, plus the first one, which the
    debouncer runs at once. Even events that all arrive together touch one window, because
    the debouncer runs a second refresh at the end of the first cooldown.
    """
    windows = max(1, math.ceil(span / cooldown))
    return windows + 1


@dataclass(frozen=True, slots=True)
class LatencyResult:
    """Uploads through `POST /api/assets`, one at a time, each timed until the entity fires."""

    latencies: list[float]
    """Seconds from the start of each upload request to the event entity's state change."""
    request_seconds: list[float]
    """Seconds from the start of each upload request to its response."""
    upload_event_delay: float
    """Seconds the emulated server waits after an upload before it sends the event."""
    span: float
    """Seconds from the first to the last state change."""
    refreshes: int
    """`GET /api/server/statistics` requests from the first upload until the cooldown after
    the last one ended."""
    connect_seconds: float
    """Seconds from the start of the entry's setup until the live updates sensor was on."""
    load_average: float

    @property
    def uploads(self) -> int:
        return len(self.latencies)

    def latency(self) -> tuple[float, float, float]:
        """Return the median, nearest-rank 95th percentile and maximum latency, in seconds."""
        median, p95 = median_p95(self.latencies)
        return median, p95, max(self.latencies)

    def after_response(self) -> tuple[float, float]:
        """Return the median and p95 of the time from the upload's response to the state
        change, without the server's delay: the socket and the integration's share."""
        remainders = [
            latency - request - self.upload_event_delay
            for latency, request in zip(self.latencies, self.request_seconds, strict=True)
        ]
        return median_p95(remainders)


class BurstMode(StrEnum):
    """The way a burst's uploads reach the server."""

    AT_ONCE = "at once"
    """One request adds every photo, so all events leave the server together."""
    BACK_TO_BACK = "back to back"
    """One `POST /api/assets` after the other, without waiting for the events."""


@dataclass(frozen=True, slots=True)
class BurstResult:
    """Many uploads in a row, and the events and refreshes they cause."""

    mode: BurstMode
    uploads: int
    entity_fires: int
    """State changes of the event entity with event type `uploaded`."""
    bus_events: int
    """`immich_asset_uploaded` events on Home Assistant's bus."""
    upload_event_delay: float
    first_fire: float
    """Seconds from the first upload request to the entity's first state change."""
    last_fire: float
    refreshes: int
    """`GET /api/server/statistics` requests from the burst until its cooldown ended."""
    coordinator_updates: int
    """Updates the statistics coordinator sent its listeners over the same time."""
    photos_before: int
    photos_after: int
    """The photo count sensor before the burst and after its last refresh."""
    load_average: float

    @property
    def processing(self) -> float:
        """Seconds from the first to the last state change of the burst."""
        return self.last_fire - self.first_fire

    @property
    def allowed_refreshes(self) -> int:
        return allowed_refreshes(self.processing)


@dataclass(frozen=True, slots=True)
class ReconnectResult:
    """A dropped socket, from the drop until the live updates sensor is on again."""

    off_after: float
    on_after: float
    connections: int
    """Sockets that joined the emulator's default namespace after the drop."""
    upload_latency: float
    """Latency of one upload after the reconnection."""


@dataclass(slots=True)
class LiveResults:
    """Measurements of each part of the benchmark, with None for a part that did not finish."""

    uploads: int = DEFAULT_UPLOADS
    burst: int = DEFAULT_BURST
    latency: LatencyResult | None = None
    bursts: dict[BurstMode, BurstResult] = field(default_factory=dict)
    reconnect: ReconnectResult | None = None

    @property
    def complete(self) -> bool:
        return (
            self.latency is not None
            and set(self.bursts) == set(BurstMode)
            and self.reconnect is not None
        )


# Targets


def target_rows(results: LiveResults) -> list[tuple[str, str, bool]]:
    """Return each target, the measured value and whether it is met."""
    rows: list[tuple[str, str, bool]] = []
    if (latency := results.latency) is not None:
        p95 = latency.latency()[1]
        rows.append(
            (
                f"upload to event entity under {MAX_P95_LATENCY:g} s at p95",
                f"p95 {p95:.3f} s",
                p95 < MAX_P95_LATENCY,
            )
        )
    for burst in results.bursts.values():
        rows.append(
            (
                f"burst {burst.mode}: at most 1 refresh per cooldown window plus one",
                f"{burst.refreshes} refreshes, {burst.allowed_refreshes} allowed",
                burst.refreshes <= burst.allowed_refreshes,
            )
        )
        rows.append(
            (
                f"burst {burst.mode}: the entity fires once per upload ({burst.uploads:,})",
                f"{burst.entity_fires:,} fires",
                burst.entity_fires == burst.uploads,
            )
        )
        rows.append(
            (
                f"burst {burst.mode}: the photo count follows the uploads",
                f"{burst.photos_before:,} to {burst.photos_after:,}",
                burst.photos_after - burst.photos_before == burst.uploads,
            )
        )
    return rows


def target_failures(results: LiveResults) -> list[str]:
    return [f"{target}: {value}" for target, value, met in target_rows(results) if not met]


# Table


def _seconds(value: float) -> str:
    return f"{value:.3f} s"


def result_rows(results: LiveResults) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if (latency := results.latency) is not None:
        median, p95, maximum = latency.latency()
        request_median, request_p95 = median_p95(latency.request_seconds)
        rest_median, rest_p95 = latency.after_response()
        rows += [
            ("Uploads, one at a time", f"{latency.uploads}"),
            ("Upload to event entity: median", _seconds(median)),
            ("Upload to event entity: p95", _seconds(p95)),
            ("Upload to event entity: max", _seconds(maximum)),
            (
                "Part: the upload request (median, p95)",
                f"{request_median:.3f}, {request_p95:.3f} s",
            ),
            ("Part: the server's event delay", _seconds(latency.upload_event_delay)),
            (
                "Part: socket and integration (median, p95)",
                f"{rest_median:.3f}, {rest_p95:.3f} s",
            ),
            (
                "Statistics refreshes during the uploads",
                f"{latency.refreshes} in {latency.span:.1f} s "
                f"({allowed_refreshes(latency.span)} allowed)",
            ),
            ("Setup to live updates connected", _seconds(latency.connect_seconds)),
        ]
    for burst in results.bursts.values():
        name = f"Burst {burst.mode}"
        rows += [
            (f"{name}: uploads", f"{burst.uploads:,}"),
            (f"{name}: event entity fires", f"{burst.entity_fires:,}"),
            (f"{name}: `immich_asset_uploaded` bus events", f"{burst.bus_events:,}"),
            (f"{name}: first fire after the first request", _seconds(burst.first_fire)),
            (f"{name}: first to last fire", _seconds(burst.processing)),
            (
                f"{name}: events handled per second",
                f"{burst.uploads / burst.processing:,.0f}" if burst.processing > 0 else "-",
            ),
            (
                f"{name}: statistics refreshes (server requests, coordinator updates)",
                f"{burst.refreshes}, {burst.coordinator_updates}",
            ),
            (
                f"{name}: photo count sensor before, after",
                f"{burst.photos_before:,}, {burst.photos_after:,}",
            ),
        ]
    if (reconnect := results.reconnect) is not None:
        rows += [
            ("Dropped socket: live updates sensor off after", _seconds(reconnect.off_after)),
            ("Dropped socket: live updates sensor on again after", _seconds(reconnect.on_after)),
            ("Dropped socket: new connections", f"{reconnect.connections}"),
            ("Dropped socket: next upload to event entity", _seconds(reconnect.upload_latency)),
        ]
    if results.latency is not None:
        rows.append(("Load average at the start: uploads", f"{results.latency.load_average:.2f}"))
    for burst in results.bursts.values():
        rows.append((f"Load average at the start: burst {burst.mode}", f"{burst.load_average:.2f}"))
    return rows


def print_summary(results: LiveResults, write_line: Callable[[str], object]) -> None:
    rows = result_rows(results)
    if not rows:
        write_line("live updates benchmark: no part finished")
        return
    width = max(len(name) for name, _ in rows)
    write_line("")
    for name, value in rows:
        write_line(f"{name.ljust(width)}  {value}")
    for target, value, met in target_rows(results):
        write_line(f"| {target} | {value} | {'met' if met else 'MISSED'} |")


# LIVE.md


def command_line(uploads: int, burst: int) -> str:
    command = ["scripts/bench-live"]
    if uploads != DEFAULT_UPLOADS:
        command.append(f"--uploads {uploads}")
    if burst != DEFAULT_BURST:
        command.append(f"--burst {burst}")
    return " ".join(command)


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def render_live(results: LiveResults) -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    targets = [
        (target, value, "met" if met else "MISSED") for target, value, met in target_rows(results)
    ]
    delay = results.latency.upload_event_delay if results.latency else 0.3
    return "\n".join(
        [
            "# Live updates benchmark",
            "",
            f"Written by `{command_line(results.uploads, results.burst)}` on {generated}; the "
            "next full run rewrites this page.",
            "",
            f"- Machine: {machine_description()}.",
            f"- Software: Home Assistant {HA_VERSION} on Python {platform.python_version()} "
            "(the newest test environment).",
            "- Emulated server: Immich v2.7.5 API (`benchmarks/live_emulator.py`), in its own "
            "process on the same machine, so that its work stays off the event loop being "
            f"timed. It sends each upload's socket events {delay:g} s after the upload, as "
            "Immich sends them once the thumbnails exist.",
            "",
            "## Targets",
            "",
            *_markdown_table(("Target", "Measured", "Result"), targets),
            "",
            "## Results",
            "",
            *_markdown_table(("Measure", "Value"), result_rows(results)),
            "",
            "## How each number is measured",
            "",
            "- Setup: a real Home Assistant from pytest-homeassistant-custom-component's `hass` "
            "fixture (asyncio debug mode off), with a config entry of the emulator's admin user "
            "and polling disabled, so that every statistics request comes from live events. "
            "Each part sets up a new entry and waits until the live updates binary sensor is "
            "on. *Setup to live updates connected* runs from `async_setup` of the entry to that "
            "moment.",
            "- *Upload to event entity*: each upload is a multipart `POST /api/assets` with "
            "distinct random content (64 KiB), sent from an aiohttp session in the benchmark's "
            "process. The time runs from `time.perf_counter()` before the request to the "
            "`state_changed` event of the `event.*_new_upload` entity whose `asset_id` is the "
            "one the upload returned (`async_track_state_change_event`). The next upload starts "
            "after that. Median, nearest-rank 95th percentile and maximum. The parts split "
            "that time: *the upload request* runs to the upload's response, *the server's event "
            "delay* is the emulator's `upload_event_delay`, and *socket and integration* is the "
            "rest: the socket.io frame, parsing, the signed preview URL, the entity's state "
            "write and the bus event.",
            "- *Statistics refreshes*: `GET /api/server/statistics` requests the emulator "
            "counted, from the first upload until the refresh cooldown "
            f"({LIVE_REFRESH_COOLDOWN:g} s) after the last event had ended, plus one second. "
            "*Allowed* is one per cooldown window that the span from the first to the last "
            "fire touches, plus one: the debouncer runs the first refresh at once and then at "
            "most one at the end of each cooldown in which events arrived.",
            "- *Burst at once*: one request to the emulator's `POST /_emulator/bench/uploads` "
            "adds the photos to the admin's library together (copies of a captured photo with "
            "new ids and checksums) and schedules each one's `on_upload_success` and "
            "`AssetUploadReadyV1` frames as `POST /api/assets` does, so all of them leave the "
            "server together after the event delay. This is the heaviest load on the "
            "integration's event handling.",
            "- *Burst back to back*: one real `POST /api/assets` after the other from the "
            "benchmark's process, each sent when the previous response arrived, without "
            "waiting for events, as a phone's backup does. The uploads set the pace here, so "
            "its *events handled per second* is the upload rate, not a limit of the "
            "integration.",
            "- For both bursts: *first fire* runs from the first request to the event entity's "
            "first state change, and *first to last fire* is the time over which Home "
            "Assistant handled the burst's events. Fires are the entity's state changes with "
            "event type `uploaded`, and bus events are `immich_asset_uploaded` events. After "
            "the last fire the benchmark waits out the cooldown and one more second, then "
            "reads the emulator's statistics requests, the number of updates the statistics "
            "coordinator sent its listeners, and the photo count sensor, which must have grown "
            "by the burst's size.",
            "- *Dropped socket*: the emulator closes every socket (`drop_sockets` over "
            "`/_emulator/control`); times run from that request to the live updates binary "
            "sensor's state changes. The integration waits 2 s (plus or minus 25 %) before "
            "its first new attempt, and doubles the wait after each failure or short-lived "
            "connection. *Next upload* is one more upload timed as above.",
            "- *Load average*: the machine's 1-minute load average when the part started. The "
            "emulator process, Home Assistant and the uploading client share the machine's "
            "cores; other programs running at the same time delay single events.",
            "- Limits: the socket runs over 127.0.0.1, so network latency is missing; uploads "
            "are 64 KiB, far smaller than real photos, which only lengthens the upload request "
            "itself. A real server takes longer per upload than the emulator, which spreads a "
            "back-to-back burst over more cooldown windows.",
            "",
        ]
    )


def write_live(results: LiveResults) -> None:
    LIVE_PATH.write_text(render_live(results), encoding="utf-8")
