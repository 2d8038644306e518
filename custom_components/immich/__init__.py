"""The Immich integration: server sensors, photo-frame images and media for Home Assistant."""

from __future__ import annotations

import asyncio

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .actions import async_setup_actions
from .api import (
    ImmichAuthenticationError,
    ImmichClient,
    ImmichError,
    ImmichPermissionError,
    ImmichUnsupportedVersionError,
    User,
    format_server_url,
)
from .const import (
    CONF_URL,
    CONFIG_ENTRY_MINOR_VERSION,
    CONFIG_ENTRY_VERSION,
    DOMAIN,
    LOGGER,
    STARTUP_SETUP_TIMEOUT,
)
from .coordinator import (
    ImmichConfigEntry as ImmichConfigEntry,
    ImmichQueuesCoordinator,
    ImmichRuntimeData as ImmichRuntimeData,
    ImmichServerCoordinator,
    ImmichStatisticsCoordinator,
)
from .helpers import create_client_for_entry, server_url_from_entry_data
from .issues import (
    async_create_missing_permission_issue,
    async_create_unsupported_version_issue,
    async_delete_entry_issues,
)
from .live import ImmichLiveUpdates
from .services import async_setup_services
from .views import ImmichMediaView

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
    Platform.UPDATE,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions and the media view, which serve every entry."""
    async_setup_services(hass)
    async_setup_actions(hass)
    hass.http.register_view(ImmichMediaView(hass))
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ImmichConfigEntry) -> bool:
    """Connect to the server, learn its API generation and the key's user, then add entities."""
    client = create_client_for_entry(hass, entry.data)
    # Home Assistant waits for every setup before its start completes, so while it starts,
    # a server that does not respond soon is retried in the background instead.
    try:
        async with asyncio.timeout(None if hass.is_running else STARTUP_SETUP_TIMEOUT):
            user = await _async_connect(hass, entry, client)
            server, statistics, queues = await _async_first_refresh(hass, entry, client, user)
    except TimeoutError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="no_answer_at_start",
            translation_placeholders={"seconds": f"{STARTUP_SETUP_TIMEOUT:g}"},
        ) from err
    # Every request succeeded, so issues from an earlier failed setup or run are resolved.
    async_delete_entry_issues(hass, entry.entry_id)

    live = ImmichLiveUpdates(hass, entry, client, server=server, statistics=statistics)
    entry.runtime_data = ImmichRuntimeData(
        client=client, user=user, server=server, statistics=statistics, queues=queues, live=live
    )
    # A request that finds the server upgraded or downgraded re-detects its version. The
    # server coordinator then refreshes the version at once instead of at its next poll.
    entry.async_on_unload(client.add_version_listener(server.async_handle_version_change))
    # Coordinators poll only while something listens. Before v1.134 no entity listens to the
    # server coordinator, which must still notice upgrades and unsupported downgrades.
    entry.async_on_unload(server.async_add_listener(lambda: None))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Events that arrive before the entities exist would reach no one.
    live.async_start()
    return True


async def _async_connect(
    hass: HomeAssistant, entry: ImmichConfigEntry, client: ImmichClient
) -> User:
    """Detect the server's API generation and return the key's user.

    Client errors become Home Assistant's setup errors. An unsupported version or a missing
    permission also creates a repair issue.
    """
    try:
        await client.async_detect_generation()
        return await client.async_get_my_user()
    except ImmichAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except ImmichUnsupportedVersionError as err:
        async_create_unsupported_version_issue(hass, entry, err.version)
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unsupported_version",
            translation_placeholders={"version": err.version or "unknown"},
        ) from err
    except ImmichPermissionError as err:
        async_create_missing_permission_issue(hass, entry, err.permission)
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="missing_permission",
            translation_placeholders={"permission": err.permission},
        ) from err
    except ImmichError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err


async def _async_first_refresh(
    hass: HomeAssistant, entry: ImmichConfigEntry, client: ImmichClient, user: User
) -> tuple[ImmichServerCoordinator, ImmichStatisticsCoordinator, ImmichQueuesCoordinator | None]:
    """Create the coordinators and fetch their data once."""
    server = ImmichServerCoordinator(hass, entry, client)
    statistics = ImmichStatisticsCoordinator(hass, entry, client, is_admin=user.is_admin)
    # Queues need an admin's key, so other keys get no queue entities.
    queues = ImmichQueuesCoordinator(hass, entry, client) if user.is_admin else None
    await server.async_config_entry_first_refresh()
    await statistics.async_config_entry_first_refresh()
    if queues is not None:
        await queues.async_config_entry_first_refresh()
    return server, statistics, queues


async def async_unload_entry(hass: HomeAssistant, entry: ImmichConfigEntry) -> bool:
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ImmichConfigEntry) -> None:
    """Delete the entry's repair issues, which would otherwise stay until a restart."""
    async_delete_entry_issues(hass, entry.entry_id)


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Add `url` to entries of the built-in integration (1.1), keeping all their keys."""
    if entry.version > CONFIG_ENTRY_VERSION:
        LOGGER.error(
            "Config entry %s has version %s, newer than this integration understands (%s)",
            entry.entry_id,
            entry.version,
            CONFIG_ENTRY_VERSION,
        )
        return False

    if entry.minor_version < CONFIG_ENTRY_MINOR_VERSION:
        data = dict(entry.data)
        data.setdefault(CONF_URL, format_server_url(server_url_from_entry_data(data)))
        hass.config_entries.async_update_entry(
            entry, data=data, minor_version=CONFIG_ENTRY_MINOR_VERSION
        )
        LOGGER.debug(
            "Migrated config entry %s to version 1.%s", entry.entry_id, CONFIG_ENTRY_MINOR_VERSION
        )
    return True
