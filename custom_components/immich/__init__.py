"""The Immich integration: server sensors, photo-frame images and media for Home Assistant."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .api import (
    ImmichAuthenticationError,
    ImmichClient,
    ImmichError,
    ImmichPermissionError,
    ImmichUnsupportedVersionError,
    User,
    format_server_url,
)
from .const import CONF_URL, CONFIG_ENTRY_MINOR_VERSION, CONFIG_ENTRY_VERSION, DOMAIN, LOGGER
from .helpers import create_client_for_entry, server_url_from_entry_data

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = []


@dataclass(kw_only=True, slots=True)
class ImmichRuntimeData:
    """What a loaded config entry holds while it runs."""

    client: ImmichClient
    user: User
    """The Immich user the API key belongs to."""


type ImmichConfigEntry = ConfigEntry[ImmichRuntimeData]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ImmichConfigEntry) -> bool:
    """Connect to the server, learn its API generation and the key's user, then add entities."""
    client = create_client_for_entry(hass, entry.data)
    try:
        await client.async_detect_generation()
        user = await client.async_get_my_user()
    except ImmichAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except ImmichUnsupportedVersionError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unsupported_version",
            translation_placeholders={"version": err.version or "unknown"},
        ) from err
    except ImmichPermissionError as err:
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

    entry.runtime_data = ImmichRuntimeData(client=client, user=user)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ImmichConfigEntry) -> bool:
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


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
