"""Setting up, migrating and unloading config entries against the emulated server."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT, CONF_SSL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.immich import async_migrate_entry
from custom_components.immich.const import CONF_URL, DOMAIN
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, SCOPED_KEY, SECOND_USER_ID, EmulatorServer
from tests.generations import OWN_USER_ROUTE, each_profile, own_user_request

BOTH_PROFILES = each_profile()


def builtin_entry(
    host: str, port: int | None, *, ssl: bool = False, api_key: str = ADMIN_KEY, **options: Any
) -> MockConfigEntry:
    """Return an entry as Home Assistant's built-in Immich integration creates it (1.1)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=options.get("title", "Admin User"),
        unique_id=options.get("unique_id", ADMIN_USER_ID),
        data={
            CONF_HOST: host,
            CONF_PORT: port,
            CONF_SSL: ssl,
            CONF_API_KEY: api_key,
            CONF_VERIFY_SSL: options.get("verify_ssl", True),
        },
        version=options.get("version", 1),
        minor_version=options.get("minor_version", 1),
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def dead_server_url() -> str:
    """Return the URL of a port that nothing listens on any more."""
    server = EmulatorServer()
    await server.start()
    url = server.url
    await server.stop()
    return url


@BOTH_PROFILES
async def test_builtin_entry_migrated_and_loaded(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry = builtin_entry("127.0.0.1", emulator.port)
    original = dict(entry.data)

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.data[CONF_URL] == emulator.url
    assert {key: value for key, value in entry.data.items() if key != CONF_URL} == original
    assert entry.title == "Admin User"
    assert entry.unique_id == ADMIN_USER_ID
    assert entry.runtime_data.user.id == entry.unique_id
    assert entry.runtime_data.client.server_url == emulator.url


async def test_builtin_entry_with_self_signed_tls(hass: HomeAssistant, tls_emulator: str) -> None:
    url = URL(tls_emulator)
    entry = builtin_entry("127.0.0.1", url.port, ssl=True, verify_ssl=False)
    original = dict(entry.data)

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_URL] == tls_emulator
    assert tls_emulator.startswith("https://")
    assert {key: value for key, value in entry.data.items() if key != CONF_URL} == original


@pytest.mark.parametrize(
    ("host", "port", "ssl", "expected"),
    [
        ("photos.example.com", 443, True, "https://photos.example.com"),
        ("photos.example.com", 8443, True, "https://photos.example.com:8443"),
        ("immich.example.org", 2283, False, "http://immich.example.org:2283"),
        ("immich.example.org", 80, False, "http://immich.example.org"),
    ],
)
async def test_migration_builds_url(
    hass: HomeAssistant, host: str, port: int, ssl: bool, expected: str
) -> None:
    entry = builtin_entry(host, port, ssl=ssl)
    entry.add_to_hass(hass)
    original = dict(entry.data)

    assert await async_migrate_entry(hass, entry)

    assert entry.data[CONF_URL] == expected
    assert entry.minor_version == 2
    assert {key: value for key, value in entry.data.items() if key != CONF_URL} == original


async def test_current_entry_loads_unchanged(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    original = dict(config_entry.data)

    await setup_entry(hass, config_entry)

    assert config_entry.state is ConfigEntryState.LOADED
    assert dict(config_entry.data) == original
    assert config_entry.minor_version == 2


async def test_newer_minor_version_loads(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = builtin_entry("127.0.0.1", emulator.port, minor_version=3)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_URL: emulator.url})
    original = dict(entry.data)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert entry.minor_version == 3
    assert dict(entry.data) == original


async def test_future_major_version_migration_error(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry = builtin_entry("127.0.0.1", emulator.port, version=2)
    original = dict(entry.data)

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert entry.version == 2
    assert dict(entry.data) == original
    assert not emulator.stats.requests


@BOTH_PROFILES
async def test_rejected_key_starts_reauth(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = builtin_entry("127.0.0.1", emulator.port, api_key="revoked-key")

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [(flow["context"]["source"], flow["context"]["entry_id"]) for flow in flows] == [
        (SOURCE_REAUTH, entry.entry_id)
    ]


async def test_server_down_setup_retry(hass: HomeAssistant, socket_enabled: None) -> None:
    url = URL(await dead_server_url())
    entry = builtin_entry("127.0.0.1", url.port)

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


@pytest.mark.parametrize("fault", ["server_error", "html_error", "truncated"])
async def test_server_failure_setup_retry(
    hass: HomeAssistant, emulator: EmulatorServer, fault: str
) -> None:
    emulator.add_fault(fault, OWN_USER_ROUTE, status=503)

    await setup_entry(hass, builtin_entry("127.0.0.1", emulator.port))

    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert emulator.stats.requests[own_user_request(emulator.profile)] == 1


async def test_timeout_setup_retry(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    emulator.add_fault("hang", OWN_USER_ROUTE, seconds=1)

    with patch("custom_components.immich.helpers.REQUEST_TIMEOUT", 0.1):
        await setup_entry(hass, builtin_entry("127.0.0.1", emulator.port))

    assert hass.config_entries.async_entries(DOMAIN)[0].state is ConfigEntryState.SETUP_RETRY


@BOTH_PROFILES
async def test_unsupported_version_setup_error(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    emulator.reported_version = (1, 88, 0)
    entry = builtin_entry("127.0.0.1", emulator.port)

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert "GET /api/users/me" not in emulator.stats.requests
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_not_immich_setup_error(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    emulator.add_fault("missing_route", r"/version$")
    entry = builtin_entry("127.0.0.1", emulator.port)

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR


async def test_missing_permission_setup_error(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    emulator.add_fault("missing_permission", OWN_USER_ROUTE, permission="user.read")
    entry = builtin_entry(
        "127.0.0.1",
        emulator.port,
        api_key=SCOPED_KEY,
        unique_id=SECOND_USER_ID,
        title="Second User",
    )

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


@BOTH_PROFILES
async def test_unload_entry(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    await setup_entry(hass, config_entry)
    assert config_entry.state is ConfigEntryState.LOADED

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.NOT_LOADED


async def test_retry_recovers_when_server_returns(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    emulator.add_fault("server_error", OWN_USER_ROUTE, status=503, remaining=1)
    entry = builtin_entry("127.0.0.1", emulator.port)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY

    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert emulator.stats.requests[own_user_request(emulator.profile)] == 2
