"""Network failures between Home Assistant and Immich: a server that hangs or cuts a body
off, and a reverse proxy that returns 502, 401 or 429 in place of Immich."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.utils import formatdate
from http import HTTPStatus
import logging
import time
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_VERIFY_SSL, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich.api import ImmichClient, ImmichRateLimitedError
from custom_components.immich.api.transport import (
    MAX_RETRY_AFTER,
    retry_after_seconds,
    route_template,
)
from custom_components.immich.const import CONF_URL, DOMAIN
from custom_components.immich.coordinator import QUEUES_INTERVAL, STATISTICS_INTERVAL
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, EmulatorServer
from tests.generations import STORAGE_ROUTE

from .integration import advance, integration_records, setup_entry, state_of

DISK_SIZE = f"{ADMIN_USER_ID}_disk_size"
PENDING_JOBS = f"{ADMIN_USER_ID}_jobs_pending"
PHOTO_ID = "0b7ed609-432e-47ff-8c9d-b464ea4470ce"
QUEUES_ROUTE = r"^GET /api/(queues|jobs)$"
SHORT_TIMEOUT = 0.2
HANG_SECONDS = 3.0


@pytest.fixture
def short_request_timeout() -> Iterator[None]:
    """Give every client the integration creates a 0.2 s request timeout instead of 10 s."""
    with patch("custom_components.immich.helpers.REQUEST_TIMEOUT", SHORT_TIMEOUT):
        yield


def messages(records: list[logging.LogRecord]) -> list[str]:
    return [record.getMessage() for record in records]


def recovered_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in integration_records(caplog, logging.INFO)
        if "recovered" in record.getMessage()
    ]


async def poll_without_freezer(hass: HomeAssistant, interval: timedelta) -> float:
    """Fire the timers due within `interval` on the real clock; return the wall time the
    polls took. A frozen clock would also stop the request timeout."""
    started = time.monotonic()
    async_fire_time_changed(hass, dt_util.utcnow() + interval + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    return time.monotonic() - started


async def submit_user_step(hass: HomeAssistant, url: str) -> dict[str, object]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, CONF_API_KEY: ADMIN_KEY, CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.FORM
    return dict(result)


# A server that hangs, then cuts a body off, then recovers


@pytest.mark.usefixtures("short_request_timeout")
async def test_hang_then_truncated_then_recovery(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(hass, config_entry)
    caplog.clear()

    emulator.add_fault("hang", ".*", seconds=HANG_SECONDS)
    elapsed = await poll_without_freezer(hass, STATISTICS_INTERVAL)

    assert elapsed < HANG_SECONDS - 1
    assert state_of(hass, Platform.SENSOR, DISK_SIZE) == STATE_UNAVAILABLE
    assert state_of(hass, Platform.SENSOR, PENDING_JOBS) == STATE_UNAVAILABLE
    failures = messages(integration_records(caplog))
    assert len(failures) == 2, failures
    assert all("timed out after 0.2 s" in message for message in failures), failures

    emulator.faults.clear()
    emulator.add_fault("truncated", ".*")
    await poll_without_freezer(hass, STATISTICS_INTERVAL)

    assert state_of(hass, Platform.SENSOR, DISK_SIZE) == STATE_UNAVAILABLE
    assert state_of(hass, Platform.SENSOR, PENDING_JOBS) == STATE_UNAVAILABLE
    # The outage goes on, so the coordinators log nothing new.
    assert len(integration_records(caplog)) == 2

    emulator.faults.clear()
    await poll_without_freezer(hass, STATISTICS_INTERVAL)

    assert float(state_of(hass, Platform.SENSOR, DISK_SIZE)) > 0
    assert float(state_of(hass, Platform.SENSOR, PENDING_JOBS)) >= 0
    assert len(integration_records(caplog)) == 2
    assert len(recovered_records(caplog)) == 2


@pytest.mark.parametrize("fault", ["hang", "truncated"])
@pytest.mark.usefixtures("short_request_timeout")
async def test_user_step_hang_or_truncated(
    hass: HomeAssistant, emulator: EmulatorServer, fault: str
) -> None:
    emulator.add_fault(fault, ".*", seconds=HANG_SECONDS)

    result = await submit_user_step(hass, emulator.url)

    assert result["errors"] == {"base": "cannot_connect"}
    placeholders = result["description_placeholders"]
    assert isinstance(placeholders, dict)
    expected = "timed out after 0.2 s" if fault == "hang" else "response body was cut off"
    assert expected in placeholders["error"]
    assert not hass.config_entries.async_entries(DOMAIN)


# A reverse proxy responding in place of Immich


async def test_proxy_502_logged_once(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(hass, config_entry)
    caplog.clear()
    emulator.add_fault("html_error", ".*", status=502)

    for _ in range(3):
        await advance(hass, freezer, STATISTICS_INTERVAL)
        assert state_of(hass, Platform.SENSOR, DISK_SIZE) == STATE_UNAVAILABLE
        assert state_of(hass, Platform.SENSOR, PENDING_JOBS) == STATE_UNAVAILABLE

    # One line for each coordinator that polled, not one per poll.
    failures = messages(integration_records(caplog))
    assert len(failures) == 2, failures
    assert sum("statistics" in message for message in failures) == 1, failures
    assert sum("queues" in message for message in failures) == 1, failures
    assert all("HTTP 502 (text/html body)" in message for message in failures), failures

    emulator.faults.clear()
    caplog.clear()
    await advance(hass, freezer, STATISTICS_INTERVAL)
    await advance(hass, freezer, STATISTICS_INTERVAL)

    assert float(state_of(hass, Platform.SENSOR, DISK_SIZE)) > 0
    assert integration_records(caplog) == []
    assert len(recovered_records(caplog)) == 2


async def test_proxy_401_starts_one_reauth(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(hass, config_entry)
    caplog.clear()
    emulator.add_fault("unauthorized", ".*")

    for _ in range(3):
        await advance(hass, freezer, STATISTICS_INTERVAL)

    flows = list(config_entry.async_get_active_flows(hass, {SOURCE_REAUTH}))
    assert len(flows) == 1
    assert flows[0]["context"]["entry_id"] == config_entry.entry_id
    assert state_of(hass, Platform.SENSOR, DISK_SIZE) == STATE_UNAVAILABLE
    assert state_of(hass, Platform.SENSOR, PENDING_JOBS) == STATE_UNAVAILABLE
    assert len(integration_records(caplog)) == 2, messages(integration_records(caplog))

    emulator.faults.clear()
    await advance(hass, freezer, STATISTICS_INTERVAL)

    assert not list(config_entry.async_get_active_flows(hass, {SOURCE_REAUTH}))
    assert float(state_of(hass, Platform.SENSOR, DISK_SIZE)) > 0


# HTTP 429 with Retry-After


@pytest.mark.parametrize("http_date", [False, True])
async def test_client_waits_for_retry_after(
    emulator: EmulatorServer, freezer: FrozenDateTimeFactory, http_date: bool
) -> None:
    retry_after = formatdate(time.time() + 5, usegmt=True) if http_date else None
    emulator.add_fault(
        "rate_limited", STORAGE_ROUTE, seconds=5, retry_after=retry_after, remaining=1
    )
    route = "GET /api/server/storage"

    async with ImmichClient(emulator.url, ADMIN_KEY) as client:
        with pytest.raises(ImmichRateLimitedError) as limited:
            await client.async_get_storage()
        assert limited.value.status == 429
        assert limited.value.retry_after == pytest.approx(5, abs=1)
        assert emulator.stats.requests[route] == 1

        freezer.tick(timedelta(seconds=3))
        with pytest.raises(ImmichRateLimitedError) as waiting:
            await client.async_get_storage()
        assert waiting.value.status is None
        assert waiting.value.retry_after == pytest.approx(2, abs=1)
        assert emulator.stats.requests[route] == 1

        freezer.tick(timedelta(seconds=2.5))
        storage = await client.async_get_storage()

    assert storage.disk_size_raw == emulator.library.storage["diskSizeRaw"]
    assert emulator.stats.requests[route] == 2


async def test_rate_limit_is_per_route(
    emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    emulator.add_fault("rate_limited", STORAGE_ROUTE, seconds=60)

    async with ImmichClient(emulator.url, ADMIN_KEY) as client:
        with pytest.raises(ImmichRateLimitedError):
            await client.async_get_storage()
        user = await client.async_get_my_user()

    assert user.id == ADMIN_USER_ID


async def test_rate_limit_covers_every_asset(
    emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    first_id, second_id = list(emulator.library.assets)[:2]
    emulator.add_fault("rate_limited", r"^GET /api/assets/[^/]+/thumbnail$", seconds=60)

    async with ImmichClient(emulator.url, ADMIN_KEY) as client:
        with pytest.raises(ImmichRateLimitedError):
            await client.async_get_thumbnail(first_id)
        emulator.stats.reset()
        with pytest.raises(ImmichRateLimitedError):
            await client.async_get_thumbnail(second_id)

    assert emulator.stats.total == 0


def test_route_template_replaces_ids() -> None:
    description = "GET /api/assets/0D7D7CD2-5BBA-4C3C-9A87-1F0B3E2A4C55/thumbnail"

    assert route_template(description) == "GET /api/assets/{id}/thumbnail"
    assert route_template("GET /api/albums") == "GET /api/albums"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("5", 5.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("99999999", MAX_RETRY_AFTER),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_header_forms(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header) == expected


def test_retry_after_http_date_in_future() -> None:
    header = formatdate(time.time() + 90, usegmt=True)

    seconds = retry_after_seconds(header)

    assert seconds is not None
    assert 88 <= seconds <= 90


async def test_refresh_waits_for_retry_after(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    statistics = config_entry.runtime_data.statistics
    route = "GET /api/server/storage"
    emulator.add_fault("rate_limited", STORAGE_ROUTE, seconds=5, remaining=1)

    await statistics.async_refresh()
    assert emulator.stats.requests[route] == 2
    assert not statistics.last_update_success

    freezer.tick(timedelta(seconds=4))
    await statistics.async_refresh()
    assert emulator.stats.requests[route] == 2
    assert not statistics.last_update_success

    freezer.tick(timedelta(seconds=1.5))
    await statistics.async_refresh()
    await hass.async_block_till_done()

    assert emulator.stats.requests[route] == 3
    assert statistics.last_update_success
    assert float(state_of(hass, Platform.SENSOR, DISK_SIZE)) > 0


async def test_polls_wait_for_long_retry_after(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(hass, config_entry)
    caplog.clear()
    route = "GET /api/queues"
    emulator.add_fault("rate_limited", QUEUES_ROUTE, seconds=120, remaining=1)

    await advance(hass, freezer, QUEUES_INTERVAL)
    assert emulator.stats.requests[route] == 2
    assert state_of(hass, Platform.SENSOR, PENDING_JOBS) == STATE_UNAVAILABLE

    # Three more queue intervals pass within the two minutes the proxy asked for.
    for _ in range(3):
        await advance(hass, freezer, QUEUES_INTERVAL)
        assert emulator.stats.requests[route] == 2
        assert state_of(hass, Platform.SENSOR, PENDING_JOBS) == STATE_UNAVAILABLE

    await advance(hass, freezer, timedelta(seconds=31))

    assert emulator.stats.requests[route] == 3
    assert float(state_of(hass, Platform.SENSOR, PENDING_JOBS)) >= 0
    failures = messages(integration_records(caplog))
    assert len(failures) == 1, failures
    assert "HTTP 429" in failures[0]
    assert "retry after 120 s" in failures[0]
    assert len(recovered_records(caplog)) == 1


async def test_user_step_rate_limited(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    emulator.add_fault("rate_limited", ".*", seconds=5)

    result = await submit_user_step(hass, emulator.url)

    assert result["errors"] == {"base": "rate_limited"}
    placeholders = result["description_placeholders"]
    assert isinstance(placeholders, dict)
    assert "HTTP 429" in placeholders["error"]


async def test_media_view_passes_retry_after(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
) -> None:
    emulator.add_fault("rate_limited", r"/thumbnail$", seconds=30)
    client = await hass_client()

    response = await client.get(f"/immich/{ADMIN_USER_ID}/{PHOTO_ID}/thumbnail/image/jpeg")

    assert response.status == HTTPStatus.TOO_MANY_REQUESTS
    assert response.headers["Retry-After"] == "30"
