"""Setup against servers as users meet them: URL forms, the `all` permission of Immich
v1.136 and v1.137, non-admin keys and a server that reports only the required build details."""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
import logging
from pathlib import Path

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.update import (
    ATTR_INSTALLED_VERSION,
    ATTR_LATEST_VERSION,
    ATTR_RELEASE_URL,
)
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_VERIFY_SSL, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.api import ImmichClient
from custom_components.immich.const import CONF_URL, DOMAIN
from custom_components.immich.coordinator import (
    QUEUES_INTERVAL,
    SERVER_INTERVAL,
    STATISTICS_INTERVAL,
)
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, SECOND_USER_ID, USER_KEY, EmulatorServer
from tests.generations import OWN_USER_ROUTE

from .integration import (
    advance,
    entity_id_for,
    gib,
    integration_records,
    setup_entry,
    state_of,
    user_config_entry,
    user_totals,
)

TRANSLATIONS = Path(__file__).parents[1] / "custom_components/immich/translations/en.json"
URL_SUFFIXES = pytest.mark.parametrize("suffix", ["", "/", "/api", "/api/"])
SUB_PATH = "/immich"
ADMIN_ONLY_ROUTES = (
    "GET /api/server/statistics",
    "GET /api/server-info/statistics",
    "GET /api/queues",
    "GET /api/jobs",
)


@pytest.fixture
async def sub_path_emulator(
    socket_enabled: None, emulator_profile: str
) -> AsyncIterator[EmulatorServer]:
    """An emulated server whose API sits under `/immich/api`, as behind a reverse proxy."""
    server = EmulatorServer(emulator_profile, path_prefix=SUB_PATH)
    await server.start()
    yield server
    await server.stop()


def requested_paths(emulator: EmulatorServer) -> list[str]:
    return [key.split(" ", 1)[1] for key in emulator.stats.requests]


async def create_entry_through_flow(hass: HomeAssistant, url: str, api_key: str) -> MockConfigEntry:
    """Add a server through the user step and wait for the created entry to load."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, CONF_API_KEY: api_key, CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


# URL forms


@URL_SUFFIXES
async def test_flow_url_forms_reach_api_once(
    hass: HomeAssistant, emulator: EmulatorServer, suffix: str
) -> None:
    entry = await create_entry_through_flow(hass, emulator.url + suffix, ADMIN_KEY)
    assert await hass.config_entries.async_unload(entry.entry_id)

    assert entry.data[CONF_URL] == emulator.url
    paths = requested_paths(emulator)
    assert "/api/users/me" in paths
    for path in paths:
        assert path.startswith("/api/"), path
        assert not path.startswith("/api/api/"), path
        assert "//" not in path, path


@URL_SUFFIXES
async def test_flow_sub_path_kept(
    hass: HomeAssistant, sub_path_emulator: EmulatorServer, suffix: str
) -> None:
    url = sub_path_emulator.origin + SUB_PATH + suffix

    entry = await create_entry_through_flow(hass, url, ADMIN_KEY)
    assert await hass.config_entries.async_unload(entry.entry_id)

    assert entry.data[CONF_URL] == sub_path_emulator.origin + SUB_PATH
    paths = requested_paths(sub_path_emulator)
    assert "/immich/api/users/me" in paths
    for path in paths:
        assert path.startswith("/immich/api/"), path
        assert not path.startswith("/immich/api/api/"), path
        assert "//" not in path, path


@URL_SUFFIXES
async def test_client_sub_path_url_forms(sub_path_emulator: EmulatorServer, suffix: str) -> None:
    url = sub_path_emulator.origin + SUB_PATH + suffix

    async with ImmichClient(url, ADMIN_KEY) as client:
        user = await client.async_get_my_user()
        storage = await client.async_get_storage()

        assert client.server_url == sub_path_emulator.origin + SUB_PATH

    assert user.id == ADMIN_USER_ID
    assert storage.disk_size_raw == sub_path_emulator.library.storage["diskSizeRaw"]
    assert sub_path_emulator.stats.requests["GET /immich/api/users/me"] == 1
    for path in requested_paths(sub_path_emulator):
        assert path.startswith("/immich/api/"), path
        assert not path.startswith("/immich/api/api/"), path


# `Missing required permission: all` (Immich v1.136 and v1.137 on `GET /users/me`)


def test_missing_permission_text_names_permission() -> None:
    error = json.loads(TRANSLATIONS.read_text())["config"]["error"]["missing_permission"]

    assert "`{permission}`" in error
    assert "`all`" in error.format(permission="all")


async def test_user_step_missing_all_permission(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    emulator.add_fault("missing_permission", OWN_USER_ROUTE, permission="all")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: emulator.url, CONF_API_KEY: ADMIN_KEY, CONF_VERIFY_SSL: True},
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "missing_permission"}
    assert result["description_placeholders"] is not None
    assert result["description_placeholders"]["permission"] == "all"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_reauth_missing_all_permission(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, config_entry)
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    emulator.add_fault("missing_permission", OWN_USER_ROUTE, permission="all")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: ADMIN_KEY}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "missing_permission"}
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert placeholders["permission"] == "all"
    assert placeholders["url"] == emulator.url
    assert config_entry.data[CONF_API_KEY] == ADMIN_KEY


# Non-admin keys


async def test_emulator_rejects_user_key_on_admin_routes(emulator: EmulatorServer) -> None:
    async with ClientSession() as session:
        for path in ("server/statistics", "jobs", "queues"):
            async with session.get(
                f"{emulator.url}/api/{path}", headers={"x-api-key": USER_KEY}
            ) as response:
                body = await response.json()

            assert response.status == 403, path
            assert body["message"] == "Forbidden", path


async def test_non_admin_never_requests_admin_routes(
    hass: HomeAssistant, emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    entry = user_config_entry(emulator)
    await setup_entry(hass, entry)
    for _ in range(4):
        await advance(hass, freezer, QUEUES_INTERVAL)
    for _ in range(3):
        await advance(hass, freezer, STATISTICS_INTERVAL)
    await advance(hass, freezer, SERVER_INTERVAL)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    for _ in range(2):
        await advance(hass, freezer, STATISTICS_INTERVAL)

    assert entry.state is ConfigEntryState.LOADED
    requests = emulator.stats.requests
    for route in ADMIN_ONLY_ROUTES:
        assert requests[route] == 0, route
    # Setup twice, then three polls, the poll after 6 hours and two after the reload.
    assert requests["GET /api/assets/statistics"] == 8
    totals = user_totals(emulator.library, SECOND_USER_ID)
    assert float(state_of(hass, Platform.SENSOR, f"{SECOND_USER_ID}_own_photos_count")) == (
        totals.photos
    )
    assert float(state_of(hass, Platform.SENSOR, f"{SECOND_USER_ID}_own_videos_count")) == (
        totals.videos
    )
    assert float(state_of(hass, Platform.SENSOR, f"{SECOND_USER_ID}_disk_size")) == pytest.approx(
        gib(emulator.library.storage["diskSizeRaw"]), abs=0.01
    )


async def test_demoted_admin_stops_admin_routes(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    assert config_entry.runtime_data.queues is not None
    emulator.library.users[ADMIN_USER_ID]["isAdmin"] = False

    # The first poll that gets the 403 reloads the entry with the user's own counts.
    await advance(hass, freezer, QUEUES_INTERVAL)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert config_entry.runtime_data.queues is None
    assert config_entry.runtime_data.statistics.is_admin is False

    emulator.stats.reset()
    for _ in range(4):
        await advance(hass, freezer, QUEUES_INTERVAL)
    await advance(hass, freezer, STATISTICS_INTERVAL)

    requests = emulator.stats.requests
    for route in ADMIN_ONLY_ROUTES:
        assert requests[route] == 0, route
    assert requests["GET /api/assets/statistics"] == 1


async def test_admin_403_from_proxy_keeps_entry(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_entry(hass, config_entry)
    queues = config_entry.runtime_data.queues
    emulator.add_fault("server_error", r"^GET /api/queues$", status=403, remaining=1)

    await advance(hass, freezer, QUEUES_INTERVAL)
    assert queues is not None
    assert queues.last_update_success is False
    await advance(hass, freezer, QUEUES_INTERVAL)

    assert config_entry.runtime_data.queues is queues
    assert queues.last_update_success is True


# Build details with only the required fields, and a disabled version check


async def test_minimal_about_and_disabled_check(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # `version` and `versionUrl` are added by the route; `licensed` is the other required field.
    emulator.library.about = {"licensed": False}
    emulator.library.release_version = None
    caplog.set_level(logging.DEBUG)

    await setup_entry(hass, config_entry)
    await advance(hass, freezer, SERVER_INTERVAL)

    about = config_entry.runtime_data.server.data.about
    assert about is not None
    assert about.version == emulator.profile.version_text
    assert about.nodejs is None
    assert about.ffmpeg is None
    version_check = config_entry.runtime_data.server.data.version_check
    assert version_check is not None
    assert version_check.release_version is None
    assert version_check.checked_at is None

    update = hass.states.get(entity_id_for(hass, Platform.UPDATE, f"{ADMIN_USER_ID}_update"))
    assert update is not None
    assert update.state == STATE_UNKNOWN
    assert update.attributes[ATTR_INSTALLED_VERSION] == emulator.profile.version_text
    assert update.attributes[ATTR_LATEST_VERSION] is None
    assert update.attributes[ATTR_RELEASE_URL] is None
    assert float(state_of(hass, Platform.SENSOR, f"{ADMIN_USER_ID}_disk_size")) > 0
    assert integration_records(caplog) == []
