"""Config entry data and client construction shared by setup and the config flow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT, CONF_SSL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from yarl import URL

from .api import (
    ImmichClient,
    ServerUrlCredentialsError,
    format_server_url,
    normalize_server_url,
    remove_user_info,
)
from .const import CONF_URL, DEFAULT_VERIFY_SSL, LOGGER, REQUEST_TIMEOUT


def server_url_from_entry_data(data: Mapping[str, Any]) -> URL:
    """Return the server URL of an entry; entries of the built-in integration have only host and port.

    A user name and password in a stored URL are dropped, so they are neither sent nor shown.
    The config flow rejects them, but entries created before it did may still contain them.
    """
    if url := data.get(CONF_URL):
        try:
            return normalize_server_url(url)
        except ServerUrlCredentialsError:
            server_url = normalize_server_url(remove_user_info(url))
            LOGGER.warning(
                "The stored URL of Immich server %s contains a user name or password, which "
                "Immich does not use, so they are not sent. Reconfigure the entry to remove them",
                server_url.host,
            )
            return server_url
    scheme = "https" if data.get(CONF_SSL) else "http"
    return URL.build(scheme=scheme, host=data[CONF_HOST], port=data.get(CONF_PORT))


def entry_data(server_url: URL, api_key: str, verify_ssl: bool) -> dict[str, Any]:
    """Return config entry data: `url`, plus host, port and ssl for the built-in integration."""
    return {
        CONF_URL: format_server_url(server_url),
        CONF_HOST: server_url.host,
        CONF_PORT: server_url.port,
        CONF_SSL: server_url.scheme == "https",
        CONF_API_KEY: api_key,
        CONF_VERIFY_SSL: verify_ssl,
    }


def create_client(
    hass: HomeAssistant, server_url: URL | str, api_key: str, verify_ssl: bool
) -> ImmichClient:
    """Return a client on Home Assistant's shared session with the chosen TLS verification."""
    return ImmichClient(
        str(server_url),
        api_key,
        session=async_get_clientsession(hass, verify_ssl=verify_ssl),
        request_timeout=REQUEST_TIMEOUT,
    )


def create_client_for_entry(hass: HomeAssistant, data: Mapping[str, Any]) -> ImmichClient:
    return create_client(
        hass,
        server_url_from_entry_data(data),
        data[CONF_API_KEY],
        data.get(CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL),
    )
