"""Repair issues of the Immich integration."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

MISSING_PERMISSION = "missing_permission"
UNSUPPORTED_VERSION = "unsupported_version"
NO_VERSION = "no_version"


def missing_permission_issue_id(entry_id: str, permission: str) -> str:
    """Return the id of the issue for one entry's key lacking one permission."""
    return f"{MISSING_PERMISSION}_{entry_id}_{permission}"


@callback
def async_create_missing_permission_issue(
    hass: HomeAssistant, entry: ConfigEntry, permission: str
) -> None:
    """Ask the user to add a permission to the entry's API key."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        missing_permission_issue_id(entry.entry_id, permission),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=MISSING_PERMISSION,
        translation_placeholders={"permission": permission, "title": entry.title},
    )


@callback
def async_delete_missing_permission_issue(
    hass: HomeAssistant, entry: ConfigEntry, permission: str
) -> None:
    ir.async_delete_issue(hass, DOMAIN, missing_permission_issue_id(entry.entry_id, permission))


def unsupported_version_issue_id(entry_id: str) -> str:
    """Return the id of the issue for an entry whose server runs an unsupported version."""
    return f"{UNSUPPORTED_VERSION}_{entry_id}"


@callback
def async_create_unsupported_version_issue(
    hass: HomeAssistant, entry: ConfigEntry, version: str | None
) -> None:
    """Ask the user to upgrade Immich, or to check the URL when the server reports no version."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        unsupported_version_issue_id(entry.entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=UNSUPPORTED_VERSION if version else NO_VERSION,
        translation_placeholders={"version": version or "unknown", "title": entry.title},
    )


@callback
def async_delete_unsupported_version_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    ir.async_delete_issue(hass, DOMAIN, unsupported_version_issue_id(entry.entry_id))


@callback
def async_delete_entry_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every issue of a config entry, for example when the entry is removed."""
    prefix = f"{MISSING_PERMISSION}_{entry_id}_"
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and issue_id.startswith(prefix):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    ir.async_delete_issue(hass, DOMAIN, unsupported_version_issue_id(entry_id))
