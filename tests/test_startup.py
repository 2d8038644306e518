"""Setup while Home Assistant starts: a server that never responds must not hold the start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.api import normalize_server_url
from custom_components.immich.const import DOMAIN
from custom_components.immich.helpers import entry_data
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, EmulatorServer


class SilentServer:
    """A 127.0.0.1 server that accepts connections and never responds, until stopped."""

    def __init__(self) -> None:
        self.connections = 0
        self._release = asyncio.Event()
        self._handlers: list[asyncio.Task[None]] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        self._release.set()
        await asyncio.gather(*self._handlers)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._handlers.append(asyncio.ensure_future(self._hold(writer)))

    async def _hold(self, writer: asyncio.StreamWriter) -> None:
        await self._release.wait()
        writer.close()


@pytest.fixture
async def silent_entry(socket_enabled: None) -> AsyncIterator[tuple[MockConfigEntry, SilentServer]]:
    server = SilentServer()
    port = await server.start()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Admin User (127.0.0.1)",
        unique_id=ADMIN_USER_ID,
        data=entry_data(normalize_server_url(f"http://127.0.0.1:{port}"), ADMIN_KEY, True),
        version=1,
        minor_version=2,
    )
    yield entry, server
    await server.stop()


async def test_silent_server_at_start_is_retried_later(
    hass: HomeAssistant, silent_entry: tuple[MockConfigEntry, SilentServer]
) -> None:
    entry, server = silent_entry
    hass.set_state(CoreState.not_running)
    entry.add_to_hass(hass)

    with (
        patch("custom_components.immich.STARTUP_SETUP_TIMEOUT", 0.2),
        patch("custom_components.immich.helpers.REQUEST_TIMEOUT", 2.0),
    ):
        await hass.config_entries.async_setup(entry.entry_id)
    hass.set_state(CoreState.running)

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "while Home Assistant was starting" in (entry.reason or "")
    assert server.connections == 1


async def test_silent_server_after_start_waits_for_request_timeout(
    hass: HomeAssistant, silent_entry: tuple[MockConfigEntry, SilentServer]
) -> None:
    entry, _ = silent_entry
    entry.add_to_hass(hass)

    with (
        patch("custom_components.immich.STARTUP_SETUP_TIMEOUT", 0.1),
        patch("custom_components.immich.helpers.REQUEST_TIMEOUT", 0.3),
    ):
        await hass.config_entries.async_setup(entry.entry_id)

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "while Home Assistant was starting" not in (entry.reason or "")
    assert "0.3 s" in (entry.reason or "")


async def test_slow_statistics_at_start_are_retried_later(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    """The budget covers every request of the setup, not only the first."""
    emulator.add_fault("delay", r"^GET /api/server/statistics$", seconds=2.0)
    hass.set_state(CoreState.not_running)
    config_entry.add_to_hass(hass)

    with patch("custom_components.immich.STARTUP_SETUP_TIMEOUT", 0.5):
        await hass.config_entries.async_setup(config_entry.entry_id)
    hass.set_state(CoreState.running)

    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "while Home Assistant was starting" in (config_entry.reason or "")
    assert emulator.stats.requests["GET /api/server/version"] >= 1
