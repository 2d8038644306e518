"""Fixtures: a real Home Assistant (pytest-homeassistant-custom-component) and an emulated Immich."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import os
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT, CONF_SSL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# Imported before the `hass` fixture runs, so that Home Assistant finds this repository's
# custom_components and not the test package's own testing_config.
import custom_components.immich  # noqa: F401
from custom_components.immich.const import CONF_URL, DOMAIN
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, PROFILES, EmulatorServer
from immich_emulator.thread import EmulatorThread
from tests import generations
from tests.key_sweep import KeySweep
from tests.tls import self_signed_context

# `pytester` runs a leaking test in a subprocess, to check that the key sweep fails it.
pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load this repository's `immich`; without it Home Assistant 2026 loads its built-in one."""


@pytest.fixture(autouse=True)
def live_updates_only_when_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    """Open the live connection only in tests marked `live_updates`.

    Other tests count requests and log records of the polling parts, which a socket that
    opens in the background would make depend on timing.
    """
    if request.node.get_closest_marker("live_updates") is not None:
        yield
        return
    with patch("custom_components.immich.live.ImmichLiveUpdates.async_start"):
        yield


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--immich-profile",
        default=os.environ.get("IMMICH_PROFILE") or None,
        choices=sorted(PROFILES),
        help="Immich release the emulator serves to every test, for example v1.98.2; tests "
        "pinned to other releases are deselected (default: v2.7.5, or $IMMICH_PROFILE)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "immich_requires(predicate, reason): skip on releases that lack a feature"
    )
    config.addinivalue_line(
        "markers", "live_updates: open the live connection to the emulator in this test"
    )
    # Test modules read it while they are collected, which is after this hook.
    generations.selected_profile = config.getoption("--immich-profile")
    config.pluginmanager.register(KeySweep(), "immich_key_sweep")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect tests pinned to other releases than the selected one, and skip tests whose
    subject the release lacks."""
    selected = generations.selected_profile
    remaining: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        pinned = callspec.params.get("emulator_profile") if callspec else None
        if selected is not None and pinned is not None and pinned != selected:
            deselected.append(item)
            continue
        if (reason := generations.profile_lacks(item)) is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
        remaining.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = remaining


@pytest.fixture
def emulator_profile() -> str:
    """Immich release the emulator serves; tests override it to run another generation."""
    return generations.run_profile()


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
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer, which hides ids and timestamps.

    The test package defines the same fixture, but syrupy's own `snapshot` wins over it.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Enable every entity, including those the integration disables by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


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


async def setup_with_media_source(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Set up the media source integration and load an entry, as browsing and uploads need."""
    assert await async_setup_component(hass, "media_source", {})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture
async def media_entry(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The admin's entry, loaded, with the media source set up."""
    return await setup_with_media_source(hass, config_entry)
