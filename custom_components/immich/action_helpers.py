"""Checks and error mapping shared by the integration's actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    Album,
    ImmichAdminRequiredError,
    ImmichAuthenticationError,
    ImmichClient,
    ImmichConnectionError,
    ImmichError,
    ImmichInvalidIdError,
    ImmichNotFoundError,
    ImmichPermissionError,
)
from .const import DOMAIN
from .media_identifier import is_uuid

if TYPE_CHECKING:
    from .coordinator import ImmichConfigEntry


def entry_for_action(hass: HomeAssistant, entry_id: str) -> ImmichConfigEntry:
    """Return the loaded Immich entry an action names; raise ServiceValidationError otherwise."""
    entry: ImmichConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="config_entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="config_entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


async def async_get_album_for_action(client: ImmichClient, album_id: str) -> Album:
    """Return an album an action names.

    Raise ServiceValidationError for a malformed or unknown id, before any other request;
    other client errors propagate for the caller to map.
    """
    if not is_uuid(album_id):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_album_id",
            translation_placeholders={"album_id": album_id},
        )
    try:
        return await client.async_get_album(album_id)
    except ImmichNotFoundError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="album_not_found",
            translation_placeholders={"album_id": album_id},
        ) from err


def service_error(err: ImmichError) -> HomeAssistantError:
    """Return the action error for a failed request, naming a missing permission."""
    if isinstance(err, ImmichInvalidIdError):
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_id",
            translation_placeholders={"kind": err.what, "id": err.value},
        )
    if isinstance(err, ImmichPermissionError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="missing_permission",
            translation_placeholders={"permission": err.permission},
        )
    if isinstance(err, ImmichAdminRequiredError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="admin_required",
            translation_placeholders={"error": str(err)},
        )
    if isinstance(err, ImmichAuthenticationError):
        return HomeAssistantError(translation_domain=DOMAIN, translation_key="invalid_auth")
    key = "cannot_connect" if isinstance(err, ImmichConnectionError) else "request_failed"
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"error": str(err)},
    )
