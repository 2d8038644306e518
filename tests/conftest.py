"""Fixtures: a real Home Assistant (pytest-homeassistant-custom-component) and an emulated Immich."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT, CONF_SSL, CONF_VERIFY_SSL
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Imported before the `hass` fixture runs, so that Home Assistant finds this repository's
# custom_components and not the test package's own testing_config.
import custom_components.immich  # noqa: F401
from custom_components.immich.const import CONF_URL, DOMAIN
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, EmulatorServer
from immich_emulator.thread import EmulatorThread
from tests.tls import self_signed_context


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load this repository's `immich`; without it Home Assistant 2026 loads its built-in one."""


@pytest.fixture
def emulator_profile() -> str:
    """Immich release the emulator serves; tests override it to run another generation."""
    return "v2.7.5"


@pytest.fixture
async def emulator(socket_enabled: None, emulator_profile: str) -> AsyncIterator[EmulatorServer]:
    """An emulated Immich server on 127.0.0.1, stopped at the end of the test."""
    server = EmulatorServer(emulator_profile)
    await server.start()
    yield server
    await server.stop()


def entry_data_for(server: EmulatorServer, api_key: str = ADMIN_KEY) -> dict[str, Any]:
    return {
        CONF_URL: server.url,
        CONF_HOST: "127.0.0.1",
        CONF_PORT: server.port,
        CONF_SSL: False,
        CONF_API_KEY: api_key,
        CONF_VERIFY_SSL: True,
    }


@pytest.fixture
def config_entry(emulator: EmulatorServer) -> MockConfigEntry:
    """A config entry of this integration for the emulator's admin user."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Admin User (127.0.0.1)",
        unique_id=ADMIN_USER_ID,
        data=entry_data_for(emulator),
        version=1,
        minor_version=2,
    )


@pytest.fixture
def tls_emulator(socket_enabled: None, tmp_path: Path) -> Iterator[str]:
    """An emulated Immich server behind a self-signed certificate; yields its https URL.

    It runs on its own loop, because asyncio reports each rejected handshake on the serving
    loop, and Home Assistant's test harness fails a test for errors reported on its loop.
    """
    thread = EmulatorThread(EmulatorServer(), self_signed_context(tmp_path))
    url = thread.start()
    yield url
    thread.stop()
